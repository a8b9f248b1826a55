//! The client's one attempt loop, for every request it sends: a signer
//! call, a part's PUT, a file's PUT or POST. The core's
//! [`RetryPolicy`](presign_core::upload::retry_policy::RetryPolicy) decides after
//! each failure; this loop carries the decision out:
//!
//! - a transient failure (the network, a 5xx) is sent again after a backoff,
//!   up to `maxAttempts`;
//! - backpressure (a 429, S3's `SlowDown`, a 503 with `Retry-After`) waits
//!   as long as the answer's `Retry-After` asks (capped), else the backoff,
//!   without using up attempts, the upload showing `queued` with the reason
//!   in its progress reports, until `maxWaitMs` of waiting is spent (then
//!   `rate_limited`);
//!   a create refused by the signer's cap of open multipart uploads also
//!   stops waiting as soon as one of this uploader's multipart uploads ends;
//! - what the loop cannot do itself (a fresh URL for an expired one, reading
//!   the bytes again after a checksum refusal, going on after a pause
//!   stopped the attempt) is the request's [`Attempt::recover`].

use crate::error::UploadError;
use crate::upload::control::UploadControl;
use crate::upload::progress::Waiting;
use crate::web::abort;
use crate::web::clock::now_ms;
use crate::web::{random, timer};
use futures::future::{select, Either};
use presign_core::upload::retry_policy::{
    Attempts, Failure, RetryDecision, RetryPolicy, SplitMix64,
};
use presign_core::upload::state::WaitReason;
use presign_core::upload::wait_clock::WaitClock;
use presign_core::ErrorCode;
use std::cell::RefCell;
use std::fmt;
use std::pin::pin;
use std::rc::Rc;
use web_sys::AbortSignal;

/// Whom a request goes to, which names the reason of a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Signer,
    /// The signer, creating a multipart upload (its 429 is the cap on open
    /// uploads).
    Create,
    Store,
}

impl Peer {
    fn wait_reason(self, error: &UploadError) -> WaitReason {
        match (self, error.status()) {
            (Peer::Create, Some(429)) => WaitReason::OpenUploads,
            (Peer::Signer, Some(429)) => WaitReason::RateLimited,
            _ => WaitReason::Busy,
        }
    }
}

/// How one upload's requests are retried: its policy, its jitter, and its
/// waits (shown on the upload, bounded in total). Shared by every request of
/// the upload; requests outside one ([`Retrying::standalone`]) keep their
/// own wait clock.
pub struct Retrying {
    policy: RetryPolicy,
    rng: RefCell<SplitMix64>,
    upload: Option<Rc<UploadControl>>,
    clock: RefCell<WaitClock>,
}

impl fmt::Debug for Retrying {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retrying")
            .field("policy", &self.policy)
            .field("upload", &self.upload)
            .finish_non_exhaustive()
    }
}

impl Retrying {
    /// The requests of the upload `control` runs.
    pub fn for_upload(policy: RetryPolicy, control: &Rc<UploadControl>) -> Self {
        Self {
            upload: Some(Rc::clone(control)),
            ..Self::standalone(policy)
        }
    }

    /// Requests of no upload (a download link, an abort).
    pub fn standalone(policy: RetryPolicy) -> Self {
        Self {
            policy,
            rng: RefCell::new(random::seeded_rng()),
            upload: None,
            clock: RefCell::new(WaitClock::default()),
        }
    }

    /// `send` (one signer call) in the attempt loop: retried on transient
    /// failures, waiting on backpressure; `what` names it in a final error.
    pub async fn call<T, F, Fut>(
        &self,
        peer: Peer,
        what: &'static str,
        signal: Option<&AbortSignal>,
        send: F,
    ) -> Result<T, UploadError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, UploadError>>,
    {
        let mut call = Call::new(peer, what, send);
        let mut attempts = Attempts::without_rehash();
        run(self, &mut attempts, &mut call, signal)
            .await
            .map_err(Stop::into_error)
    }

    fn waited_ms(&self) -> u64 {
        match &self.upload {
            Some(upload) => upload.waited_ms(),
            None => self.clock.borrow().waited_ms(now_ms()),
        }
    }

    /// Waits `delay_ms` on backpressure, shown on the upload; a create
    /// refused by the cap of open uploads is woken early when one of this
    /// uploader's multipart uploads ends.
    async fn wait(
        &self,
        delay_ms: u64,
        reason: WaitReason,
        error: &UploadError,
        signal: Option<&AbortSignal>,
    ) -> Result<(), UploadError> {
        let ended = match (&self.upload, reason) {
            (Some(upload), WaitReason::OpenUploads) => {
                Some(upload.queue().multipart_ended.notified())
            }
            _ => None,
        };
        match &self.upload {
            Some(upload) => upload.begin_wait(Waiting {
                reason,
                retry_in_ms: delay_ms,
                message: error.message().to_owned(),
            }),
            None => self.clock.borrow_mut().begin(now_ms()),
        }
        let slept = timer::sleep(delay_ms, signal);
        let outcome = match ended {
            None => slept.await,
            Some(ended) => match select(pin!(slept), ended).await {
                Either::Left((slept, _)) => slept,
                Either::Right(_) => abort::ensure_live(signal),
            },
        };
        match &self.upload {
            Some(upload) => upload.end_wait(),
            None => self.clock.borrow_mut().end(now_ms()),
        }
        outcome
    }
}

