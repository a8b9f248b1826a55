//! The exported `Uploader` class: options in, promises out.

use crate::blob_reader::blob_size;
use crate::checksums::{self, ChecksumOptions};
use crate::hashing::{Hasher, Hashing, Purpose};
use crate::multipart;
use crate::options::{self, UploadOptions, UploaderOptions};
use crate::results::{self, DownloadLink};
use crate::signer_client::SignerClient;
use crate::single_put;
use crate::upload_control::UploadControl;
use crate::upload_error::UploadError;
use crate::upload_handle::Upload;
use presign_core::upload_state::UploadState;
use presign_core::ErrorCode;
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::future_to_promise;
use web_sys::Blob;

/// Uploads files from the browser straight to S3-compatible storage through
/// presigned URLs issued by a signer (`presign-server`, or any backend with the
/// same `/api/get-upload-url` and `/api/file-uploaded` routes).
///
/// Each upload computes the file's SHA-256 first, so the signer can bind the
/// URL to that exact content and size, then PUTs the file with progress, then
/// checks what the store kept. Failures reject with an `UploadError` (an
/// `Error`, exported by this package) whose `code` is stable (`"network"`,
/// `"expired"`, `"forbidden"`, `"checksum_mismatch"`, `"aborted"`, ...).
///
/// @example
/// ```js
/// import init, { Uploader } from "/pkg/presigned_upload.js";
/// await init();
/// const uploader = new Uploader({
///   endpoint: "https://signer.example.com", // default "": same origin
///   headers: { Authorization: `Bearer ${token}` },
/// });
/// const input = document.querySelector("input[type=file]");
/// const { key, size, etag, sha256 } = await uploader.upload(input.files[0], {
///   fileType: "images",
///   onProgress: (p) => console.log(p.phase, Math.round(p.fraction * 100) + "%"),
/// });
/// ```
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct Uploader {
    signer: Rc<SignerClient>,
    hashing: Rc<Hashing>,
}

