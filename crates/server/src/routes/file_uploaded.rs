//! `POST /api/file-uploaded`: the client says an upload finished; the server
//! asks the store what it holds (size, ETag, SHA-256) and answers that.

use super::owned_key;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::identity::Identity;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use presign_core::file_type::FileType;
use presign_core::protocol::{FileUploadedRequest, FileUploadedResponse};

pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<FileUploadedRequest>,
) -> Result<Json<FileUploadedResponse>, ApiError> {
    let key = owned_key(&req.key, &identity)?;
    let file_type =
        FileType::parse(&req.file_type).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let type_prefix = format!("{}{}/", identity.user.prefix(), file_type);
    if !key.as_str().starts_with(&type_prefix) {
        return Err(ApiError::BadRequest(format!(
            "file_type {file_type:?} does not match the key (expected it to start with {type_prefix:?})"
        )));
    }
    let info = state
        .store
        .head_object(&key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    tracing::info!(key = key.as_str(), size = info.size, "upload confirmed");
    Ok(Json(FileUploadedResponse {
        key: key.as_str().to_owned(),
        size: info.size,
        etag: info.etag,
        sha256: info.sha256,
        content_type: info.content_type,
    }))
}
