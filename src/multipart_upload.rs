//! One file as an S3 multipart upload, orchestrated:
//!
//! 1. `POST /api/multipart` fixes the part size; the plan comes from the core.
//! 2. Parts are read (`Blob.slice`, chunk by chunk) and hashed in order, one
//!    at a time, while earlier parts upload; the same pass feeds the
//!    whole-file SHA-256. Only a few parts are hashed ahead of the uploads.
//! 3. Hashed parts are presigned in batches ([`crate::part_urls`]), then sent
//!    by up to `concurrency` tasks ([`crate::part_upload`]).
//! 4. Complete with every ETag and SHA-256, then check the store's checksum
//!    (composite or full-object) against ours.
//!
//! Any failure or abort after step 1 aborts every PUT in flight and asks the
//! signer to abort the upload (awaited), so no multipart upload stays open.

use crate::abort::{self, LinkedAbort};
use crate::blob_reader::{blob_size, BlobReader, CHUNK_SIZE};
use crate::options::UploadOptions;
use crate::part_upload::{self, Part, PartContext, PartOutcome, SignedPart};
use crate::part_urls;
use crate::progress_reporter::{now_ms, ProgressReporter};
use crate::retry;
use crate::signer_client::SignerClient;
use crate::single_put::{content_type, filename};
use crate::upload_error::UploadError;
use futures::channel::mpsc;
use futures::StreamExt;
use presign_core::composite_checksum::{composite, StoreChecksum};
use presign_core::multipart_progress::MultipartProgress;
use presign_core::multipart_protocol::{
    CompleteMultipartRequest, CompletedPart, CreateMultipartRequest, CreateMultipartResponse,
};
use presign_core::part_plan::PartPlan;
use presign_core::progress::Phase;
use presign_core::retry_policy::RetryPolicy;
use presign_core::{ErrorCode, Sha256Digest, Sha256Hasher};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use web_sys::{AbortSignal, Blob};

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
    /// The composite checksum `base64(sha256(part digests))-N`.
    pub checksum_sha256: String,
    /// Number of parts.
    pub parts: u32,
    /// Bytes per part (the last may be smaller).
    pub part_size: u64,
}

/// Uploads `file` in parts through `signer`.
pub async fn upload(
    signer: &Rc<SignerClient>,
    file: &Blob,
    options: &UploadOptions,
) -> Result<MultipartResult, UploadError> {
    let signal = options.signal.as_ref();
    abort::ensure_live(signal)?;
    let size = blob_size(file);
    let wanted = PartPlan::new(size, options.part_size)
        .map_err(|e| UploadError::new(ErrorCode::TooLarge, e.to_string()))?;
    let progress = Rc::new(ProgressReporter::new(options.on_progress.clone()));
    progress.start(Phase::Signing, size);
    let created = signer
        .create_multipart(
            &CreateMultipartRequest {
                filename: filename(file),
                file_type: options.file_type.clone(),
                content_type: Some(content_type(file, options)),
                size,
                part_size: Some(wanted.part_size()),
            },
            signal,
        )
        .await?;
    progress.set_upload_id(&created.upload_id);

    // From here on the upload exists in the store: every way out that is not
    // success aborts it.
    let linked = LinkedAbort::new(signal);
    let outcome = match linked {
        Ok(ref linked) => run(signer, file, options, &created, &progress, linked.signal()).await,
        Err(ref e) => Err(e.clone()),
    };
    match outcome {
        Ok(result) => Ok(result),
        Err(error) => {
            if let Ok(linked) = &linked {
                linked.abort();
            }
            // Best effort: the upload's failure is what the caller must see.
            if let Err(e) = signer.abort_multipart(&created.upload_id).await {
                web_sys::console::warn_1(
                    &format!("presigned-upload: could not abort the multipart upload: {e}").into(),
                );
            }
            if abort::ensure_live(signal).is_err() {
                Err(UploadError::aborted())
            } else {
                Err(error)
            }
        }
    }
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
}

