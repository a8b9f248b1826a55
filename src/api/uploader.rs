//! The exported `Uploader` class: options in, promises out.

use crate::api::batch::Batch;
use crate::api::js_fields::as_blob;
use crate::api::options::{self, UploaderOptions};
use crate::api::results::{self, DownloadLink};
use crate::api::upload_handle::Upload;
use crate::hashing::checksums::{self, ChecksumOptions};
use crate::hashing::{Hashing, Purpose};
use crate::transport::signer::backend::Backend;
use crate::transport::signer::client::SignerClient;
use crate::transport::signer::http::SignerHttp;
use crate::upload::attempt::{Peer, Retrying};
use crate::upload::control::{js_state_sink, ControlOptions};
use crate::upload::engine::Engine;
use crate::upload::options::UploadOptions;
use crate::upload::progress::{js_sink, ProgressReporter};
use crate::upload::queue::UploadQueue;
use presign_core::upload::resume_state::scope;
use presign_core::upload::retry_policy::RetryPolicy;
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

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
    engine: Rc<Engine>,
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
        // A page's signer has no endpoint; no endpoint looks like this.
        let signed_at = match options.signer {
            Some(_) => "(the page's signer)",
            None => options.endpoint.as_str(),
        };
        let resume_scope = scope(signed_at, options.resume_scope.as_deref());
        let signer = SignerClient::new(match options.signer {
            Some(js) => Backend::Js(js),
            None => Backend::Http(SignerHttp::new(
                options.endpoint,
                options.headers,
                options.token,
            )),
        });
        Ok(Self {
            engine: Rc::new(Engine {
                signer: Rc::new(signer),
                hashing: Rc::new(hashing),
                queue: Rc::new(queue),
                resume_scope: resume_scope.into(),
            }),
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
        self.engine.signer.endpoint().to_owned()
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
        self.engine.hashing.running()
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
        let hashing = Rc::clone(&self.engine.hashing);
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
    /// It waits its turn in the uploader's queue (`maxConcurrentFiles` run
    /// at once; the state is `queued` meanwhile; a file of one request is
    /// hashed and signed ahead of its turn, and confirmed after it).
    ///
    /// `options` (an `UploadOptions`, or just the `fileType` string) are
    /// described on their type. Progress goes to `onProgress` about 20
    /// times a second at most (`UploadProgress`); aborting `signal` rejects
    /// with `code: "aborted"` (a multipart upload is aborted in the store).
    ///
    /// Each upload hashes what it sends (SHA-256, per part for multipart),
    /// so that the store checks the bytes and the result can be checked
    /// against the store's; network errors and 5xx are retried with backoff,
    /// 429 and `SlowDown` wait as asked, an expired URL is signed again.
    /// Resolves with an `UploadResult` (`parts` tells a multipart one apart);
    /// rejects with an `UploadError` whose `code` is stable.
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
        let control = Rc::new(self.engine.control(control)?);
        let running = self.engine.launch(prepared, Rc::clone(&control));
        let result = future_to_promise(async move { Ok(results::to_js(&running.await?)?) });
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
        Ok(Batch::start(Rc::clone(&self.engine), &files, &options)?)
    }

    /// Forgets every unfinished multipart upload this uploader saved to
    /// resume (those of its signer and its `resumeScope`): call it when the
    /// user signs out on a shared browser. The uploads stay open in the
    /// store until the signer's collector aborts them. Resolves with how
    /// many were forgotten.
    ///
    /// @example
    /// ```js
    /// signOutButton.onclick = async () => {
    ///   await uploader.forgetResumable();
    ///   location.assign("/logout");
    /// };
    /// ```
    #[wasm_bindgen(js_name = forgetResumable, unchecked_return_type = "Promise<number>")]
    pub fn forget_resumable(&self) -> js_sys::Promise {
        let engine = Rc::clone(&self.engine);
        future_to_promise(async move { Ok(engine.forget_resumable().await.into()) })
    }

    /// The unfinished multipart uploads this uploader saved to resume (its
    /// signer's, its `resumeScope`'s), most recent first: after a reload, a
    /// page can ask for each file again by its `name` and `size`; the same
    /// file given to `upload()` resumes. Each is `{ id, name, size,
    /// lastModified, fileType, key, metadata?, partCount, partsStored,
    /// bytesStored, savedAt }`. `options`: `{ resumeMaxAgeMs? }` (default
    /// one day, as for uploads). Resolves with `[]` where IndexedDB is
    /// missing.
    ///
    /// @example
    /// ```js
    /// for (const saved of await uploader.listResumable()) {
    ///   const percent = Math.round((100 * saved.bytesStored) / saved.size);
    ///   list.append(`Choose ${saved.name} again to resume (${percent}% stored)`);
    /// }
    /// ```
    #[wasm_bindgen(js_name = listResumable, unchecked_return_type = "Promise<ResumableUpload[]>")]
    pub fn list_resumable(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "{ resumeMaxAgeMs?: number }")]
        options: JsValue,
    ) -> js_sys::Promise {
        let engine = Rc::clone(&self.engine);
        let max_age = options::resume_max_age(&options);
        future_to_promise(async move {
            let listed = engine.resumable(max_age?).await;
            Ok(results::to_js(&listed)?)
        })
    }

    /// Gives up the saved upload `id` (from `listResumable()`): aborts it at
    /// the signer, so the store frees its parts and the user's open-upload
    /// slot, and forgets it. Resolves with `false` when there is no such
    /// upload; rejects (keeping it) when the signer cannot be reached.
    ///
    /// @example
    /// ```js
    /// discardButton.onclick = () => uploader.discardResumable(saved.id);
    /// ```
    #[wasm_bindgen(js_name = discardResumable, unchecked_return_type = "Promise<boolean>")]
    pub fn discard_resumable(&self, id: String) -> js_sys::Promise {
        let engine = Rc::clone(&self.engine);
        future_to_promise(async move { Ok(engine.discard_resumable(&id).await?.into()) })
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
        let signer = Rc::clone(&self.engine.signer);
        let signal = options::signal_only(&options);
        future_to_promise(async move {
            let signal = signal?;
            let signal = signal.as_ref();
            let retrying = Retrying::standalone(RetryPolicy::default());
            let send = || signer.download_url(&key, signal);
            let what = "asking for a download link";
            let answer = retrying.call(Peer::Signer, what, signal, send).await?;
            Ok(results::to_js(&DownloadLink::from(answer))?)
        })
    }
}
