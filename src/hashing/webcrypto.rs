//! WebCrypto's one-shot SHA-256, `crypto.subtle.digest`: where it exists
//! (secure contexts — https and loopback pages, their workers — and Node) it
//! digests a range held in memory several times faster than sha2 in wasm
//! (figures in docs/design/hashing.md and BENCHMARKS.md). It cannot stream,
//! so it only takes whole ranges.

use crate::error::UploadError;
use presign_core::{ErrorCode, Sha256Digest};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::SubtleCrypto;

/// `globalThis.crypto.subtle`, when it has `digest`.
fn subtle() -> Option<SubtleCrypto> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    if !crypto.is_object() {
        return None;
    }
    let subtle = js_sys::Reflect::get(&crypto, &"subtle".into()).ok()?;
    let digest = js_sys::Reflect::get(&subtle, &"digest".into()).ok()?;
    digest.is_function().then(|| subtle.unchecked_into())
}

/// Whether one-shot digests are possible here.
pub fn available() -> bool {
    subtle().is_some()
}

/// SHA-256 of `data` (an `ArrayBuffer` or a typed array).
pub async fn sha256(data: &js_sys::Object) -> Result<Sha256Digest, UploadError> {
    let failed = |e: JsValue| {
        let detail = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_default();
        UploadError::new(
            ErrorCode::Server,
            format!("WebCrypto could not digest the data: {detail}"),
        )
    };
    let subtle = subtle()
        .ok_or_else(|| UploadError::new(ErrorCode::Server, "WebCrypto is not available here"))?;
    let promise = subtle
        .digest_with_str_and_buffer_source("SHA-256", data)
        .map_err(failed)?;
    let buffer = JsFuture::from(promise).await.map_err(failed)?;
    let raw: [u8; 32] = js_sys::Uint8Array::new(&buffer)
        .to_vec()
        .try_into()
        .map_err(|_| UploadError::new(ErrorCode::Server, "WebCrypto's SHA-256 was not 32 bytes"))?;
    Ok(Sha256Digest::from_bytes(raw))
}
