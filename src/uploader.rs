//! The exported `Uploader` class: options in, promises out.

use crate::attempt::Retrying;
use crate::batch::Batch;
use crate::blob_reader::blob_size;
use crate::checksums::{self, ChecksumOptions};
use crate::hashing::{Hashing, Purpose};
use crate::job::Job;
use crate::multipart;
use crate::options::{self, UploadOptions, UploaderOptions};
use crate::progress_reporter::{js_sink, ProgressReporter};
use crate::results::{self, DownloadLink};
use crate::signer_client::SignerClient;
use crate::single_put;
use crate::upload_control::{js_state_sink, ControlOptions, UploadControl};
use crate::upload_error::UploadError;
use crate::upload_handle::Upload;
use crate::upload_queue::UploadQueue;
use presign_core::upload::retry_policy::RetryPolicy;
use presign_core::upload::state::UploadState;
use presign_core::ErrorCode;
use std::future::Future;
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
    queue: Rc<UploadQueue>,
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
        let queue = UploadQueue::new(
            options.max_concurrent_files,
            options.max_concurrent_requests,
        );
        Ok(Self {
            signer: Rc::new(SignerClient::new(options)),
            hashing: Rc::new(hashing),
            queue: Rc::new(queue),
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
    /// It waits its turn in the uploader's queue first (`maxConcurrentFiles`
    /// run at once; the state is `queued` meanwhile).
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
    /// upload at once while the next ones are hashed, within the uploader's
    /// `maxConcurrentRequests`. Network errors and 5xx are retried with
    /// backoff (`maxAttempts`, default 5, for the store's PUTs and the
    /// signer's calls alike); a 429, S3's `SlowDown` or a 503 with
    /// `Retry-After` waits as that asks, else the backoff (at most 60 s a
    /// time, `maxWaitMs` in all, default ten minutes) without
    /// using up attempts, the upload `queued` meanwhile with the reason in
    /// its progress reports (`waiting`); an expired URL is signed again, a
    /// checksum rejection re-reads the part once. Progress
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
        let prepared = as_blob(file).and_then(|blob| Ok((blob, UploadOptions::from_js(&options)?)));
        let control = match &prepared {
            Ok((_, options)) => ControlOptions {
                signal: options.signal.clone(),
                on_state: options.on_state_change.clone().map(js_state_sink),
                abort_in_flight_on_pause: options.abort_in_flight_on_pause,
                progress: Some(Rc::new(ProgressReporter::new(
                    options.on_progress.clone().map(js_sink),
                ))),
            },
            Err(_) => ControlOptions::default(),
        };
        let control = Rc::new(self.control(control)?);
        let running = self.launch(prepared, Rc::clone(&control));
        let result = future_to_promise(async move { Ok(running.await?) });
        Ok(Upload::new(control, result))
    }

    /// Uploads many files as one batch: each as `upload()` would (the same
    /// `options`, minus `onProgress` and `onStateChange`, which become the
    /// batch's and its files'), through this uploader's queue. Returns the
    /// `Batch` at once: its progress over every file (bytes, files done,
    /// failed, waiting; a rate and an ETA), `pause()`, `resume()`,
    /// `cancel()`, `retryFailed()`, each file's handle, and `result`.
    /// Bad options throw an `UploadError` (`bad_request`).
    ///
    /// @example
    /// ```js
    /// const batch = uploader.uploadAll(input.files, {
    ///   fileType: "photos",
    ///   onProgress: (p) => (bar.value = p.fraction),
    ///   onFileError: (error, index) => console.warn(input.files[index].name, error.code),
    /// });
    /// cancelButton.onclick = () => batch.cancel();
    /// const { done, failed } = (await batch.result).progress.files;
    /// ```
    #[wasm_bindgen(js_name = uploadAll)]
    pub fn upload_all(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Iterable<Blob> | ArrayLike<Blob>")] files: JsValue,
        #[wasm_bindgen(unchecked_param_type = "BatchOptions | string")] options: JsValue,
    ) -> Result<Batch, JsValue> {
        Ok(Batch::start(self.clone(), &files, &options)?)
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
            let retrying = Retrying::standalone(RetryPolicy::default());
            let answer = signer
                .download_url(&key, &retrying, signal.as_ref())
                .await?;
            Ok(results::to_js(&DownloadLink::from(answer))?)
        })
    }
}

impl Uploader {
    /// Controls of one more upload in this uploader's queue.
    pub(crate) fn control(&self, options: ControlOptions) -> Result<UploadControl, UploadError> {
        UploadControl::new(&self.queue, options)
    }

    /// Runs one upload under `control` to its end (which `control` then
    /// shows): its result as JavaScript receives it.
    pub(crate) fn launch(
        &self,
        prepared: Result<(Blob, UploadOptions), UploadError>,
        control: Rc<UploadControl>,
    ) -> impl Future<Output = Result<JsValue, UploadError>> + 'static {
        let signer = Rc::clone(&self.signer);
        let hashing = Rc::clone(&self.hashing);
        async move {
            let outcome = match prepared {
                Ok(prepared) => run(&signer, &hashing, prepared, &control).await,
                Err(e) => Err(e),
            };
            control.end(match &outcome {
                Ok(_) => UploadState::Done,
                Err(e) if e.code() == ErrorCode::Aborted => UploadState::Aborted,
                Err(_) => UploadState::Failed,
            });
            outcome
        }
    }
}

/// Waits for the upload's turn, then uploads in one request or in parts,
/// by size.
async fn run(
    signer: &Rc<SignerClient>,
    hashing: &Hashing,
    (blob, options): (Blob, UploadOptions),
    control: &Rc<UploadControl>,
) -> Result<JsValue, UploadError> {
    control.wait_while_paused().await?;
    let hasher = hashing.hasher(Purpose::Uploads).await;
    let retrying = Rc::new(Retrying::for_upload(options.retry_policy(), control));
    let job = Job {
        signer,
        hasher: &hasher,
        file: &blob,
        options: &options,
        control,
        retrying: &retrying,
    };
    if blob_size(&blob) > options.multipart_threshold {
        results::to_js(&multipart::upload(job).await?)
    } else {
        results::to_js(&single_put::upload(job).await?)
    }
}

/// A `Blob` or `File`, duck-typed so blobs from another realm pass too.
pub(crate) fn as_blob(file: JsValue) -> Result<Blob, UploadError> {
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
