//! Steps 2 and 3 of a multipart upload: hash parts (unless `checksum:
//! false`) a few ahead of the uploads — several at once when there are hash workers, started in file
//! order (the whole-file stream needs that) and taken in in part order;
//! presign them in batches; keep up to `concurrency` part tasks running; take
//! in their outcomes (stored, needs a fresh URL, needs a re-hash, failed).

use crate::error::UploadError;
use crate::hashing::{BlobRange, WholeFile};
use crate::upload::job::Job;
use crate::upload::multipart::part_upload::{self, Part, PartContext, PartOutcome, SignedPart};
use crate::upload::multipart::part_urls;
use crate::upload::multipart::resume::Resume;
use crate::web::clock::now_ms;
use futures::channel::mpsc;
use futures::StreamExt;
use presign_core::s3::part_plan::PartPlan;
use presign_core::upload::multipart_progress::MultipartProgress;
use presign_core::upload::part_pipeline::Pipeline;
use presign_core::upload::progress::Phase;
use presign_core::upload::retry_policy::Attempts;
use presign_core::{ErrorCode, Sha256Digest};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use web_sys::AbortSignal;

/// Every part stored: what Complete needs.
#[derive(Debug, Clone)]
pub struct SentParts {
    /// Part digests, in part order; empty with `checksum: false`.
    pub digests: Vec<Sha256Digest>,
    /// Part ETags, in part order.
    pub etags: Vec<String>,
    /// SHA-256 of the whole file, when it was asked for (`wholeFileSha256`).
    pub whole: Option<Sha256Digest>,
    pub part_size: u64,
}

/// What the scheduler waits for: a part task's outcome, or a part's digest.
enum Event {
    Part(PartOutcome),
    Hashed {
        number: u32,
        digest: Result<Sha256Digest, UploadError>,
    },
}

/// The scheduler's state over one upload.
struct Scheduler<'a> {
    job: Job<'a>,
    upload_id: &'a str,
    signal: AbortSignal,
    plan: PartPlan,
    concurrency: usize,
    /// Whether parts are hashed (`checksum`); if not, they go unhashed.
    checksums: bool,
    /// Next part to start hashing (1-based).
    next_to_hash: u32,
    /// Part digests being computed, and the most at once.
    hashing: usize,
    hash_limit: usize,
    /// Parts hashed out of order, waiting for the parts before them.
    early: usize,
    /// Next part to take in once hashed.
    next_to_take: u32,
    /// Hashed, waiting for a URL (re-presigned parts go first).
    hashed: VecDeque<Part>,
    /// Signed, waiting for a free slot.
    signed: VecDeque<SignedPart>,
    in_flight: usize,
    digests: Vec<Option<Sha256Digest>>,
    etags: Vec<Option<String>>,
    stored: u32,
    /// The whole-file SHA-256 being fed, with `wholeFileSha256`.
    whole: Option<WholeFile>,
    /// The saved state, kept current as parts are stored.
    resume: Option<&'a Resume>,
    /// Bytes acknowledged per part.
    bytes: Rc<RefCell<MultipartProgress>>,
    /// What every part's task shares.
    ctx: PartContext,
    events: mpsc::UnboundedSender<Event>,
}

