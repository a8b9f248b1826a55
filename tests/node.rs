//! What needs no signer and no browser: option parsing and the shape of the
//! errors JS receives. Runs in Node (and in a browser alike):
//!
//! ```sh
//! wasm-pack test --node -- --test node
//! ```
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Map, Object, Reflect, Uint8Array};
use presigned_upload::Uploader;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{AbortController, Blob};

/// Nothing listens on the discard port.
const UNREACHABLE: &str = "http://127.0.0.1:9";

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

fn blob(bytes: &[u8]) -> Blob {
    Blob::new_with_u8_array_sequence(&Array::of1(&Uint8Array::from(bytes))).expect("Blob")
}

/// Asserts `err` is an `Error` named UploadError with `code`; returns its message.
fn assert_upload_error(err: &JsValue, code: &str) -> String {
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "not an Error: {err:?}"
    );
    assert_eq!(get(err, "name").as_string().as_deref(), Some("UploadError"));
    assert_eq!(
        get(err, "code").as_string().as_deref(),
        Some(code),
        "{err:?}"
    );
    let message = get(err, "message").as_string().unwrap_or_default();
    assert!(!message.is_empty());
    message
}

fn constructor_error(options: JsValue) -> JsValue {
    match Uploader::new(options) {
        Ok(u) => panic!("expected the constructor to throw, got {u:?}"),
        Err(e) => e,
    }
}

async fn upload(uploader: &Uploader, file: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(uploader.upload(file, options)).await
}

#[wasm_bindgen_test]
fn options_default_and_normalise() {
    assert_eq!(
        Uploader::new(JsValue::UNDEFINED)
            .expect("no options")
            .endpoint(),
        ""
    );
    assert_eq!(
        Uploader::new(JsValue::NULL)
            .expect("null options")
            .endpoint(),
        ""
    );
    let up = Uploader::new(obj(&[
        ("endpoint", "http://127.0.0.1:8080/".into()),
        ("ignoredUnknownOption", true.into()),
    ]))
    .expect("valid options");
    assert_eq!(up.endpoint(), "http://127.0.0.1:8080");
}

#[wasm_bindgen_test]
fn headers_accept_objects_maps_and_pairs() {
    let plain = obj(&[("Authorization", "Bearer t".into()), ("X-Retry", 3.into())]);
    let map = Map::new();
    map.set(&"Authorization".into(), &"Bearer t".into());
    let pairs = Array::of1(&Array::of2(&"X-Api-Key".into(), &"k".into()));
    for headers in [plain, map.into(), pairs.into()] {
        Uploader::new(obj(&[("headers", headers)])).expect("headers accepted");
    }
}

#[wasm_bindgen_test]
fn bad_uploader_options_throw_bad_request() {
    let cases = [
        ("a string", JsValue::from_str("http://x")),
        ("endpoint: number", obj(&[("endpoint", 42.into())])),
        (
            "endpoint: no scheme",
            obj(&[("endpoint", "localhost:8080".into())]),
        ),
        (
            "headers: string",
            obj(&[("headers", "Authorization: x".into())]),
        ),
        (
            "header name",
            obj(&[("headers", obj(&[("bad name", "x".into())]))]),
        ),
        (
            "header value",
            obj(&[("headers", obj(&[("X-A", "a\r\nX-B: b".into())]))]),
        ),
        (
            "header value type",
            obj(&[("headers", obj(&[("X-A", Object::new().into())]))]),
        ),
    ];
    for (what, options) in cases {
        let message = assert_upload_error(&constructor_error(options), "bad_request");
        assert!(!message.is_empty(), "{what}");
    }
}

#[wasm_bindgen_test]
fn header_values_are_not_in_the_debug_output() {
    let up = Uploader::new(obj(&[(
        "headers",
        obj(&[("Authorization", "Bearer very-secret".into())]),
    )]))
    .expect("valid");
    let debug = format!("{up:?}");
    assert!(debug.contains("Authorization"), "{debug}");
    assert!(!debug.contains("very-secret"), "{debug}");
}

#[wasm_bindgen_test]
async fn bad_upload_arguments_reject_bad_request() {
    let up = Uploader::new(obj(&[("endpoint", UNREACHABLE.into())])).expect("valid");
    let file: JsValue = blob(b"x").into();
    let not_a_signal = obj(&[("aborted", 1.into())]);
    let cases = [
        (
            "not a blob",
            "hello".into(),
            obj(&[("fileType", "demo".into())]),
        ),
        ("no options", file.clone(), JsValue::UNDEFINED),
        ("no fileType", file.clone(), obj(&[])),
        (
            "empty fileType",
            file.clone(),
            obj(&[("fileType", " ".into())]),
        ),
        (
            "fileType: number",
            file.clone(),
            obj(&[("fileType", 7.into())]),
        ),
        (
            "bad contentType",
            file.clone(),
            obj(&[("fileType", "demo".into()), ("contentType", "png".into())]),
        ),
        (
            "onProgress: string",
            file.clone(),
            obj(&[("fileType", "demo".into()), ("onProgress", "f".into())]),
        ),
        (
            "signal: not a signal",
            file.clone(),
            obj(&[("fileType", "demo".into()), ("signal", not_a_signal)]),
        ),
    ];
    for (what, file, options) in cases {
        match upload(&up, file, options).await {
            Ok(v) => panic!("{what}: resolved with {v:?}"),
            Err(e) => {
                assert_upload_error(&e, "bad_request");
            }
        }
    }
}