/// Why the loop stopped without an answer, for the request to recover from
/// (or, when it cannot, for its caller).
#[derive(Debug)]
pub enum Stop {
    /// Give up the request with this error.
    Failed(UploadError),
    /// The URL expired (or is too old to start with): a fresh one is needed.
    Expired,
    /// The store computed another checksum: read and hash the bytes again.
    ChecksumRefused,
    /// A pause (with `abortInFlightOnPause`) stopped the attempt.
    Paused,
}

impl From<UploadError> for Stop {
    fn from(error: UploadError) -> Self {
        Stop::Failed(error)
    }
}

impl Stop {
    /// The error of a stop nobody recovered from.
    pub fn into_error(self) -> UploadError {
        match self {
            Stop::Failed(error) => error,
            Stop::Expired => UploadError::new(ErrorCode::Expired, "the presigned URL expired"),
            Stop::ChecksumRefused => UploadError::new(
                ErrorCode::ChecksumMismatch,
                "the store refused the bytes' checksum",
            ),
            Stop::Paused => UploadError::aborted(),
        }
    }
}

/// One kind of request, as the loop drives it.
pub(crate) trait Attempt {
    type Output;
    /// Whom it goes to.
    fn peer(&self) -> Peer;
    /// What it is, for the final error's message (`"part 3"`).
    fn what(&self) -> String;
    /// Gets ready to send (a turn to send, the end of a pause); a stop here
    /// is recovered from like one after an attempt.
    async fn ready(&mut self) -> Result<(), Stop> {
        Ok(())
    }
    /// Sends it once. A pause that stops it is an `aborted` error while the
    /// loop's signal has not fired.
    async fn send(&mut self) -> Result<Self::Output, UploadError>;
    /// Whether what `send` would use is still fresh (a presigned URL past
    /// its use-by time is not: it is renewed first, without an attempt).
    fn fresh(&self) -> bool {
        true
    }
    /// Deals with what the loop cannot; `Ok` sends again.
    async fn recover(&mut self, stop: Stop, _attempts: &mut Attempts) -> Result<(), Stop> {
        Err(stop)
    }
}

/// Sends `attempt` until it succeeds or the policy gives up; `signal` is the
/// one that aborts the whole request (an attempt's own may fire on pause).
pub(crate) async fn run<A: Attempt>(
    retrying: &Retrying,
    attempts: &mut Attempts,
    attempt: &mut A,
    signal: Option<&AbortSignal>,
) -> Result<A::Output, Stop> {
    loop {
        abort::ensure_live(signal)?;
        if let Err(stop) = attempt.ready().await {
            attempt.recover(stop, attempts).await?;
            continue;
        }
        if !attempt.fresh() {
            attempt.recover(Stop::Expired, attempts).await?;
            continue;
        }
        attempts.sending();
        let error = match attempt.send().await {
            Ok(output) => return Ok(output),
            Err(error) => error,
        };
        if error.code() == ErrorCode::Aborted {
            abort::ensure_live(signal)?;
            attempts.stopped();
            attempt.recover(Stop::Paused, attempts).await?;
            continue;
        }
        let failure = Failure {
            code: error.code(),
            status: error.status(),
            retry_after_ms: error.retry_after_ms(),
        };
        let waited_ms = retrying.waited_ms();
        let decision = {
            let mut rng = retrying.rng.borrow_mut();
            attempts.decide(&retrying.policy, failure, waited_ms, &mut rng)
        };
        match decision {
            RetryDecision::Backoff { delay_ms } => timer::sleep(delay_ms, signal).await?,
            RetryDecision::Wait { delay_ms } => {
                let reason = attempt.peer().wait_reason(&error);
                retrying.wait(delay_ms, reason, &error, signal).await?;
            }
            RetryDecision::Represign => attempt.recover(Stop::Expired, attempts).await?,
            RetryDecision::Rehash => attempt.recover(Stop::ChecksumRefused, attempts).await?,
            // A refusal at the first attempt keeps its own message (the
            // signer's policy saying why, say).
            RetryDecision::Fail if attempts.count() <= 1 => return Err(Stop::Failed(error)),
            RetryDecision::Fail => {
                let message = format!(
                    "{} failed after {} attempts: {}",
                    attempt.what(),
                    attempts.count(),
                    error.message()
                );
                return Err(Stop::Failed(same_kind(&error, message)));
            }
            RetryDecision::WaitedTooLong => {
                let message = format!(
                    "{} was still refused after waiting {} s in all (maxWaitMs): {}",
                    attempt.what(),
                    waited_ms / 1000,
                    error.message()
                );
                let failed = UploadError::new(ErrorCode::RateLimited, message);
                return Err(Stop::Failed(match error.status() {
                    Some(status) => failed.with_status(status),
                    None => failed,
                }));
            }
        }
    }
}

/// `error`'s code and status with another message.
fn same_kind(error: &UploadError, message: String) -> UploadError {
    let failed = UploadError::new(error.code(), message);
    match error.status() {
        Some(status) => failed.with_status(status),
        None => failed,
    }
}

/// A request that needs no recovery: one signer call.
struct Call<F> {
    peer: Peer,
    what: &'static str,
    send: F,
}

impl<F> Call<F> {
    fn new(peer: Peer, what: &'static str, send: F) -> Self {
        Self { peer, what, send }
    }
}

impl<F, Fut, T> Attempt for Call<F>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, UploadError>>,
{
    type Output = T;

    fn peer(&self) -> Peer {
        self.peer
    }

    fn what(&self) -> String {
        self.what.to_owned()
    }

    async fn send(&mut self) -> Result<T, UploadError> {
        (self.send)().await
    }
}
