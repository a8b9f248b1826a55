//! The multipart endpoints refuse bad input with a JSON 4xx (never a 500),
//! answer the same 404 for malformed, unknown and other users' upload ids,
//! and cap the open uploads of a user.

use crate::common::multipart::MIB;
use crate::common::{error_code, start, TestServer};
use jiff::Timestamp;
use presign_core::keys::file_type::FileType;
use presign_core::protocol::multipart::MAX_PARTS_PER_REQUEST;
use presign_core::s3::part_plan::PartPlan;
use presign_core::{ObjectKey, Sha256Digest, UserId};
use presign_server::{UploadId, UploadSession, NO_SUCH_UPLOAD};
use serde_json::json;

/// A session in the registry for `user`, with a made-up store UploadId.
fn fake_session(user: &str) -> UploadSession {
    let user = UserId::parse(user).expect("user");
    let file_type = FileType::parse("ecu").expect("file type");
    UploadSession {
        key: ObjectKey::for_upload(
            &user,
            &file_type,
            presign_core::KeyDate::new(2026, 1, 2).expect("date"),
            &UploadId::random().to_string(),
            "x.bin",
        )
        .expect("key"),
        user,
        store_upload_id: "not-a-real-store-upload".into(),
        plan: PartPlan::new(11 * MIB as u64, 5 * MIB as u64).expect("plan"),
        content_type: "application/octet-stream".into(),
        file_type,
        created_at: Timestamp::now(),
        checksums: true,
    }
}

/// Every endpoint that takes an id, answering with (status, code, message).
async fn every_endpoint(t: &TestServer, id: &str) -> Vec<(u16, String, String)> {
    let sha = Sha256Digest::of(b"").to_base64();
    let part = json!({"parts": [{"number": 1, "size": 5 * MIB, "sha256": sha}]});
    let done = json!({"parts": [{"number": 1, "etag": "\"e\"", "sha256": sha}]});
    let mut out = Vec::new();
    out.push(error_code(t.part_urls_raw(id, &part).await).await);
    out.push(error_code(t.list_parts(id).await).await);
    out.push(
        error_code(
            t.post_json(&format!("multipart/{id}/complete"), &done)
                .await,
        )
        .await,
    );
    out.push(error_code(t.abort(id).await).await);
    out
}

#[tokio::test]
async fn other_users_and_malformed_ids_are_not_found() {
    let t = start().await;
    let theirs = UploadId::random();
    let other = UserId::parse("other").expect("user");
    t.server
        .upload_sessions()
        .insert(theirs.clone(), fake_session("other"), None)
        .await
        .expect("inserted");

    let unknown = UploadId::random().to_string();
    for id in [
        theirs.as_str(),
        unknown.as_str(),
        "xyz",
        "0123456789ABCDEF0123456789ABCDEF",
        "0123456789abcdef0123456789abcdef0",
        "a%20b",
    ] {
        for (status, code, message) in every_endpoint(&t, id).await {
            assert_eq!((status, code.as_str()), (404, "not_found"), "{id}");
            assert_eq!(message, NO_SUCH_UPLOAD, "{id}");
        }
    }
    assert!(
        t.server
            .upload_sessions()
            .get(&theirs, &other)
            .await
            .expect("db")
            .is_some(),
        "another user's upload is untouched"
    );
}

#[tokio::test]
async fn open_uploads_per_user_are_capped() {
    let t = start().await;
    let sessions = t.server.upload_sessions();
    for _ in 0..sessions.max_per_user() {
        sessions
            .insert(UploadId::random(), fake_session("dev"), None)
            .await
            .expect("under the cap");
    }
    let body = json!({"filename": "a.bin", "file_type": "ecu", "size": 6 * MIB});
    let (status, code, message) = error_code(t.post_json("multipart", &body).await).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    assert!(
        message.contains("too many open multipart uploads"),
        "{message}"
    );
}

