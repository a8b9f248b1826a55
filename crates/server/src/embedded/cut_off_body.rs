//! The embedded store's answer to a PUT or UploadPart whose body ended
//! before its `Content-Length` (a client that went away mid-upload: a
//! reload, a cancel, a dropped connection): `400 IncompleteBody`, as S3
//! answers, instead of s3s-fs's bare `500 InternalError`, which said the
//! store had failed and logged an error for each cut-off upload.
//!
//! hyper reports such a body as an `UnexpectedEof` I/O error (a reset
//! connection as `ConnectionReset` or `ConnectionAborted`); s3s-fs wraps it
//! as an internal error. Only actions that read a request body pass through
//! [`mapped`]: elsewhere an `UnexpectedEof` would be the store's own files'.

use super::{io_cause, storage_full};
use s3s::{s3_error, S3Error};
use std::error::Error;
use std::io::ErrorKind;

/// `400 IncompleteBody`.
pub fn incomplete_body() -> S3Error {
    s3_error!(
        IncompleteBody,
        "You did not provide the number of bytes specified by the Content-Length HTTP header."
    )
}

/// Whether `err` or one of its causes is a request body cut off.
fn is_cut_off(err: &(dyn Error + 'static)) -> bool {
    io_cause::caused_by(
        err,
        &[
            ErrorKind::UnexpectedEof,
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionAborted,
        ],
    )
}

/// The failure of an action that read a request body: [`incomplete_body`]
/// when the body was cut off, otherwise as [`storage_full::mapped`] maps it.
pub fn mapped(err: S3Error) -> S3Error {
    match err.source() {
        Some(source) if is_cut_off(source) => incomplete_body(),
        _ => storage_full::mapped(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::S3ErrorCode;

    #[test]
    fn a_cut_off_body_is_400_incomplete_body() {
        for kind in [
            ErrorKind::UnexpectedEof,
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionAborted,
        ] {
            let err = mapped(S3Error::internal_error(std::io::Error::from(kind)));
            assert_eq!(err.code(), &S3ErrorCode::IncompleteBody, "{kind:?}");
            assert_eq!(err.status_code(), Some(http::StatusCode::BAD_REQUEST));
        }
    }

    #[test]
    fn other_failures_keep_their_mapping() {
        let full = mapped(S3Error::internal_error(std::io::Error::from(
            ErrorKind::StorageFull,
        )));
        assert_eq!(
            full.status_code(),
            Some(http::StatusCode::INSUFFICIENT_STORAGE)
        );
        let other = mapped(S3Error::internal_error(std::io::Error::from(
            ErrorKind::PermissionDenied,
        )));
        assert_eq!(other.code(), &S3ErrorCode::InternalError);
    }
}
