//! The per-user byte quota over real HTTP with the embedded store: uploads
//! totalling the quota succeed and one more byte is 413 `quota_exceeded`
//! saying how much is left; open multipart uploads count by their planned
//! size and aborting one frees it; a batch shares one budget; a
//! confirmation that no longer fits is refused; a POST form is held to
//! what is left by the store; another user is unaffected; a file type's
//! quota from the config file applies to that type. And the default
//! largest object is 5 GiB.

use crate::common::multipart::MIB;
use crate::common::tokens::{hs256, now};
use crate::common::{error_code, random_bytes, start, start_with, TestServer};
use presign_core::protocol::form::GetUploadFormResponse;
use presign_core::protocol::single::GetUploadUrlResponse;
use presign_core::Sha256Digest;
use presign_server::Clock;
use serde_json::{json, Value};

const SECRET: &str = "quota-test-secret-0123456789abcdef012345";

fn token(sub: &str) -> String {
    hs256(&json!({"sub": sub, "exp": now() + 3600}), SECRET.as_bytes())
}

/// A server with JWT users and `extra` flags.
async fn server(extra: &[&str]) -> TestServer {
    let mut args = vec!["--jwt-secret", SECRET, "--rate-limit", "0"];
    args.extend_from_slice(extra);
    start_with(&args, Clock::System).await
}

/// Signs, PUTs and confirms `size` bytes of `file_type`; the key.
async fn upload(t: &TestServer, file_type: &str, size: usize) -> String {
    let data = random_bytes(size, size as u64);
    let body = json!({
        "filename": "f.bin",
        "file_type": file_type,
        "size": size,
        "sha256": Sha256Digest::of(&data).to_base64(),
    });
    let resp = t.post_json("get-upload-url", &body).await;
    assert_eq!(resp.status(), 200, "{body}");
    let signed: GetUploadUrlResponse = resp.json().await.expect("GetUploadUrlResponse");
    assert_eq!(t.put(&signed, data).await.status(), 200);
    let confirmed = t.file_uploaded(&signed.key, file_type).await;
    assert_eq!(confirmed.status(), 200, "confirm {}", signed.key);
    signed.key
}

/// `get-upload-url` for `size` bytes of `file_type`.
async fn ask(t: &TestServer, file_type: &str, size: u64) -> reqwest::Response {
    t.post_json(
        "get-upload-url",
        &json!({"filename": "f.bin", "file_type": file_type, "size": size}),
    )
    .await
}

/// Expects 413 `quota_exceeded` saying `left`.
async fn over_quota(resp: reqwest::Response, left: u64, what: &str) -> String {
    let (status, code, message) = error_code(resp).await;
    assert_eq!(
        (status, code.as_str()),
        (413, "quota_exceeded"),
        "{what}: {message}"
    );
    let left = if left == 1 {
        "1 byte left".to_owned()
    } else {
        format!("{left} bytes left")
    };
    assert!(message.contains(&left), "{what}: {message}");
    message
}

#[tokio::test]
async fn the_quota_refuses_the_byte_past_it() {
    let mut t = server(&["--user-quota", "1000"]).await;
    t.set_token(Some(&token("alice")));
    upload(&t, "ecu", 600).await;
    let message = over_quota(ask(&t, "ecu", 401).await, 400, "401 of 400 left").await;
    assert!(message.contains("quota of 1000 bytes"), "{message}");
    upload(&t, "ecu", 400).await;
    // Exactly the quota is stored; not one byte more.
    over_quota(ask(&t, "ecu", 1).await, 0, "1 byte past").await;
    // An empty file takes nothing.
    assert_eq!(ask(&t, "ecu", 0).await.status(), 200);
    // Without a declared size nothing holds a PUT to the quota.
    let resp = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "f.bin", "file_type": "ecu"}),
        )
        .await;
    let (status, code, message) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (400, "bad_request"), "{message}");
    assert!(message.contains("size is required"), "{message}");

    // Another user is unaffected.
    t.set_token(Some(&token("bob")));
    assert_eq!(ask(&t, "ecu", 1000).await.status(), 200);
    over_quota(ask(&t, "ecu", 1001).await, 1000, "bob's 1001").await;
}

