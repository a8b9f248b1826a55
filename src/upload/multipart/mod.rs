//! One file as an S3 multipart upload, orchestrated:
//!
//! 1. `POST /api/multipart` fixes the part size; the plan comes from the core.
//! 2. Parts are read and hashed — several at once in the hash workers
//!    ([`crate::hashing`]) — while earlier parts upload, and taken in part
//!    order; with `wholeFileSha256` the same ranges feed the whole-file
//!    SHA-256, streamed in file order. Only a few parts are hashed ahead of
//!    the uploads ([`scheduler`]).
//! 3. Hashed parts are presigned in batches ([`part_urls`]), then sent by up
//!    to `concurrency` tasks ([`part_upload`]).
//! 4. Complete with every ETag and SHA-256, then check the store's checksum
//!    (composite or full-object) against ours ([`completion`]).
//!
//! Any failure or abort after step 1 aborts every PUT in flight and asks the
//! signer to abort the upload (awaited), so no multipart upload stays open;
//! except, when it can resume, a transient failure or one while the page is
//! being left ([`crate::web::page_lifecycle`]): that upload stays open for
//! the next attempt.

pub mod completion;
pub mod part_upload;
pub mod part_urls;
pub mod resume;
pub mod scheduler;

use crate::error::UploadError;
use crate::upload::attempt::Peer;
use crate::upload::job::Job;
use crate::upload::single::{content_type, filename};
use crate::web::abort::{self, LinkedAbort};
use crate::web::page_lifecycle;
use crate::web::random;
use presign_core::protocol::multipart::{CreateMultipartRequest, CreateMultipartResponse};
use presign_core::s3::part_plan::PartPlan;
use presign_core::upload::progress::Phase;
use presign_core::upload::state::UploadState;
use presign_core::ErrorCode;
use resume::Resume;
use serde::Serialize;
use web_sys::AbortSignal;

/// `uploader.upload()`'s result for a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MultipartResult {
    pub key: String,
    pub size: u64,
    /// The store's ETag of the object (`"…-N"` on S3).
    pub etag: String,
    /// Base64 SHA-256 of the whole file; only when `wholeFileSha256: true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The composite checksum `base64(sha256(part digests))-N`; absent with
    /// `checksum: false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<String>,
    /// Number of parts.
    pub parts: u32,
    /// Bytes per part (the last may be smaller).
    pub part_size: u64,
}

/// Uploads the job's file in parts, under its controls (pause, resume,
/// abort).
pub async fn upload(job: Job<'_>) -> Result<MultipartResult, UploadError> {
    let outcome = created_and_sent(job).await;
    // A slot under the signer's cap of open uploads may be free now.
    job.control.queue().multipart_ended.notify_all();
    outcome
}

async fn created_and_sent(job: Job<'_>) -> Result<MultipartResult, UploadError> {
    let (resume, created) = create(job).await?;
    job.control.progress().set_upload_id(&created.upload_id);
    // From here on the upload exists in the store: every way out that is not
    // success either aborts it or (a transient failure, when it can resume)
    // leaves it for the next attempt.
    let outcome = send_and_complete(job, resume.as_ref(), &created).await;
    end(job, resume.as_ref(), &created, outcome).await
}

