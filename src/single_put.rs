//! One file, one presigned request: hash, sign, upload, verify.
//!
//! 1. Read the file in chunks and compute its SHA-256 (phase `hashing`;
//!    skipped with `checksum: false`, which signs no checksum).
//! 2. Ask the signer for a URL bound to that size and digest (`signing`), or
//!    with `method: "post"` for a form whose policy binds them.
//! 3. PUT the `Blob` with exactly the signed headers, or POST the form with
//!    the file last ([`crate::form_post`]) (`uploading`); transient
//!    failures are retried with the multipart parts' policy (backoff, a fresh
//!    URL for an expired one, one re-read on a checksum rejection).
//! 4. Ask the signer what was stored and check it is the file (`verifying`).

use crate::abort::{self, LinkedAbort};
use crate::blob_reader::blob_size;
use crate::form_post;
use crate::hashing::{BlobRange, Hasher};
use crate::options::{UploadMethod, UploadOptions};
use crate::progress_reporter::{now_ms, ProgressReporter};
use crate::put_headers;
use crate::results::UploadResult;
use crate::retry;
use crate::signer_client::SignerClient;
use crate::upload_control::UploadControl;
use crate::upload_error::UploadError;
use crate::verify;
use crate::xhr_put::{self, Body};
use presign_core::content_type::DEFAULT_CONTENT_TYPE;
use presign_core::form_protocol::{GetUploadFormRequest, GetUploadFormResponse};
use presign_core::limits::MAX_SINGLE_PUT;
use presign_core::progress::Phase;
use presign_core::protocol::{FileUploadedRequest, GetUploadUrlRequest, GetUploadUrlResponse};
use presign_core::retry_policy::{Failure, RetryDecision};
use presign_core::upload_state::UploadState;
use presign_core::{ErrorCode, Sha256Digest};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, Blob};

