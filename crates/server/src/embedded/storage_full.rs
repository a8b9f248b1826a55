//! The embedded store's answer to a full disk: `507 Insufficient Storage`
//! with MinIO's code `XMinioStorageFull`, instead of s3s-fs's bare
//! `500 InternalError`, so that a client can tell "no space left" from a
//! crash and stop retrying.
//!
//! [`super::service::EmbeddedS3`] passes every s3s-fs failure through
//! [`mapped`]: one whose cause is the file system's `ENOSPC` (or `EDQUOT`)
//! becomes [`storage_full`].

use super::io_cause;
use crate::s3::store_client::STORAGE_FULL_CODE as CODE;
use s3s::{S3Error, S3ErrorCode};
use std::error::Error;
use std::io::ErrorKind;

/// `507 XMinioStorageFull`.
pub fn storage_full() -> S3Error {
    let mut err = S3Error::with_message(
        S3ErrorCode::Custom(CODE.into()),
        "The store has no space left on its disk; delete objects or free space, then try again.",
    );
    err.set_status_code(http::StatusCode::INSUFFICIENT_STORAGE);
    err
}

/// Whether `err` or one of its causes is a file system out of space.
pub fn is_out_of_space(err: &(dyn Error + 'static)) -> bool {
    io_cause::caused_by(err, &[ErrorKind::StorageFull, ErrorKind::QuotaExceeded])
}

/// `err` itself, or [`storage_full`] when a full disk caused it.
pub fn mapped(err: S3Error) -> S3Error {
    match err.source() {
        Some(source) if is_out_of_space(source) => {
            tracing::error!(error = %source, "embedded store: disk full");
            storage_full()
        }
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: ErrorKind) -> S3Error {
        S3Error::internal_error(std::io::Error::from(kind))
    }

    #[test]
    fn a_full_disk_is_507_storage_full() {
        for kind in [ErrorKind::StorageFull, ErrorKind::QuotaExceeded] {
            let err = mapped(io(kind));
            assert_eq!(err.code().as_str(), CODE, "{kind:?}");
            assert_eq!(
                err.status_code(),
                Some(http::StatusCode::INSUFFICIENT_STORAGE)
            );
        }
        // ENOSPC as the OS reports it.
        let raw = S3Error::internal_error(std::io::Error::from_raw_os_error(28));
        assert_eq!(mapped(raw).code().as_str(), CODE);
    }

    #[test]
    fn a_cause_deeper_in_the_chain_counts() {
        #[derive(Debug, thiserror::Error)]
        #[error("writing a part failed")]
        struct Wrapper(#[source] std::io::Error);
        let err = S3Error::internal_error(Wrapper(ErrorKind::StorageFull.into()));
        assert_eq!(mapped(err).code().as_str(), CODE);
    }

    #[test]
    fn other_failures_are_left_alone() {
        let err = mapped(io(ErrorKind::PermissionDenied));
        assert_eq!(err.code(), &S3ErrorCode::InternalError);
        let err = mapped(S3Error::new(S3ErrorCode::NoSuchUpload));
        assert_eq!(err.code(), &S3ErrorCode::NoSuchUpload);
    }
}
