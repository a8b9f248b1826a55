//! `POST /api/get-upload-urls`: several files signed in one request, each as
//! `get-upload-url` would sign it alone, against the real embedded store.

use crate::common::{error_code, random_bytes, start};
use presign_core::protocol::batch::{FilesUploadedResponse, GetUploadUrlsResponse, MAX_BATCH};
use presign_core::{ErrorCode, Sha256Digest};
use serde_json::{json, Value};

fn file(name: &str, data: &[u8]) -> Value {
    json!({
        "filename": name,
        "file_type": "ecu",
        "size": data.len(),
        "sha256": Sha256Digest::of(data).to_base64(),
    })
}

#[tokio::test]
async fn each_file_is_signed_or_refused_on_its_own() {
    let t = start().await;
    let a = random_bytes(70_000, 1);
    let b = random_bytes(1_500_000, 2);
    let files = json!({"files": [
        file("a.bin", &a),
        {"filename": "huge.bin", "file_type": "ecu", "size": 6_u64 << 30},
        file("b.bin", &b),
        {"filename": "", "file_type": "ecu"},
    ]});
    let resp = t.post_json("get-upload-urls", &files).await;
    assert_eq!(resp.status(), 200);
    let answer: GetUploadUrlsResponse = resp.json().await.expect("GetUploadUrlsResponse");
    let [a_signed, huge, b_signed, unnamed] = &answer.uploads[..] else {
        panic!("one outcome per file, in order: {answer:?}");
    };
    for (refused, status, code) in [
        (huge, 413, ErrorCode::TooLarge),
        (unnamed, 400, ErrorCode::BadRequest),
    ] {
        let Err((got, Some(error))) = refused.clone().outcome() else {
            panic!("refused: {refused:?}");
        };
        assert_eq!((got, error.code), (status, code), "{error:?}");
        assert!(!error.message.is_empty());
    }
    let mut keys = Vec::new();
    for (signed, data) in [(a_signed, &a), (b_signed, &b)] {
        let Ok(signed) = signed.clone().outcome() else {
            panic!("signed: {signed:?}");
        };
        assert!(signed.key.starts_with("users/dev/ecu/"), "{}", signed.key);
        // Signed as alone: size and checksum pinned, so other bytes of the
        // same size are refused, and the right ones are stored.
        let mut wrong = data.clone();
        wrong[0] ^= 1;
        assert_eq!(t.put(&signed, wrong).await.status(), 400);
        let put = t.put(&signed, data.clone()).await;
        assert_eq!(put.status(), 200, "{:?}", put.text().await);
        keys.push(signed.key);
    }

    // Confirmed in one batch, each as file-uploaded would alone: both
    // stored objects, another user's key (404, as alone), a key never
    // uploaded (404), a declared size the object does not have (409).
    let confirm = json!({"files": [
        {"key": keys[0], "file_type": "ecu", "size": a.len()},
        {"key": "users/someone-else/ecu/x.bin", "file_type": "ecu"},
        {"key": keys[1], "file_type": "ecu", "sha256": Sha256Digest::of(&b).to_base64()},
        {"key": format!("{}-never", keys[0]), "file_type": "ecu"},
        {"key": keys[1], "file_type": "ecu", "size": 1},
    ]});
    let resp = t.post_json("files-uploaded", &confirm).await;
    assert_eq!(resp.status(), 200);
    let answer: FilesUploadedResponse = resp.json().await.expect("FilesUploadedResponse");
    let outcomes: Vec<_> = answer.uploads.into_iter().map(|o| o.outcome()).collect();
    let refused = |i: usize| match &outcomes[i] {
        Err((status, Some(error))) => (*status, error.code),
        other => panic!("file {i}: {other:?}"),
    };
    assert_eq!(refused(1), (404, ErrorCode::NotFound));
    assert_eq!(refused(3), (404, ErrorCode::NotFound));
    assert_eq!(refused(4), (409, ErrorCode::ChecksumMismatch));
    for (i, data) in [(0, &a), (2, &b)] {
        let Ok(info) = &outcomes[i] else {
            panic!("file {i}: {:?}", outcomes[i]);
        };
        assert_eq!(info.key, keys[i / 2]);
        assert_eq!(info.size, data.len() as u64);
        assert_eq!(
            info.sha256.as_deref(),
            Some(Sha256Digest::of(data).to_base64().as_str())
        );
        let bytes = t.download(&info.key).await.bytes().await.expect("body");
        assert_eq!(Sha256Digest::of(&bytes), Sha256Digest::of(data));
    }
    // Recorded once each, as confirmed alone.
    let resp = t
        .http
        .get(t.api("uploads"))
        .send()
        .await
        .expect("API reachable");
    let listed: serde_json::Value = resp.json().await.expect("json");
    let text = listed.to_string();
    for key in &keys {
        assert_eq!(text.matches(key.as_str()).count(), 1, "{key} in {text}");
    }
}

#[tokio::test]
async fn a_malformed_batch_is_refused_whole() {
    let t = start().await;
    let confirm_one = json!({"key": "users/dev/ecu/x.bin", "file_type": "ecu"});
    for (path, one) in [
        ("get-upload-urls", file("a.bin", b"abc")),
        ("files-uploaded", confirm_one),
    ] {
        let too_many: Vec<Value> = (0..=MAX_BATCH).map(|_| one.clone()).collect();
        let too_many_given = format!("{} given", MAX_BATCH + 1);
        for (body, says) in [
            (json!({"files": []}), "0 given"),
            (json!({"files": too_many}), too_many_given.as_str()),
            (json!({"files": [one.clone()], "extra": 1}), "extra"),
            (json!({"files": one}), "files"),
            (json!([one]), ""),
        ] {
            let resp = t.post_json(path, &body).await;
            let (status, code, message) = error_code(resp).await;
            assert_eq!(
                (status, code.as_str()),
                (400, "bad_request"),
                "{path} {body}: {message}"
            );
            assert!(message.contains(says), "{path}: {says:?} in {message:?}");
        }
    }
    // A hundred is allowed, each under the caller's prefix.
    let hundred: Vec<Value> = (0..MAX_BATCH)
        .map(|i| file(&format!("f{i}.bin"), b"abc"))
        .collect();
    let resp = t
        .post_json("get-upload-urls", &json!({"files": hundred}))
        .await;
    assert_eq!(resp.status(), 200);
    let answer: GetUploadUrlsResponse = resp.json().await.expect("GetUploadUrlsResponse");
    assert_eq!(answer.uploads.len(), MAX_BATCH);
    assert!(answer.uploads.iter().all(|u| u
        .ok
        .as_ref()
        .is_some_and(|s| s.key.starts_with("users/dev/ecu/"))));
}
