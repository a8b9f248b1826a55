//! Helpers of the browser tests: test data, JS object plumbing, independent
//! SHA-256 (WebCrypto), progress logs, and the fault proxy's control API.

use js_sys::{Array, Object, Reflect, Uint8Array};
use presign_core::Sha256Digest;
use presigned_upload::Uploader;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, BlobPropertyBag, File, FilePropertyBag};

pub const MIB: usize = 1024 * 1024;
/// Nothing listens on the discard port.
pub const UNREACHABLE: &str = "http://127.0.0.1:9";

/// The signer under test. Fails (never skips) when it was not given.
pub fn endpoint() -> &'static str {
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
pub fn test_bytes(len: usize, seed: u64) -> Vec<u8> {
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

pub fn parts(bytes: &[u8]) -> Array {
    Array::of1(&Uint8Array::from(bytes))
}

pub fn blob(bytes: &[u8]) -> Blob {
    let bag = BlobPropertyBag::new();
    bag.set_type("application/octet-stream");
    Blob::new_with_u8_array_sequence_and_options(&parts(bytes), &bag).expect("Blob")
}

pub fn file(bytes: &[u8], name: &str, content_type: &str) -> File {
    let bag = FilePropertyBag::new();
    bag.set_type(content_type);
    File::new_with_u8_array_sequence_and_options(&parts(bytes), name, &bag).expect("File")
}

pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).expect("set");
    }
    o.into()
}

pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).expect("get")
}

pub fn get_str(value: &JsValue, key: &str) -> String {
    get(value, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string in {value:?}"))
}

pub fn get_num(value: &JsValue, key: &str) -> f64 {
    get(value, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {value:?}"))
}

pub fn uploader(endpoint: &str) -> Uploader {
    uploader_with(endpoint, &[])
}

/// The package's JS in the test runner's page: `wasm-bindgen-test.js`, not
/// `presigned_upload.js` beside the snippets as in a wasm-pack build, so the
/// hash workers are told where it is (`workerModuleUrl`).
pub fn test_module_url() -> String {
    let location = get(&js_sys::global(), "location");
    format!("{}/wasm-bindgen-test.js", get_str(&location, "origin"))
}

/// An uploader for `endpoint` with more options; its hash workers load
/// the test runner's package (see [`test_module_url`]).
pub fn uploader_with(endpoint: &str, extra: &[(&str, JsValue)]) -> Uploader {
    let mut pairs = vec![
        ("endpoint", JsValue::from(endpoint)),
        ("workerModuleUrl", test_module_url().into()),
    ];
    pairs.extend(extra.iter().cloned());
    Uploader::new(obj(&pairs)).expect("Uploader")
}

pub async fn upload(
    uploader: &Uploader,
    file: &Blob,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    JsFuture::from(uploader.upload(file.clone().into(), options)).await
}

/// Asserts `err` is an `Error` with `code`, and returns it for more checks.
pub fn expect_code(result: Result<JsValue, JsValue>, code: &str) -> js_sys::Error {
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

/// GETs `key` through the uploader's `downloadUrl` (answered 200).
pub async fn download(uploader: &Uploader, key: &str) -> gloo_net::http::Response {
    let link = JsFuture::from(uploader.download_url(key.to_owned(), JsValue::UNDEFINED))
        .await
        .expect("downloadUrl resolves");
    let response = gloo_net::http::Request::get(&get_str(&link, "url"))
        .send()
        .await
        .expect("GET the presigned URL");
    assert_eq!(response.status(), 200, "GET {key}");
    response
}

/// SHA-256 by WebCrypto, independent of the client's sha2, as base64.
pub async fn webcrypto_sha256(bytes: &[u8]) -> String {
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
pub type ProgressLog = Rc<RefCell<Vec<JsValue>>>;

/// Collects every progress report; the callback may also act on each one.
pub fn progress_log(
    on_each: impl Fn(&JsValue) + 'static,
) -> (ProgressLog, Closure<dyn Fn(JsValue)>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&log);
    let callback = Closure::<dyn Fn(JsValue)>::new(move |p: JsValue| {
        sink.borrow_mut().push(p.clone());
        on_each(&p);
    });
    (log, callback)
}

pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function = get(&js_sys::global(), "setTimeout").unchecked_into();
        set_timeout
            .call2(&JsValue::UNDEFINED, &resolve, &ms.into())
            .expect("setTimeout");
    });
    JsFuture::from(promise).await.expect("timer");
}

/// A compile-time URL the multipart tests need (set by `scripts/test`).
pub fn required(name: &str, value: Option<&'static str>) -> &'static str {
    value.unwrap_or_else(|| {
        panic!("{name} was not set when these tests were compiled: run them through scripts/test")
    })
}

pub fn fault_proxy() -> &'static str {
    required("PRESIGN_FAULT_PROXY", option_env!("PRESIGN_FAULT_PROXY"))
}

