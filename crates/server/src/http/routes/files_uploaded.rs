//! `POST /api/files-uploaded`: up to 100 uploads confirmed in one request
//! ([`presign_core::protocol::batch`]), each checked, recorded or refused as
//! `POST /api/file-uploaded` would alone; the store is asked about at most
//! [`HEADS_AT_ONCE`] of them at a time, so one batch cannot flood it. The
//! batch is one request to the rate limit; a malformed batch
//! (no files, more than 100, bad JSON) is a 400 for the whole, a refused
//! file only that file's outcome.

use super::batch;
use super::file_uploaded;
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::state::AppState;
use axum::extract::State;
use axum::Json;
use futures::stream::{self, StreamExt as _};
use presign_core::protocol::batch::{FilesUploadedRequest, FilesUploadedResponse};

/// Files of one batch confirmed (a HEAD to the store each) at the same time.
pub const HEADS_AT_ONCE: usize = 8;

#[utoipa::path(
    post,
    path = "/api/files-uploaded",
    operation_id = "files_uploaded",
    tag = "uploads",
    request_body = FilesUploadedRequest,
    responses(
        (status = 200, description = "One outcome per file, in order: the stored object, verified and recorded, or the status and error `/api/file-uploaded` would have answered for it", body = FilesUploadedResponse),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<FilesUploadedRequest>,
) -> Result<Json<FilesUploadedResponse>, ApiError> {
    batch::check_count(req.files.len())?;
    let (state, identity) = (&state, &identity);
    let confirmed = req
        .files
        .into_iter()
        .map(|file| async move { file_uploaded::confirm(state, identity, &file).await });
    let uploads = stream::iter(confirmed)
        .buffered(HEADS_AT_ONCE)
        .map(batch::outcome)
        .collect()
        .await;
    Ok(Json(FilesUploadedResponse { uploads }))
}
