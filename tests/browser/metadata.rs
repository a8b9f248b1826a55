//! `metadata`: names and values set in the page reach the real store as
//! signed `x-amz-meta-*` by each way the bytes go (one PUT, a POST form,
//! multipart), and come back in the signer's records, which it reads from
//! the stored object. The test signer takes `serial` and `project`
//! (`--allow-metadata`, scripts/test); another name is refused, named.

use crate::support::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn metadata() -> JsValue {
    obj(&[("serial", "ECU-0042".into()), ("project", "p7".into())])
}

/// The caller's record of `key`, from `GET /api/uploads`.
async fn record(key: &str) -> JsValue {
    let resp = gloo_net::http::Request::get(&format!("{}/api/uploads?limit=100", endpoint()))
        .send()
        .await
        .expect("GET /api/uploads");
    assert_eq!(resp.status(), 200);
    let page = js_sys::JSON::parse(&resp.text().await.expect("body")).expect("JSON");
    let uploads: js_sys::Array = get(&page, "uploads").into();
    uploads
        .iter()
        .find(|r| get_str(r, "key") == key)
        .unwrap_or_else(|| panic!("no record of {key}"))
}

#[wasm_bindgen_test]
async fn metadata_reaches_the_store_by_every_method_and_comes_back_in_records() {
    let up = uploader(endpoint());
    type Case<'a> = (&'a str, usize, Vec<(&'a str, JsValue)>);
    let cases: [Case; 3] = [
        ("put", 100_000, vec![]),
        ("post", 100_000, vec![("method", "post".into())]),
        (
            "multipart",
            11 * MIB,
            vec![
                ("multipartThreshold", (5 * MIB as u32).into()),
                ("partSize", (5 * MIB as u32).into()),
            ],
        ),
    ];
    for (seed, (how, size, extra)) in cases.into_iter().enumerate() {
        let bytes = test_bytes(size, 90 + seed as u64);
        let mut options = vec![("fileType", "demo".into()), ("metadata", metadata())];
        options.extend(extra);
        let name = format!("with metadata ({how}).bin");
        let result = upload(
            &up,
            &file(&bytes, &name, "application/octet-stream"),
            obj(&options),
        )
        .await
        .unwrap_or_else(|e| panic!("{how}: {e:?}"));
        if how == "multipart" {
            assert_eq!(get_num(&result, "parts"), 3.0);
            let composite = webcrypto_composite(&bytes, 5 * MIB).await;
            assert_eq!(get_str(&result, "checksumSha256"), composite);
        } else {
            let sha256 = webcrypto_sha256(&bytes).await;
            assert_eq!(get_str(&result, "sha256"), sha256, "{how}");
        }
        let stored = get(&record(&get_str(&result, "key")).await, "metadata");
        assert_eq!(get_str(&stored, "serial"), "ECU-0042", "{how}");
        assert_eq!(get_str(&stored, "project"), "p7", "{how}");
        let names = js_sys::Object::keys(stored.unchecked_ref::<js_sys::Object>());
        assert_eq!(names.length(), 2, "{how}: only what was sent");
    }
}

#[wasm_bindgen_test]
async fn a_name_the_signer_does_not_take_is_refused_naming_it() {
    let options = obj(&[
        ("fileType", "demo".into()),
        ("metadata", obj(&[("colour", "red".into())])),
    ]);
    let err = expect_code(
        upload(&uploader(endpoint()), &blob(&test_bytes(1000, 95)), options).await,
        "bad_request",
    );
    let message = String::from(err.message());
    assert!(message.contains("\"colour\""), "{message}");
    assert!(message.contains("project, serial"), "{message}");
}