/// Sends every part of `plan`; returns once all are stored.
pub async fn send_parts(
    job: Job<'_>,
    resume: Option<&Resume>,
    upload_id: &str,
    plan: PartPlan,
    signal: AbortSignal,
) -> Result<SentParts, UploadError> {
    let (events, mut arrived) = mpsc::unbounded::<Event>();
    let mut s = Scheduler::new(job, resume, upload_id, plan, signal, events);
    s.run(&mut arrived).await?;
    drop(s.events);
    let whole = match s.whole.take() {
        Some(whole) => Some(whole.finish(&s.signal).await?),
        None => None,
    };
    let count = s.plan.part_count() as usize;
    let digests: Vec<Sha256Digest> = s.digests.iter().flatten().copied().collect();
    let etags: Vec<String> = s.etags.iter().flatten().cloned().collect();
    let want_digests = if s.checksums { count } else { 0 };
    if digests.len() != want_digests || etags.len() != count {
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

impl<'a> Scheduler<'a> {
    fn new(
        job: Job<'a>,
        resume: Option<&'a Resume>,
        upload_id: &'a str,
        plan: PartPlan,
        signal: AbortSignal,
        events: mpsc::UnboundedSender<Event>,
    ) -> Self {
        let Job {
            hasher,
            file,
            options,
            control,
            retrying,
            ..
        } = job;
        let count = plan.part_count();
        let sizes = (1..=count)
            .map(|n| plan.part_len(n).unwrap_or(0))
            .collect::<Vec<_>>();
        let progress = control.progress();
        progress.set_parts(0, count);
        progress.start(Phase::Uploading, plan.size());
        let whole = options.whole_file_sha256.then(|| hasher.whole_file(file));
        Self {
            job,
            upload_id,
            ctx: PartContext {
                file: file.clone(),
                signal: signal.clone(),
                retrying: Rc::clone(retrying),
                stall_timeout_ms: options.stall_timeout_ms,
                control: Rc::clone(control),
            },
            signal,
            plan,
            concurrency: options.concurrency as usize,
            checksums: options.checksum,
            next_to_hash: 1,
            hashing: 0,
            hash_limit: hasher.parallel_jobs(whole.as_ref()),
            early: 0,
            next_to_take: 1,
            hashed: VecDeque::new(),
            signed: VecDeque::new(),
            in_flight: 0,
            digests: vec![None; count as usize],
            etags: vec![None; count as usize],
            stored: 0,
            whole,
            resume,
            bytes: Rc::new(RefCell::new(MultipartProgress::new(sizes))),
            events,
        }
    }

    /// Until every part is stored: take in what arrived, start PUTs in free
    /// slots, sign parts, read ahead, wait for the next event.
    async fn run(
        &mut self,
        arrived: &mut mpsc::UnboundedReceiver<Event>,
    ) -> Result<(), UploadError> {
        let count = self.plan.part_count();
        while self.stored < count {
            // Outcomes that arrived while we were busy.
            while let Ok(event) = arrived.try_recv() {
                self.settle(event).await?;
            }
            if self.stored == count {
                break;
            }
            // Paused: nothing new starts; parts in flight finish (or come back
            // aborted, with abortInFlightOnPause) and are taken in, and so are
            // digests being computed.
            if self.job.control.is_paused() {
                if self.in_flight + self.hashing > 0 {
                    self.next_event(arrived).await?;
                } else {
                    self.job.control.wait_while_paused().await?;
                }
                continue;
            }
            self.start_puts();
            let pipeline = self.pipeline();
            if pipeline.sign_due() {
                self.sign(pipeline.sign_count()).await?;
                continue;
            }
            if self.read_ahead()? {
                // Parts ready at once (unhashed): sign and start them first.
                continue;
            }
            if self.in_flight + self.hashing == 0 {
                return Err(UploadError::new(
                    ErrorCode::Server,
                    "the multipart scheduler stalled (no part in flight, none to send)",
                ));
            }
            self.next_event(arrived).await?;
        }
        Ok(())
    }

    /// Where the parts are, for the core's decisions.
    fn pipeline(&self) -> Pipeline {
        Pipeline {
            hashed: self.hashed.len(),
            signed: self.signed.len(),
            unhashed: (self.plan.part_count() + 1 - self.next_to_take) as usize,
            in_flight: self.in_flight,
            hashing: self.hashing,
            early: self.early,
            concurrency: self.concurrency,
            hash_limit: self.hash_limit,
        }
    }

    async fn next_event(
        &mut self,
        arrived: &mut mpsc::UnboundedReceiver<Event>,
    ) -> Result<(), UploadError> {
        match arrived.next().await {
            Some(event) => self.settle(event).await,
            None => Err(UploadError::aborted()),
        }
    }

    /// Starts PUTs in free slots; a URL too old to start with is re-asked.
    fn start_puts(&mut self) {
        while self.in_flight < self.concurrency {
            let Some(job) = self.signed.pop_front() else {
                break;
            };
            if now_ms() > job.use_before_ms {
                self.hashed.push_front(job.part);
                continue;
            }
            self.in_flight += 1;
            let events = self.events.clone();
            let on_sent = {
                let bytes = Rc::clone(&self.bytes);
                let progress = Rc::clone(self.job.control.progress());
                move |number: u32, sent: u64| {
                    let loaded = bytes.borrow_mut().part_sent(number, sent);
                    progress.advance(loaded);
                }
            };
            let task = part_upload::run(self.ctx.clone(), job, on_sent);
            wasm_bindgen_futures::spawn_local(async move {
                let _ = events.unbounded_send(Event::Part(task.await));
            });
        }
    }

    /// Asks URLs for the first `take` hashed parts.
    async fn sign(&mut self, take: usize) -> Result<(), UploadError> {
        let batch: Vec<Part> = self.hashed.drain(..take).collect();
        let Job {
            signer, retrying, ..
        } = self.job;
        let signed = part_urls::sign(signer, retrying, self.upload_id, batch, &self.signal).await?;
        self.signed.extend(signed);
        Ok(())
    }

    /// Starts reading the next parts while few wait ahead of the PUTs;
    /// whether some were ready at once (not hashed).
    fn read_ahead(&mut self) -> Result<bool, UploadError> {
        let mut ready = false;
        while self.pipeline().read_ahead() {
            if self.checksums {
                self.start_hash()?;
            } else {
                self.take_unhashed()?;
                ready = true;
            }
        }
        Ok(ready)
    }

    /// Starts hashing the next part (its range also goes to the whole-file
    /// digest, in order); its digest arrives as an [`Event::Hashed`].
    fn start_hash(&mut self) -> Result<(), UploadError> {
        let number = self.next_to_hash;
        let (start, end) = self.range(number)?;
        let range = BlobRange::new(self.job.file, start, end);
        let job = self
            .job
            .hasher
            .part(range, self.whole.as_ref(), self.signal.clone());
        self.next_to_hash += 1;
        self.hashing += 1;
        let events = self.events.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let digest = job.await;
            let _ = events.unbounded_send(Event::Hashed { number, digest });
        });
        Ok(())
    }

    /// Without checksums: the next part is ready to sign as it is.
    fn take_unhashed(&mut self) -> Result<(), UploadError> {
        let number = self.next_to_hash;
        let (start, end) = self.range(number)?;
        self.next_to_hash += 1;
        self.next_to_take += 1;
        self.hashed.push_back(Part {
            number,
            start,
            end,
            sha256: None,
            // Nothing to read again and compare: a checksum refusal fails.
            attempts: Attempts::without_rehash(),
        });
        Ok(())
    }

    /// Part `number` is hashed: it, and the parts after it that were hashed
    /// first, are taken in, in part order.
    fn hashed(&mut self, number: u32, digest: Sha256Digest) -> Result<(), UploadError> {
        self.digests[number as usize - 1] = Some(digest);
        self.early += 1;
        while let Some(&Some(sha256)) = self.digests.get(self.next_to_take as usize - 1) {
            let number = self.next_to_take;
            self.next_to_take += 1;
            self.early -= 1;
            let (start, end) = self.range(number)?;
            let part = Part {
                number,
                start,
                end,
                sha256: Some(sha256),
                attempts: Attempts::new(),
            };
            // Resuming: a part the store already holds, the same bytes, is
            // not sent again.
            let resume = self.resume;
            match resume.and_then(|r| r.stored_copy(number, part.size(), &sha256)) {
                Some(copy) => self.part_done(number, copy.etag.clone()),
                None => self.hashed.push_back(part),
            }
        }
        Ok(())
    }

    fn range(&self, number: u32) -> Result<(u64, u64), UploadError> {
        self.plan
            .range(number)
            .map_err(|e| UploadError::new(ErrorCode::Server, e.to_string()))
    }

    /// Part `number` is in the store with `etag`: count it, once.
    fn part_done(&mut self, number: u32, etag: String) {
        self.etags[number as usize - 1] = Some(etag);
        self.stored += 1;
        let progress = self.job.control.progress();
        let (loaded, done, total) = {
            let mut b = self.bytes.borrow_mut();
            let loaded = b.part_done(number);
            (loaded, b.parts_done(), b.parts_total())
        };
        progress.set_parts(done, total);
        progress.advance(loaded);
    }

    /// Takes in one event: a digest, or a part task's outcome.
    async fn settle(&mut self, event: Event) -> Result<(), UploadError> {
        let outcome = match event {
            Event::Hashed { number, digest } => {
                self.hashing = self.hashing.saturating_sub(1);
                return self.hashed(number, digest?);
            }
            Event::Part(outcome) => outcome,
        };
        self.in_flight = self.in_flight.saturating_sub(1);
        match outcome {
            PartOutcome::Stored { number, etag } => {
                if let (Some(resume), Some(digest)) =
                    (self.resume, self.digests[number as usize - 1])
                {
                    resume.part_stored(number, digest).await;
                }
                self.part_done(number, etag);
            }
            PartOutcome::NeedsUrl(part) => self.hashed.push_front(part),
            PartOutcome::Paused(signed) => self.signed.push_front(signed),
            PartOutcome::NeedsRehash(mut part) => {
                let range = BlobRange::new(self.job.file, part.start, part.end);
                let again = self.job.hasher.digest(range, &self.signal, None).await?;
                if Some(again) != part.sha256 {
                    return Err(UploadError::new(
                        ErrorCode::ChecksumMismatch,
                        format!("part {} changed while it was being uploaded", part.number),
                    ));
                }
                part.attempts.rehashed();
                self.hashed.push_front(part);
            }
            PartOutcome::Failed(error) => return Err(error),
        }
        Ok(())
    }
}