#[wasm_bindgen]
impl Uploader {
    /// Creates an uploader for one signer. `options` may be omitted:
    /// `endpoint` defaults to `""` (the page's own origin) and `headers` to
    /// none. Throws an `UploadError` with `code: "bad_request"` for a malformed
    /// option (an endpoint that is neither a path nor an http(s) URL, a header
    /// value with a line break, ...).
    ///
    /// @example
    /// ```js
    /// const sameOrigin = new Uploader();
    /// const remote = new Uploader({
    ///   endpoint: "http://127.0.0.1:8080",
    ///   headers: { "X-Api-Key": "dev" },
    /// });
    /// ```
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "UploaderOptions")] options: JsValue,
    ) -> Result<Uploader, JsValue> {
        let options = UploaderOptions::from_js(&options)?;
        let hashing = Hashing::new(options.workers, options.worker_module_url.clone());
        Ok(Self {
            signer: Rc::new(SignerClient::new(options)),
            hashing: Rc::new(hashing),
        })
    }

    /// The signer's base URL as normalised (`""` for same origin).
    ///
    /// @example
    /// ```js
    /// new Uploader({ endpoint: "http://127.0.0.1:8080/" }).endpoint; // "http://127.0.0.1:8080"
    /// ```
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.signer.endpoint().to_owned()
    }

    /// Hash workers running now: 0 before the first upload starts them,
    /// with `workers: 0`, where `Worker` does not exist (Node), or when they
    /// could not start (hashing then runs on the main thread, and a warning
    /// says why on the console).
    ///
    /// @example
    /// ```js
    /// await uploader.upload(file, { fileType: "videos" });
    /// console.log(uploader.hashWorkers); // e.g. 3
    /// ```
    #[wasm_bindgen(getter, js_name = hashWorkers)]
    pub fn hash_workers(&self) -> u32 {
        self.hashing.running()
    }

    /// Computes the checksums a multipart upload of `file` would send,
    /// without sending anything: every part's SHA-256 (base64), S3's
    /// composite checksum, and with `wholeFileSha256: true` the whole file's.
    /// Uses the uploads' hashing path (the hash workers; WebCrypto for parts
    /// in memory). `options`: `{ partSize?, wholeFileSha256?, signal?,
    /// partDigest? }`; `partDigest` (`"auto"`, `"webcrypto"` or `"sha2"`)
    /// forces one digest method, to measure it. Resolves with `{ size,
    /// partSize, parts, checksumSha256, sha256? }`.
    ///
    /// @example
    /// ```js
    /// const { checksumSha256, sha256 } = await uploader.checksums(file, { wholeFileSha256: true });
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<FileChecksums>")]
    pub fn checksums(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Blob")] file: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ChecksumOptions")] options: JsValue,
    ) -> js_sys::Promise {
        let hashing = Rc::clone(&self.hashing);
        let prepared =
            as_blob(file).and_then(|blob| Ok((blob, ChecksumOptions::from_js(&options)?)));
        future_to_promise(async move {
            let (blob, options) = prepared?;
            let hasher = hashing.hasher(Purpose::Checksums).await;
            let sums = checksums::checksums(&hasher, &blob, &options).await?;
            Ok(results::to_js(&sums)?)
        })
    }

    /// Uploads a `File` or `Blob`: with one presigned PUT up to
    /// `multipartThreshold` bytes (default 16 MiB), else as a multipart upload.
    ///
    /// `options` is `{ fileType, contentType?, onProgress?, signal?,
    /// multipartThreshold?, partSize?, concurrency?, maxAttempts?,
    /// wholeFileSha256? }` (or just the `fileType` string). `contentType` defaults to `file.type`, else
    /// `application/octet-stream`. `onProgress` receives `{ phase, loaded,
    /// total, fraction, bytesPerSecond, etaSeconds }` about 20 times a second
    /// at most; phases run `hashing` → `signing` → `uploading` → `verifying`
    /// → `done`, and `loaded`/`fraction` count the current phase's bytes and
    /// never go back within a phase. Aborting `signal` rejects with `code:
    /// "aborted"`.
    ///
    /// Resolves with `{ key, size, etag, sha256 }`: `sha256` is the base64
    /// SHA-256 the client computed, which the store confirmed when it reports
    /// one (a different one rejects with `code: "checksum_mismatch"`).
    ///
    /// Multipart: each part (`partSize`, default 8 MiB) is read with
    /// `Blob.slice` when its turn comes and hashed before its URL is asked
    /// for (the signer signs the checksum); `concurrency` parts (default 4)
    /// upload at once while the next ones are hashed. Network errors, 5xx and
    /// 429 are retried with backoff (`maxAttempts`, default 5, for the store's
    /// PUTs and the signer's calls alike), an expired URL
    /// is signed again, a checksum rejection re-reads the part once. Progress
    /// reports add `partsDone`/`partsTotal` and `uploadId`. Resolves with `{
    /// key, size, etag, checksumSha256, parts, partSize, sha256? }`:
    /// `checksumSha256` is the composite checksum, checked against the
    /// store's; `sha256` (the whole file's) only with `wholeFileSha256: true`.
    /// Aborting cancels every part and aborts the upload on the signer.
    ///
    /// @example
    /// ```js
    /// const big = await uploader.upload(file, {
    ///   fileType: "videos",
    ///   partSize: 16 * 1024 * 1024,
    ///   concurrency: 6,
    ///   wholeFileSha256: true,
    ///   onProgress: ({ fraction, partsDone, partsTotal }) =>
    ///     console.log(`${Math.round(fraction * 100)}% (${partsDone}/${partsTotal} parts)`),
    /// });
    /// console.log(big.checksumSha256, big.sha256);
    /// ```
    ///
    /// @example
    /// ```js
    /// const controller = new AbortController();
    /// cancelButton.onclick = () => controller.abort();
    /// try {
    ///   const result = await uploader.upload(file, {
    ///     fileType: "ecu-logs",
    ///     signal: controller.signal,
    ///     onProgress: ({ phase, fraction, bytesPerSecond }) =>
    ///       console.log(phase, fraction, bytesPerSecond / 1e6, "MB/s"),
    ///   });
    ///   console.log("stored as", result.key, result.sha256);
    /// } catch (err) {
    ///   if (err.code === "aborted") console.log("cancelled");
    ///   else console.error(err.code, err.message);
    /// }
    /// ```
    #[wasm_bindgen(unchecked_return_type = "Promise<UploadResult>")]
    pub fn upload(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Blob")] file: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UploadOptions | string")] options: JsValue,
    ) -> js_sys::Promise {
        match self.start(file, options) {
            Ok(upload) => upload.result(),
            Err(e) => js_sys::Promise::reject(&e),
        }
    }

    /// Starts an upload like `upload()` and returns its handle at once:
    /// `state`, `pause()`, `resume()`, `abort()` and the `result` promise.
    /// Options as for `upload()`, plus `onStateChange(state)` and
    /// `abortInFlightOnPause` (default false: a pause lets the PUTs in flight
    /// finish). Bad arguments reject `result`; only an environment without
    /// `AbortController` throws.
    ///
    /// @example
    /// ```js
    /// const upload = uploader.start(file, { fileType: "videos" });
    /// upload.pause();
    /// setTimeout(() => upload.resume(), 2000);
    /// const { key } = await upload.result;
    /// ```
    pub fn start(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Blob")] file: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UploadOptions | string")] options: JsValue,
    ) -> Result<Upload, JsValue> {
        let signer = Rc::clone(&self.signer);
        let hashing = Rc::clone(&self.hashing);
        let prepared = as_blob(file).and_then(|blob| Ok((blob, UploadOptions::from_js(&options)?)));
        let control = match &prepared {
            Ok((_, options)) => UploadControl::new(
                options.signal.as_ref(),
                options.on_state_change.clone(),
                options.abort_in_flight_on_pause,
            ),
            Err(_) => UploadControl::new(None, None, false),
        };
        let control = Rc::new(control?);
        let running = Rc::clone(&control);
        let result = future_to_promise(async move {
            let outcome = match prepared {
                Ok(prepared) => {
                    let hasher = hashing.hasher(Purpose::Uploads).await;
                    run(&signer, &hasher, prepared, &running).await
                }
                Err(e) => Err(e),
            };
            running.end(match &outcome {
                Ok(_) => UploadState::Done,
                Err(e) if e.code() == ErrorCode::Aborted => UploadState::Aborted,
                Err(_) => UploadState::Failed,
            });
            Ok(outcome?)
        });
        Ok(Upload::new(control, result))
    }

    /// Asks the signer for a presigned GET URL of `key` (an object this
    /// caller uploaded). Resolves with `{ url, key, expiresIn }`.
    ///
    /// @example
    /// ```js
    /// const { url } = await uploader.downloadUrl(result.key);
    /// link.href = url;
    /// ```
    #[wasm_bindgen(js_name = downloadUrl, unchecked_return_type = "Promise<DownloadLink>")]
    pub fn download_url(
        &self,
        key: String,
        #[wasm_bindgen(unchecked_optional_param_type = "{ signal?: AbortSignal }")]
        options: JsValue,
    ) -> js_sys::Promise {
        let signer = Rc::clone(&self.signer);
        let signal = options::signal_only(&options);
        future_to_promise(async move {
            let signal = signal?;
            let answer = signer.download_url(&key, signal.as_ref()).await?;
            Ok(results::to_js(&DownloadLink::from(answer))?)
        })
    }
}

