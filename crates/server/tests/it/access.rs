//! Keys outside the caller's prefix are invisible, and a presigned URL is
//! good for its own key only.

use crate::common::{error_code, random_bytes, start};
use serde_json::json;

#[tokio::test]
async fn other_users_keys_are_not_found() {
    let t = start().await;
    // Put a real object under another user's prefix, straight into the
    // store's folder: even when it exists, the API must not admit it.
    let other = "users/other/ecu/0123456789abcdef0123456789abcdef/a.bin";
    let path = t.data_dir().join("data/store/uploads").join(other);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, b"secret").expect("write");

    for key in [
        other,
        "users/devil/ecu/x/a.bin",
        "users/de/ecu/x/a.bin",
        "a.bin",
    ] {
        let (status, code, message) = error_code(t.file_uploaded(key, "ecu").await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"), "{key}");
        assert_eq!(message, "no such object", "{key}");
        let (status, code, _) = error_code(t.download_url(key).await).await;
        assert_eq!((status, code.as_str()), (404, "not_found"), "{key}");
    }
    // The caller's own missing key answers the very same.
    let (status, _, message) =
        error_code(t.download_url("users/dev/ecu/nothing/here.bin").await).await;
    assert_eq!((status, message.as_str()), (404, "no such object"));
}

#[tokio::test]
async fn a_presigned_url_cannot_put_another_key() {
    let t = start().await;
    let data = random_bytes(1_000, 11);
    let signed = t.upload_url_for("a.bin", &data).await;
    let mine = format!("/{}", signed.key.replace(' ', "%20"));
    for target in ["users/other/ecu/x/a.bin", "users/dev/ecu/x/a.bin"] {
        let url = signed.upload_url.replacen(&mine, &format!("/{target}"), 1);
        assert_ne!(url, signed.upload_url, "the path was replaced");
        let put = t.put_to(&url, &signed, data.clone()).await;
        assert_eq!(put.status(), 403, "{target}");
    }
    // A bare URL without the signature is refused too.
    let bare = signed
        .upload_url
        .split('?')
        .next()
        .expect("path")
        .to_owned();
    assert_eq!(t.put_to(&bare, &signed, data.clone()).await.status(), 403);
    assert_eq!(t.put(&signed, data).await.status(), 200);
}

#[tokio::test]
async fn file_type_must_match_the_key() {
    let t = start().await;
    let data = random_bytes(10, 12);
    let signed = t.upload_url_for("a.bin", &data).await;
    assert_eq!(t.put(&signed, data).await.status(), 200);
    let (status, code, message) = error_code(t.file_uploaded(&signed.key, "images").await).await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    assert!(message.contains("file_type"), "{message}");
    let resp = t
        .post_json(
            "file-uploaded",
            &json!({"key": signed.key, "file_type": "ecu"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
}
