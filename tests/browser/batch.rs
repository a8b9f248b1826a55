//! `uploader.uploadAll()`'s batch: pause and resume every file at once,
//! retry the failed ones, and what `result` reports.

use crate::support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

fn files_count(batch: &presigned_upload::Batch, what: &str) -> f64 {
    get_num(&get(&batch.progress(), "files"), what)
}

#[wasm_bindgen_test]
async fn pause_all_holds_every_file_resume_all_and_retry_failed_finish_them() {
    let proxy = fault_proxy();
    // The store refuses one file once, for good (403): it fails until retried.
    inject(
        proxy,
        r#"{"match": "batch-refused.bin", "method": "PUT", "status": 403, "times": 1}"#,
    )
    .await;
    let names = [
        "batch-a.bin",
        "batch-refused.bin",
        "batch-c.bin",
        "batch-d.bin",
    ];
    let contents: Vec<Vec<u8>> = (0..4)
        .map(|i| test_bytes(150_000 + i * 1000, 60 + i as u64))
        .collect();
    let files = js_sys::Array::new();
    for (name, bytes) in names.iter().zip(&contents) {
        files.push(&file(bytes, name, "application/octet-stream").into());
    }
    let uploader = uploader_with(endpoint(), &[("maxConcurrentFiles", 1.into())]);
    let batch = uploader
        .upload_all(files.into(), obj(&[("fileType", "demo".into())]))
        .expect("uploadAll");
    assert_eq!(batch.length(), 4);

    // Paused at once: nothing is sent while it is.
    batch.pause();
    sleep_ms(600).await;
    assert_eq!(files_count(&batch, "paused"), 4.0);
    assert_eq!(files_count(&batch, "done"), 0.0);
    let puts = proxy_log(proxy)
        .await
        .into_iter()
        .filter(|e| e.0 == "PUT")
        .count();
    assert_eq!(puts, 0, "no PUT while paused");

    batch.resume();
    let result = JsFuture::from(batch.result())
        .await
        .expect("result never rejects");
    let states = |result: &JsValue| -> Vec<String> {
        js_sys::Array::from(&get(result, "files"))
            .iter()
            .map(|f| get_str(&f, "state"))
            .collect()
    };
    assert_eq!(states(&result), ["done", "failed", "done", "done"]);
    let refused = js_sys::Array::from(&get(&result, "files")).get(1);
    assert_eq!(get_str(&get(&refused, "error"), "code"), "forbidden");
    assert_eq!(
        get_num(&get(&get(&result, "progress"), "files"), "failed"),
        1.0
    );

    assert_eq!(batch.retry_failed(), 1);
    let result = JsFuture::from(batch.result())
        .await
        .expect("result never rejects");
    assert_eq!(states(&result), ["done", "done", "done", "done"]);
    let progress = get(&result, "progress");
    assert_eq!(get_num(&progress, "fraction"), 1.0);
    let total: usize = contents.iter().map(Vec::len).sum();
    assert_eq!(get_num(&progress, "loaded"), total as f64);
    for (i, bytes) in contents.iter().enumerate() {
        let end = js_sys::Array::from(&get(&result, "files")).get(i as u32);
        let key = get_str(&get(&end, "result"), "key");
        let stored = download(&uploader, &key)
            .await
            .binary()
            .await
            .expect("body");
        assert_eq!(
            webcrypto_sha256(&stored).await,
            webcrypto_sha256(bytes).await,
            "{key}"
        );
    }
}

#[wasm_bindgen_test]
fn files_must_be_files() {
    let uploader = uploader(endpoint());
    let bad = js_sys::Array::of2(&blob(b"ok").into(), &JsValue::from(3));
    let err = uploader
        .upload_all(bad.into(), obj(&[("fileType", "demo".into())]))
        .expect_err("refused");
    let err = expect_code(Err(err), "bad_request");
    assert!(String::from(err.message()).contains("item 1"));
    let err = uploader
        .upload_all(
            js_sys::Array::new().into(),
            obj(&[
                ("onStateChange", js_sys::Function::new_no_args("").into()),
                ("fileType", "demo".into()),
            ]),
        )
        .expect_err("refused");
    assert!(
        String::from(expect_code(Err(err), "bad_request").message()).contains("onFileStateChange")
    );
}

#[wasm_bindgen_test]
async fn result_settles_when_the_page_keeps_only_the_promise() {
    let contents: Vec<Vec<u8>> = (0..3).map(|i| test_bytes(40_000, 70 + i)).collect();
    let files = js_sys::Array::new();
    for (i, bytes) in contents.iter().enumerate() {
        files.push(
            &file(
                bytes,
                &format!("dropped-batch-{i}.bin"),
                "application/octet-stream",
            )
            .into(),
        );
    }
    let uploader = uploader(endpoint());
    let batch = uploader
        .upload_all(files.into(), obj(&[("fileType", "demo".into())]))
        .expect("uploadAll");
    let result = batch.result();
    // What the garbage collector does to a Batch the page no longer holds.
    drop(batch);
    let timeout = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function = get(&js_sys::global(), "setTimeout").unchecked_into();
        set_timeout
            .call3(
                &JsValue::UNDEFINED,
                &resolve,
                &30_000.into(),
                &"timed out".into(),
            )
            .expect("setTimeout");
    });
    let first = JsFuture::from(js_sys::Promise::race(&js_sys::Array::of2(
        &result, &timeout,
    )))
    .await
    .expect("never rejects");
    assert!(!first.is_string(), "result did not settle: {first:?}");
    let states: Vec<String> = js_sys::Array::from(&get(&first, "files"))
        .iter()
        .map(|f| get_str(&f, "state"))
        .collect();
    assert_eq!(states, ["done", "done", "done"]);
}
