//! One file, one presigned request: hash, sign, upload, verify.
//!
//! 1. Read the file in chunks and compute its SHA-256 (phase `hashing`;
//!    skipped with `checksum: false`, which signs no checksum).
//! 2. Ask the signer for a URL bound to that size and digest (`signing`), or
//!    with `method: "post"` for a form whose policy binds them.
//! 3. PUT the `Blob` with exactly the signed headers, or POST the form with
//!    the file last ([`crate::transport::store::form_post`]) (`uploading`), in the attempt
//!    loop every request shares ([`crate::upload::attempt`]: backoff, waits on
//!    backpressure, a fresh URL for an expired one, one re-read on a
//!    checksum rejection), each attempt in one of the uploader's request
//!    slots.
//! 4. Ask the signer what was stored and check it is the file (`verifying`).
//!
//! Steps 1 and 2 run ahead of the file's turn (while it waits for a file
//! slot, [`Turn::Ahead`]), and step 4 after it: the turn is the PUT alone,
//! and the signer signs and confirms waiting files in batches.

use crate::error::UploadError;
use crate::hashing::{BlobRange, Hasher};
use crate::transport::signer::client::SignerClient;
use crate::transport::store::form_post;
use crate::transport::store::put_headers;
use crate::transport::store::xhr::{self, Body, PutOutcome};
use crate::upload::attempt::{self, Attempt, Peer, Retrying, Stop};
use crate::upload::control::Turn;
use crate::upload::job::Job;
use crate::upload::options::{UploadMethod, UploadOptions};
use crate::upload::progress::ProgressReporter;
use crate::upload::queue::Slot;
use crate::upload::verify;
use crate::web::abort::{self, LinkedAbort};
use crate::web::clock::now_ms;
use presign_core::protocol::content_type::DEFAULT_CONTENT_TYPE;
use presign_core::protocol::form::{GetUploadFormRequest, GetUploadFormResponse};
use presign_core::protocol::single::{
    FileUploadedRequest, GetUploadUrlRequest, GetUploadUrlResponse,
};
use presign_core::s3::limits::MAX_SINGLE_PUT;
use presign_core::upload::progress::Phase;
use presign_core::upload::retry_policy::Attempts;
use presign_core::upload::state::UploadState;
use presign_core::{ErrorCode, Sha256Digest};
use serde::Serialize;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, Blob};

/// Uploads the job's file in one request, under its controls (pause,
/// resume, abort).
pub async fn upload(job: Job<'_>) -> Result<SingleResult, UploadError> {
    let Job {
        signer,
        hasher,
        file,
        size,
        options,
        control,
        retrying,
        ..
    } = job;
    let upload_signal = control.signal();
    let signal = Some(&upload_signal);
    abort::ensure_live(signal)?;
    if size > MAX_SINGLE_PUT {
        return Err(UploadError::new(
            ErrorCode::TooLarge,
            format!("{size} bytes is more than a single PUT may carry ({MAX_SINGLE_PUT})"),
        ));
    }
    let progress = control.progress();

    let digest = match options.checksum {
        true => {
            control.step(UploadState::Hashing);
            Some(hash(hasher, file, size, &upload_signal, Some(progress)).await?)
        }
        false => None,
    };

    // Each phase starts only if the signal (possibly aborted from inside a
    // progress callback) still allows it, and not while paused.
    control.wait_for(Turn::Ahead).await?;
    progress.start(Phase::Signing, size);
    let request = GetUploadUrlRequest {
        filename: filename(file),
        file_type: options.file_type.clone(),
        content_type: Some(content_type(file, options)),
        size: Some(size),
        sha256: digest,
        metadata: options.metadata.clone(),
    };
    let signed = sign(signer, options.method, &request, retrying, signal).await?;

    control.wait_while_paused().await?;
    control.step(UploadState::Uploading);
    progress.start(Phase::Uploading, size);
    let mut put = SinglePut {
        job,
        request: &request,
        signed,
        digest,
        slot: None,
    };
    // Without a digest there is nothing to read again and compare.
    let mut attempts = match digest {
        Some(_) => Attempts::new(),
        None => Attempts::without_rehash(),
    };
    let stored = attempt::run(retrying, &mut attempts, &mut put, signal)
        .await
        .map_err(Stop::into_error)?;
    // The browser's last progress event may fall short of the total.
    progress.advance(size);
    control.sent();

    confirm(job, &put.signed, digest, stored).await
}

