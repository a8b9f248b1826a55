//! `POST /api/get-upload-form`: a presigned POST form for a new key under the
//! caller's prefix (what boto3's `generate_presigned_post` gives). The same identity,
//! rate limit, key and policy as `get-upload-url`, with the POST ceiling
//! (`max_post_size`) and lifetime ([`crate::domain::upload_policy::UploadPolicy::form_expires_in`]);
//! the policy the store enforces is described in [`crate::s3::signer::post_form::FormUpload`].
//! `POST /api/file-uploaded` confirms and records the upload, as for a PUT.

use super::new_object::{Asked, NewObject};
use super::quota_budget::QuotaBudget;
use crate::domain::upload_policy::UploadMethod;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, Identity};
use crate::http::metrics::PresignKind;
use crate::http::state::AppState;
use crate::s3::signer::post_form::FormUpload;
use axum::extract::State;
use axum::Json;
use presign_core::protocol::error::ErrorBody;
use presign_core::protocol::form::{GetUploadFormRequest, GetUploadFormResponse};

/// A presigned POST form (the seed's `generate_presigned_post`): fields to
/// send before the file, a policy pinning the key, the size range and the
/// Content-Type.
#[utoipa::path(
    post,
    path = "/api/get-upload-form",
    operation_id = "get_upload_form",
    tag = "uploads",
    request_body = GetUploadFormRequest,
    responses(
        (status = 200, description = "The form to POST to the store, file last", body = GetUploadFormResponse),
        (status = 413, description = "Larger than the file type's or the POST limit (code too_large), or than the caller's byte quota leaves (code quota_exceeded)", body = ErrorBody),
        (status = 415, description = "Content type or extension not allowed for this file type", body = ErrorBody),
        crate::http::error::ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<GetUploadFormRequest>,
) -> Result<Json<GetUploadFormResponse>, ApiError> {
    let now = state.clock.now();
    let object = NewObject::new(
        &identity,
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
    if req.size == Some(0) {
        return Err(ApiError::BadRequest(
            "size 0: a POST form upload holds at least 1 byte (its policy's content-length-range starts at 1); upload an empty file with get-upload-url".into(),
        ));
    }
    let allowed = object.check(&state.policy, req.size, UploadMethod::PostForm)?;
    let signer = state.signer.current().await?;
    let mut budget = QuotaBudget::new(&state, &identity.user);
    let mut max_size = allowed.max_size;
    if let Some(left) = budget.left(&object.file_type).await? {
        match req.size {
            Some(size) => budget.take(&object.file_type, size).await?,
            // Not one byte fits: refused as one byte would be.
            None if left == 0 => budget.take(&object.file_type, 1).await?,
            None => {}
        }
        // The store enforces the form's content-length-range.
        max_size = max_size.min(left);
    }
    let form = FormUpload {
        key: &object.key,
        user: &identity.user,
        content_type: &object.content_type,
        max_size,
        sha256: req.sha256,
        metadata: &req.metadata,
    };
    let expires_in = signer.lifetime(allowed.expires_in, now);
    let signed = form.presign(&signer, expires_in, now);
    state.metrics.presigned(PresignKind::Form, 1);
    Ok(Json(GetUploadFormResponse {
        url: signed.url.into(),
        fields: signed.fields,
        key: object.key.as_str().to_owned(),
        expires_in: expires_in.as_secs(),
    }))
}