/// Uploads in one request or in parts, by size.
async fn run(
    signer: &Rc<SignerClient>,
    hasher: &Hasher,
    (blob, options): (Blob, UploadOptions),
    control: &Rc<UploadControl>,
) -> Result<JsValue, UploadError> {
    let signer = &Rc::new(signer.with_retry(options.retry_policy()));
    if blob_size(&blob) > options.multipart_threshold {
        let result = multipart::upload(signer, hasher, &blob, &options, control).await?;
        results::to_js(&result)
    } else {
        let result = single_put::upload(signer, hasher, &blob, &options, control).await?;
        results::to_js(&result)
    }
}

/// A `Blob` or `File`, duck-typed so blobs from another realm pass too.
fn as_blob(file: JsValue) -> Result<Blob, UploadError> {
    if file.is_instance_of::<Blob>() {
        return Ok(file.unchecked_into());
    }
    let has = |name: &str, check: fn(&JsValue) -> bool| {
        js_sys::Reflect::get(&file, &JsValue::from_str(name)).is_ok_and(|v| check(&v))
    };
    if file.is_object()
        && has("slice", JsValue::is_function)
        && has("size", |v| v.as_f64().is_some())
    {
        Ok(file.unchecked_into())
    } else {
        Err(UploadError::bad_request(
            "upload() needs a File or Blob as its first argument",
        ))
    }
}
