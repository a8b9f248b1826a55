//! `POST /api/get-upload-url`: a presigned PUT for a new key under the
//! caller's prefix, with its Content-Type signed, and its size and checksum
//! when the client declares them. Under a byte quota the size is required
//! (it is signed, so the PUT cannot carry more) and must fit what is left.

use super::new_object::{Asked, NewObject};
use super::quota_budget::QuotaBudget;
use crate::domain::upload_policy::UploadMethod;
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::metrics::PresignKind;
use crate::http::state::AppState;
use crate::s3::signer::PutBody;
use axum::extract::State;
use axum::Json;
use presign_core::protocol::error::ErrorBody;
use presign_core::protocol::single::{GetUploadUrlRequest, GetUploadUrlResponse};

#[utoipa::path(
    post,
    path = "/api/get-upload-url",
    operation_id = "get_upload_url",
    tag = "uploads",
    request_body = GetUploadUrlRequest,
    responses(
        (status = 200, description = "A presigned PUT and exactly the headers the browser must send", body = GetUploadUrlResponse),
        (status = 413, description = "Larger than the file type's limit or a single PUT's 5 GiB (code too_large), or than the caller's byte quota leaves (code quota_exceeded)", body = ErrorBody),
        (status = 415, description = "Content type or extension not allowed for this file type", body = ErrorBody),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<GetUploadUrlRequest>,
) -> Result<Json<GetUploadUrlResponse>, ApiError> {
    let mut budget = QuotaBudget::new(&state, &identity.user);
    sign(&state, &identity, &req, &mut budget).await.map(Json)
}

/// One file's presigned PUT, or why it is refused (also each file of
/// `POST /api/get-upload-urls`, which share one `budget`).
pub(crate) async fn sign(
    state: &AppState,
    identity: &Identity,
    req: &GetUploadUrlRequest,
    budget: &mut QuotaBudget<'_>,
) -> Result<GetUploadUrlResponse, ApiError> {
    let now = state.clock.now();
    let object = NewObject::new(
        identity,
        &Asked {
            filename: &req.filename,
            file_type: &req.file_type,
            content_type: req.content_type.as_deref(),
            metadata: &req.metadata,
        },
        &state.policy,
        now,
        state.max_key_bytes,
    )?;
    let allowed = object.check(&state.policy, req.size, UploadMethod::Put)?;
    let signer = state.signer.current().await?;
    if let Some(left) = budget.left(&object.file_type).await? {
        let size = req.size.ok_or_else(|| {
            ApiError::BadRequest(format!(
                "size is required: your uploads are held to a byte quota ({left} bytes left)"
            ))
        })?;
        budget.take(&object.file_type, size).await?;
    }
    let body = PutBody {
        content_type: object.content_type,
        content_length: req.size,
        sha256: req.sha256,
        metadata: req.metadata.clone(),
    };
    let expires_in = signer.lifetime(allowed.expires_in, now);
    let signed = signer.presign_put(&object.key, &body, expires_in, now);
    state.metrics.presigned(PresignKind::Single, 1);
    Ok(GetUploadUrlResponse {
        upload_url: signed.url.into(),
        key: object.key.as_str().to_owned(),
        expires_in: expires_in.as_secs(),
        method: "PUT".to_owned(),
        headers: Some(signed.headers),
    })
}