/// POSTs JSON to a fault proxy's control endpoint.
pub async fn proxy_control(proxy: &str, path: &str, body: &str) {
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
pub async fn proxy_log(proxy: &str) -> Vec<(String, String, u16, String)> {
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

/// PUTs of part `number` of the file named `name` seen by the proxy:
/// `(status, signature)` in order.
pub async fn part_puts(proxy: &str, name: &str, number: u32) -> Vec<(u16, String)> {
    let needle = format!("partNumber={number}&");
    let suffix = format!("partNumber={number}");
    proxy_log(proxy)
        .await
        .into_iter()
        .filter(|(method, url, ..)| {
            method == "PUT"
                && url.contains(name)
                && (url.contains(&needle) || url.ends_with(&suffix))
        })
        .map(|(_, _, status, signature)| (status, signature))
        .collect()
}

/// The composite checksum computed with WebCrypto, part by part.
pub async fn webcrypto_composite(bytes: &[u8], part_size: usize) -> String {
    let mut digests = Vec::new();
    for chunk in bytes.chunks(part_size) {
        let b64 = webcrypto_sha256(chunk).await;
        digests.push(Sha256Digest::from_base64(&b64).expect("digest"));
    }
    presign_core::s3::composite_checksum::composite(&digests)
}

/// An `AbortController` aborted from inside the first progress report of
/// bytes actually sent (the request is then certainly in flight), the log of
/// every report, and the `onProgress` callback that does both.
pub fn abort_at_first_bytes() -> (AbortController, ProgressLog, Closure<dyn Fn(JsValue)>) {
    let controller = AbortController::new().expect("AbortController");
    let abort_once = controller.clone();
    let (log, callback) = progress_log(move |p| {
        if get_str(p, "phase") == "uploading" && get_num(p, "loaded") > 0.0 {
            abort_once.abort();
        }
    });
    (controller, log, callback)
}

/// The log of an upload that got to `uploading` and never to `verifying`
/// or `done`.
pub fn assert_stopped_while_uploading(log: &ProgressLog) {
    let phases: Vec<String> = log.borrow().iter().map(|p| get_str(p, "phase")).collect();
    assert!(phases.iter().any(|p| p == "uploading"), "{phases:?}");
    assert!(
        !phases.iter().any(|p| p == "verifying" || p == "done"),
        "{phases:?}"
    );
}

/// Checks the progress log of a single-request upload (PUT or form POST):
/// phases in order, bytes never going back within a phase, every fraction
/// `loaded / total` of `size`, 100% uploaded, ending `done` at 1.
pub fn assert_single_request_progress(events: &[JsValue], size: usize) {
    const PHASES: [&str; 5] = ["hashing", "signing", "uploading", "verifying", "done"];
    assert!(events.len() >= 5, "{} events", events.len());
    let mut last: Option<(usize, f64)> = None;
    let mut uploading_complete = false;
    for p in events {
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
        assert_eq!(total, size as f64);
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

/// Checks the multipart invariants of a progress log: bytes and parts never go
/// back within `uploading`, at most `parts_total` parts, ends `done`.
pub fn assert_multipart_progress(events: &[JsValue], size: usize, parts_total: f64) {
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

/// Records the part numbers of every `part-urls` request the page sends,
/// by wrapping the global `fetch` until dropped.
pub struct PartUrlRequests {
    original: JsValue,
    batches: js_sys::Array,
}

impl PartUrlRequests {
    pub fn spy() -> Self {
        let global = js_sys::global();
        let original = get(&global, "fetch");
        let batches = js_sys::Array::new();
        let make = js_sys::Function::new_with_args(
            "original, batches",
            r#"return function (input, init) {
                const request = input instanceof Request ? input : new Request(input, init);
                if (request.url.includes("/part-urls")) {
                    const slot = batches.length;
                    batches.push(null);
                    request.clone().text().then((text) => {
                        batches[slot] = JSON.parse(text).parts;
                    });
                }
                return original.call(this, input, init);
            };"#,
        );
        let wrapper = make
            .call2(&JsValue::UNDEFINED, &original, &batches)
            .expect("wrap fetch");
        Reflect::set(&global, &"fetch".into(), &wrapper).expect("install the spy");
        Self { original, batches }
    }

    /// The part numbers of each request, in the order they were sent.
    pub fn batches(&self) -> Vec<Vec<u32>> {
        self.batches
            .iter()
            .map(|b| {
                js_sys::Array::from(&b)
                    .iter()
                    .map(|p| get_num(&p, "number") as u32)
                    .collect()
            })
            .collect()
    }

    /// How many of the parts asked for carried a `sha256`.
    pub fn with_sha256(&self) -> usize {
        self.batches
            .iter()
            .flat_map(|b| js_sys::Array::from(&b).iter().collect::<Vec<_>>())
            .filter(|p| !get(p, "sha256").is_undefined())
            .count()
    }
}

impl Drop for PartUrlRequests {
    fn drop(&mut self) {
        let _ = Reflect::set(&js_sys::global(), &"fetch".into(), &self.original);
    }
}

/// Drops the proxy's rules and log, then installs `rule` (JSON).
pub async fn inject(proxy: &str, rule: &str) {
    proxy_control(proxy, "/__faults/reset", "{}").await;
    proxy_control(proxy, "/__faults", rule).await;
}

/// The statuses of part `number`'s PUTs of the file `name`, in order (0: no answer).
pub async fn put_statuses(proxy: &str, name: &str, number: u32) -> Vec<u16> {
    part_puts(proxy, name, number)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect()
}

/// The multipart upload the progress reports name is gone from the signer
/// (it was aborted, so the store's upload was too).
pub async fn assert_signer_forgot(log: &ProgressLog) {
    let upload_id = log
        .borrow()
        .iter()
        .find_map(|p| get(p, "uploadId").as_string())
        .expect("progress reports carry the uploadId");
    let url = format!("{}/api/multipart/{upload_id}/parts", endpoint());
    let response = gloo_net::http::Request::get(&url)
        .send()
        .await
        .expect("signer reachable");
    assert_eq!(response.status(), 404, "{:?}", response.text().await);
}

/// The unfinished uploads `up` saved to resume (`listResumable()`).
pub async fn list_resumable(up: &Uploader) -> Vec<JsValue> {
    let listed = JsFuture::from(up.list_resumable(JsValue::UNDEFINED))
        .await
        .expect("listResumable resolves");
    Array::from(&listed).to_vec()
}
