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
    const PHASES: [&str; 5] = ["hashing", "signing", "uploading", "verifying", "done"];
    let bytes = test_bytes(3 * MIB, 2);
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    upload(&uploader(endpoint()), &blob(&bytes), options)
        .await
        .expect("upload resolves");

    let events = log.borrow();
    assert!(events.len() >= 5, "{} events", events.len());
    let mut last: Option<(usize, f64)> = None;
    let mut uploading_complete = false;
    for p in events.iter() {
        let phase = get_str(p, "phase");
        let index = PHASES
            .iter()
            .position(|&x| x == phase)
            .unwrap_or_else(|| panic!("unknown phase {phase}"));
        let (loaded, total, fraction) = (
            get_num(p, "loaded"),
            get_num(p, "total"),
            get_num(p, "fraction"),
        );
        assert_eq!(total, bytes.len() as f64);
        assert!((0.0..=1.0).contains(&fraction), "{p:?}");
        assert_eq!(fraction, loaded / total);
        assert!(get_num(p, "bytesPerSecond") >= 0.0);
        let eta = get(p, "etaSeconds");
        assert!(eta.is_null() || eta.as_f64().is_some(), "{p:?}");
        if let Some((last_index, last_loaded)) = last {
            assert!(index >= last_index, "phase went back: {p:?}");
            if index == last_index {
                assert!(loaded >= last_loaded, "bytes went back: {p:?}");
            }
        }
        uploading_complete |= phase == "uploading" && fraction == 1.0;
        last = Some((index, loaded));
    }
    assert_eq!(get_str(&events[0], "phase"), "hashing");
    assert!(uploading_complete, "no uploading report at 100%");
    let final_report = events.last().expect("reports");
    assert_eq!(get_str(final_report, "phase"), "done");
    assert_eq!(get_num(final_report, "fraction"), 1.0);
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
    let controller = AbortController::new().expect("AbortController");
    let abort_once = controller.clone();
    // Abort from inside the first progress report of bytes actually sent:
    // the XHR is then certainly in flight.
    let (log, callback) = progress_log(move |p| {
        if get_str(p, "phase") == "uploading" && get_num(p, "loaded") > 0.0 {
            abort_once.abort();
        }
    });
    let options = obj(&[
        ("fileType", "demo".into()),
        ("signal", controller.signal().into()),
        ("onProgress", callback.as_ref().clone()),
        // A single PUT (multipart aborts are tested in `multipart`).
        ("multipartThreshold", (64.0 * MIB as f64).into()),
    ]);
    let result = upload(&uploader(endpoint()), &blob(&bytes), options).await;
    expect_code(result, "aborted");

    let phases: Vec<String> = log.borrow().iter().map(|p| get_str(p, "phase")).collect();
    assert!(phases.iter().any(|p| p == "uploading"), "{phases:?}");
    assert!(
        !phases.iter().any(|p| p == "verifying" || p == "done"),
        "{phases:?}"
    );
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
