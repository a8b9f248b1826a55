//! The exported `Upload` class: one running upload, as `uploader.start()`
//! returns it — its state, `pause()`, `resume()`, `abort()`, and `result`.

use crate::upload::control::UploadControl;
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;

/// One upload in progress. `result` settles like `uploader.upload()`'s
/// promise; `state` is one of `queued`, `hashing`, `uploading`, `paused`,
/// `completing`, `done`, `failed`, `aborted` (also reported to the
/// `onStateChange` option).
///
/// @example
/// ```js
/// const upload = uploader.start(file, {
///   fileType: "videos",
///   onStateChange: (state) => (statusLine.textContent = state),
/// });
/// pauseButton.onclick = () => upload.pause();
/// resumeButton.onclick = () => upload.resume();
/// cancelButton.onclick = () => upload.abort();
/// const { key } = await upload.result;
/// ```
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct Upload {
    control: Rc<UploadControl>,
    result: js_sys::Promise,
}

impl Upload {
    pub fn new(control: Rc<UploadControl>, result: js_sys::Promise) -> Self {
        Self { control, result }
    }
}

#[wasm_bindgen]
impl Upload {
    /// Where the upload is now.
    ///
    /// @example
    /// ```js
    /// if (upload.state === "paused") upload.resume();
    /// ```
    #[wasm_bindgen(getter, unchecked_return_type = "UploadState")]
    pub fn state(&self) -> String {
        self.control.state().as_str().to_owned()
    }

    /// Resolves with the upload's result, or rejects with an `UploadError`.
    ///
    /// @example
    /// ```js
    /// const { key, sha256 } = await uploader.start(file, "docs").result;
    /// ```
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<UploadResult>")]
    pub fn result(&self) -> js_sys::Promise {
        self.result.clone()
    }

    /// Stops anything new from starting (parts, hashing, completing). PUTs
    /// in flight finish, or with `abortInFlightOnPause: true` are aborted and
    /// sent again on resume. Does nothing once `completing` or ended.
    ///
    /// @example
    /// ```js
    /// window.addEventListener("offline", () => upload.pause());
    /// window.addEventListener("online", () => upload.resume());
    /// ```
    pub fn pause(&self) {
        self.control.pause();
    }

    /// Continues a paused upload where it stopped.
    ///
    /// @example
    /// ```js
    /// upload.resume();
    /// ```
    pub fn resume(&self) {
        self.control.resume();
    }

    /// Cancels the upload: `result` rejects with `code: "aborted"`, and a
    /// multipart upload is aborted on the signer and in the store.
    ///
    /// @example
    /// ```js
    /// upload.abort();
    /// ```
    pub fn abort(&self) {
        self.control.abort();
    }
}
