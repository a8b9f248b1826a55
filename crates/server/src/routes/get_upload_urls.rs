//! `POST /api/get-upload-urls`: presigned PUTs for up to 100 files in one
//! request ([`presign_core::batch_protocol`]), each signed or refused as
//! `POST /api/get-upload-url` would alone. The batch is one request to the
//! rate limit; a malformed batch (no files, more than 100, bad JSON) is a
//! 400 for the whole, a refused file only that file's outcome.

use super::get_upload_url;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::identity::Identity;
use crate::routes::openapi::ApiErrors;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use presign_core::batch_protocol::{
    GetUploadUrlsRequest, GetUploadUrlsResponse, SignedOrRefused, MAX_BATCH,
};
use presign_core::protocol::ErrorDetail;

#[utoipa::path(
    post,
    path = "/api/get-upload-urls",
    operation_id = "get_upload_urls",
    tag = "uploads",
    request_body = GetUploadUrlsRequest,
    responses(
        (status = 200, description = "One outcome per file, in order: its presigned PUT, or the status and error `/api/get-upload-url` would have answered for it", body = GetUploadUrlsResponse),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<GetUploadUrlsRequest>,
) -> Result<Json<GetUploadUrlsResponse>, ApiError> {
    let count = req.files.len();
    if !(1..=MAX_BATCH).contains(&count) {
        return Err(ApiError::BadRequest(format!(
            "files: {count} given; a batch holds 1 to {MAX_BATCH} files"
        )));
    }
    let uploads = req
        .files
        .iter()
        .map(|file| match get_upload_url::sign(&state, &identity, file) {
            Ok(signed) => SignedOrRefused::signed(signed),
            Err(e) => refused(&e),
        })
        .collect();
    Ok(Json(GetUploadUrlsResponse { uploads }))
}

/// A file's refusal, as its own request's error answer would carry it.
fn refused(error: &ApiError) -> SignedOrRefused {
    let (status, code, message) = error.status_code_message();
    if status.is_server_error() {
        tracing::error!(error_code = code.as_str(), error = %error, "a file of a batch failed");
    }
    SignedOrRefused::refused(status.as_u16(), ErrorDetail { code, message })
}
