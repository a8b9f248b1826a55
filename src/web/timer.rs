//! Timers: an abortable sleep on `setTimeout` (the backoff's and the
//! waits' on backpressure; the policy itself is
//! `presign_core::upload::retry_policy`).

use crate::error::UploadError;
use crate::web::abort;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

#[wasm_bindgen]
extern "C" {
    /// The global `setTimeout` (windows, workers and Node alike).
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(handle: &JsValue);
}

/// Waits `ms` milliseconds, or fails with `aborted` as soon as `signal` fires.
pub async fn sleep(ms: u64, signal: Option<&AbortSignal>) -> Result<(), UploadError> {
    abort::ensure_live(signal)?;
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |res, _rej| resolve = Some(res));
    let resolve = resolve.ok_or_else(|| UploadError::network("Promise executor did not run"))?;
    let handle = set_timeout(&resolve, ms as f64);
    let _wake_on_abort = abort::on_abort(signal, move || {
        let _ = resolve.call0(&JsValue::UNDEFINED);
    });
    let _ = JsFuture::from(promise).await;
    clear_timeout(&handle);
    abort::ensure_live(signal)
}
