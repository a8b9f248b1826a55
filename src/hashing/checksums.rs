//! `uploader.checksums(file, options)`: the checksums a multipart upload of
//! the file would send — every part's SHA-256, S3's composite checksum and,
//! if asked, the whole file's — computed by the upload's own hashing path
//! (its workers, WebCrypto where it wins) without sending anything. For
//! checking a file against a stored object, and for measuring that path.

use crate::error::UploadError;
use crate::hashing::{BlobRange, Hasher};
use crate::web::abort;
use crate::web::blob_reader::blob_size;
use futures::channel::oneshot;
use presign_core::s3::composite_checksum::composite;
use presign_core::s3::part_plan::{PartPlan, DEFAULT_PART_SIZE};
use presign_core::upload::hash_strategy::DigestPreference;
use presign_core::{ErrorCode, Sha256Digest};
use serde::Serialize;
use std::collections::VecDeque;
use web_sys::{AbortController, AbortSignal, Blob};

/// Options of `checksums()`.
#[derive(Debug, Clone)]
pub struct ChecksumOptions {
    /// Asked of the plan like an upload's `partSize` (it may grow).
    pub part_size: u64,
    pub whole_file_sha256: bool,
    pub signal: Option<AbortSignal>,
    /// `partDigest`: `"auto"`, or one method alone (to measure it).
    pub preference: DigestPreference,
}

impl Default for ChecksumOptions {
    fn default() -> Self {
        Self {
            part_size: DEFAULT_PART_SIZE,
            whole_file_sha256: false,
            signal: None,
            preference: DigestPreference::Auto,
        }
    }
}

/// What `checksums()` resolves with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checksums {
    pub size: u64,
    pub part_size: u64,
    /// Base64 SHA-256 of every part, in part order.
    pub parts: Vec<String>,
    /// S3's composite checksum `base64(sha256(part digests))-N`.
    pub checksum_sha256: String,
    /// Base64 SHA-256 of the whole file; only with `wholeFileSha256: true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Hashes `file` part by part, as many parts at once as `hasher` runs.
pub async fn checksums(
    hasher: &Hasher,
    file: &Blob,
    options: &ChecksumOptions,
) -> Result<Checksums, UploadError> {
    let signal = match &options.signal {
        Some(signal) => signal.clone(),
        None => AbortController::new()
            .map_err(|_| UploadError::bad_request("this environment has no AbortController"))?
            .signal(),
    };
    abort::ensure_live(Some(&signal))?;
    let hasher = hasher.clone().preferring(options.preference);
    let size = blob_size(file);
    let plan = PartPlan::new(size, options.part_size)
        .map_err(|e| UploadError::new(ErrorCode::TooLarge, e.to_string()))?;
    let whole = options.whole_file_sha256.then(|| hasher.whole_file(file));
    let limit = hasher.parallel_jobs(whole.as_ref());
    // Each part's job runs as its own task; their answers are taken in
    // part order, `limit` at a time.
    let mut running: VecDeque<oneshot::Receiver<Result<Sha256Digest, UploadError>>> =
        VecDeque::new();
    let mut digests: Vec<Sha256Digest> = Vec::with_capacity(plan.part_count() as usize);
    for number in 1..=plan.part_count() {
        let (start, end) = plan
            .range(number)
            .map_err(|e| UploadError::new(ErrorCode::Server, e.to_string()))?;
        let job = hasher.part(
            BlobRange::new(file, start, end),
            whole.as_ref(),
            signal.clone(),
        );
        let (tx, rx) = oneshot::channel();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = tx.send(job.await);
        });
        running.push_back(rx);
        if running.len() >= limit {
            digests.push(next(&mut running).await?);
        }
    }
    while !running.is_empty() {
        digests.push(next(&mut running).await?);
    }
    let sha256 = match whole {
        Some(whole) => Some(whole.finish(&signal).await?.to_base64()),
        None => None,
    };
    Ok(Checksums {
        size,
        part_size: plan.part_size(),
        parts: digests.iter().map(Sha256Digest::to_base64).collect(),
        checksum_sha256: composite(&digests),
        sha256,
    })
}

/// The oldest running job's digest.
async fn next(
    running: &mut VecDeque<oneshot::Receiver<Result<Sha256Digest, UploadError>>>,
) -> Result<Sha256Digest, UploadError> {
    match running.pop_front() {
        Some(rx) => rx.await.unwrap_or_else(|_| Err(UploadError::aborted())),
        None => Err(UploadError::new(
            ErrorCode::Server,
            "no part is being hashed",
        )),
    }
}
