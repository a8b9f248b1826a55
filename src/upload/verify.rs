//! Checking the signer's description of the stored object against the file:
//! same SHA-256 (when the store kept one and the file was hashed), same size. The client verifies
//! rather than trusts: a lenient store may keep bytes it should have refused.

use crate::error::UploadError;
use presign_core::protocol::single::FileUploadedResponse;
use presign_core::{ErrorCode, Sha256Digest};

/// The stored object, as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub size: u64,
    pub etag: Option<String>,
}

/// `answer` is the file-uploaded answer (`None` when it was not our JSON, as
/// from a signer written like the design note's); `put_etag` the PUT's `ETag` header, if readable.
pub fn verify(
    digest: Option<&Sha256Digest>,
    size: u64,
    answer: Option<&FileUploadedResponse>,
    put_etag: Option<String>,
) -> Result<Verified, UploadError> {
    let Some(answer) = answer else {
        return Ok(Verified {
            size,
            etag: put_etag,
        });
    };
    if let (Some(stored), Some(digest)) = (answer.sha256.as_deref(), digest) {
        if Sha256Digest::from_base64(stored).ok().as_ref() != Some(digest) {
            return Err(UploadError::new(
                ErrorCode::ChecksumMismatch,
                format!(
                    "the store holds an object with SHA-256 {stored}, but the file's is {digest}"
                ),
            ));
        }
    }
    if answer.size != size {
        return Err(UploadError::new(
            ErrorCode::ChecksumMismatch,
            format!(
                "the store holds {} bytes, but the file has {size}",
                answer.size
            ),
        ));
    }
    let etag = Some(answer.etag.clone())
        .filter(|e| !e.is_empty())
        .or(put_etag);
    Ok(Verified { size, etag })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(size: u64, sha256: Option<String>) -> FileUploadedResponse {
        FileUploadedResponse {
            key: "users/dev/demo/x.bin".into(),
            size,
            etag: "\"abc\"".into(),
            sha256,
            content_type: None,
        }
    }

    #[test]
    fn matching_answer() {
        let d = Sha256Digest::of(b"hello");
        let got = verify(
            Some(&d),
            5,
            Some(&answer(5, Some(d.to_base64()))),
            Some("\"put\"".into()),
        );
        assert_eq!(
            got,
            Ok(Verified {
                size: 5,
                etag: Some("\"abc\"".into())
            })
        );
        // No checksum kept by the store: the size still has to match.
        assert!(verify(Some(&d), 5, Some(&answer(5, None)), None).is_ok());
        // Not hashed (`checksum: false`): only the size is checked.
        let other = Sha256Digest::of(b"hellO").to_base64();
        assert!(verify(None, 5, Some(&answer(5, Some(other))), None).is_ok());
        let short = verify(None, 5, Some(&answer(4, None)), None);
        assert_eq!(
            short.err().map(|e| e.code()),
            Some(ErrorCode::ChecksumMismatch)
        );
    }

    #[test]
    fn mismatches() {
        let d = Sha256Digest::of(b"hello");
        let other = Sha256Digest::of(b"hellO").to_base64();
        for bad in [
            answer(5, Some(other)),
            answer(5, Some(format!("{}-1", d.to_base64()))),
            answer(5, Some("garbage".into())),
            answer(4, Some(d.to_base64())),
            answer(6, None),
        ] {
            let err = verify(Some(&d), 5, Some(&bad), None)
                .err()
                .map(|e| e.code());
            assert_eq!(err, Some(ErrorCode::ChecksumMismatch), "{bad:?}");
        }
    }

    #[test]
    fn seed_style_signer_falls_back_to_the_put_etag() {
        let d = Sha256Digest::of(b"");
        assert_eq!(
            verify(Some(&d), 0, None, Some("\"e\"".into())),
            Ok(Verified {
                size: 0,
                etag: Some("\"e\"".into())
            })
        );
        let mut empty_etag = answer(0, None);
        empty_etag.etag.clear();
        assert_eq!(
            verify(Some(&d), 0, Some(&empty_etag), Some("\"e\"".into())).map(|v| v.etag),
            Ok(Some("\"e\"".into()))
        );
    }
}
