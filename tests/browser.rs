//! The browser client in headless Chromium against a real `presign-server --dev`
//! (signer + embedded store), whose base URL is baked in at compile time:
//!
//! ```sh
//! PRESIGN_ENDPOINT=http://127.0.0.1:PORT CHROMEDRIVER=/usr/bin/chromedriver \
//!   wasm-pack test --headless --chrome -- --test browser
//! ```
//!
//! The multipart tests (the second half of this file) also need the fault proxies
//! (`tests/support/fault_proxy.mjs`) and a second signer with short-lived URLs:
//! `scripts/test` starts them all and sets `PRESIGN_FAULT_PROXY`,
//! `PRESIGN_ENDPOINT_SHORT_EXPIRY` and `PRESIGN_FAULT_PROXY_SHORT_EXPIRY`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect, Uint8Array};
use presign_core::Sha256Digest;
use presigned_upload::Uploader;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{AbortController, Blob, BlobPropertyBag, File, FilePropertyBag};

wasm_bindgen_test_configure!(run_in_browser);

const MIB: usize = 1024 * 1024;
/// Nothing listens on the discard port.
const UNREACHABLE: &str = "http://127.0.0.1:9";

/// The signer under test. Fails (never skips) when it was not given.
fn endpoint() -> &'static str {
    match option_env!("PRESIGN_ENDPOINT") {
        Some(url) => url,
        None => panic!(
            "PRESIGN_ENDPOINT was not set when these tests were compiled: start \
             `presign-server --dev --listen 127.0.0.1:0` and run \
             `PRESIGN_ENDPOINT=http://127.0.0.1:PORT wasm-pack test --headless --chrome -- --test browser`"
        ),
    }
}

/// Deterministic pseudo-random bytes (xorshift64*), different per seed.
fn test_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn parts(bytes: &[u8]) -> Array {
    Array::of1(&Uint8Array::from(bytes))
}

fn blob(bytes: &[u8]) -> Blob {
    let bag = BlobPropertyBag::new();
    bag.set_type("application/octet-stream");
    Blob::new_with_u8_array_sequence_and_options(&parts(bytes), &bag).expect("Blob")
}

fn file(bytes: &[u8], name: &str, content_type: &str) -> File {
    let bag = FilePropertyBag::new();
    bag.set_type(content_type);
    File::new_with_u8_array_sequence_and_options(&parts(bytes), name, &bag).expect("File")
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).expect("set");
    }
    o.into()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).expect("get")
}

fn get_str(value: &JsValue, key: &str) -> String {
    get(value, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string in {value:?}"))
}

fn get_num(value: &JsValue, key: &str) -> f64 {
    get(value, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {value:?}"))
}

fn uploader(endpoint: &str) -> Uploader {
    Uploader::new(obj(&[("endpoint", endpoint.into())])).expect("Uploader")
}

async fn upload(uploader: &Uploader, file: &Blob, options: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(uploader.upload(file.clone().into(), options)).await
}

/// Asserts `err` is an `Error` with `code`, and returns it for more checks.
fn expect_code(result: Result<JsValue, JsValue>, code: &str) -> js_sys::Error {
    let err = match result {
        Ok(v) => panic!("expected a rejection with code {code}, got {v:?}"),
        Err(e) => e,
    };
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "not an Error: {err:?}"
    );
    assert_eq!(get_str(&err, "code"), code, "{err:?}");
    assert_eq!(get_str(&err, "name"), "UploadError");
    assert!(!get_str(&err, "message").is_empty());
    err.unchecked_into()
}

/// SHA-256 by WebCrypto, independent of the client's sha2, as base64.
async fn webcrypto_sha256(bytes: &[u8]) -> String {
    let crypto: web_sys::Crypto = get(&js_sys::global(), "crypto").unchecked_into();
    let promise = crypto
        .subtle()
        .digest_with_str_and_u8_array("SHA-256", bytes)
        .expect("digest");
    let buffer = JsFuture::from(promise).await.expect("digest resolves");
    let raw: [u8; 32] = Uint8Array::new(&buffer)
        .to_vec()
        .try_into()
        .expect("32 bytes");
    Sha256Digest::from_bytes(raw).to_base64()
}

/// Every progress report received, in order.
type ProgressLog = Rc<RefCell<Vec<JsValue>>>;

/// Collects every progress report; the callback may also act on each one.
fn progress_log(on_each: impl Fn(&JsValue) + 'static) -> (ProgressLog, Closure<dyn Fn(JsValue)>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&log);
    let callback = Closure::<dyn Fn(JsValue)>::new(move |p: JsValue| {
        sink.borrow_mut().push(p.clone());
        on_each(&p);
    });
    (log, callback)
}

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
    assert!(key.ends_with("/round trip.bin"), "{key}");
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

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function = get(&js_sys::global(), "setTimeout").unchecked_into();
        set_timeout
            .call2(&JsValue::UNDEFINED, &resolve, &ms.into())
            .expect("setTimeout");
    });
    JsFuture::from(promise).await.expect("timer");
}