/// Step 4: ask the signer what was stored, and check it is the file.
async fn confirm(
    job: Job<'_>,
    signed: &Signed,
    digest: Option<Sha256Digest>,
    stored: PutOutcome,
) -> Result<SingleResult, UploadError> {
    let Job {
        signer,
        size,
        options,
        control,
        retrying,
        ..
    } = job;
    let (upload_signal, progress) = (control.signal(), control.progress());
    let signal = Some(&upload_signal);
    abort::ensure_live(signal)?;
    progress.set_parts(1, 1);
    progress.announce(Phase::Verifying);
    let confirm = FileUploadedRequest {
        key: signed.key().to_owned(),
        file_type: options.file_type.clone(),
        size: Some(size),
        // Declared only when the store was told it (a signed header
        // or form field), so that it kept a checksum to compare.
        sha256: digest.filter(|_| signed.carries_checksum()),
    };
    let confirmed = || signer.file_uploaded(&confirm, signal);
    let what = "confirming the upload";
    let answer = retrying.call(Peer::Signer, what, signal, confirmed).await?;
    let verified = verify::verify(digest.as_ref(), size, answer.as_ref(), stored.etag)?;
    progress.announce(Phase::Done);
    Ok(SingleResult {
        key: signed.key().to_owned(),
        size: verified.size,
        etag: verified.etag,
        sha256: digest.map(|d| d.to_base64()),
    })
}

/// A single-request upload's result (`SingleUploadResult` in the .d.ts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleResult {
    /// The object key the signer chose.
    pub key: String,
    /// Bytes stored.
    pub size: u64,
    /// The store's ETag (quotes included, as S3 sends it); `null` if unknown.
    pub etag: Option<String>,
    /// Base64 SHA-256 of the whole file, computed by the client before the
    /// upload and confirmed by the store when it reports one; absent with
    /// `checksum: false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The file's PUT (or POST), as the attempt loop sends it: a fresh URL when
/// it expires, the file hashed again (once) when the store refuses its
/// checksum, a slot among the uploader's requests for each attempt.
struct SinglePut<'a> {
    job: Job<'a>,
    request: &'a GetUploadUrlRequest,
    signed: Signed,
    digest: Option<Sha256Digest>,
    slot: Option<Slot>,
}

impl Attempt for SinglePut<'_> {
    type Output = PutOutcome;

    fn peer(&self) -> Peer {
        Peer::Store
    }

    fn what(&self) -> String {
        "the upload".to_owned()
    }

    async fn ready(&mut self) -> Result<(), Stop> {
        let control = self.job.control;
        loop {
            control.wait_while_paused().await?;
            if self.slot.is_none() {
                self.slot = Some(control.request_slot(Some(&control.signal())).await?);
            }
            if !control.is_paused() {
                return Ok(());
            }
            self.slot = None;
        }
    }

    fn fresh(&self) -> bool {
        now_ms() <= self.signed.use_before_ms
    }

    async fn send(&mut self) -> Result<PutOutcome, UploadError> {
        let _slot = self.slot.take();
        let Job {
            file,
            control,
            options,
            ..
        } = self.job;
        // Aborted by the upload's signal, or by a pause (abortInFlightOnPause).
        let attempt = LinkedAbort::either(Some(&control.signal()), &control.pause_signal())?;
        let attempt_signal = attempt.signal();
        let on_progress = {
            let progress = Rc::clone(control.progress());
            move |loaded| progress.advance(loaded)
        };
        let stall = options.stall_timeout_ms;
        let signal = Some(&attempt_signal);
        match &self.signed.target {
            Target::Put(put) => {
                let headers = put_headers::for_put(put.headers.as_ref());
                let body = Body::Blob(file);
                let sent = xhr::send(
                    &put.upload_url,
                    "PUT",
                    &headers,
                    body,
                    signal,
                    stall,
                    on_progress,
                )
                .await;
                already_stored(sent)
            }
            Target::Form(form) => {
                let data = form_post::form_data(&form.fields, file, &self.request.filename)?;
                let body = Body::Form(&data);
                xhr::send(&form.url, "POST", &[], body, signal, stall, on_progress).await
            }
        }
    }

    async fn recover(&mut self, stop: Stop, attempts: &mut Attempts) -> Result<(), Stop> {
        let Job {
            signer,
            hasher,
            file,
            size,
            options,
            control,
            retrying,
            ..
        } = self.job;
        let upload_signal = control.signal();
        match stop {
            Stop::Expired => {
                let signal = Some(&upload_signal);
                self.signed = sign(signer, options.method, self.request, retrying, signal).await?;
            }
            Stop::ChecksumRefused => {
                if Some(hash(hasher, file, size, &upload_signal, None).await?) != self.digest {
                    return Err(Stop::Failed(UploadError::new(
                        ErrorCode::ChecksumMismatch,
                        "the file changed while it was being uploaded",
                    )));
                }
                attempts.rehashed();
            }
            Stop::Paused => control.wait_while_paused().await?,
            Stop::Failed(error) => return Err(Stop::Failed(error)),
        }
        Ok(())
    }
}

