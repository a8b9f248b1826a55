//! `POST /api/files-uploaded`: up to 100 uploads confirmed in one request
//! ([`presign_core::protocol::batch`]), each checked, recorded or refused as
//! `POST /api/file-uploaded` would alone; the store is asked about them all
//! at once. The batch is one request to the rate limit; a malformed batch
//! (no files, more than 100, bad JSON) is a 400 for the whole, a refused
//! file only that file's outcome.

use super::batch;
use super::file_uploaded;
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::state::AppState;
use axum::extract::State;
use axum::Json;
use futures::future::join_all;
use presign_core::protocol::batch::{FilesUploadedRequest, FilesUploadedResponse};

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
    let confirmed = req
        .files
        .iter()
        .map(|file| file_uploaded::confirm(&state, &identity, file));
    let uploads = join_all(confirmed)
        .await
        .into_iter()
        .map(batch::outcome)
        .collect();
    Ok(Json(FilesUploadedResponse { uploads }))
}