async fn run(
    signer: &Rc<SignerClient>,
    file: &Blob,
    options: &UploadOptions,
    created: &CreateMultipartResponse,
    progress: &Rc<ProgressReporter>,
    signal: AbortSignal,
) -> Result<MultipartResult, UploadError> {
    let size = blob_size(file);
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
        policy: RetryPolicy {
            max_attempts: options.max_attempts,
            ..RetryPolicy::default()
        },
        rng: Rc::new(RefCell::new(retry::seeded_rng())),
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
        upload_id: &created.upload_id,
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
    };

    while s.stored < count {
        // Outcomes that arrived while we were busy.
        while let Ok(outcome) = done_rx.try_recv() {
            s.settle(outcome, &bytes, progress).await?;
        }
        if s.stored == count {
            break;
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
            s.hashed.push_back(part);
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

    // Complete, then check the store's checksum against ours.
    abort::ensure_live(Some(&s.signal))?;
    progress.announce(Phase::Verifying);
    let digests: Vec<Sha256Digest> = s.digests.iter().flatten().copied().collect();
    let parts: Vec<CompletedPart> = (1..=count)
        .zip(s.etags.iter().zip(&digests))
        .filter_map(|(number, (etag, sha256))| {
            Some(CompletedPart {
                number,
                etag: etag.clone()?,
                sha256: *sha256,
            })
        })
        .collect();
    if parts.len() != count as usize {
        return Err(UploadError::new(
            ErrorCode::Server,
            "some parts have no ETag or checksum",
        ));
    }
    let answer = signer
        .complete_multipart(
            s.upload_id,
            &CompleteMultipartRequest { parts },
            Some(&s.signal),
        )
        .await?;
    let composite_checksum = composite(&digests);
    let whole = s
        .whole_digest
        .ok_or_else(|| UploadError::new(ErrorCode::Server, "the file was not hashed whole"))?;
    check_stored(
        size,
        &answer.size,
        answer.checksum_sha256.as_deref(),
        &digests,
        &whole,
    )?;
    progress.announce(Phase::Done);
    Ok(MultipartResult {
        key: answer.key,
        size: answer.size,
        etag: answer.etag,
        sha256: options.whole_file_sha256.then(|| whole.to_base64()),
        checksum_sha256: composite_checksum,
        parts: count,
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
            PartOutcome::NeedsUrl(part) => self.hashed.push_front(part),
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

/// SHA-256 of `file[start..end]`, read chunk by chunk; each chunk also goes
/// to `whole` when given.
async fn hash_range(
    file: &Blob,
    start: u64,
    end: u64,
    signal: &AbortSignal,
    mut whole: Option<&mut Sha256Hasher>,
) -> Result<Sha256Digest, UploadError> {
    let slice = file
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|_| UploadError::bad_request("the file could not be sliced into parts"))?;
    let mut reader = BlobReader::new(&slice, CHUNK_SIZE);
    let mut hasher = Sha256Hasher::new();
    while let Some(chunk) = reader.next_chunk().await? {
        abort::ensure_live(Some(signal))?;
        hasher.update(chunk);
        if let Some(whole) = whole.as_deref_mut() {
            whole.update(chunk);
        }
    }
    Ok(hasher.finish())
}

/// The store's answer to Complete must be our file: same size, and its
/// checksum (COMPOSITE or FULL_OBJECT, whichever it gives) equal to ours.
fn check_stored(
    size: u64,
    stored_size: &u64,
    checksum: Option<&str>,
    digests: &[Sha256Digest],
    whole: &Sha256Digest,
) -> Result<(), UploadError> {
    if *stored_size != size {
        return Err(UploadError::new(
            ErrorCode::ChecksumMismatch,
            format!("the store assembled {stored_size} bytes, the file has {size}"),
        ));
    }
    let Some(text) = checksum else {
        return Ok(());
    };
    let matches = StoreChecksum::parse(text).and_then(|c| c.matches(digests, Some(whole)));
    if matches == Some(true) {
        Ok(())
    } else {
        Err(UploadError::new(
            ErrorCode::ChecksumMismatch,
            format!(
                "the store's checksum {text} matches neither the composite {} nor the file's SHA-256 {}",
                composite(digests),
                whole.to_base64()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_checksum_either_form() {
        let parts = [Sha256Digest::of(b"a"), Sha256Digest::of(b"b")];
        let whole = Sha256Digest::of(b"ab");
        let ok = |c: Option<&str>| check_stored(2, &2, c, &parts, &whole).is_ok();
        assert!(ok(Some(&composite(&parts))));
        assert!(ok(Some(&whole.to_base64())));
        assert!(ok(None));
        assert!(!ok(Some(&Sha256Digest::of(b"x").to_base64())));
        assert!(!ok(Some(&composite(&parts[..1]))));
        assert!(!ok(Some("garbage")));
        assert!(check_stored(2, &3, None, &parts, &whole).is_err());
    }
}
