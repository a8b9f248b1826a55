//! Uploads through presigned URLs against the real embedded store, over HTTP.

use crate::common::{random_bytes, start, start_with};
use jiff::{SignedDuration, Timestamp};
use presign_core::protocol::single::{DownloadUrlResponse, FileUploadedResponse};
use presign_core::Sha256Digest;
use presign_server::Clock;
use serde_json::json;

#[tokio::test]
async fn put_confirm_and_download_round_trip() {
    let t = start().await;
    let data = random_bytes(300_000, 1);
    let signed = t.upload_url_for("ECU dump (v2) é.bin", &data).await;
    assert!(signed.key.starts_with("users/dev/ecu/"), "{}", signed.key);
    assert!(
        signed.key.ends_with("-ECU dump (v2) é.bin"),
        "{}",
        signed.key
    );
    assert_eq!(signed.expires_in, 900);
    let headers = signed.headers.clone().expect("headers");
    assert_eq!(
        headers.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "content-length",
            "content-type",
            "if-none-match",
            "x-amz-checksum-sha256"
        ]
    );
    assert_eq!(headers["content-length"], "300000");
    assert_eq!(headers["content-type"], "application/octet-stream");

    let put = t.put(&signed, data.clone()).await;
    assert_eq!(put.status(), 200, "{:?}", put.text().await);

    let resp = t.file_uploaded(&signed.key, "ecu").await;
    assert_eq!(resp.status(), 200);
    let info: FileUploadedResponse = resp.json().await.expect("FileUploadedResponse");
    assert_eq!(info.key, signed.key);
    assert_eq!(info.size, 300_000);
    assert_eq!(
        info.sha256.as_deref(),
        Some(Sha256Digest::of(&data).to_base64().as_str())
    );
    assert_eq!(
        info.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert!(!info.etag.is_empty());

    let resp = t.download_url(&signed.key).await;
    assert_eq!(resp.status(), 200);
    let dl: DownloadUrlResponse = resp.json().await.expect("DownloadUrlResponse");
    assert_eq!(dl.key, signed.key);
    assert_eq!(dl.expires_in, 900);
    let got = t.http.get(&dl.url).send().await.expect("store reachable");
    assert_eq!(got.status(), 200);
    let bytes = got.bytes().await.expect("body");
    assert_eq!(Sha256Digest::of(&bytes), Sha256Digest::of(&data));
}

#[tokio::test]
async fn wrong_checksum_is_rejected_and_nothing_is_stored() {
    let t = start().await;
    let data = random_bytes(10_000, 2);
    let signed = t.upload_url_for("a.bin", &data).await;
    let other = random_bytes(10_000, 3);
    let put = t.put(&signed, other).await;
    assert_eq!(put.status(), 400, "a body with another checksum");
    let text = put.text().await.expect("error body");
    assert!(text.contains("BadDigest"), "{text}");
    let (status, code, _) =
        crate::common::error_code(t.file_uploaded(&signed.key, "ecu").await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
}

#[tokio::test]
async fn a_put_cut_off_midway_is_400_incomplete_body_and_stores_nothing() {
    let t = start().await;
    let data = random_bytes(1_000_000, 4);
    let signed = t.upload_url_for("cut-off.bin", &data).await;
    let answer = crate::common::raw::cut_off_put(
        &signed.upload_url,
        signed.headers.iter().flatten(),
        &data[..400_000],
    )
    .await;
    let text = String::from_utf8_lossy(&answer.body);
    assert_eq!(answer.status, 400, "{text}");
    assert!(text.contains("<Code>IncompleteBody</Code>"), "{text}");
    let (status, code, _) =
        crate::common::error_code(t.file_uploaded(&signed.key, "ecu").await).await;
    assert_eq!(
        (status, code.as_str()),
        (404, "not_found"),
        "nothing stored"
    );
    // The same URL, the whole body this time.
    let put = t.put(&signed, data).await;
    assert_eq!(put.status(), 200, "{:?}", put.text().await);
}

#[tokio::test]
async fn wrong_size_is_rejected() {
    let t = start().await;
    let data = random_bytes(10_000, 4);
    let signed = t.upload_url_for("a.bin", &data).await;
    for body in [random_bytes(10_001, 4), data[..9_999].to_vec()] {
        let put = t.put(&signed, body).await;
        assert_eq!(put.status(), 403, "a body of another size");
    }
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 404);
}

