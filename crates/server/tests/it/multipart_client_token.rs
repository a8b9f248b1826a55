//! `POST /api/multipart` with a `client_token`, over real HTTP against the
//! embedded store: the same request sent again (an answer lost on the way)
//! answers the upload it created and opens nothing in the store; the token
//! with another request is a 422; concurrent attempts open one upload; a
//! malformed token is a 400 naming it.

use crate::common::multipart::MIB;
use crate::common::{error_code, random_bytes, start, TestServer};
use presign_core::protocol::multipart::CreateMultipartResponse;
use serde_json::{json, Value};

const TOKEN: &str = "7f3a9c0e5b2d4f6a8c1e3b5d7f9a0c2e";

fn create_body(size: usize, token: Option<&str>) -> Value {
    let mut body = json!({
        "filename": "big file.bin",
        "file_type": "ecu",
        "size": size,
        "part_size": 5 * MIB,
    });
    if let Some(token) = token {
        body["client_token"] = token.into();
    }
    body
}

/// Multipart uploads open in the embedded store (its `.upload-*.json` files).
fn open_in_store(t: &TestServer) -> usize {
    let root = t.data_dir().join("data").join("store");
    std::fs::read_dir(&root)
        .expect("store folder")
        .filter(|e| {
            let name = e.as_ref().expect("entry").file_name();
            let name = name.to_string_lossy();
            name.starts_with(".upload-") && name.ends_with(".json")
        })
        .count()
}

#[tokio::test]
async fn a_create_sent_again_with_its_token_answers_the_same_upload() {
    let t = start().await;
    let size = 6 * MIB + 7;
    let body = create_body(size, Some(TOKEN));
    let first = t.create_multipart_with(&body).await;
    let again = t.create_multipart_with(&body).await;
    assert_eq!(again, first);
    assert_eq!(open_in_store(&t), 1);

    // The upload goes on under that id, and completes.
    let data = random_bytes(size, 5);
    let parts: Vec<(u32, &[u8])> = (1..).zip(data.chunks(5 * MIB)).collect();
    let urls = t.part_urls(&first.upload_id, &parts).await;
    let mut done = Vec::new();
    for (url, (number, bytes)) in urls.iter().zip(&parts) {
        done.push((*number, t.upload_part(url, bytes.to_vec()).await, *bytes));
    }
    assert_eq!(t.complete(&first.upload_id, &done).await.status(), 200);
    let stored = t.download(&first.key).await.bytes().await.expect("object");
    assert_eq!(stored.as_ref(), data.as_slice());
    assert_eq!(open_in_store(&t), 0);

    // Its upload completed, the token names nothing: the request opens a
    // new upload (a client sends a fresh token for each upload).
    let later = t.create_multipart_with(&body).await;
    assert_ne!(later.upload_id, first.upload_id);
    assert_ne!(later.key, first.key);

    // Without a token, each request is a new upload.
    let plain = create_body(size, None);
    let (a, b) = (
        t.create_multipart_with(&plain).await,
        t.create_multipart_with(&plain).await,
    );
    assert_ne!(a.upload_id, b.upload_id);
    assert_eq!(open_in_store(&t), 3);
}

#[tokio::test]
async fn the_token_with_another_request_is_a_422_and_opens_nothing() {
    let t = start().await;
    let first = t
        .create_multipart_with(&create_body(6 * MIB, Some(TOKEN)))
        .await;
    for other in [
        create_body(7 * MIB, Some(TOKEN)),
        json!({"filename": "other.bin", "file_type": "ecu", "size": 6 * MIB, "part_size": 5 * MIB, "client_token": TOKEN}),
        json!({"filename": "big file.bin", "file_type": "ecu", "size": 6 * MIB, "part_size": 5 * MIB, "checksum": false, "client_token": TOKEN}),
    ] {
        let (status, code, message) = error_code(t.post_json("multipart", &other).await).await;
        assert_eq!((status, code.as_str()), (422, "bad_request"), "{other}");
        assert!(message.contains("client_token"), "{message}");
        assert!(message.contains(&first.upload_id), "{message}");
    }
    assert_eq!(open_in_store(&t), 1);
    assert!(t.session(&first.upload_id).await.is_some());
}

#[tokio::test]
async fn concurrent_attempts_with_one_token_open_one_upload() {
    let t = start().await;
    let body = create_body(6 * MIB, Some(TOKEN));
    let answers = futures::future::join_all((0..8).map(|_| t.post_json("multipart", &body))).await;
    let mut ids = Vec::new();
    for resp in answers {
        assert_eq!(resp.status(), 200);
        let created: CreateMultipartResponse = resp.json().await.expect("answer");
        ids.push(created.upload_id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    // The attempts that lost aborted their store uploads.
    assert_eq!(open_in_store(&t), 1);
}

#[tokio::test]
async fn a_malformed_token_is_a_400_naming_it() {
    let t = start().await;
    let long = "a".repeat(65);
    for bad in [
        "",
        "short",
        "0123456789abcde",
        long.as_str(),
        "0123456789 abcdef",
        "0123456789abcdef/../x",
    ] {
        let (status, code, message) = error_code(
            t.post_json("multipart", &create_body(6 * MIB, Some(bad)))
                .await,
        )
        .await;
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{bad:?}");
        assert!(message.contains("client_token"), "{bad:?}: {message}");
    }
    let not_text =
        json!({"filename": "a.bin", "file_type": "ecu", "size": 6 * MIB, "client_token": 42});
    let (status, _, message) = error_code(t.post_json("multipart", &not_text).await).await;
    assert_eq!(status, 400);
    assert!(message.contains("client_token"), "{message}");
    assert_eq!(open_in_store(&t), 0);
}
