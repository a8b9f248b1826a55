//! Failures as JavaScript receives them: instances of the package's exported
//! `UploadError` class (js/upload-error.js, `extends Error`, so `instanceof
//! Error` holds and stacks exist) carrying a stable `code` from
//! [`presign_core::ErrorCode`], and the HTTP `status` when one was involved.

use presign_core::ErrorCode;
use std::fmt;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(module = "/js/upload-error.js")]
extern "C" {
    #[wasm_bindgen(js_name = UploadError, extends = js_sys::Error)]
    type JsUploadError;

    #[wasm_bindgen(constructor, js_class = UploadError)]
    fn new(code: &str, message: &str, status: Option<u16>) -> JsUploadError;

    /// Never called: re-exports the class from the generated module, without
    /// the `unknown` TypeScript type a re-exported type would get (the class
    /// is declared in typescript.rs).
    #[allow(dead_code)]
    #[wasm_bindgen(js_name = UploadError, reexport, skip_typescript)]
    fn export_upload_error_class();
}

/// Why an upload (or a signer call) failed. Rust side of the JS `Error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadError {
    code: ErrorCode,
    message: String,
    status: Option<u16>,
    /// The wait the answer's `Retry-After` asked for (capped), if any.
    retry_after_ms: Option<u64>,
}

impl UploadError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: None,
            retry_after_ms: None,
        }
    }

    /// A caller mistake: bad options, a value of the wrong type.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// The caller's `AbortSignal` fired.
    pub fn aborted() -> Self {
        Self::new(ErrorCode::Aborted, "the upload was aborted")
    }

    /// A request never got an HTTP answer (refused, reset, DNS, CORS).
    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Network, message)
    }

    /// Records the HTTP status the failure came with.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Records the wait an answer's `Retry-After` asked for, if it had a
    /// valid one (see [`crate::web::clock::retry_after`]).
    pub fn with_retry_after(mut self, wait_ms: Option<u64>) -> Self {
        self.retry_after_ms = wait_ms;
        self
    }

    pub fn retry_after_ms(&self) -> Option<u64> {
        self.retry_after_ms
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The JS `UploadError`: `name` "UploadError", `message`, `code` and (when known) `status`.
    pub fn to_js(&self) -> JsValue {
        JsUploadError::new(self.code.as_str(), &self.message, self.status).into()
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for UploadError {}

impl From<UploadError> for JsValue {
    fn from(error: UploadError) -> Self {
        error.to_js()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_and_display() {
        let e = UploadError::new(ErrorCode::Expired, "URL expired").with_status(403);
        assert_eq!(e.code(), ErrorCode::Expired);
        assert_eq!(e.status(), Some(403));
        assert_eq!(e.to_string(), "expired: URL expired");
        assert_eq!(UploadError::aborted().code(), ErrorCode::Aborted);
        assert_eq!(UploadError::aborted().status(), None);
    }
}