// ---------------------------------------------------------------------------
// Multipart: parallel parts, checksums, abort, retries, re-presigning.

/// A compile-time URL the multipart tests need (set by `scripts/test`).
fn required(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| {
        panic!("{name} was not set when these tests were compiled: run them through scripts/test")
    })
}

fn fault_proxy() -> &'static str {
    required("PRESIGN_FAULT_PROXY", option_env!("PRESIGN_FAULT_PROXY"))
}

/// POSTs JSON to a fault proxy's control endpoint.
async fn proxy_control(proxy: &str, path: &str, body: &str) {
    let response = gloo_net::http::Request::post(&format!("{proxy}{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .expect("request")
        .send()
        .await
        .expect("fault proxy reachable");
    assert_eq!(
        response.status(),
        200,
        "{path}: {:?}",
        response.text().await
    );
}

/// The proxy's log: `(method, url, status, signature)` of every request.
async fn proxy_log(proxy: &str) -> Vec<(String, String, u16, String)> {
    let response = gloo_net::http::Request::get(&format!("{proxy}/__log"))
        .send()
        .await
        .expect("fault proxy reachable");
    let text = response.text().await.expect("log body");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).expect("log is JSON");
    entries
        .into_iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            let status = e["status"].as_u64().unwrap_or(0) as u16;
            (text("method"), text("url"), status, text("signature"))
        })
        .collect()
}

/// PUTs of part `number` seen by the proxy: `(status, signature)` in order.
async fn part_puts(proxy: &str, number: u32) -> Vec<(u16, String)> {
    let needle = format!("partNumber={number}&");
    let suffix = format!("partNumber={number}");
    proxy_log(proxy)
        .await
        .into_iter()
        .filter(|(method, url, ..)| {
            method == "PUT" && (url.contains(&needle) || url.ends_with(&suffix))
        })
        .map(|(_, _, status, signature)| (status, signature))
        .collect()
}

/// The composite checksum computed with WebCrypto, part by part.
async fn webcrypto_composite(bytes: &[u8], part_size: usize) -> String {
    let mut digests = Vec::new();
    for chunk in bytes.chunks(part_size) {
        let b64 = webcrypto_sha256(chunk).await;
        digests.push(Sha256Digest::from_base64(&b64).expect("digest"));
    }
    presign_core::composite_checksum::composite(&digests)
}

