//! Step 4: Complete with every part's ETag and SHA-256, then hold the store's
//! answer against our own digests (only its size, with `checksum: false`).

use crate::error::UploadError;
use crate::hashing::BlobRange;
use crate::upload::attempt::Peer;
use crate::upload::job::Job;
use crate::upload::multipart::scheduler::SentParts;
use crate::upload::multipart::MultipartResult;
use presign_core::protocol::multipart::{CompleteMultipartRequest, CompletedPart};
use presign_core::s3::composite_checksum::{composite, StoreChecksum};
use presign_core::{ErrorCode, Sha256Digest};
use web_sys::AbortSignal;

/// Completes the upload and checks the object. The result carries the whole
/// file's SHA-256 when it was computed (asked for, or needed: a store that
/// answers a FULL_OBJECT checksum, like s3s-fs alone, is checked against it, so
/// it is computed then if it was not before); the caller drops it unless it
/// was asked for.
pub async fn complete(
    job: Job<'_>,
    upload_id: &str,
    sent: SentParts,
    signal: &AbortSignal,
) -> Result<MultipartResult, UploadError> {
    let Job {
        signer,
        retrying,
        hasher,
        file,
        size,
        ..
    } = job;
    let SentParts {
        digests,
        etags,
        whole,
        part_size,
    } = sent;
    let count = etags.len();
    // No digests: an upload with `checksum: false`.
    let checksums = !digests.is_empty();
    let parts: Vec<CompletedPart> = (1..)
        .zip(&etags)
        .map(|(number, etag)| CompletedPart {
            number,
            etag: etag.clone(),
            sha256: digests.get(number as usize - 1).copied(),
        })
        .collect();
    let request = CompleteMultipartRequest { parts };
    let send = || signer.complete_multipart(upload_id, &request, Some(signal));
    let answer = retrying
        .call(Peer::Signer, "completing the upload", Some(signal), send)
        .await?;
    let checksum = answer.checksum_sha256.as_deref().filter(|_| checksums);
    let whole = match whole {
        None if checksum.is_some_and(needs_whole) => {
            let range = BlobRange::new(file, 0, size);
            Some(hasher.digest(range, signal, None).await?)
        }
        whole => whole,
    };
    check_stored(size, &answer.size, checksum, &digests, whole.as_ref())?;
    Ok(MultipartResult {
        key: answer.key,
        size: answer.size,
        etag: answer.etag,
        sha256: whole.map(|w| w.to_base64()),
        checksum_sha256: checksums.then(|| composite(&digests)),
        parts: count as u32,
        part_size,
    })
}

/// Whether a store's checksum is the whole object's digest (FULL_OBJECT).
fn needs_whole(checksum: &str) -> bool {
    matches!(
        StoreChecksum::parse(checksum),
        Some(StoreChecksum::FullObject(_))
    )
}

/// The store's answer to Complete must be our file: same size, and its
/// checksum (COMPOSITE or FULL_OBJECT, whichever it gives) equal to ours.
pub fn check_stored(
    size: u64,
    stored_size: &u64,
    checksum: Option<&str>,
    digests: &[Sha256Digest],
    whole: Option<&Sha256Digest>,
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
    let matches = StoreChecksum::parse(text).and_then(|c| c.matches(digests, whole));
    if matches == Some(true) {
        return Ok(());
    }
    let whole = whole.map_or_else(|| "(not computed)".to_owned(), Sha256Digest::to_base64);
    Err(UploadError::new(
        ErrorCode::ChecksumMismatch,
        format!(
            "the store's checksum {text} matches neither the composite {} nor the file's SHA-256 {whole}",
            composite(digests),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_checksum_either_form() {
        let parts = [Sha256Digest::of(b"a"), Sha256Digest::of(b"b")];
        let whole = Sha256Digest::of(b"ab");
        let ok = |c: Option<&str>| check_stored(2, &2, c, &parts, Some(&whole)).is_ok();
        assert!(ok(Some(&composite(&parts))));
        assert!(ok(Some(&whole.to_base64())));
        assert!(ok(None));
        assert!(!ok(Some(&Sha256Digest::of(b"x").to_base64())));
        assert!(!ok(Some(&composite(&parts[..1]))));
        assert!(!ok(Some("garbage")));
        assert!(check_stored(2, &3, None, &parts, Some(&whole)).is_err());
        // A FULL_OBJECT checksum needs the whole file's digest to be checked.
        assert!(needs_whole(&whole.to_base64()));
        assert!(!needs_whole(&composite(&parts)));
        assert!(check_stored(2, &2, Some(&whole.to_base64()), &parts, None).is_err());
        assert!(check_stored(2, &2, Some(&composite(&parts)), &parts, None).is_ok());
    }
}