#[tokio::test]
async fn open_multipart_uploads_count_by_their_planned_size() {
    let quota = (12 * MIB).to_string();
    let mut t = server(&["--user-quota", &quota]).await;
    t.set_token(Some(&token("alice")));
    let open = t.create_multipart(10 * MIB, 5 * MIB).await;
    let left = 2 * MIB as u64;
    over_quota(
        ask(&t, "ecu", left + 1).await,
        left,
        "a PUT past the open upload",
    )
    .await;
    let resp = t
        .post_json(
            "multipart",
            &json!({"filename": "g.bin", "file_type": "ecu", "size": 3 * MIB}),
        )
        .await;
    over_quota(resp, left, "a second multipart").await;
    // Aborting the open upload frees its bytes.
    assert_eq!(t.abort(&open.upload_id).await.status(), 204);
    assert_eq!(ask(&t, "ecu", 12 * MIB as u64).await.status(), 200);
    // Completing one moves its bytes from the session to the record.
    let created = t.create_multipart(6 * MIB, 5 * MIB).await;
    let (one, two) = (random_bytes(5 * MIB, 1), random_bytes(MIB, 2));
    let urls = t
        .part_urls(&created.upload_id, &[(1, &one), (2, &two)])
        .await;
    let e1 = t.upload_part(&urls[0], one.clone()).await;
    let e2 = t.upload_part(&urls[1], two.clone()).await;
    let done = t
        .complete(&created.upload_id, &[(1, e1, &one), (2, e2, &two)])
        .await;
    assert_eq!(done.status(), 200);
    let left = 6 * MIB as u64;
    assert_eq!(ask(&t, "ecu", left).await.status(), 200);
    over_quota(ask(&t, "ecu", left + 1).await, left, "after the completion").await;
    // Bob's room is his own.
    t.set_token(Some(&token("bob")));
    t.create_multipart(12 * MIB, 5 * MIB).await;
}