/// (body, expected status, expected code, words the message must contain)
const CREATE_CASES: &[(&str, u16, &str, &[&str])] = &[
    ("{", 400, "bad_request", &["JSON"]),
    ("", 400, "bad_request", &["JSON"]),
    ("[]", 400, "bad_request", &[]),
    (
        r#"{"filename":"a","file_type":"ecu"}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":0}"#,
        400,
        "bad_request",
        &["size", "single PUT"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":-1}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":"10"}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":1.5}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":1e300}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":53687091200001}"#,
        413,
        "too_large",
        &["size"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":99999999999999999999}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":10,"part_size":-5}"#,
        400,
        "bad_request",
        &["part_size"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":10,"partSize":6}"#,
        400,
        "bad_request",
        &["partSize"],
    ),
    (
        r#"{"filename":"","file_type":"ecu","size":10}"#,
        400,
        "bad_request",
        &["filename"],
    ),
    (
        r#"{"filename":"a","file_type":"ECU","size":10}"#,
        400,
        "bad_request",
        &["file_type"],
    ),
    (
        r#"{"filename":"a","file_type":"ecu","size":10,"content_type":"png"}"#,
        400,
        "bad_request",
        &["content_type"],
    ),
];

#[tokio::test]
async fn bad_create_requests() {
    let t = start().await;
    for &(body, status, code, words) in CREATE_CASES {
        let resp = t
            .http
            .post(t.api("multipart"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("API reachable");
        let (got, got_code, message) = error_code(resp).await;
        assert_eq!(
            (got, got_code.as_str()),
            (status, code),
            "{body}: {message}"
        );
        for w in words {
            assert!(message.contains(w), "{body}: {message}");
        }
    }
    let no_type = t
        .http
        .post(t.api("multipart"))
        .body(r#"{"filename":"a","file_type":"ecu","size":10}"#)
        .send()
        .await
        .expect("API reachable");
    assert_eq!(error_code(no_type).await.0, 415);
    let get = t
        .http
        .get(t.api("multipart"))
        .send()
        .await
        .expect("API reachable");
    assert_eq!(error_code(get).await.0, 405);
}

#[tokio::test]
async fn bad_part_and_complete_requests() {
    let t = start().await;
    let created = t.create_multipart(11 * MIB, 5 * MIB).await;
    let id = created.upload_id.as_str();
    let sha = Sha256Digest::of(b"").to_base64();
    let over = MAX_PARTS_PER_REQUEST + 1;
    let many: Vec<_> = (1..=over)
        .map(|n| json!({"number": n, "size": 5 * MIB, "sha256": sha}))
        .collect();
    let (limit, got) = (
        format!("1 to {MAX_PARTS_PER_REQUEST}"),
        format!("got {over}"),
    );
    let part_cases = [
        (json!({}), "parts"),
        (json!({"parts": []}), limit.as_str()),
        (json!({"parts": many}), got.as_str()),
        (
            json!({"parts": [{"number": 1, "size": 5 * MIB, "sha256": "nope"}]}),
            "sha256",
        ),
        (
            json!({"parts": [{"number": -1, "size": 5 * MIB, "sha256": sha}]}),
            "number",
        ),
        (json!({"parts": [{"number": 1, "size": 5 * MIB}]}), "sha256"),
        (
            json!({"parts": [{"number": 1, "size": 5 * MIB, "sha256": sha, "x": 1}]}),
            "x",
        ),
        (
            json!({"parts": [{"number": 1, "size": 5 * MIB, "sha256": sha}], "more": true}),
            "more",
        ),
        (
            json!({"parts": [{"number": 2, "size": 5 * MIB, "sha256": sha}, {"number": 2, "size": 5 * MIB, "sha256": sha}]}),
            "twice",
        ),
    ];
    for (body, word) in part_cases {
        let (status, code, message) = error_code(t.part_urls_raw(id, &body).await).await;
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{body}");
        assert!(message.contains(word), "{body}: {message}");
    }
    let path = format!("multipart/{id}/complete");
    let done = |n: u32| json!({"number": n, "etag": "\"e\"", "sha256": sha});
    let complete_cases = [
        // No sha256 on an upload with checksums (the default).
        (
            json!({"parts": [{"number": 1, "etag": "e"}, {"number": 2, "etag": "e"}, {"number": 3, "etag": "e"}]}),
            "part 1 has no sha256",
        ),
        (
            json!({"parts": [done(1), done(2), done(3), done(4)]}),
            "4 not in the plan",
        ),
        (
            json!({"parts": [done(1), done(2), done(2), done(3)]}),
            "more than once",
        ),
        (json!({"parts": []}), "missing part(s) 1, 2, 3"),
        (json!({"parts": "all"}), "parts"),
    ];
    for (body, word) in complete_cases {
        let (status, code, message) = error_code(t.post_json(&path, &body).await).await;
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{body}");
        assert!(message.contains(word), "{body}: {message}");
    }
    assert!(
        t.session(id).await.is_some(),
        "refused requests leave the upload open"
    );
    assert_eq!(t.abort(id).await.status(), 204);
}
