//! `POST /api/multipart`: plans the parts, starts a multipart upload in the
//! store (SHA-256 checksums unless `checksum: false`, the object's
//! Content-Type), and registers it under a fresh opaque id. With a
//! `client_token` ([`presign_core::protocol::client_token`]) a request sent again
//! answers the upload it created while that upload is open. Under a byte
//! quota the planned size counts from the create on (until the upload is
//! completed, when its record takes over, or aborted), and must fit what
//! is left.
//!
//! The create's intent ([`crate::domain::create_intents`]) is written
//! before the store is asked and settled when the upload is registered, so
//! an upload the store opened for an attempt that registered nothing (its
//! signer gone, the store's answer lost) is not lost: the same request
//! sent again with its token reuses the earlier attempt's key and takes
//! over the upload open there (ListMultipartUploads), and the collector
//! aborts what no retry came for.

use crate::domain::create_intents::{CreateIntent, IntentId};
use crate::domain::upload_policy::UploadMethod;
use crate::domain::upload_sessions::{UploadId, UploadSession};
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::routes::new_object::{Asked, NewObject};
use crate::http::routes::quota_budget::QuotaBudget;
use crate::http::state::AppState;
use crate::s3::signer::NewObjectHeaders;
use axum::extract::State;
use axum::Json;
use client_token::{attempted_before, created_before, idempotency};
use jiff::Timestamp;
use open_uploads_cap::too_many;
use presign_core::protocol::error::ErrorBody;
use presign_core::protocol::multipart::{CreateMultipartRequest, CreateMultipartResponse};
use presign_core::s3::part_plan::{PartPlan, PlanError, DEFAULT_PART_SIZE};
use store_upload::{forget, open_in_store};
use unregistered::Unregistered;

mod client_token;
mod open_uploads_cap;
mod store_upload;
mod unregistered;

#[utoipa::path(
    post,
    path = "/api/multipart",
    operation_id = "create_multipart",
    tag = "multipart",
    request_body = CreateMultipartRequest,
    responses(
        (status = 200, description = "The upload, its id and the part plan to follow", body = CreateMultipartResponse),
        (status = 413, description = "Larger than the file type's limit or S3's (code too_large), or than the caller's byte quota leaves (code quota_exceeded)", body = ErrorBody),
        (status = 415, description = "Content type or extension not allowed for this file type", body = ErrorBody),
        (status = 422, description = "The client_token was sent before with another request", body = ErrorBody),
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
    let idempotency = idempotency(&req)?;
    let object = new_object(&state, &identity, &req, now)?;
    let plan = plan(req.size, req.part_size)?;
    let allowed = object.check(&state.policy, Some(req.size), UploadMethod::Multipart)?;
    let expires_in = allowed.expires_in.as_secs();
    let mut earlier = None;
    if let Some(i) = &idempotency {
        if let Some(created) = created_before(&state, &identity, i, expires_in).await? {
            return Ok(Json(created));
        }
        earlier = attempted_before(&state, &identity, i).await?;
    }
    let limit = state.sessions.max_per_user();
    if state.sessions.open_count(&identity.user).await? >= limit {
        return Err(too_many(limit));
    }
    let mut budget = QuotaBudget::new(&state, &identity.user);
    budget.take(&object.file_type, plan.size()).await?;
    let quota = budget.limits(&object.file_type);
    let checksums = req.checksum.unwrap_or(true);
    // An earlier attempt's key: the upload it asked for may be open there.
    let after_earlier = earlier.is_some();
    let key = earlier.map_or_else(|| object.key.clone(), |e| e.key);
    let intents = state.sessions.create_intents();
    let intent = CreateIntent {
        id: IntentId::random(),
        user: identity.user.clone(),
        key: key.clone(),
        idempotency: idempotency.clone(),
        started_at: now,
    };
    intents.record(&intent).await?;
    let headers = NewObjectHeaders {
        content_type: &object.content_type,
        checksums,
        metadata: &req.metadata,
    };
    let opened = match open_in_store(&state, &key, &headers, after_earlier).await {
        Ok(opened) => opened,
        Err(e) => {
            // Without the store's answer, an upload may be open: the
            // intent stays, for a retry or the collector to find it.
            if !e.outcome_unknown() {
                forget(&intents, &intent.id).await;
            }
            return Err(e.into());
        }
    };
    let id = UploadId::random();
    let session = UploadSession {
        user: identity.user.clone(),
        key: key.clone(),
        store_upload_id: opened.store_upload_id.clone(),
        plan,
        content_type: object.content_type,
        file_type: object.file_type,
        // The server's clock: the stale-upload collector measures against it.
        created_at: now,
        checksums,
    };
    if let Err(e) = state
        .sessions
        .insert_within(
            id.clone(),
            session,
            idempotency.clone(),
            quota,
            Some(intent.id.clone()),
        )
        .await
    {
        let unregistered = Unregistered {
            key: &key,
            opened: &opened,
            intents: &intents,
            intent: &intent.id,
            idempotency: idempotency.as_ref(),
            expires_in,
        };
        return unregistered.answer(&state, &identity, e).await.map(Json);
    }
    tracing::info!(
        upload_id = %id,
        key = key.as_str(),
        size = plan.size(),
        parts = plan.part_count(),
        "multipart upload started"
    );
    Ok(Json(CreateMultipartResponse {
        upload_id: id.to_string(),
        key: key.as_str().to_owned(),
        part_size: plan.part_size(),
        part_count: plan.part_count(),
        expires_in,
    }))
}

/// The object the request asks for: its key, type and metadata, checked.
fn new_object(
    state: &AppState,
    identity: &Identity,
    req: &CreateMultipartRequest,
    now: Timestamp,
) -> Result<NewObject, ApiError> {
    let asked = Asked {
        filename: &req.filename,
        file_type: &req.file_type,
        content_type: req.content_type.as_deref(),
        metadata: &req.metadata,
    };
    NewObject::new(identity, &asked, &state.policy, now, state.max_key_bytes)
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

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::s3::limits::{MAX_OBJECT_SIZE, MIB};

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
