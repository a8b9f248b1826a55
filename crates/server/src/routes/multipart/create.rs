//! `POST /api/multipart`: plans the parts, starts a multipart upload in the
//! store (SHA-256 checksums unless `checksum: false`, the object's
//! Content-Type), and registers it under a fresh opaque id.

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::identity::Identity;
use crate::policy::UploadMethod;
use crate::routes::new_object::NewObject;
use crate::routes::openapi::ApiErrors;
use crate::state::AppState;
use crate::upload_sessions::{SessionError, UploadId, UploadSession};
use axum::extract::State;
use axum::Json;
use presign_core::multipart_protocol::{CreateMultipartRequest, CreateMultipartResponse};
use presign_core::part_plan::{PartPlan, PlanError, DEFAULT_PART_SIZE};
use presign_core::protocol::ErrorBody;
use std::time::Duration;

#[utoipa::path(
    post,
    path = "/api/multipart",
    operation_id = "create_multipart",
    tag = "multipart",
    request_body = CreateMultipartRequest,
    responses(
        (status = 200, description = "The upload, its id and the part plan to follow", body = CreateMultipartResponse),
        (status = 413, description = "Larger than the file type's limit or S3's", body = ErrorBody),
        (status = 415, description = "Content type or extension not allowed for this file type", body = ErrorBody),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<CreateMultipartRequest>,
) -> Result<Json<CreateMultipartResponse>, ApiError> {
    let now = state.clock.now();
    let object = NewObject::new(
        &identity,
        &req.filename,
        &req.file_type,
        req.content_type.as_deref(),
        now,
        state.max_key_bytes,
    )?;
    let plan = plan(req.size, req.part_size)?;
    let allowed = object.check(&state.policy, Some(req.size), UploadMethod::Multipart)?;
    let limit = state.sessions.max_per_user();
    if state.sessions.open_count(&identity.user).await? >= limit {
        return Err(too_many(limit));
    }
    let checksums = req.checksum.unwrap_or(true);
    let store_upload_id = state
        .store
        .create_multipart(&object.key, &object.content_type, checksums)
        .await?;
    let id = UploadId::random();
    let session = UploadSession {
        user: identity.user.clone(),
        key: object.key.clone(),
        store_upload_id: store_upload_id.clone(),
        plan,
        content_type: object.content_type,
        file_type: object.file_type,
        // The server's clock: the stale-upload collector measures against it.
        created_at: now,
        checksums,
    };
    if let Err(e) = state.sessions.insert(id.clone(), session).await {
        // Another request took the last slot meanwhile: leave nothing open.
        if let Err(abort) = state
            .store
            .abort_multipart(&object.key, &store_upload_id)
            .await
        {
            tracing::warn!(error = %abort, key = object.key.as_str(), "cannot abort an unregistered upload");
        }
        return Err(match e {
            SessionError::TooMany { limit } => too_many(limit),
            SessionError::Taken(_) => ApiError::Internal(e.to_string()),
            SessionError::Db(e) => e.into(),
        });
    }
    tracing::info!(
        upload_id = %id,
        key = object.key.as_str(),
        size = plan.size(),
        parts = plan.part_count(),
        "multipart upload started"
    );
    Ok(Json(CreateMultipartResponse {
        upload_id: id.to_string(),
        key: object.key.as_str().to_owned(),
        part_size: plan.part_size(),
        part_count: plan.part_count(),
        expires_in: allowed.expires_in.as_secs(),
    }))
}

/// The part plan for `size` bytes; an empty file is a single PUT's job.
fn plan(size: u64, part_size: Option<u64>) -> Result<PartPlan, ApiError> {
    if size == 0 {
        return Err(ApiError::BadRequest(
            "size must be at least 1 byte; upload an empty file with a single PUT (POST /api/get-upload-url)".into(),
        ));
    }
    PartPlan::new(size, part_size.unwrap_or(DEFAULT_PART_SIZE)).map_err(|e| match e {
        PlanError::TooLarge { .. } => ApiError::TooLarge(format!("size: {e}")),
        other => ApiError::BadRequest(format!("part_size: {other}")),
    })
}

/// `Retry-After` of the open-uploads cap: a slot frees when the caller
/// completes or aborts one, so a short wait is the honest hint.
pub const OPEN_UPLOADS_RETRY_AFTER: Duration = Duration::from_secs(10);

fn too_many(limit: usize) -> ApiError {
    ApiError::RateLimitedFor(
        format!("too many open multipart uploads ({limit}); complete or abort some first"),
        OPEN_UPLOADS_RETRY_AFTER,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::limits::{MAX_OBJECT_SIZE, MIB};

    #[test]
    fn plans_and_refusals() {
        let p = plan(11 * MIB, Some(5 * MIB)).expect("plan");
        assert_eq!((p.part_size(), p.part_count()), (5 * MIB, 3));
        let p = plan(20 * MIB, None).expect("plan");
        assert_eq!(p.part_size(), DEFAULT_PART_SIZE);
        assert!(matches!(plan(0, None), Err(ApiError::BadRequest(_))));
        assert!(matches!(
            plan(MAX_OBJECT_SIZE + 1, None),
            Err(ApiError::TooLarge(_))
        ));
        // Wanted sizes outside S3's limits are clamped, not refused.
        assert_eq!(plan(6 * MIB, Some(1)).expect("plan").part_size(), 5 * MIB);
    }
}
