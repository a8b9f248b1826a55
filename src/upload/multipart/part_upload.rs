//! One part's PUTs: send the part's `Blob` slice to its presigned URL in the
//! attempt loop ([`crate::upload::attempt`]: backoff, waits on backpressure), each
//! attempt in one of the uploader's request slots, and hand back to the
//! scheduler what only it can do (a fresh URL, a re-hash, holding the part
//! through a pause). Runs as its own task, so parts progress while the
//! scheduler reads and hashes the next ones.

use crate::error::UploadError;
use crate::transport::store::put_headers;
use crate::transport::store::xhr;
use crate::upload::attempt::{self, Attempt, Peer, Retrying, Stop};
use crate::upload::control::UploadControl;
use crate::upload::queue::Slot;
use crate::web::abort::LinkedAbort;
use crate::web::clock::now_ms;
use presign_core::upload::retry_policy::Attempts;
use presign_core::{ErrorCode, Sha256Digest};
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
    pub attempts: Attempts,
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
    pub retrying: Rc<Retrying>,
    /// See [`crate::upload::options::UploadOptions::stall_timeout_ms`].
    pub stall_timeout_ms: Option<u32>,
    /// Pause and resume, and the request slots.
    pub control: Rc<UploadControl>,
}

/// Sends `signed` until it is stored or needs the scheduler; `on_sent` gets
/// the bytes sent by the current attempt.
pub async fn run(
    ctx: PartContext,
    signed: SignedPart,
    on_sent: impl Fn(u32, u64) + Clone + 'static,
) -> PartOutcome {
    let slice = match ctx
        .file
        .slice_with_f64_and_f64(signed.part.start as f64, signed.part.end as f64)
    {
        Ok(slice) => slice,
        Err(_) => {
            return PartOutcome::Failed(UploadError::bad_request(
                "the file could not be sliced into parts",
            ))
        }
    };
    let mut attempts = signed.part.attempts;
    let mut put = PartPut {
        headers: put_headers::for_put(Some(&signed.headers)),
        signed,
        slice,
        ctx: ctx.clone(),
        on_sent,
        slot: None,
    };
    let sent = attempt::run(&ctx.retrying, &mut attempts, &mut put, Some(&ctx.signal)).await;
    let PartPut { mut signed, .. } = put;
    signed.part.attempts = attempts;
    let number = signed.part.number;
    match sent {
        Ok(outcome) => match outcome.etag {
            Some(etag) => PartOutcome::Stored { number, etag },
            None => PartOutcome::Failed(UploadError::new(
                ErrorCode::Server,
                "the store did not expose the part's ETag header (its CORS rules need ExposeHeaders: [\"ETag\"])",
            )),
        },
        Err(Stop::Expired) => PartOutcome::NeedsUrl(signed.part),
        Err(Stop::ChecksumRefused) => PartOutcome::NeedsRehash(signed.part),
        Err(Stop::Paused) => PartOutcome::Paused(signed),
        Err(Stop::Failed(error)) => PartOutcome::Failed(error),
    }
}

/// One part's PUT as the attempt loop sends it.
struct PartPut<F> {
    signed: SignedPart,
    headers: Vec<(String, String)>,
    slice: Blob,
    ctx: PartContext,
    on_sent: F,
    slot: Option<Slot>,
}

impl<F: Fn(u32, u64) + Clone + 'static> Attempt for PartPut<F> {
    type Output = xhr::PutOutcome;

    fn peer(&self) -> Peer {
        Peer::Store
    }

    fn what(&self) -> String {
        format!("part {}", self.signed.part.number)
    }

    async fn ready(&mut self) -> Result<(), Stop> {
        if self.slot.is_none() {
            let control = &self.ctx.control;
            self.slot = Some(control.request_slot(Some(&self.ctx.signal)).await?);
        }
        // Paused while waiting for the slot: nothing new starts.
        if self.ctx.control.is_paused() {
            self.slot = None;
            return Err(Stop::Paused);
        }
        Ok(())
    }

    fn fresh(&self) -> bool {
        // Never a URL past its use-by time: a store may answer an expired
        // URL by closing the connection (a network error, not a 403).
        now_ms() <= self.signed.use_before_ms
    }

    async fn send(&mut self) -> Result<xhr::PutOutcome, UploadError> {
        let _slot = self.slot.take();
        let number = self.signed.part.number;
        let report = self.on_sent.clone();
        // Aborted by the upload's signal, or by a pause (abortInFlightOnPause).
        let attempt =
            LinkedAbort::either(Some(&self.ctx.signal), &self.ctx.control.pause_signal())?;
        xhr::send(
            &self.signed.url,
            "PUT",
            &self.headers,
            xhr::Body::Blob(&self.slice),
            Some(&attempt.signal()),
            self.ctx.stall_timeout_ms,
            move |bytes| report(number, bytes),
        )
        .await
    }
}
