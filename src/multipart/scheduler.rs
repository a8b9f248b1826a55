//! Steps 2 and 3 of a multipart upload: read and hash parts in order, a few
//! ahead of the uploads; presign them in batches; keep up to `concurrency`
//! part tasks running; take in their outcomes (stored, needs a fresh URL,
//! needs a re-hash, failed).

use crate::multipart::part_hash::hash_range;
use crate::multipart::part_upload::{self, Part, PartContext, PartOutcome, SignedPart};
use crate::multipart::part_urls;
use crate::multipart::resume::Resume;
use crate::multipart::Job;
use crate::progress_reporter::{now_ms, ProgressReporter};
use crate::retry;
use crate::signer_client::SignerClient;
use crate::upload_error::UploadError;
use futures::channel::mpsc;
use futures::StreamExt;
use presign_core::multipart_progress::MultipartProgress;
use presign_core::part_plan::PartPlan;
use presign_core::progress::Phase;
use presign_core::{ErrorCode, Sha256Digest, Sha256Hasher};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use web_sys::{AbortSignal, Blob};

/// Every part stored: what Complete needs.
#[derive(Debug, Clone)]
pub struct SentParts {
    /// Part digests, in part order.
    pub digests: Vec<Sha256Digest>,
    /// Part ETags, in part order.
    pub etags: Vec<String>,
    /// SHA-256 of the whole file.
    pub whole: Sha256Digest,
    pub part_size: u64,
}

/// The scheduler's state over one upload.
struct Scheduler<'a> {
    signer: &'a Rc<SignerClient>,
    upload_id: &'a str,
    file: &'a Blob,
    signal: AbortSignal,
    plan: PartPlan,
    concurrency: usize,
    /// Next part to read and hash (1-based).
    next_to_hash: u32,
    /// Hashed, waiting for a URL (re-presigned parts go first).
    hashed: VecDeque<Part>,
    /// Signed, waiting for a free slot.
    signed: VecDeque<SignedPart>,
    in_flight: usize,
    digests: Vec<Option<Sha256Digest>>,
    etags: Vec<Option<String>>,
    stored: u32,
    whole: Option<Sha256Hasher>,
    whole_digest: Option<Sha256Digest>,
    /// The saved state, kept current as parts are stored.
    resume: Option<&'a Resume>,
}

/// Sends every part of `plan`; returns once all are stored.
pub async fn send_parts(
    job: Job<'_>,
    upload_id: &str,
    plan: PartPlan,
    signal: AbortSignal,
) -> Result<SentParts, UploadError> {
    let Job {
        signer,
        file,
        options,
        progress,
        control,
        resume,
    } = job;
    let size = plan.size();
    let count = plan.part_count();
    let sizes = (1..=count)
        .map(|n| plan.part_len(n).unwrap_or(0))
        .collect::<Vec<_>>();
    let bytes = Rc::new(RefCell::new(MultipartProgress::new(sizes)));
    progress.set_parts(0, count);
    progress.start(Phase::Uploading, size);

    let ctx = PartContext {
        file: file.clone(),
        signal: signal.clone(),
        policy: options.retry_policy(),
        rng: Rc::new(RefCell::new(retry::seeded_rng())),
        stall_timeout_ms: options.stall_timeout_ms,
        control: Rc::clone(control),
    };
    let on_sent = {
        let bytes = Rc::clone(&bytes);
        let progress = Rc::clone(progress);
        move |number: u32, sent: u64| {
            let loaded = bytes.borrow_mut().part_sent(number, sent);
            progress.advance(loaded);
        }
    };
    let (done_tx, mut done_rx) = mpsc::unbounded::<PartOutcome>();
    let mut s = Scheduler {
        signer,
        upload_id,
        file,
        signal,
        plan,
        concurrency: options.concurrency as usize,
        next_to_hash: 1,
        hashed: VecDeque::new(),
        signed: VecDeque::new(),
        in_flight: 0,
        digests: vec![None; count as usize],
        etags: vec![None; count as usize],
        stored: 0,
        whole: Some(Sha256Hasher::new()),
        whole_digest: None,
        resume,
    };

    while s.stored < count {
        // Outcomes that arrived while we were busy.
        while let Ok(outcome) = done_rx.try_recv() {
            s.settle(outcome, &bytes, progress).await?;
        }
        if s.stored == count {
            break;
        }
        // Paused: nothing new starts; parts in flight finish (or come back
        // aborted, with abortInFlightOnPause) and are taken in.
        if control.is_paused() {
            if s.in_flight > 0 {
                match done_rx.next().await {
                    Some(outcome) => s.settle(outcome, &bytes, progress).await?,
                    None => return Err(UploadError::aborted()),
                }
            } else {
                control.wait_while_paused().await?;
            }
            continue;
        }
        // Start PUTs in free slots; a URL too old to start with is re-asked.
        while s.in_flight < s.concurrency {
            let Some(job) = s.signed.pop_front() else {
                break;
            };
            if now_ms() > job.use_before_ms {
                s.hashed.push_front(job.part);
                continue;
            }
            s.in_flight += 1;
            let tx = done_tx.clone();
            let task = part_upload::run(ctx.clone(), job, on_sent.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = tx.unbounded_send(task.await);
            });
        }
        let unhashed = (count + 1 - s.next_to_hash) as usize;
        if part_urls::batch_due(
            s.hashed.len(),
            s.signed.len(),
            unhashed,
            s.in_flight,
            s.concurrency,
        ) {
            let take = s.hashed.len().min(part_urls::MAX_BATCH);
            let batch: Vec<Part> = s.hashed.drain(..take).collect();
            let signed = part_urls::sign(s.signer, s.upload_id, batch, &s.signal).await?;
            s.signed.extend(signed);
            continue;
        }
        // Read ahead while few parts wait: bounded, so URLs stay fresh.
        if unhashed > 0 && s.hashed.len() + s.signed.len() < 2 * s.concurrency {
            let part = s.hash_next().await?;
            // Resuming: a part the store already holds, the same bytes, is
            // not sent again.
            let stored = resume.and_then(|r| r.stored_copy(part.number, part.size(), &part.sha256));
            match stored {
                Some(copy) => s.part_done(part.number, copy.etag.clone(), &bytes, progress),
                None => s.hashed.push_back(part),
            }
            continue;
        }
        if s.in_flight == 0 {
            return Err(UploadError::new(
                ErrorCode::Server,
                "the multipart scheduler stalled (no part in flight, none to send)",
            ));
        }
        match done_rx.next().await {
            Some(outcome) => s.settle(outcome, &bytes, progress).await?,
            None => return Err(UploadError::aborted()),
        }
    }
    drop(done_tx);

    let digests: Vec<Sha256Digest> = s.digests.iter().flatten().copied().collect();
    let etags: Vec<String> = s.etags.iter().flatten().cloned().collect();
    let whole = s
        .whole_digest
        .ok_or_else(|| UploadError::new(ErrorCode::Server, "the file was not hashed whole"))?;
    if digests.len() != count as usize || etags.len() != count as usize {
        return Err(UploadError::new(
            ErrorCode::Server,
            "some parts have no ETag or checksum",
        ));
    }
    Ok(SentParts {
        digests,
        etags,
        whole,
        part_size: s.plan.part_size(),
    })
}

