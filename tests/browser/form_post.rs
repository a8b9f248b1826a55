//! `method: "post"`: the file goes as a presigned POST form (the signer's
//! `get-upload-form`), through the fault proxy to the real store.

use crate::support::*;
use wasm_bindgen_test::wasm_bindgen_test;

/// The requests of `method` the store's proxy saw: `(url, status)`.
async fn store_requests(method: &str) -> Vec<(String, u16)> {
    proxy_log(fault_proxy())
        .await
        .into_iter()
        .filter(|(m, ..)| m == method)
        .map(|(_, url, status, _)| (url, status))
        .collect()
}

#[wasm_bindgen_test]
async fn a_form_post_stores_the_same_bytes_with_monotonic_progress() {
    inject(fault_proxy(), "[]").await;
    let bytes = test_bytes(3 * MIB + 4321, 41);
    let expected = webcrypto_sha256(&bytes).await;
    let up = uploader(endpoint());
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("method", "post".into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let input = file(&bytes, "form post é.txt", "text/plain");
    let result = upload(&up, &input, options)
        .await
        .expect("the form upload resolves");
    assert_eq!(get_str(&result, "sha256"), expected);
    assert_eq!(get_num(&result, "size"), bytes.len() as f64);
    let key = get_str(&result, "key");
    assert!(key.starts_with("users/dev/demo/"), "{key}");
    assert!(key.ends_with("-form post é.txt"), "{key}");
    assert!(!get_str(&result, "etag").is_empty());
    assert_single_request_progress(&log.borrow(), bytes.len());

    // It went as one form POST (answered 201), not as a PUT.
    let posts = store_requests("POST").await;
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].1, 201, "{posts:?}");
    assert!(store_requests("PUT").await.is_empty());

    // The stored object, downloaded: the same bytes, and the form's type
    // as downloads serve plain text (inline, with its charset named).
    let response = download(&up, &key).await;
    assert_eq!(
        response.headers().get("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    let downloaded = response.binary().await.expect("body");
    assert_eq!(downloaded.len(), bytes.len());
    assert_eq!(webcrypto_sha256(&downloaded).await, expected);
}

#[wasm_bindgen_test]
async fn an_oversize_form_is_too_large_at_the_signer() {
    inject(fault_proxy(), "[]").await;
    // One byte over the signer's POST ceiling (10 MB, the seed's example).
    let bytes = test_bytes(10_000_001, 42);
    let options = obj(&[("fileType", "demo".into()), ("method", "post".into())]);
    let result = upload(&uploader(endpoint()), &blob(&bytes), options).await;
    let err = expect_code(result, "too_large");
    assert_eq!(get_num(&err, "status"), 413.0);
    assert!(
        get_str(&err, "message").contains("10000000 bytes"),
        "{err:?}"
    );
    assert!(store_requests("POST").await.is_empty(), "nothing was sent");
}

#[wasm_bindgen_test]
async fn aborting_a_form_post_mid_upload_rejects_with_aborted() {
    // The proxy holds the POST for 5 s before passing it on, so the abort
    // (at the first report of bytes sent) finds it in flight.
    inject(
        fault_proxy(),
        r#"{"method": "POST", "delayMs": 5000, "times": 1}"#,
    )
    .await;
    let bytes = test_bytes(8 * MIB, 43);
    let (controller, log, callback) = abort_at_first_bytes();
    let options = obj(&[
        ("fileType", "demo".into()),
        ("method", "post".into()),
        ("signal", controller.signal().into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let result = upload(&uploader(endpoint()), &blob(&bytes), options).await;
    expect_code(result, "aborted");

    assert_stopped_while_uploading(&log);
    assert_eq!(
        store_requests("POST").await.len(),
        1,
        "one POST, not retried"
    );
    // Nothing reports after the rejection.
    let reports = log.borrow().len();
    sleep_ms(300).await;
    assert_eq!(log.borrow().len(), reports);
}
