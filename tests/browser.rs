//! The browser client in headless Chromium against a real `presign-server --dev`
//! (signer + embedded store), whose base URL is baked in at compile time:
//!
//! ```sh
//! PRESIGN_ENDPOINT=http://127.0.0.1:PORT CHROMEDRIVER=/usr/bin/chromedriver \
//!   wasm-pack test --headless --chrome -- --test browser
//! ```
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
