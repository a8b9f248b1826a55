//! The store misbehaves (through the fault proxy): retries, fresh URLs,
//! stalls, corrupted bodies.

use crate::support::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
async fn a_part_failing_twice_with_503_is_retried() {
    let proxy = fault_proxy();
    inject(proxy, r#"{"match": ["twice-503.bin", "partNumber=3&"], "method": "PUT", "status": 503, "times": 2}"#).await;
    let bytes = test_bytes(24 * MIB, 13);
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("wholeFileSha256", true.into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let result = upload(
        &uploader(endpoint()),
        &named(&bytes, "twice-503.bin"),
        options,
    )
    .await
    .expect("the upload survives two 503s");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_multipart_progress(&log.borrow(), bytes.len(), 5.0);
    let statuses = put_statuses(proxy, "twice-503.bin", 3).await;
    assert_eq!(statuses, [503, 503, 200]);
}

#[wasm_bindgen_test]
async fn an_expired_part_url_is_presigned_again() {
    let endpoint = required(
        "PRESIGN_ENDPOINT_SHORT_EXPIRY",
        option_env!("PRESIGN_ENDPOINT_SHORT_EXPIRY"),
    );
    let proxy = required(
        "PRESIGN_FAULT_PROXY_SHORT_EXPIRY",
        option_env!("PRESIGN_FAULT_PROXY_SHORT_EXPIRY"),
    );
    // The signer's URLs live 2 s; part 2's first PUT reaches the store 3.5 s
    // after it was sent.
    inject(proxy, r#"{"match": ["expired-url.bin", "partNumber=2&"], "method": "PUT", "delayMs": 3500, "times": 1}"#).await;
    let bytes = test_bytes(20 * MIB, 14);
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("wholeFileSha256", true.into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let result = upload(
        &uploader(endpoint),
        &named(&bytes, "expired-url.bin"),
        options,
    )
    .await
    .expect("the upload survives an expired URL");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_multipart_progress(&log.borrow(), bytes.len(), 4.0);
    let puts = part_puts(proxy, "expired-url.bin", 2).await;
    assert!(puts.len() >= 2, "{puts:?}");
    // The store refuses the expired URL: with a 403 (S3), a 400 "Date is too
    // old" (Garage), or (s3s, when it answers before the body is read) by
    // closing the connection, which the proxy logs as 502.
    assert!([400, 403, 502].contains(&puts[0].0), "{puts:?}");
    let (last_status, last_signature) = puts.last().expect("puts");
    assert_eq!(*last_status, 200, "{puts:?}");
    assert_ne!(*last_signature, puts[0].1, "the retry used a fresh URL");
}

/// A file whose name (and so whose key) the fault rules can match.
fn named(bytes: &[u8], name: &str) -> web_sys::Blob {
    file(bytes, name, "application/octet-stream").into()
}

/// A fresh 3-part upload of `bytes` with 5 MiB parts through the main signer.
fn three_part_options(callback: &Closure<dyn Fn(JsValue)>, extra: &[(&str, JsValue)]) -> JsValue {
    let mut pairs = vec![
        ("fileType", JsValue::from("demo")),
        ("partSize", (5 * MIB as u32).into()),
        ("multipartThreshold", (5 * MIB as u32).into()),
        ("wholeFileSha256", true.into()),
        ("onProgress", callback.as_ref().clone()),
    ];
    pairs.extend(extra.iter().cloned());
    obj(&pairs)
}

#[wasm_bindgen_test]
async fn a_stalled_part_is_abandoned_and_sent_again() {
    let proxy = fault_proxy();
    // Part 2's first PUT is never read nor answered, like a dead peer.
    inject(proxy, r#"{"match": ["stalled-part.bin", "partNumber=2&"], "method": "PUT", "stall": true, "times": 1}"#).await;
    let bytes = test_bytes(12 * MIB, 15);
    let (log, callback) = progress_log(|_| {});
    let options = three_part_options(&callback, &[("stallTimeoutMs", 1500.into())]);
    let result = upload(
        &uploader(endpoint()),
        &named(&bytes, "stalled-part.bin"),
        options,
    )
    .await
    .expect("the upload survives a stalled connection");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_multipart_progress(&log.borrow(), bytes.len(), 3.0);
    let statuses = put_statuses(proxy, "stalled-part.bin", 2).await;
    // 0: the stalled attempt never got an answer.
    assert_eq!(statuses, [0, 200]);
}

#[wasm_bindgen_test]
async fn a_part_corrupted_on_the_way_is_read_again_and_sent_again() {
    let proxy = fault_proxy();
    // One byte of part 2's first PUT flips between the browser and the store:
    // the store's SHA-256 differs from the signed one and it refuses the part.
    inject(proxy, r#"{"match": ["corrupt-once.bin", "partNumber=2&"], "method": "PUT", "corrupt": true, "times": 1}"#).await;
    let bytes = test_bytes(12 * MIB, 16);
    let (log, callback) = progress_log(|_| {});
    let result = upload(
        &uploader(endpoint()),
        &named(&bytes, "corrupt-once.bin"),
        three_part_options(&callback, &[]),
    )
    .await
    .expect("the upload survives one corrupted part");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_eq!(
        get_str(&result, "checksumSha256"),
        webcrypto_composite(&bytes, 5 * MIB).await
    );
    assert_multipart_progress(&log.borrow(), bytes.len(), 3.0);
    let statuses = put_statuses(proxy, "corrupt-once.bin", 2).await;
    assert_eq!(statuses, [400, 200]);
}

#[wasm_bindgen_test]
async fn a_part_corrupted_every_time_fails_with_checksum_mismatch() {
    let proxy = fault_proxy();
    inject(proxy, r#"{"match": ["corrupt-always.bin", "partNumber=2&"], "method": "PUT", "corrupt": true, "times": 100}"#).await;
    let bytes = test_bytes(12 * MIB, 17);
    let (log, callback) = progress_log(|_| {});
    let result = upload(
        &uploader(endpoint()),
        &named(&bytes, "corrupt-always.bin"),
        three_part_options(&callback, &[]),
    )
    .await;
    let err = expect_code(result, "checksum_mismatch");
    assert!(
        String::from(err.message()).contains("part 2"),
        "{:?}",
        err.message()
    );
    // Read and hashed again once, sent again once, then given up.
    let statuses = put_statuses(proxy, "corrupt-always.bin", 2).await;
    assert_eq!(statuses, [400, 400]);
    // The failed upload was aborted on the signer (and so in the store).
    assert_signer_forgot(&log).await;
}

#[wasm_bindgen_test]
async fn a_single_put_failing_twice_with_503_is_retried() {
    let proxy = fault_proxy();
    inject(
        proxy,
        r#"{"match": "single-503.bin", "method": "PUT", "status": 503, "times": 2}"#,
    )
    .await;
    let bytes = test_bytes(MIB + 512 * 1024, 19);
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let result = upload(
        &uploader(endpoint()),
        &named(&bytes, "single-503.bin"),
        options,
    )
    .await
    .expect("a single PUT survives two 503s");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    let statuses: Vec<u16> = proxy_log(proxy)
        .await
        .into_iter()
        .filter(|(method, url, ..)| method == "PUT" && url.contains("single-503.bin"))
        .map(|(_, _, status, _)| status)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
    // The bar never went back while the PUT was retried.
    let mut last = 0.0;
    for p in log
        .borrow()
        .iter()
        .filter(|p| get_str(p, "phase") == "uploading")
    {
        assert!(get_num(p, "loaded") >= last, "{p:?}");
        last = get_num(p, "loaded");
    }
}
