//! Bearer tokens: a signer that requires JWTs (HS256), a static `token`, and a
//! `getToken()` callback asked again once after a 401.

use crate::support::*;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn jwt_endpoint() -> &'static str {
    required("PRESIGN_ENDPOINT_JWT", option_env!("PRESIGN_ENDPOINT_JWT"))
}

fn jwt_secret() -> &'static str {
    required("PRESIGN_JWT_SECRET", option_env!("PRESIGN_JWT_SECRET"))
}

/// HMAC-SHA256 (RFC 2104), for minting test tokens.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// An HS256 JWT for `sub`, expiring `exp_in_secs` from now (negative: expired).
fn token(sub: &str, exp_in_secs: i64) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = (js_sys::Date::now() / 1000.0) as i64;
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = b64(format!(r#"{{"sub":"{sub}","exp":{}}}"#, now + exp_in_secs).as_bytes());
    let signing_input = format!("{header}.{claims}");
    let signature = b64(&hmac_sha256(
        jwt_secret().as_bytes(),
        signing_input.as_bytes(),
    ));
    format!("{signing_input}.{signature}")
}

fn token_uploader(option: (&str, JsValue)) -> presigned_upload::Uploader {
    presigned_upload::Uploader::new(obj(&[
        ("endpoint", jwt_endpoint().into()),
        ("workerModuleUrl", test_module_url().into()),
        option,
    ]))
    .expect("Uploader")
}

#[wasm_bindgen_test]
fn hmac_known_answer() {
    // RFC 4231, test case 2.
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[wasm_bindgen_test]
async fn a_static_token_names_the_user() {
    let up = token_uploader(("token", token("alice", 600).into()));
    let result = upload(&up, &blob(b"hello alice"), "demo".into())
        .await
        .expect("upload with a valid token");
    assert!(get_str(&result, "key").starts_with("users/alice/demo/"));
}

#[wasm_bindgen_test]
async fn get_token_is_asked_again_once_after_a_401() {
    let calls = Rc::new(Cell::new(0));
    let get_token = Closure::<dyn Fn() -> JsValue>::new({
        let calls = Rc::clone(&calls);
        move || {
            calls.set(calls.get() + 1);
            // The first token has expired; the second is fresh. Returned as
            // a promise, as an async getToken would.
            let exp = if calls.get() == 1 { -600 } else { 600 };
            let token = JsValue::from(token("bob", exp));
            js_sys::Promise::resolve(&token).into()
        }
    });
    let up = token_uploader(("getToken", get_token.as_ref().clone()));
    let result = upload(&up, &blob(b"hello bob"), "demo".into())
        .await
        .expect("the 401 made getToken run again");
    assert!(get_str(&result, "key").starts_with("users/bob/demo/"));
    // Asked before the first request, and once after its 401; the fresh
    // token then served every later request.
    assert_eq!(calls.get(), 2);
}

#[wasm_bindgen_test]
async fn refused_tokens_reject_with_unauthorized() {
    for option in [
        ("token", JsValue::from(token("carol", -600))),
        ("token", JsValue::from("not-a-jwt")),
        ("headers", obj(&[])),
    ] {
        let up = token_uploader(option.clone());
        let err = expect_code(
            upload(&up, &blob(b"x"), "demo".into()).await,
            "unauthorized",
        );
        assert_eq!(get_num(&err, "status"), 401.0, "{option:?}");
    }
}
