//! `POST /api/get-upload-urls`: presigned PUTs for up to 100 files in one
//! request ([`presign_core::protocol::batch`]), each signed or refused as
//! `POST /api/get-upload-url` would alone. The batch is one request to the
//! rate limit; a malformed batch (no files, more than 100, bad JSON) is a
//! 400 for the whole, a refused file only that file's outcome. Under a byte
//! quota the files signed before a file count against it.

use super::batch;
use super::get_upload_url;
use super::quota_budget::QuotaBudget;
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::state::AppState;
use axum::extract::State;
use axum::Json;
use presign_core::protocol::batch::{GetUploadUrlsRequest, GetUploadUrlsResponse};

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
    batch::check_count(req.files.len())?;
    // One budget: the files signed before count against a quota.
    let mut budget = QuotaBudget::new(&state, &identity.user);
    let mut uploads = Vec::with_capacity(req.files.len());
    for file in &req.files {
        let signed = get_upload_url::sign(&state, &identity, file, &mut budget).await;
        uploads.push(batch::outcome(signed));
    }
    Ok(Json(GetUploadUrlsResponse { uploads }))
}