/// Uploads `file` through `signer`, under `control` (pause, resume, abort).
pub async fn upload(
    signer: &SignerClient,
    hasher: &Hasher,
    file: &Blob,
    options: &UploadOptions,
    control: &UploadControl,
) -> Result<UploadResult, UploadError> {
    let upload_signal = control.signal();
    let signal = Some(&upload_signal);
    abort::ensure_live(signal)?;
    let size = blob_size(file);
    if size > MAX_SINGLE_PUT {
        return Err(UploadError::new(
            ErrorCode::TooLarge,
            format!("{size} bytes is more than a single PUT may carry ({MAX_SINGLE_PUT})"),
        ));
    }
    let progress = Rc::new(ProgressReporter::new(options.on_progress.clone()));

    let digest = match options.checksum {
        true => {
            control.step(UploadState::Hashing);
            Some(hash(hasher, file, &upload_signal, Some(&progress)).await?)
        }
        false => None,
    };

    // Each phase starts only if the signal (possibly aborted from inside a
    // progress callback) still allows it, and not while paused.
    control.wait_while_paused().await?;
    progress.start(Phase::Signing, size);
    let request = GetUploadUrlRequest {
        filename: filename(file),
        file_type: options.file_type.clone(),
        content_type: Some(content_type(file, options)),
        size: Some(size),
        sha256: digest,
    };
    let sign_again = || sign(signer, options.method, &request, signal);
    let mut signed = sign_again().await?;

    control.wait_while_paused().await?;
    control.step(UploadState::Uploading);
    progress.start(Phase::Uploading, size);
    let policy = options.retry_policy();
    let mut rng = retry::seeded_rng();
    // Without a digest there is nothing to read again and compare.
    let (mut attempts, mut rehashed) = (0, digest.is_none());
    let put = loop {
        control.wait_while_paused().await?;
        // Too old to start with (after a backoff or a pause): a fresh one.
        if now_ms() > signed.use_before_ms {
            signed = sign_again().await?;
        }
        attempts += 1;
        // Aborted by the upload's signal, or by a pause (abortInFlightOnPause).
        let attempt = LinkedAbort::either(signal, &control.pause_signal())?;
        let attempt_signal = attempt.signal();
        let on_progress = {
            let progress = Rc::clone(&progress);
            move |loaded| progress.advance(loaded)
        };
        let stall = options.stall_timeout_ms;
        let sent = match &signed.target {
            Target::Put(put) => {
                let headers = put_headers::for_put(put.headers.as_ref());
                let body = Body::Blob(file);
                let signal = Some(&attempt_signal);
                xhr_put::send(
                    &put.upload_url,
                    "PUT",
                    &headers,
                    body,
                    signal,
                    stall,
                    on_progress,
                )
                .await
            }
            Target::Form(form) => {
                let data = form_post::form_data(&form.fields, file, &request.filename)?;
                let body = Body::Form(&data);
                let signal = Some(&attempt_signal);
                xhr_put::send(&form.url, "POST", &[], body, signal, stall, on_progress).await
            }
        };
        let error = match sent {
            Ok(put) => break put,
            Err(e) if e.code() == ErrorCode::Aborted => {
                abort::ensure_live(signal)?;
                // A pause stopped this attempt: it does not count.
                attempts -= 1;
                continue;
            }
            Err(e) => e,
        };
        let failure = Failure {
            code: error.code(),
            status: error.status(),
        };
        match policy.decide(failure, attempts, rehashed, &mut rng) {
            RetryDecision::Backoff { delay_ms } => {
                // The loop's top signs again if the URL got too old meanwhile
                // (a store may answer an expired URL by closing the connection).
                retry::sleep(delay_ms, signal).await?;
            }
            RetryDecision::Represign => signed = sign_again().await?,
            RetryDecision::Rehash => {
                if Some(hash(hasher, file, &upload_signal, None).await?) != digest {
                    return Err(UploadError::new(
                        ErrorCode::ChecksumMismatch,
                        "the file changed while it was being uploaded",
                    ));
                }
                rehashed = true;
            }
            RetryDecision::Fail => {
                let failed = UploadError::new(
                    error.code(),
                    format!(
                        "the upload failed after {attempts} attempt(s): {}",
                        error.message()
                    ),
                );
                return Err(match error.status() {
                    Some(status) => failed.with_status(status),
                    None => failed,
                });
            }
        }
    };
    // The browser's last progress event may fall short of the total.
    progress.advance(size);

    control.wait_while_paused().await?;
    control.step(UploadState::Completing);
    progress.set_parts(1, 1);
    progress.announce(Phase::Verifying);
    let answer = signer
        .file_uploaded(
            &FileUploadedRequest {
                key: signed.key().to_owned(),
                file_type: options.file_type.clone(),
                size: Some(size),
                // Declared only when the store was told it (a signed header
                // or form field), so that it kept a checksum to compare.
                sha256: digest.filter(|_| signed.carries_checksum()),
            },
            signal,
        )
        .await?;
    let verified = verify::verify(digest.as_ref(), size, answer.as_ref(), put.etag)?;
    progress.announce(Phase::Done);

    Ok(UploadResult {
        key: signed.key().to_owned(),
        size: verified.size,
        etag: verified.etag,
        sha256: digest.map(|d| d.to_base64()),
    })
}

/// SHA-256 of the whole file (in a hash worker when there is one),
/// reported as the `hashing` phase when `progress` is given.
async fn hash(
    hasher: &Hasher,
    file: &Blob,
    signal: &AbortSignal,
    progress: Option<&Rc<ProgressReporter>>,
) -> Result<Sha256Digest, UploadError> {
    let size = blob_size(file);
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
    signer: &SignerClient,
    method: UploadMethod,
    request: &GetUploadUrlRequest,
    signal: Option<&AbortSignal>,
) -> Result<Signed, UploadError> {
    let asked_at = now_ms();
    let (target, expires_in) = match method {
        UploadMethod::Put => {
            let url = signer.get_upload_url(request, signal).await?;
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
            };
            let form = signer.get_upload_form(&form_request, signal).await?;
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
