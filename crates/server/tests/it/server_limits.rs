//! What one caller can make the signer do to the store: a flood of
//! `/healthz` probes costs it at most one HEAD per 2 s, a batch confirm at
//! most 8 HEADs at once (both counted at the fault proxy in front of it).

use crate::common::proxied;
use presign_core::protocol::batch::{FilesUploadedResponse, GetUploadUrlsResponse};
use presign_core::protocol::single::GetUploadUrlResponse;
use presign_core::Sha256Digest;
use presign_server::{CheckStatus, HealthResponse, STORE_CHECK_REUSED_FOR};
use serde_json::json;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_probes_cost_the_store_one_head_per_two_seconds() {
    let t = proxied::start(&[]).await;
    let url = format!("{}/healthz", t.server.url());
    let began = Instant::now();
    let probes = (0..1000).map(|_| {
        let (http, url) = (t.http.clone(), url.clone());
        tokio::spawn(async move {
            let resp = http.get(url).send().await.expect("server reachable");
            let status = resp.status().as_u16();
            let body: HealthResponse = resp.json().await.expect("HealthResponse");
            (status, body.checks.store.status)
        })
    });
    for answer in futures::future::join_all(probes).await {
        assert_eq!(answer.expect("probe"), (200, CheckStatus::Ok));
    }
    let elapsed = began.elapsed();
    let heads = t.count("HEAD");
    let most = 1 + (elapsed.as_secs_f64() / STORE_CHECK_REUSED_FOR.as_secs_f64()) as usize;
    assert!(
        (1..=most).contains(&heads),
        "{heads} HEADs for 1,000 probes in {elapsed:?}"
    );
    // Once the answer is 2 s old, the next probe asks again.
    tokio::time::sleep(STORE_CHECK_REUSED_FOR).await;
    let before = t.count("HEAD");
    let resp = t.http.get(&url).send().await.expect("server reachable");
    assert_eq!(resp.status(), 200);
    assert_eq!(t.count("HEAD"), before + 1);
}

#[tokio::test]
async fn a_batch_confirm_has_at_most_8_heads_at_the_store_at_once() {
    let t = proxied::start(&[]).await;
    let files: Vec<_> = (0..100u8)
        .map(|i| {
            let data = vec![i; 100];
            let request = json!({
                "filename": format!("f{i}.bin"),
                "file_type": "ecu",
                "size": data.len(),
                "sha256": Sha256Digest::of(&data).to_base64(),
            });
            (request, data)
        })
        .collect();
    let requests: Vec<_> = files.iter().map(|(r, _)| r.clone()).collect();
    let signed: GetUploadUrlsResponse = t
        .http
        .post(t.api("get-upload-urls"))
        .json(&json!({ "files": requests }))
        .send()
        .await
        .expect("API reachable")
        .json()
        .await
        .expect("GetUploadUrlsResponse");
    let mut keys = Vec::new();
    for (outcome, (_, data)) in signed.uploads.into_iter().zip(&files) {
        let signed = outcome.outcome().expect("signed");
        assert_eq!(put(&t.http, &signed, data.clone()).await, 200);
        keys.push(signed.key);
    }
    // Each HEAD held 50 ms at the proxy, so those sent together overlap.
    let delay = br#"{"method": "HEAD", "delayMs": 50, "times": 100}"#;
    for rule in fault_proxy::rules::parse(delay).expect("rule") {
        t.proxy.rules().add(rule);
    }
    t.proxy.journal().clear();
    let body = json!({"files": keys.iter().map(|k| json!({"key": k, "file_type": "ecu"})).collect::<Vec<_>>()});
    let resp = t
        .http
        .post(t.api("files-uploaded"))
        .json(&body)
        .send()
        .await
        .expect("API reachable");
    assert_eq!(resp.status(), 200);
    let confirmed: FilesUploadedResponse = resp.json().await.expect("FilesUploadedResponse");
    assert_eq!(confirmed.uploads.len(), 100);
    for (outcome, key) in confirmed.uploads.into_iter().zip(&keys) {
        assert_eq!(&outcome.outcome().expect("confirmed").key, key);
    }
    let stats = t.stats();
    assert_eq!(t.count("HEAD"), 100);
    assert!(
        (2..=8).contains(&stats.max_in_flight),
        "{} HEADs at the store at once",
        stats.max_in_flight
    );
}

/// PUTs `body` to a presigned URL with the headers it was signed with.
async fn put(http: &reqwest::Client, signed: &GetUploadUrlResponse, body: Vec<u8>) -> u16 {
    let mut req = http.put(&signed.upload_url).body(body);
    for (name, value) in signed.headers.iter().flatten() {
        if name != "content-length" {
            req = req.header(name, value);
        }
    }
    req.send().await.expect("store reachable").status().as_u16()
}
