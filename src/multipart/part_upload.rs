//! One part's PUTs: send the part's `Blob` slice to its presigned URL, retry
//! transient failures with backoff, and hand back to the scheduler what only
//! it can do (a fresh URL, a re-hash). Runs as its own task, so parts progress
//! while the scheduler reads and hashes the next ones.

use crate::abort::LinkedAbort;
use crate::progress_reporter::now_ms;
use crate::put_headers;
use crate::retry;
use crate::upload_control::UploadControl;
use crate::upload_error::UploadError;
use crate::xhr_put;
use presign_core::retry_policy::{Failure, RetryDecision, RetryPolicy, SplitMix64};
use presign_core::{ErrorCode, Sha256Digest};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::{AbortSignal, Blob};

/// A hashed part and what is known about its attempts so far.
#[derive(Debug, Clone)]
pub struct Part {
    /// 1-based part number.
    pub number: u32,
    /// Byte range `[start, end)` in the file.
    pub start: u64,
    pub end: u64,
    /// `None` for an upload with `checksum: false`.
    pub sha256: Option<Sha256Digest>,
    /// PUTs sent so far, over every URL this part had.
    pub attempts: u32,
    /// Whether a checksum rejection already made us read it again.
    pub rehashed: bool,
}

impl Part {
    pub fn size(&self) -> u64 {
        self.end - self.start
    }
}

/// A part with its presigned URL.
#[derive(Debug, Clone)]
pub struct SignedPart {
    pub part: Part,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// `performance.now()` after which the URL is too old to start a PUT with.
    pub use_before_ms: f64,
}

/// How a part's task ended.
#[derive(Debug)]
pub enum PartOutcome {
    /// The store has the part.
    Stored { number: u32, etag: String },
    /// The URL expired: sign the part again, then resume.
    NeedsUrl(Part),
    /// The store computed another checksum: read and hash it again.
    NeedsRehash(Part),
    /// A pause stopped the PUT: send it again after `resume()`.
    Paused(SignedPart),
    /// Give up the upload.
    Failed(UploadError),
}

/// Shared by every part's task of one upload.
#[derive(Debug, Clone)]
pub struct PartContext {
    pub file: Blob,
    pub signal: AbortSignal,
    pub policy: RetryPolicy,
    pub rng: Rc<RefCell<SplitMix64>>,
    /// See [`crate::options::UploadOptions::stall_timeout_ms`].
    pub stall_timeout_ms: Option<u32>,
    /// Pause and resume.
    pub control: Rc<UploadControl>,
}

/// Sends `signed` until it is stored or needs the scheduler; `on_sent` gets
/// the bytes sent by the current attempt.
pub async fn run(
    ctx: PartContext,
    signed: SignedPart,
    on_sent: impl Fn(u32, u64) + Clone + 'static,
) -> PartOutcome {
    let SignedPart {
        mut part,
        url,
        headers,
        use_before_ms,
    } = signed;
    let signed_headers = headers;
    let headers = put_headers::for_put(Some(&signed_headers));
    let slice = match ctx
        .file
        .slice_with_f64_and_f64(part.start as f64, part.end as f64)
    {
        Ok(slice) => slice,
        Err(_) => {
            return PartOutcome::Failed(UploadError::bad_request(
                "the file could not be sliced into parts",
            ))
        }
    };
    loop {
        part.attempts += 1;
        let number = part.number;
        let report = on_sent.clone();
        // Aborted by the upload's signal, or by a pause (abortInFlightOnPause).
        let attempt = match LinkedAbort::either(Some(&ctx.signal), &ctx.control.pause_signal()) {
            Ok(attempt) => attempt,
            Err(e) => return PartOutcome::Failed(e),
        };
        let sent = xhr_put::send(
            &url,
            "PUT",
            &headers,
            xhr_put::Body::Blob(&slice),
            Some(&attempt.signal()),
            ctx.stall_timeout_ms,
            move |bytes| report(number, bytes),
        )
        .await;
        let error = match sent {
            Ok(outcome) => {
                return match outcome.etag {
                    Some(etag) => PartOutcome::Stored { number, etag },
                    None => PartOutcome::Failed(UploadError::new(
                        ErrorCode::Server,
                        "the store did not expose the part's ETag header (its CORS rules need ExposeHeaders: [\"ETag\"])",
                    )),
                };
            }
            Err(e) => e,
        };
        if error.code() == ErrorCode::Aborted {
            if ctx.signal.aborted() {
                return PartOutcome::Failed(error);
            }
            // Paused: this attempt does not count.
            part.attempts -= 1;
            return PartOutcome::Paused(SignedPart {
                part,
                url,
                headers: signed_headers,
                use_before_ms,
            });
        }
        let failure = Failure {
            code: error.code(),
            status: error.status(),
        };
        let decision = ctx.policy.decide(
            failure,
            part.attempts,
            part.rehashed,
            &mut ctx.rng.borrow_mut(),
        );
        match decision {
            RetryDecision::Backoff { delay_ms } => {
                if let Err(aborted) = retry::sleep(delay_ms, Some(&ctx.signal)).await {
                    return PartOutcome::Failed(aborted);
                }
                // Never retry with a URL past its use-by time: a store may
                // answer an expired URL by closing the connection (a network
                // error, not a 403), so ask for a fresh one instead.
                if now_ms() > use_before_ms {
                    return PartOutcome::NeedsUrl(part);
                }
            }
            RetryDecision::Represign => return PartOutcome::NeedsUrl(part),
            RetryDecision::Rehash => return PartOutcome::NeedsRehash(part),
            RetryDecision::Fail => {
                let message = format!(
                    "part {number} failed after {} attempt(s): {}",
                    part.attempts,
                    error.message()
                );
                let failed = UploadError::new(error.code(), message);
                return PartOutcome::Failed(match error.status() {
                    Some(status) => failed.with_status(status),
                    None => failed,
                });
            }
        }
    }
}
