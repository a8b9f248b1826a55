//! What one caller can make the signer do to the store and to itself: a
//! flood of `/healthz` probes costs the store at most one HEAD per 2 s, a
//! batch confirm at most 8 HEADs at once (both counted at the fault proxy
//! in front of the store); a request past `--request-timeout`, or waiting
//! for a slot past it, answers a JSON 503; JSON bodies are read up to
//! 64 KiB (a Complete's up to 2 MiB), larger ones answer a JSON 413.

use crate::common::proxied;
use crate::common::raw::{self, RawAnswer};
use crate::common::{error_code, start};
use presign_core::protocol::batch::{FilesUploadedResponse, GetUploadUrlsResponse};
use presign_core::protocol::single::GetUploadUrlResponse;
use presign_core::Sha256Digest;
use presign_server::{CheckStatus, HealthResponse, STORE_CHECK_REUSED_FOR};
use serde_json::json;
use std::time::{Duration, Instant};

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

/// Makes the proxy hold the store's answer to the next matching request
/// (`method`, URL containing `needle`) for good.
fn stall(t: &proxied::Proxied, method: &str, needle: &str) {
    let rule = json!({"method": method, "match": needle, "stall": true, "times": 1});
    for rule in fault_proxy::rules::parse(rule.to_string().as_bytes()).expect("rule") {
        t.proxy.rules().add(rule);
    }
}

#[tokio::test]
async fn past_the_timeout_a_request_answers_a_json_503() {
    let flags = ["--request-timeout", "1s", "--max-concurrent-requests", "1"];
    let t = proxied::start(&flags).await;
    let past_its_time = |message: &str| message.contains("took longer than 1 s");
    // A confirm whose HEAD the store never answers.
    stall(&t, "HEAD", "/");
    let began = Instant::now();
    let resp = t
        .http
        .post(t.api("file-uploaded"))
        .json(&json!({"key": "users/dev/ecu/x/a.bin", "file_type": "ecu"}))
        .send()
        .await
        .expect("answered");
    let (status, code, message) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (503, "server"), "{message}");
    assert!(past_its_time(&message), "{message}");
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "{:?}",
        began.elapsed()
    );

    // A Complete may take longer (the store may take minutes to assemble
    // an object): one the store does not answer holds the only slot, and
    // a request that needs no store waits for it until its time is up.
    let created = t
        .http
        .post(t.api("multipart"))
        .json(&json!({"filename": "m.bin", "file_type": "ecu", "size": 6 << 20, "part_size": 5 << 20}))
        .send()
        .await
        .expect("answered");
    assert_eq!(created.status(), 200);
    let created: serde_json::Value = created.json().await.expect("JSON");
    let id = created["upload_id"].as_str().expect("upload_id").to_owned();
    stall(&t, "POST", "uploadId=");
    let sha = Sha256Digest::of(b"part").to_base64();
    let parts = json!({"parts": [
        {"number": 1, "etag": "\"1\"", "sha256": sha},
        {"number": 2, "etag": "\"2\"", "sha256": sha},
    ]});
    let completing = tokio::spawn(
        t.http
            .post(t.api(&format!("multipart/{id}/complete")))
            .json(&parts)
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let resp = t.http.get(t.api("uploads")).send().await.expect("answered");
    let (status, code, message) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (503, "server"), "{message}");
    assert!(past_its_time(&message), "{message}");
    assert!(
        !completing.is_finished(),
        "the Complete still waits for the store"
    );
    completing.abort();
}

/// `POST {path}` of `body` as JSON, on a socket of its own.
async fn post_raw(addr: std::net::SocketAddr, path: &str, body: &[u8]) -> RawAnswer {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    raw::raw_request(addr, &head, body).await
}

/// `{"filename": "aaa…", …}` of exactly `len` bytes.
fn padded_body(len: usize) -> Vec<u8> {
    let frame = r#"{"filename":"","file_type":"ecu","size":10}"#;
    let name = "a".repeat(len - frame.len());
    format!(r#"{{"filename":"{name}","file_type":"ecu","size":10}}"#).into_bytes()
}

#[tokio::test]
async fn json_bodies_over_64_kib_are_a_json_413() {
    let t = start().await;
    let addr = t.server.addr();
    // At the limit: read (the filename is then refused for its length).
    let at = post_raw(addr, "/api/get-upload-url", &padded_body(64 * 1024)).await;
    assert_eq!(at.status, 400, "{:?}", at.json());
    for path in [
        "/api/get-upload-url",
        "/api/get-upload-urls",
        "/api/files-uploaded",
    ] {
        let over = post_raw(addr, path, &padded_body(64 * 1024 + 1)).await;
        assert_eq!(over.status, 413, "{path}");
        let body = over.json();
        assert_eq!(body["error"]["code"], "too_large", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("64 KiB")),
            "{body}"
        );
    }
    // A Complete lists up to 10,000 parts: 1 MiB is read (and the unknown
    // upload refused), past 2 MiB is not.
    let complete = "/api/multipart/0123456789abcdef0123456789abcdef/complete";
    let part = r#"{"number":1,"etag":"\"0123456789abcdef0123456789abcdef\"","sha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hrVEU="},"#;
    let parts = |n: usize| {
        let list = part.repeat(n);
        format!(r#"{{"parts":[{}]}}"#, &list[..list.len() - 1]).into_bytes()
    };
    let body = parts(10_000);
    assert!(body.len() > 1 << 20, "{}", body.len());
    let read = post_raw(addr, complete, &body).await;
    assert_eq!(read.status, 404, "{:?}", read.json());
    let body = parts(25_000);
    assert!(body.len() > 2 << 20, "{}", body.len());
    let over = post_raw(addr, complete, &body).await;
    assert_eq!(over.status, 413);
    assert_eq!(over.json()["error"]["code"], "too_large");
}