#[tokio::test]
async fn a_batch_shares_one_budget_and_a_late_confirmation_is_refused() {
    let mut t = server(&["--user-quota", "1000"]).await;
    t.set_token(Some(&token("alice")));
    let file = |n: u64| json!({"filename": "f.bin", "file_type": "ecu", "size": n});
    let resp = t
        .post_json(
            "get-upload-urls",
            &json!({"files": [file(400), file(400), file(400)]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let batch: Value = resp.json().await.expect("JSON");
    let outcomes = batch["uploads"].as_array().expect("uploads");
    assert!(
        outcomes[0]["ok"].is_object() && outcomes[1]["ok"].is_object(),
        "{batch}"
    );
    assert_eq!(outcomes[2]["status"], 413, "{batch}");
    assert_eq!(outcomes[2]["error"]["code"], "quota_exceeded", "{batch}");
    let message = outcomes[2]["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("200 bytes left"), "{message}");

    // Two URLs signed while the room was free: the first confirmation
    // takes it, the second no longer fits and is not recorded.
    let (a, b) = (random_bytes(600, 1), random_bytes(600, 2));
    let (signed_a, signed_b) = (
        t.upload_url_for("a.bin", &a).await,
        t.upload_url_for("b.bin", &b).await,
    );
    assert_eq!(t.put(&signed_a, a).await.status(), 200);
    assert_eq!(t.put(&signed_b, b).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed_a.key, "ecu").await.status(), 200);
    over_quota(t.file_uploaded(&signed_b.key, "ecu").await, 400, "late").await;
    // Confirming the recorded one again is still fine.
    assert_eq!(t.file_uploaded(&signed_a.key, "ecu").await.status(), 200);
    let listed: Value = t
        .http
        .get(t.api("uploads"))
        .send()
        .await
        .expect("API reachable")
        .json()
        .await
        .expect("JSON");
    let keys: Vec<&str> = listed["uploads"]
        .as_array()
        .expect("uploads")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert_eq!(keys, [signed_a.key.as_str()]);
}

/// POSTs `fields` then `file` as `multipart/form-data` to `url`.
async fn post_form(form: &GetUploadFormResponse, file: Vec<u8>) -> u16 {
    let mut body = reqwest::multipart::Form::new();
    for (name, value) in &form.fields {
        body = body.text(name.clone(), value.clone());
    }
    let part = reqwest::multipart::Part::bytes(file).file_name("f.bin");
    reqwest::Client::new()
        .post(&form.url)
        .multipart(body.part("file", part))
        .send()
        .await
        .expect("store reachable")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_post_form_is_held_to_what_is_left() {
    let mut t = server(&["--user-quota", "1000"]).await;
    t.set_token(Some(&token("alice")));
    upload(&t, "ecu", 900).await;
    let ask_form = |size: Option<u64>| {
        let mut body = json!({"filename": "f.bin", "file_type": "ecu"});
        if let Some(size) = size {
            body["size"] = json!(size);
        }
        body
    };
    over_quota(
        t.post_json("get-upload-form", &ask_form(Some(101))).await,
        100,
        "a form of 101",
    )
    .await;
    let resp = t.post_json("get-upload-form", &ask_form(None)).await;
    assert_eq!(resp.status(), 200);
    let form: GetUploadFormResponse = resp.json().await.expect("form");
    // The store itself refuses more than the 100 bytes left.
    assert_eq!(post_form(&form, random_bytes(101, 3)).await, 400);
    assert!(matches!(
        post_form(&form, random_bytes(100, 4)).await,
        200 | 201 | 204
    ));
    assert_eq!(t.file_uploaded(&form.key, "ecu").await.status(), 200);
    over_quota(
        t.post_json("get-upload-form", &ask_form(None)).await,
        0,
        "a form when nothing is left",
    )
    .await;
}

const TYPE_QUOTA: &str = r#"
[limits]
rate_limit = 0

[policy.file_types.images]
user_quota = 500
"#;

#[tokio::test]
async fn a_file_types_quota_applies_to_that_type() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("presign.toml");
    std::fs::write(&path, TYPE_QUOTA).expect("config written");
    let mut t = server(&["--config", &path.to_string_lossy()]).await;
    t.set_token(Some(&token("alice")));
    upload(&t, "images", 500).await;
    let message = over_quota(ask(&t, "images", 1).await, 0, "images past 500").await;
    assert!(message.contains("file_type images"), "{message}");
    let resp = t
        .post_json(
            "multipart",
            &json!({"filename": "g.bin", "file_type": "images", "size": 6 * MIB}),
        )
        .await;
    over_quota(resp, 0, "images by multipart").await;
    // Other types are not held to it.
    upload(&t, "ecu", 5000).await;
    assert_eq!(ask(&t, "docs", 100_000).await.status(), 200);
}

#[tokio::test]
async fn the_default_largest_object_is_5_gib() {
    let t = start().await;
    let gib5 = 5u64 << 30;
    let single = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "f.bin", "file_type": "ecu", "size": gib5 + 1}),
        )
        .await;
    let (status, code, message) = error_code(single).await;
    assert_eq!((status, code.as_str()), (413, "too_large"), "{message}");
    let multipart = t
        .post_json(
            "multipart",
            &json!({"filename": "f.bin", "file_type": "ecu", "size": gib5 + 1}),
        )
        .await;
    let (status, code, message) = error_code(multipart).await;
    assert_eq!((status, code.as_str()), (413, "too_large"), "{message}");
    assert!(message.contains("5368709120 bytes"), "{message}");
    let at_limit = t
        .post_json(
            "multipart",
            &json!({"filename": "f.bin", "file_type": "ecu", "size": gib5}),
        )
        .await;
    assert_eq!(at_limit.status(), 200);
    // --max-size raises it, up to S3's own 5 TiB.
    let raised = start_with(&["--max-size", "5497558138880"], Clock::System).await;
    let resp = raised
        .post_json(
            "multipart",
            &json!({"filename": "f.bin", "file_type": "ecu", "size": gib5 + 1}),
        )
        .await;
    assert_eq!(resp.status(), 200);
}
