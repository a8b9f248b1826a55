//! Step 4: Complete with every part's ETag and SHA-256, then hold the store's
//! answer against our own digests.

use crate::multipart::scheduler::SentParts;
use crate::multipart::MultipartResult;
use crate::signer_client::SignerClient;
use crate::upload_error::UploadError;
use presign_core::composite_checksum::{composite, StoreChecksum};
use presign_core::multipart_protocol::{CompleteMultipartRequest, CompletedPart};
use presign_core::{ErrorCode, Sha256Digest};
use web_sys::AbortSignal;

/// Completes the upload and checks the object. The result always carries the
/// whole file's SHA-256; the caller drops it unless it was asked for.
pub async fn complete(
    signer: &SignerClient,
    upload_id: &str,
    size: u64,
    sent: SentParts,
    signal: &AbortSignal,
) -> Result<MultipartResult, UploadError> {
    let SentParts {
        digests,
        etags,
        whole,
        part_size,
    } = sent;
    let count = digests.len();
    let parts: Vec<CompletedPart> = (1..)
        .zip(etags.iter().zip(&digests))
        .map(|(number, (etag, sha256))| CompletedPart {
            number,
            etag: etag.clone(),
            sha256: *sha256,
        })
        .collect();
    let answer = signer
        .complete_multipart(upload_id, &CompleteMultipartRequest { parts }, Some(signal))
        .await?;
    check_stored(
        size,
        &answer.size,
        answer.checksum_sha256.as_deref(),
        &digests,
        &whole,
    )?;
    Ok(MultipartResult {
        key: answer.key,
        size: answer.size,
        etag: answer.etag,
        sha256: Some(whole.to_base64()),
        checksum_sha256: composite(&digests),
        parts: count as u32,
        part_size,
    })
}

/// The store's answer to Complete must be our file: same size, and its
/// checksum (COMPOSITE or FULL_OBJECT, whichever it gives) equal to ours.
pub fn check_stored(
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