/// A PUT answered 412 PreconditionFailed: the signed `If-None-Match: *`
/// found the key taken. Every upload has a key of its own, so it was this
/// upload's earlier attempt (whose answer was lost) that stored it; the
/// signer's confirmation then checks the stored object's size and SHA-256.
fn already_stored(sent: Result<PutOutcome, UploadError>) -> Result<PutOutcome, UploadError> {
    match sent {
        Err(e) if e.status() == Some(412) => Ok(PutOutcome { etag: None }),
        other => other,
    }
}

/// SHA-256 of the whole file of `size` bytes (where the hasher puts it: on
/// the page for a file smaller than a part, else in a hash worker when
/// there is one), reported as the `hashing` phase when `progress` is given.
async fn hash(
    hasher: &Hasher,
    file: &Blob,
    size: u64,
    signal: &AbortSignal,
    progress: Option<&Rc<ProgressReporter>>,
) -> Result<Sha256Digest, UploadError> {
    let report = progress.map(|progress| {
        progress.start(Phase::Hashing, size);
        let progress = Rc::clone(progress);
        Rc::new(move |bytes| progress.advance(bytes)) as Rc<dyn Fn(u64)>
    });
    let digest = hasher
        .digest(BlobRange::new(file, 0, size), signal, report.clone())
        .await?;
    if let Some(report) = report {
        report(size);
    }
    Ok(digest)
}

/// Where and how to send the file.
enum Target {
    Put(GetUploadUrlResponse),
    Form(GetUploadFormResponse),
}

/// A presigned request and the time after which it is too old to start with.
struct Signed {
    target: Target,
    use_before_ms: f64,
}

impl Signed {
    /// Whether the request sends the file's SHA-256 for the store to check.
    fn carries_checksum(&self) -> bool {
        let named = |name: &String| name.eq_ignore_ascii_case("x-amz-checksum-sha256");
        match &self.target {
            Target::Put(put) => put.headers.as_ref().is_some_and(|h| h.keys().any(named)),
            Target::Form(form) => form.fields.keys().any(named),
        }
    }

    fn key(&self) -> &str {
        match &self.target {
            Target::Put(put) => &put.key,
            Target::Form(form) => &form.key,
        }
    }
}

/// Asks the signer for a PUT URL (or a POST form) bound to the file's size
/// and digest.
async fn sign(
    signer: &Rc<SignerClient>,
    method: UploadMethod,
    request: &GetUploadUrlRequest,
    retrying: &Retrying,
    signal: Option<&AbortSignal>,
) -> Result<Signed, UploadError> {
    let asked_at = now_ms();
    let (target, expires_in) = match method {
        UploadMethod::Put => {
            let send = || signer.get_upload_url(request, signal);
            let url = retrying
                .call(Peer::Signer, "signing the upload", signal, send)
                .await?;
            if !url.method.eq_ignore_ascii_case("PUT") {
                return Err(UploadError::new(
                    ErrorCode::Server,
                    format!(
                        "the signer asked for a {} upload; this client uploads with PUT",
                        url.method
                    ),
                ));
            }
            let expires_in = url.expires_in;
            (Target::Put(url), expires_in)
        }
        UploadMethod::Post => {
            let form_request = GetUploadFormRequest {
                filename: request.filename.clone(),
                file_type: request.file_type.clone(),
                content_type: request.content_type.clone(),
                size: request.size,
                sha256: request.sha256,
                metadata: request.metadata.clone(),
            };
            let send = || signer.get_upload_form(&form_request, signal);
            let form = retrying
                .call(Peer::Signer, "signing the form", signal, send)
                .await?;
            let expires_in = form.expires_in;
            (Target::Form(form), expires_in)
        }
    };
    Ok(Signed {
        target,
        use_before_ms: use_before(asked_at, expires_in),
    })
}

/// A URL is used only while at least half its life (at most 60 s of it)
/// remains, counted from when it was asked for.
pub fn use_before(asked_at_ms: f64, expires_in_secs: u64) -> f64 {
    let life_ms = expires_in_secs as f64 * 1000.0;
    asked_at_ms + life_ms - (life_ms / 2.0).min(60_000.0)
}

/// `options.contentType`, else `file.type`, else `application/octet-stream`.
pub fn content_type(file: &Blob, options: &UploadOptions) -> String {
    options
        .content_type
        .clone()
        .or_else(|| Some(file.type_()).filter(|t| !t.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned())
}

/// `File.name`, or `"blob"` for a plain `Blob` (the signer sanitises it).
pub fn filename(file: &Blob) -> String {
    js_sys::Reflect::get(file, &JsValue::from_str("name"))
        .ok()
        .and_then(|name| name.as_string())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "blob".to_owned())
}
