//! What the two batch endpoints share (`get-upload-urls`,
//! `files-uploaded`; [`presign_core::protocol::batch`]): the size of a
//! batch, and a file's refusal as its own request would have carried it.

use crate::http::error::ApiError;
use presign_core::protocol::batch::{BatchOutcome, MAX_BATCH};
use presign_core::protocol::error::ErrorDetail;

/// 1 to [`MAX_BATCH`] files, or a 400 for the whole batch.
pub(crate) fn check_count(count: usize) -> Result<(), ApiError> {
    if (1..=MAX_BATCH).contains(&count) {
        return Ok(());
    }
    Err(ApiError::BadRequest(format!(
        "files: {count} given; a batch holds 1 to {MAX_BATCH} files"
    )))
}

/// One file's outcome from its own request's result.
pub(crate) fn outcome<T>(result: Result<T, ApiError>) -> BatchOutcome<T> {
    let error = match result {
        Ok(answer) => return BatchOutcome::ok(answer),
        Err(error) => error,
    };
    let (status, code, message) = error.status_code_message();
    if status.is_server_error() {
        tracing::error!(error_code = code.as_str(), error = %error, "a file of a batch failed");
    }
    BatchOutcome::refused(status.as_u16(), ErrorDetail { code, message })
}