#[wasm_bindgen_test]
async fn already_aborted_signal_rejects_before_any_request() {
    let up = Uploader::new(obj(&[("endpoint", UNREACHABLE.into())])).expect("valid");
    let controller = AbortController::new().expect("AbortController");
    // Any reason, even a non-Error one, still gives code "aborted".
    controller.abort_with_reason(&"user cancelled".into());
    let options = obj(&[
        ("fileType", "demo".into()),
        ("signal", controller.signal().into()),
    ]);
    let err = upload(&up, blob(b"x").into(), options)
        .await
        .expect_err("rejects");
    assert_upload_error(&err, "aborted");

    let err =
        JsFuture::from(up.download_url("k".into(), obj(&[("signal", controller.signal().into())])))
            .await
            .expect_err("rejects");
    assert_upload_error(&err, "aborted");
}

#[wasm_bindgen_test]
async fn unreachable_signer_rejects_network() {
    let up = Uploader::new(obj(&[("endpoint", UNREACHABLE.into())])).expect("valid");
    // The bare-string shorthand for { fileType }.
    let err = upload(&up, blob(b"hello").into(), "demo".into())
        .await
        .expect_err("rejects");
    let message = assert_upload_error(&err, "network");
    assert!(message.contains(UNREACHABLE), "{message}");
    assert!(get(&err, "status").is_undefined());
}

#[wasm_bindgen_test]
fn bad_worker_options_throw_bad_request() {
    for (what, options) in [
        ("workers: -1", obj(&[("workers", (-1).into())])),
        ("workers: 17", obj(&[("workers", 17.into())])),
        ("workers: 1.5", obj(&[("workers", 1.5.into())])),
        ("workers: string", obj(&[("workers", "2".into())])),
        (
            "workerModuleUrl: number",
            obj(&[("workerModuleUrl", 5.into())]),
        ),
        (
            "workerModuleUrl: empty",
            obj(&[("workerModuleUrl", " ".into())]),
        ),
    ] {
        let message = assert_upload_error(&constructor_error(options), "bad_request");
        assert!(message.contains("options.worker"), "{what}: {message}");
    }
}

/// Node has no `Worker`: the hashing runs on the main thread, by WebCrypto
/// (Node has it) or sha2, and the checksums are sha2's own (presign-core).
#[wasm_bindgen_test]
async fn checksums_without_workers_hash_on_the_main_thread() {
    use presign_core::{s3::composite_checksum::composite, Sha256Digest};
    const MIB: usize = 1024 * 1024;
    let bytes: Vec<u8> = (0..11 * MIB).map(|i| (i * 7 % 251) as u8).collect();
    let digests: Vec<Sha256Digest> = bytes.chunks(5 * MIB).map(Sha256Digest::of).collect();
    let up = Uploader::new(obj(&[("workers", 4.into())])).expect("valid");
    for method in ["auto", "webcrypto", "sha2"] {
        let options = obj(&[
            ("partSize", ((5 * MIB) as u32).into()),
            ("wholeFileSha256", true.into()),
            ("partDigest", method.into()),
        ]);
        let sums = JsFuture::from(up.checksums(blob(&bytes).into(), options))
            .await
            .unwrap_or_else(|e| panic!("{method}: {e:?}"));
        let parts: Vec<String> = Array::from(&get(&sums, "parts"))
            .iter()
            .map(|p| p.as_string().expect("base64"))
            .collect();
        let want: Vec<String> = digests.iter().map(Sha256Digest::to_base64).collect();
        assert_eq!(parts, want, "{method}");
        assert_eq!(
            get(&sums, "checksumSha256").as_string(),
            Some(composite(&digests))
        );
        assert_eq!(
            get(&sums, "sha256").as_string(),
            Some(Sha256Digest::of(&bytes).to_base64())
        );
    }
    assert_eq!(up.hash_workers(), 0);
    let bad = up.checksums(blob(b"x").into(), obj(&[("partDigest", "md5".into())]));
    assert_upload_error(
        &JsFuture::from(bad).await.expect_err("rejects"),
        "bad_request",
    );
}