/// Checks the multipart invariants of a progress log: bytes and parts never go
/// back within `uploading`, at most `parts_total` parts, ends `done`.
fn assert_multipart_progress(events: &[JsValue], size: usize, parts_total: f64) {
    let mut last = (0.0, 0.0);
    let mut uploading = 0;
    for p in events {
        assert_eq!(
            get_num(p, "partsTotal"),
            if get_str(p, "phase") == "signing" {
                1.0
            } else {
                parts_total
            },
            "{p:?}"
        );
        if get_str(p, "phase") != "uploading" {
            continue;
        }
        uploading += 1;
        let (loaded, done) = (get_num(p, "loaded"), get_num(p, "partsDone"));
        assert_eq!(get_num(p, "total"), size as f64);
        assert!(
            loaded >= last.0 && done >= last.1,
            "went back: {p:?} after {last:?}"
        );
        last = (loaded, done);
    }
    assert!(uploading >= 2, "{uploading} uploading reports");
    assert_eq!(last, (size as f64, parts_total));
    let final_report = events.last().expect("reports");
    assert_eq!(get_str(final_report, "phase"), "done");
}

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

    let key = get_str(&result, "key");
    let link = JsFuture::from(up.download_url(key, JsValue::UNDEFINED))
        .await
        .expect("downloadUrl resolves");
    let response = gloo_net::http::Request::get(&get_str(&link, "url"))
        .send()
        .await
        .expect("GET the object");
    assert_eq!(response.status(), 200);
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
    let controller = AbortController::new().expect("AbortController");
    let abort_once = controller.clone();
    let (log, callback) = progress_log(move |p| {
        if get_str(p, "phase") == "uploading" && get_num(p, "loaded") > 0.0 {
            abort_once.abort();
        }
    });
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
    let upload_id = events
        .iter()
        .find_map(|p| get(p, "uploadId").as_string())
        .expect("progress reports carry the uploadId");
    // The upload was aborted before the promise rejected: the signer no
    // longer knows it.
    let url = format!("{}/api/multipart/{upload_id}/parts", endpoint());
    let response = gloo_net::http::Request::get(&url)
        .send()
        .await
        .expect("signer reachable");
    assert_eq!(response.status(), 404, "{:?}", response.text().await);
    // Nothing reports after the rejection.
    let reports = log.borrow().len();
    sleep_ms(300).await;
    assert_eq!(log.borrow().len(), reports);
}

#[wasm_bindgen_test]
async fn a_part_failing_twice_with_503_is_retried() {
    let proxy = fault_proxy();
    proxy_control(proxy, "/__faults/reset", "{}").await;
    proxy_control(
        proxy,
        "/__faults",
        r#"{"match": "partNumber=3&", "method": "PUT", "status": 503, "times": 2}"#,
    )
    .await;
    let bytes = test_bytes(24 * MIB, 13);
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("wholeFileSha256", true.into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let result = upload(&uploader(endpoint()), &blob(&bytes), options)
        .await
        .expect("the upload survives two 503s");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_multipart_progress(&log.borrow(), bytes.len(), 5.0);
    let statuses: Vec<u16> = part_puts(proxy, 3)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(statuses, [503, 503, 200]);
    proxy_control(proxy, "/__faults/reset", "{}").await;
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
    proxy_control(proxy, "/__faults/reset", "{}").await;
    // The signer's URLs live 2 s; part 2's first PUT reaches the store 3.5 s
    // after it was sent.
    proxy_control(
        proxy,
        "/__faults",
        r#"{"match": "partNumber=2&", "method": "PUT", "delayMs": 3500, "times": 1}"#,
    )
    .await;
    let bytes = test_bytes(20 * MIB, 14);
    let (log, callback) = progress_log(|_| {});
    let options = obj(&[
        ("fileType", "demo".into()),
        ("partSize", (5 * MIB as u32).into()),
        ("wholeFileSha256", true.into()),
        ("onProgress", callback.as_ref().clone()),
    ]);
    let result = upload(&uploader(endpoint), &blob(&bytes), options)
        .await
        .expect("the upload survives an expired URL");
    assert_eq!(get_str(&result, "sha256"), webcrypto_sha256(&bytes).await);
    assert_multipart_progress(&log.borrow(), bytes.len(), 4.0);
    let puts = part_puts(proxy, 2).await;
    assert!(puts.len() >= 2, "{puts:?}");
    assert_eq!(puts[0].0, 403, "{puts:?}");
    let (last_status, last_signature) = puts.last().expect("puts");
    assert_eq!(*last_status, 200, "{puts:?}");
    assert_ne!(*last_signature, puts[0].1, "the retry used a fresh URL");
    proxy_control(proxy, "/__faults/reset", "{}").await;
}
