//! `POST /api/get-upload-url`: a presigned PUT for a new key under the
//! caller's prefix (the seed's contract, plus signed size and checksum).

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::identity::Identity;
use crate::signer::PutBody;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use presign_core::content_type::{self, DEFAULT_CONTENT_TYPE};
use presign_core::file_type::FileType;
use presign_core::filename;
use presign_core::limits::MAX_SINGLE_PUT;
use presign_core::protocol::{GetUploadUrlRequest, GetUploadUrlResponse};
use presign_core::ObjectKey;

pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<GetUploadUrlRequest>,
) -> Result<Json<GetUploadUrlResponse>, ApiError> {
    let filename =
        filename::sanitize(&req.filename).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let file_type =
        FileType::parse(&req.file_type).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let content_type = match req.content_type.as_deref() {
        None => DEFAULT_CONTENT_TYPE.to_owned(),
        Some(raw) => normalize_content_type(raw)?,
    };
    if let Some(size) = req.size {
        if size > MAX_SINGLE_PUT {
            return Err(ApiError::TooLarge(format!(
                "size {size} exceeds {MAX_SINGLE_PUT} bytes (5 GiB), the limit of a single PUT; use a multipart upload"
            )));
        }
    }
    let upload_id = uuid::Uuid::new_v4().simple().to_string();
    let key =
        ObjectKey::for_upload(&identity.user, &file_type, &upload_id, &filename).map_err(|e| {
            ApiError::BadRequest(format!(
                "cannot build a key from filename and file_type: {e}"
            ))
        })?;
    let body = PutBody {
        content_type,
        content_length: req.size,
        sha256: req.sha256,
    };
    let signed = state
        .signer
        .presign_put(&key, &body, state.expires_in, state.clock.now());
    Ok(Json(GetUploadUrlResponse {
        upload_url: signed.url.into(),
        key: key.as_str().to_owned(),
        expires_in: state.expires_in.as_secs(),
        method: "PUT".to_owned(),
        headers: Some(signed.headers),
    }))
}

/// Validates a client's Content-Type and collapses its inner whitespace, so
/// the value signed is the value any HTTP stack will send.
fn normalize_content_type(raw: &str) -> Result<String, ApiError> {
    let valid = content_type::validate(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(valid.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_whitespace_is_collapsed() {
        assert_eq!(
            normalize_content_type(" text/plain;  charset=utf-8 ")
                .ok()
                .as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert!(normalize_content_type("nope").is_err());
    }
}
