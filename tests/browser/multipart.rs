//! Large files: parallel parts, checksums, abort.

use crate::support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
async fn multipart_64_mib_in_5_mib_parts_round_trips() {
    let size = 64 * MIB;
    let bytes = test_bytes(size, 10);
    let expected = webcrypto_sha256(&bytes).await;
    let expected_composite = webcrypto_composite(&bytes, 5 * MIB).await;
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("concurrency", 4.into()),
        ("wholeFileSha256", true.into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let up = uploader(endpoint());
    let result = upload(
        &up,
        &file(&bytes, "big.bin", "application/octet-stream"),
        options,
    )
    .await
    .expect("multipart upload resolves");
    assert_eq!(get_num(&result, "size"), size as f64);
    assert_eq!(get_num(&result, "parts"), 13.0);
    assert_eq!(get_num(&result, "partSize"), (5 * MIB) as f64);
    assert_eq!(get_str(&result, "sha256"), expected);
    assert_eq!(get_str(&result, "checksumSha256"), expected_composite);
    assert!(expected_composite.ends_with("-13"));
    assert!(!get_str(&result, "etag").is_empty());
    assert_multipart_progress(&log.borrow(), size, 13.0);

    let response = download(&up, &get_str(&result, "key")).await;
    let downloaded = response.binary().await.expect("body");
    assert_eq!(downloaded.len(), size);
    assert_eq!(webcrypto_sha256(&downloaded).await, expected);
}

#[wasm_bindgen_test]
async fn multipart_without_whole_file_sha256_omits_it() {
    let bytes = test_bytes(17 * MIB, 11);
    let result = upload(
        &uploader(endpoint()),
        &blob(&bytes),
        obj(&[("fileType", "demo".into())]),
    )
    .await
    .expect("multipart upload resolves");
    // Default part size 8 MiB: 3 parts.
    assert_eq!(get_num(&result, "parts"), 3.0);
    assert!(get(&result, "sha256").is_undefined(), "{result:?}");
    assert_eq!(
        get_str(&result, "checksumSha256"),
        webcrypto_composite(&bytes, 8 * MIB).await
    );
}

#[wasm_bindgen_test]
async fn multipart_options_are_checked() {
    for (name, value) in [
        ("concurrency", JsValue::from(0)),
        ("concurrency", JsValue::from(17)),
        ("concurrency", JsValue::from(2.5)),
        ("partSize", JsValue::from("big")),
        ("maxAttempts", JsValue::from(0)),
        ("wholeFileSha256", JsValue::from("yes")),
    ] {
        let options = obj(&[("fileType", "demo".into()), (name, value.clone())]);
        let result = upload(&uploader(UNREACHABLE), &blob(b"x"), options).await;
        let err = expect_code(result, "bad_request");
        assert!(
            String::from(err.message()).contains(name),
            "{name}={value:?}"
        );
    }
}

#[wasm_bindgen_test]
async fn aborting_a_multipart_upload_aborts_it_on_the_signer() {
    let bytes = test_bytes(40 * MIB, 12);
    let (controller, log, callback) = abort_at_first_bytes();
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("signal", controller.signal().into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let result = upload(&uploader(endpoint()), &blob(&bytes), options).await;
    expect_code(result, "aborted");

    let events = log.borrow().clone();
    assert!(!events.iter().any(|p| get_str(p, "phase") == "done"));
    // The upload was aborted before the promise rejected: the signer no
    // longer knows it.
    assert_signer_forgot(&log).await;
    // Nothing reports after the rejection.
    let reports = log.borrow().len();
    sleep_ms(300).await;
    assert_eq!(log.borrow().len(), reports);
}

#[wasm_bindgen_test]
async fn part_urls_are_asked_for_in_bounded_batches_ahead_of_need() {
    // Each PUT takes 300 ms more (as over a real network, sending is slower
    // than hashing; on bare loopback hashing is the bottleneck and every part
    // is signed the moment it is hashed, so that the connections never idle).
    let proxy = fault_proxy();
    inject(
        proxy,
        r#"{"match": "batches.bin", "method": "PUT", "delayMs": 300, "times": 100}"#,
    )
    .await;
    let spy = PartUrlRequests::spy();
    let bytes = test_bytes(64 * MIB, 18);
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("concurrency", 4.into()),
    ]);
    upload(
        &uploader(endpoint()),
        &file(&bytes, "batches.bin", "application/octet-stream"),
        options,
    )
    .await
    .expect("multipart upload resolves");
    let batches = spy.batches();
    drop(spy);
    // Not all 13 at once, not one request per part.
    assert!(batches.len() >= 2, "{batches:?}");
    assert!(batches.len() <= 7, "{batches:?}");
    // Never more than the read-ahead bound (2 × concurrency) in one batch.
    assert!(
        batches.iter().all(|b| (1..=8).contains(&b.len())),
        "{batches:?}"
    );
    // Every part signed exactly once (no faults here), in order.
    let all: Vec<u32> = batches.concat();
    assert_eq!(all, (1..=13).collect::<Vec<u32>>(), "{batches:?}");
}
