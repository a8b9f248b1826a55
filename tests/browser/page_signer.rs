//! `new Uploader({ signer })`: a signer written by the page in plain
//! JavaScript (`page_signer.js`, forwarding each call with `fetch`), used
//! for single and multipart uploads, downloads, with what it lacks and what
//! it throws.

use crate::support::*;
use presigned_upload::Uploader;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(module = "/tests/browser/page_signer.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeSigner)]
    fn make_signer(endpoint: &str, options: JsValue) -> JsValue;
    fn failure(message: &str, fields: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = silentSigner)]
    fn silent_signer() -> JsValue;
    #[wasm_bindgen(js_name = failingResponse)]
    fn failing_response(status: u16, body: JsValue, headers: JsValue) -> JsValue;
}

fn with_signer(signer: &JsValue) -> Uploader {
    Uploader::new(obj(&[
        ("signer", signer.clone()),
        ("workerModuleUrl", test_module_url().into()),
    ]))
    .expect("Uploader with a page's signer")
}

/// The names of the signer functions called, in order.
fn calls(signer: &JsValue) -> Vec<String> {
    js_sys::Array::from(&get(signer, "log"))
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

fn count(signer: &JsValue, name: &str) -> usize {
    calls(signer).iter().filter(|c| *c == name).count()
}

fn names(list: &[&str]) -> JsValue {
    list.iter()
        .map(|s| JsValue::from(*s))
        .collect::<js_sys::Array>()
        .into()
}

/// `{ faults: { name: [thrown] } }`.
fn faults(name: &str, thrown: &[JsValue]) -> JsValue {
    let list: js_sys::Array = thrown.iter().collect();
    obj(&[("faults", obj(&[(name, list.into())]))])
}

/// Downloads `key` through the uploader (the signer's `downloadUrl`) and
/// checks its bytes.
async fn assert_stored(uploader: &Uploader, key: &str, bytes: &[u8]) {
    let response = download(uploader, key).await;
    let stored = response.binary().await.expect("body");
    assert_eq!(stored.len(), bytes.len(), "{key}");
    assert_eq!(
        webcrypto_sha256(&stored).await,
        webcrypto_sha256(bytes).await,
        "{key}"
    );
}

#[wasm_bindgen_test]
async fn a_page_signer_uploads_single_and_multipart_files() {
    for json in [false, true] {
        let signer = make_signer(endpoint(), obj(&[("json", json.into())]));
        let uploader = with_signer(&signer);
        let small = test_bytes(150_000, 41);
        let single = upload(
            &uploader,
            &file(&small, "page-signer-small.bin", "application/octet-stream"),
            obj(&[("fileType", "demo".into())]),
        )
        .await
        .expect("single upload through the page's signer");
        assert_stored(&uploader, &get_str(&single, "key"), &small).await;

        let large = test_bytes(11 * 1024 * 1024 + 7, 42);
        let parts = upload(
            &uploader,
            &file(&large, "page-signer-large.bin", "application/octet-stream"),
            obj(&[
                ("fileType", "demo".into()),
                ("multipartThreshold", (5 * 1024 * 1024).into()),
                ("partSize", (5 * 1024 * 1024).into()),
            ]),
        )
        .await
        .expect("multipart upload through the page's signer");
        assert_eq!(get_num(&parts, "parts"), 3.0, "json answers: {json}");
        assert_eq!(
            get_str(&parts, "checksumSha256"),
            webcrypto_composite(&large, 5 * 1024 * 1024).await
        );
        assert_stored(&uploader, &get_str(&parts, "key"), &large).await;
        let log = calls(&signer);
        for name in [
            "getUploadUrl",
            "fileUploaded",
            "createMultipart",
            "partUrls",
            "completeMultipart",
            "downloadUrl",
        ] {
            assert!(log.iter().any(|c| c == name), "{name} not called: {log:?}");
        }
        assert_eq!(uploader.endpoint(), "", "a page's signer has no endpoint");
    }
}

#[wasm_bindgen_test]
async fn without_multipart_functions_a_large_file_goes_in_one_put() {
    let only = obj(&[("only", names(&["getUploadUrl", "downloadUrl"]))]);
    let signer = make_signer(endpoint(), only);
    let uploader = with_signer(&signer);
    let bytes = test_bytes(6 * 1024 * 1024 + 1, 43);
    let result = upload(
        &uploader,
        &file(&bytes, "page-signer-whole.bin", "application/octet-stream"),
        obj(&[
            ("fileType", "demo".into()),
            ("multipartThreshold", (5 * 1024 * 1024).into()),
        ]),
    )
    .await
    .expect("one PUT");
    assert!(get(&result, "parts").is_undefined(), "{result:?}");
    assert_eq!(calls(&signer), ["getUploadUrl"], "no confirmation function");
    assert_stored(&uploader, &get_str(&result, "key"), &bytes).await;
}

#[wasm_bindgen_test]
async fn many_files_go_in_batches_when_the_signer_has_them() {
    for batches in [true, false] {
        let only: &[&str] = if batches {
            &[
                "getUploadUrl",
                "getUploadUrls",
                "fileUploaded",
                "filesUploaded",
            ]
        } else {
            &["getUploadUrl", "fileUploaded"]
        };
        // Slow answers: the next files' calls come while one is out, in
        // every engine.
        let signer = make_signer(
            endpoint(),
            obj(&[("only", names(only)), ("delayMs", 200.into())]),
        );
        let uploader = with_signer(&signer);
        let files: js_sys::Array = (0..12u64)
            .map(|i| {
                JsValue::from(file(
                    &test_bytes(1000, i),
                    &format!("batched-{i}.txt"),
                    "text/plain",
                ))
            })
            .collect();
        let batch = uploader
            .upload_all(files.into(), obj(&[("fileType", "demo".into())]))
            .expect("a batch");
        let result = JsFuture::from(batch.result())
            .await
            .expect("result never rejects");
        let done = get_num(&get(&get(&result, "progress"), "files"), "done");
        assert_eq!(done, 12.0, "{result:?}");
        let signed = count(&signer, "getUploadUrl") + count(&signer, "getUploadUrls");
        if batches {
            assert!(count(&signer, "getUploadUrls") >= 1, "{:?}", calls(&signer));
            assert!(signed < 12, "{:?}", calls(&signer));
        } else {
            assert_eq!(count(&signer, "getUploadUrl"), 12, "{:?}", calls(&signer));
        }
    }
}

#[wasm_bindgen_test]
async fn what_a_signer_throws_keeps_its_meaning() {
    // A 503 with Retry-After waits, then the upload goes on.
    let busy = failure(
        "busy",
        obj(&[("status", 503.into()), ("retryAfter", 1.into())]),
    );
    let signer = make_signer(endpoint(), faults("getUploadUrl", &[busy]));
    let started = js_sys::Date::now();
    upload(
        &with_signer(&signer),
        &blob(b"after a wait"),
        obj(&[("fileType", "demo".into())]),
    )
    .await
    .expect("stored after the wait");
    assert!(js_sys::Date::now() - started >= 900.0, "waited Retry-After");
    assert_eq!(count(&signer, "getUploadUrl"), 2);

    // fetch's TypeError is a network failure: tried again.
    let offline = js_sys::TypeError::new("Failed to fetch").into();
    let signer = make_signer(endpoint(), faults("getUploadUrl", &[offline]));
    upload(
        &with_signer(&signer),
        &blob(b"x"),
        obj(&[("fileType", "demo".into())]),
    )
    .await
    .expect("stored on the second try");
    assert_eq!(count(&signer, "getUploadUrl"), 2);

    // A refusal with a code fails at once, with that code.
    let denied = failure(
        "not yours",
        obj(&[("status", 403.into()), ("code", "forbidden".into())]),
    );
    let signer = make_signer(endpoint(), faults("getUploadUrl", &[denied]));
    let result = upload(
        &with_signer(&signer),
        &blob(b"x"),
        obj(&[("fileType", "demo".into())]),
    )
    .await;
    let err = expect_code(result, "forbidden");
    assert_eq!(get_num(&err, "status"), 403.0);
    assert!(String::from(err.message()).contains("not yours"));
    assert_eq!(count(&signer, "getUploadUrl"), 1, "not retried");

    // A failing Response thrown is read as the signer's error answer.
    let body = obj(&[(
        "error",
        obj(&[
            ("code", "too_large".into()),
            ("message", "at most 1 KiB here".into()),
        ]),
    )]);
    let response = failing_response(413, body, JsValue::UNDEFINED);
    let signer = make_signer(endpoint(), faults("getUploadUrl", &[response]));
    let result = upload(
        &with_signer(&signer),
        &blob(b"x"),
        obj(&[("fileType", "demo".into())]),
    )
    .await;
    let err = expect_code(result, "too_large");
    assert_eq!(String::from(err.message()), "at most 1 KiB here");
}

#[wasm_bindgen_test]
async fn an_abort_stops_a_signer_that_never_answers() {
    let uploader = with_signer(&silent_signer());
    let controller = web_sys::AbortController::new().expect("controller");
    let pending = uploader.upload(
        blob(b"never signed").into(),
        obj(&[
            ("fileType", "demo".into()),
            ("signal", controller.signal().into()),
        ]),
    );
    sleep_ms(100).await;
    controller.abort();
    expect_code(JsFuture::from(pending).await, "aborted");
}

#[wasm_bindgen_test]
fn bad_signers_are_refused_naming_the_problem() {
    let full = make_signer(endpoint(), JsValue::UNDEFINED);
    let partial = make_signer(
        endpoint(),
        obj(&[(
            "only",
            names(&["getUploadUrl", "createMultipart", "partUrls"]),
        )]),
    );
    let no_sign = make_signer(endpoint(), obj(&[("only", names(&["fileUploaded"]))]));
    let not_function = obj(&[
        ("getUploadUrl", get(&full, "getUploadUrl")),
        ("listParts", "yes".into()),
    ]);
    let cases: [(JsValue, &str); 5] = [
        (
            obj(&[("signer", "https://signer".into())]),
            "options.signer must be an object",
        ),
        (obj(&[("signer", no_sign)]), "getUploadUrl"),
        (
            obj(&[("signer", partial)]),
            "completeMultipart, abortMultipart missing",
        ),
        (
            obj(&[("signer", not_function)]),
            "signer.listParts must be a function",
        ),
        (
            obj(&[("signer", full), ("endpoint", endpoint().into())]),
            "options.signer or options.endpoint",
        ),
    ];
    for (options, expected) in cases {
        let err = Uploader::new(options).expect_err("refused");
        let err = expect_code(Err(err), "bad_request");
        let message = String::from(err.message());
        assert!(message.contains(expected), "{expected}: {message}");
    }
}

#[wasm_bindgen_test]
async fn metadata_reaches_the_signer_checked() {
    let refused = failure("stop here", obj(&[("status", 409.into())]));
    let signer = make_signer(
        endpoint(),
        obj(&[(
            "faults",
            obj(&[
                ("getUploadUrl", js_sys::Array::of1(&refused).into()),
                ("createMultipart", js_sys::Array::of1(&refused).into()),
            ]),
        )]),
    );
    let uploader = with_signer(&signer);
    let metadata = || {
        obj(&[
            ("serial", "ECU-1".into()),
            ("count", 3.into()),
            ("ok", true.into()),
        ])
    };
    for (size, threshold) in [(10, None), (6 * 1024 * 1024, Some(5 * 1024 * 1024))] {
        let mut options = vec![("fileType", "demo".into()), ("metadata", metadata())];
        if let Some(threshold) = threshold {
            options.push(("multipartThreshold", JsValue::from(threshold)));
        }
        let result = upload(&uploader, &blob(&test_bytes(size, 5)), obj(&options)).await;
        expect_code(result, "bad_request");
    }
    let bodies = js_sys::Array::from(&get(&signer, "bodies"));
    assert_eq!(calls(&signer), ["getUploadUrl", "createMultipart"]);
    for body in bodies.iter() {
        let sent = js_sys::JSON::stringify(&get(&body, "metadata")).expect("JSON");
        assert_eq!(
            sent.as_string().as_deref(),
            Some(r#"{"count":"3","ok":"true","serial":"ECU-1"}"#)
        );
    }

    // Metadata S3 or a browser would not take is refused before any call.
    for (name, value, expected) in [
        ("Serial", JsValue::from("1"), "\"Serial\""),
        ("serial", JsValue::from("caf\u{e9}"), "printable ASCII"),
        (
            "serial",
            obj(&[]),
            "options.metadata.serial must be a string",
        ),
        ("big", JsValue::from("x".repeat(2100)), "at most 2048"),
        ("x-amz-meta-serial", JsValue::from("1"), "give \"serial\""),
    ] {
        let signer = make_signer(endpoint(), JsValue::UNDEFINED);
        let result = upload(
            &with_signer(&signer),
            &blob(b"x"),
            obj(&[
                ("fileType", "demo".into()),
                ("metadata", obj(&[(name, value)])),
            ]),
        )
        .await;
        let err = expect_code(result, "bad_request");
        let message = String::from(err.message());
        assert!(message.contains(expected), "{name}: {message}");
        assert!(
            calls(&signer).is_empty(),
            "nothing sent: {:?}",
            calls(&signer)
        );
    }
}