/// Step 1: the upload to resume (found by the file's fingerprint), or a new
/// one; with the saved state kept current from now on, when it can resume.
async fn create(job: Job<'_>) -> Result<(Option<Resume>, CreateMultipartResponse), UploadError> {
    let Job {
        signer,
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
    control.wait_while_paused().await?;
    control.step(UploadState::Uploading);
    let wanted = PartPlan::new(size, options.part_size)
        .map_err(|e| UploadError::new(ErrorCode::TooLarge, e.to_string()))?;
    control.progress().start(Phase::Signing, size);
    let name = filename(file);
    // Resuming matches stored parts by their SHA-256 (not without
    // checksums) listed by the signer (not a page's signer without
    // listParts).
    let found = match options.resume && options.checksum && signer.backend().lists_parts() {
        true => Resume::find(job, &name, wanted.part_size(), &upload_signal).await?,
        false => None,
    };
    let (resume, resumed) = match found {
        Some((resume, resumed)) => (Some(resume), resumed),
        None => (None, None),
    };
    if let Some(created) = resumed {
        return Ok((resume, created));
    }
    let request = CreateMultipartRequest {
        filename: name,
        file_type: options.file_type.clone(),
        content_type: Some(content_type(file, options)),
        size,
        part_size: Some(wanted.part_size()),
        // Absent means on: a signer older than the option still works.
        checksum: (!options.checksum).then_some(false),
        // The same in every attempt of the request.
        client_token: Some(random::client_token().to_string()),
        metadata: options.metadata.clone(),
    };
    let send = || signer.create_multipart(&request, signal);
    let what = "creating the multipart upload";
    let created = match retrying.call(Peer::Create, what, signal, send).await {
        Ok(created) => created,
        Err(e) if upload_signal.aborted() => {
            abort_cut_off_create(job, &request).await;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    if let Some(resume) = &resume {
        resume.started(&created, options, size).await;
    }
    Ok((resume, created))
}

/// An abort can cut off a create the signer has already carried out: its
/// answer, with the upload's id, never arrives, and the upload would stay
/// open (holding one of the user's slots) until the signer's collector
/// ends it. The same `client_token` names that upload, so asking again,
/// without the signal, gets its id (or opens one, never sent before), and
/// it is aborted at once.
async fn abort_cut_off_create(job: Job<'_>, request: &CreateMultipartRequest) {
    let Ok(created) = job.signer.create_multipart(request, None).await else {
        return;
    };
    if let Err(e) = job.signer.abort_multipart(&created.upload_id).await {
        web_sys::console::warn_1(
            &format!("presigned-upload: could not abort the multipart upload: {e}").into(),
        );
    }
}

/// Steps 2 to 4 under a signal of their own, which a failure fires so that
/// every PUT in flight stops.
async fn send_and_complete(
    job: Job<'_>,
    resume: Option<&Resume>,
    created: &CreateMultipartResponse,
) -> Result<MultipartResult, UploadError> {
    let linked = LinkedAbort::new(Some(&job.control.signal()))?;
    let outcome = run(job, resume, created, linked.signal()).await;
    if outcome.is_err() {
        linked.abort();
    }
    outcome
}

/// After steps 2 to 4: the saved state forgotten unless the upload can
/// resume later; a failed upload that cannot is aborted in the store.
async fn end(
    job: Job<'_>,
    resume: Option<&Resume>,
    created: &CreateMultipartResponse,
    outcome: Result<MultipartResult, UploadError>,
) -> Result<MultipartResult, UploadError> {
    let error = match outcome {
        Ok(result) => {
            if let Some(resume) = resume {
                resume.forget().await;
            }
            return Ok(result);
        }
        Err(_) if job.control.signal().aborted() => UploadError::aborted(),
        Err(error) => error,
    };
    // A page being left cuts the upload off: whatever it failed with, the
    // next page may continue it.
    if resume.is_some() && (resumable(&error) || page_lifecycle::leaving()) {
        // Choosing the same file again continues this upload.
        return Err(error);
    }
    if let Some(resume) = resume {
        resume.forget().await;
    }
    // Best effort: the upload's failure is what the caller must see.
    let abort = || job.signer.abort_multipart(&created.upload_id);
    let aborted = job
        .retrying
        .call(Peer::Signer, "aborting the upload", None, abort);
    if let Err(e) = aborted.await {
        web_sys::console::warn_1(
            &format!("presigned-upload: could not abort the multipart upload: {e}").into(),
        );
    }
    Err(error)
}

/// Failures worth resuming after: the store, the signer or the network may
/// do better later. Anything else (an abort, a refusal, a checksum that does
/// not match) ends the upload for good.
fn resumable(error: &UploadError) -> bool {
    matches!(
        error.code(),
        ErrorCode::Network | ErrorCode::Server | ErrorCode::RateLimited | ErrorCode::Expired
    )
}

/// Steps 2 to 4 for an upload the signer created.
async fn run(
    job: Job<'_>,
    resume: Option<&Resume>,
    created: &CreateMultipartResponse,
    signal: AbortSignal,
) -> Result<MultipartResult, UploadError> {
    let Job {
        size,
        options,
        control,
        ..
    } = job;
    let progress = control.progress();
    let plan = PartPlan::exact(size, created.part_size)
        .ok()
        .filter(|p| p.part_count() == created.part_count)
        .ok_or_else(|| {
            UploadError::new(
                ErrorCode::Server,
                format!(
                    "the signer's plan ({} parts of {} bytes) does not fit a {size}-byte file",
                    created.part_count, created.part_size
                ),
            )
        })?;
    let sent = scheduler::send_parts(job, resume, &created.upload_id, plan, signal.clone()).await?;
    abort::ensure_live(Some(&signal))?;
    control.wait_while_paused().await?;
    control.step(UploadState::Completing);
    progress.announce(Phase::Verifying);
    let result = completion::complete(job, &created.upload_id, sent, &signal).await?;
    progress.announce(Phase::Done);
    Ok(MultipartResult {
        // Also computed when the store's answer needed it; shown if asked for.
        sha256: options.whole_file_sha256.then_some(result.sha256).flatten(),
        ..result
    })
}
