//! Small files: one presigned PUT.

use crate::support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

#[wasm_bindgen_test]
async fn uploads_and_downloads_the_same_bytes() {
    let bytes = test_bytes(3 * MIB + 12_345, 1);
    let expected = webcrypto_sha256(&bytes).await;
    let up = uploader(endpoint());
    let input = file(&bytes, "round trip.bin", "application/octet-stream");

    let result = upload(&up, &input, obj(&[("fileType", "demo".into())]))
        .await
        .expect("upload resolves");
    assert_eq!(get_str(&result, "sha256"), expected);
    assert_eq!(get_num(&result, "size"), bytes.len() as f64);
    let key = get_str(&result, "key");
    assert!(key.starts_with("users/dev/demo/"), "{key}");
    assert!(key.ends_with("-round trip.bin"), "{key}");
    assert!(!get_str(&result, "etag").is_empty());

    let link = JsFuture::from(up.download_url(key.clone(), JsValue::UNDEFINED))
        .await
        .expect("downloadUrl resolves");
    assert_eq!(get_str(&link, "key"), key);
    assert!(get_num(&link, "expiresIn") > 0.0);
    let response = gloo_net::http::Request::get(&get_str(&link, "url"))
        .send()
        .await
        .expect("GET the presigned URL");
    assert_eq!(response.status(), 200);
    let downloaded = response.binary().await.expect("body");
    assert_eq!(downloaded.len(), bytes.len());
    assert_eq!(webcrypto_sha256(&downloaded).await, expected);
}

#[wasm_bindgen_test]
async fn progress_is_monotonic_and_ends_at_one() {
    let bytes = test_bytes(3 * MIB, 2);
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    upload(&uploader(endpoint()), &blob(&bytes), options)
        .await
        .expect("upload resolves");

    assert_single_request_progress(&log.borrow(), bytes.len());
}

#[wasm_bindgen_test]
async fn already_aborted_signal_rejects_at_once() {
    let controller = AbortController::new().expect("AbortController");
    controller.abort();
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("signal", controller.signal().into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    // Unreachable on purpose: a request made despite the signal would fail
    // with "network", not "aborted".
    let result = upload(&uploader(UNREACHABLE), &blob(b"never sent"), options).await;
    expect_code(result, "aborted");
    assert!(log.borrow().is_empty(), "no work should start");
}

#[wasm_bindgen_test]
async fn aborting_mid_upload_rejects_with_aborted() {
    // Large enough that the browser reports progress before the whole body
    // is sent (it reports about every 50-100 ms).
    let bytes = test_bytes(48 * MIB, 3);
    // Aborted from inside the first progress report of bytes actually sent.
    let (controller, log, callback) = abort_at_first_bytes();
    let options = obj(&[
        ("fileType", "demo".into()),
        ("signal", controller.signal().into()),
        ("onProgress", callback.as_ref().clone()),
        // A single PUT (multipart aborts are tested in `multipart`).
        ("multipartThreshold", (64.0 * MIB as f64).into()),
    ]);
    let result = upload(&uploader(endpoint()), &blob(&bytes), options).await;
    expect_code(result, "aborted");

    assert_stopped_while_uploading(&log);
    // The listeners are gone: nothing reports after the rejection.
    let reports = log.borrow().len();
    sleep_ms(300).await;
    assert_eq!(log.borrow().len(), reports);
}

#[wasm_bindgen_test]
async fn bad_file_type_is_a_bad_request() {
    let result = upload(
        &uploader(endpoint()),
        &blob(b"hello"),
        obj(&[("fileType", "../x".into())]),
    )
    .await;
    let err = expect_code(result, "bad_request");
    assert_eq!(get_num(&err, "status"), 400.0);
}

#[wasm_bindgen_test]
async fn unreachable_signer_is_a_network_error() {
    let result = upload(
        &uploader(UNREACHABLE),
        &blob(b"hello"),
        obj(&[("fileType", "demo".into())]),
    )
    .await;
    expect_code(result, "network");
}