impl Scheduler<'_> {
    /// Reads and hashes the next part; feeds the whole-file digest.
    async fn hash_next(&mut self) -> Result<Part, UploadError> {
        let number = self.next_to_hash;
        let (start, end) = self.range(number)?;
        let mut whole = self.whole.take();
        let sha256 = hash_range(self.file, start, end, &self.signal, whole.as_mut()).await?;
        self.next_to_hash += 1;
        if self.next_to_hash > self.plan.part_count() {
            self.whole_digest = whole.map(Sha256Hasher::finish);
        } else {
            self.whole = whole;
        }
        self.digests[number as usize - 1] = Some(sha256);
        Ok(Part {
            number,
            start,
            end,
            sha256,
            attempts: 0,
            rehashed: false,
        })
    }

    fn range(&self, number: u32) -> Result<(u64, u64), UploadError> {
        self.plan
            .range(number)
            .map_err(|e| UploadError::new(ErrorCode::Server, e.to_string()))
    }

    /// Part `number` is in the store with `etag`: count it, once.
    fn part_done(
        &mut self,
        number: u32,
        etag: String,
        bytes: &RefCell<MultipartProgress>,
        progress: &ProgressReporter,
    ) {
        self.etags[number as usize - 1] = Some(etag);
        self.stored += 1;
        let (loaded, done, total) = {
            let mut b = bytes.borrow_mut();
            let loaded = b.part_done(number);
            (loaded, b.parts_done(), b.parts_total())
        };
        progress.set_parts(done, total);
        progress.advance(loaded);
    }

    /// Takes in one part task's outcome.
    async fn settle(
        &mut self,
        outcome: PartOutcome,
        bytes: &RefCell<MultipartProgress>,
        progress: &ProgressReporter,
    ) -> Result<(), UploadError> {
        self.in_flight = self.in_flight.saturating_sub(1);
        match outcome {
            PartOutcome::Stored { number, etag } => {
                if let (Some(resume), Some(digest)) =
                    (self.resume, self.digests[number as usize - 1])
                {
                    resume.part_stored(number, digest).await;
                }
                self.part_done(number, etag, bytes, progress);
            }
            PartOutcome::NeedsUrl(part) => self.hashed.push_front(part),
            PartOutcome::Paused(signed) => self.signed.push_front(signed),
            PartOutcome::NeedsRehash(mut part) => {
                let again = hash_range(self.file, part.start, part.end, &self.signal, None).await?;
                if again != part.sha256 {
                    return Err(UploadError::new(
                        ErrorCode::ChecksumMismatch,
                        format!("part {} changed while it was being uploaded", part.number),
                    ));
                }
                part.rehashed = true;
                self.hashed.push_front(part);
            }
            PartOutcome::Failed(error) => return Err(error),
        }
        Ok(())
    }
}
