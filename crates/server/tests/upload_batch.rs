//! `POST /api/get-upload-urls`: several files signed in one request, each as
//! `get-upload-url` would sign it alone, against the real embedded store.

mod common;

use common::{error_code, random_bytes, start};
use presign_core::batch_protocol::GetUploadUrlsResponse;
use presign_core::protocol::FileUploadedResponse;
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
    for (signed, data) in [(a_signed, &a), (b_signed, &b)] {
        let Ok(signed) = signed.clone().outcome() else {
            panic!("signed: {signed:?}");
        };
        let signed = &signed;
        assert!(signed.key.starts_with("users/dev/ecu/"), "{}", signed.key);
        // Signed as alone: size and checksum pinned, so other bytes of the
        // same size are refused, and the right ones are stored.
        let mut wrong = data.clone();
        wrong[0] ^= 1;
        assert_eq!(t.put(signed, wrong).await.status(), 400);
        let put = t.put(signed, data.clone()).await;
        assert_eq!(put.status(), 200, "{:?}", put.text().await);
        let resp = t.file_uploaded(&signed.key, "ecu").await;
        assert_eq!(resp.status(), 200);
        let info: FileUploadedResponse = resp.json().await.expect("FileUploadedResponse");
        assert_eq!(info.size, data.len() as u64);
        let bytes = t.download(&signed.key).await.bytes().await.expect("body");
        assert_eq!(Sha256Digest::of(&bytes), Sha256Digest::of(data));
    }
}

#[tokio::test]
async fn a_malformed_batch_is_refused_whole() {
    let t = start().await;
    let one = file("a.bin", b"abc");
    let too_many: Vec<Value> = (0..101).map(|_| one.clone()).collect();
    for (body, says) in [
        (json!({"files": []}), "0 given"),
        (json!({"files": too_many}), "101 given"),
        (json!({"files": [one.clone()], "extra": 1}), "extra"),
        (json!({"files": one}), "files"),
        (json!([one]), ""),
    ] {
        let resp = t.post_json("get-upload-urls", &body).await;
        let (status, code, message) = error_code(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "bad_request"),
            "{body}: {message}"
        );
        assert!(message.contains(says), "{says:?} in {message:?}");
    }
    // A hundred is allowed, each under the caller's prefix.
    let hundred: Vec<Value> = (0..100)
        .map(|i| file(&format!("f{i}.bin"), b"abc"))
        .collect();
    let resp = t
        .post_json("get-upload-urls", &json!({"files": hundred}))
        .await;
    assert_eq!(resp.status(), 200);
    let answer: GetUploadUrlsResponse = resp.json().await.expect("GetUploadUrlsResponse");
    assert_eq!(answer.uploads.len(), 100);
    assert!(answer.uploads.iter().all(|u| u
        .signed
        .as_ref()
        .is_some_and(|s| s.key.starts_with("users/dev/ecu/"))));
}