#[tokio::test]
async fn a_signed_checksum_header_must_be_sent() {
    let t = start().await;
    let data = random_bytes(1_000, 5);
    let mut signed = t.upload_url_for("a.bin", &data).await;
    if let Some(h) = signed.headers.as_mut() {
        h.remove("x-amz-checksum-sha256");
    }
    let put = t.put(&signed, data).await;
    assert_eq!(put.status(), 403, "a signed header left out");
}

#[tokio::test]
async fn expired_url_is_rejected() {
    let an_hour_ago = Timestamp::now() - SignedDuration::from_hours(1);
    let t = start_with(&["--expires-in", "60"], Clock::Fixed(an_hour_ago)).await;
    let data = random_bytes(1_000, 6);
    let signed = t.upload_url_for("a.bin", &data).await;
    assert_eq!(signed.expires_in, 60);
    let put = t.put(&signed, data).await;
    assert_eq!(put.status(), 403, "an expired URL was accepted");
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 404);
}

#[tokio::test]
async fn seed_style_request_and_put_work() {
    let t = start().await;
    let signed = t
        .upload_url(json!({"filename": "a.bin", "file_type": "ecu"}))
        .await;
    let headers = signed.headers.clone().expect("headers");
    assert_eq!(headers.len(), 2, "{headers:?}");
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(headers["if-none-match"], "*");
    assert_eq!(signed.method, "PUT");

    // The write-once header is signed: a frontend that leaves it out is
    // refused.
    let data = random_bytes(1_500_000, 7);
    let bare = t
        .http
        .put(&signed.upload_url)
        .header("Content-Type", "application/octet-stream")
        .body(data.clone())
        .send()
        .await
        .expect("store reachable");
    assert_eq!(bare.status(), 403);
    // What the simplest frontend does: fetch(upload_url, {method: 'PUT',
    // body: file, headers: response.headers}).
    let put = t
        .http
        .put(&signed.upload_url)
        .header("Content-Type", "application/octet-stream")
        .header("If-None-Match", "*")
        .body(data.clone())
        .send()
        .await
        .expect("store reachable");
    assert_eq!(put.status(), 200);

    let info: FileUploadedResponse = t
        .file_uploaded(&signed.key, "ecu")
        .await
        .json()
        .await
        .expect("FileUploadedResponse");
    assert_eq!(info.size, 1_500_000);
    assert_eq!(info.sha256, None, "no checksum was sent, none is stored");
}

#[tokio::test]
async fn content_type_is_signed() {
    let t = start().await;
    let data = random_bytes(100, 8);
    let signed = t
        .upload_url(json!({"filename": "p.png", "file_type": "images", "content_type": "image/png", "size": 100}))
        .await;
    assert_eq!(
        signed.headers.as_ref().expect("headers")["content-type"],
        "image/png"
    );
    let mut tampered = signed.clone();
    if let Some(h) = tampered.headers.as_mut() {
        h.insert("content-type".into(), "text/html".into());
    }
    assert_eq!(t.put(&tampered, data.clone()).await.status(), 403);
    assert_eq!(t.put(&signed, data).await.status(), 200);
    let info: FileUploadedResponse = t
        .file_uploaded(&signed.key, "images")
        .await
        .json()
        .await
        .expect("FileUploadedResponse");
    assert_eq!(info.content_type.as_deref(), Some("image/png"));
}
