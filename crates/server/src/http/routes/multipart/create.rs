//! `POST /api/multipart`: plans the parts, starts a multipart upload in the
//! store (SHA-256 checksums unless `checksum: false`, the object's
//! Content-Type), and registers it under a fresh opaque id. With a
//! `client_token` ([`presign_core::protocol::client_token`]) a request sent again
//! answers the upload it created while that upload is open. Under a byte
//! quota the planned size counts from the create on (until the upload is
//! completed, when its record takes over, or aborted), and must fit what
//! is left.

use crate::domain::upload_policy::UploadMethod;
use crate::domain::upload_sessions::{Idempotency, SessionError, UploadId, UploadSession};
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::routes::new_object::NewObject;
use crate::http::routes::quota_budget::{self, QuotaBudget};
use crate::http::state::AppState;
use axum::extract::State;
use axum::Json;
use presign_core::protocol::client_token::ClientToken;
use presign_core::protocol::error::ErrorBody;
use presign_core::protocol::multipart::{CreateMultipartRequest, CreateMultipartResponse};
use presign_core::s3::part_plan::{PartPlan, PlanError, DEFAULT_PART_SIZE};
use presign_core::ObjectKey;
use std::time::Duration;

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
    let object = NewObject::new(
        &identity,
        &req.filename,
        &req.file_type,
        req.content_type.as_deref(),
        now,
        state.max_key_bytes,
    )?;
    object.check_metadata(&req.metadata)?;
    let plan = plan(req.size, req.part_size)?;
    let allowed = object.check(&state.policy, Some(req.size), UploadMethod::Multipart)?;
    let expires_in = allowed.expires_in.as_secs();
    if let Some(i) = &idempotency {
        if let Some(created) = created_before(&state, &identity, i, expires_in).await? {
            return Ok(Json(created));
        }
    }
    let limit = state.sessions.max_per_user();
    if state.sessions.open_count(&identity.user).await? >= limit {
        return Err(too_many(limit));
    }
    let mut budget = QuotaBudget::new(&state, &identity.user);
    budget.take(&object.file_type, plan.size()).await?;
    let quota = budget.limits(&object.file_type);
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
    if let Err(e) = state
        .sessions
        .insert_within(id.clone(), session, idempotency.clone(), quota)
        .await
    {
        let unregistered = Unregistered {
            key: &object.key,
            store_upload_id: &store_upload_id,
            idempotency: idempotency.as_ref(),
            expires_in,
        };
        return unregistered.answer(&state, &identity, e).await.map(Json);
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
        expires_in,
    }))
}

/// An upload the store opened but the registry refused: another request
/// took the user's last slot, or the client token, meanwhile.
struct Unregistered<'a> {
    key: &'a ObjectKey,
    store_upload_id: &'a str,
    idempotency: Option<&'a Idempotency>,
    expires_in: u64,
}

impl Unregistered<'_> {
    /// Aborts the store's upload, so nothing is left open, and answers as
    /// the registry's refusal says: 429 at the cap, 413 over the quota; and
    /// when a concurrent attempt of this same request took the token, its
    /// upload.
    async fn answer(
        &self,
        state: &AppState,
        identity: &Identity,
        refused: SessionError,
    ) -> Result<CreateMultipartResponse, ApiError> {
        if let Err(abort) = state
            .store
            .abort_multipart(self.key, self.store_upload_id)
            .await
        {
            tracing::warn!(error = %abort, key = self.key.as_str(), "cannot abort an unregistered upload");
        }
        match refused {
            SessionError::TooMany { limit } => Err(too_many(limit)),
            SessionError::OverQuota(e) => Err(quota_budget::refused(e)),
            SessionError::TokenTaken(_) => {
                let i = self
                    .idempotency
                    .ok_or_else(|| ApiError::Internal(refused.to_string()))?;
                created_before(state, identity, i, self.expires_in)
                    .await?
                    .ok_or_else(|| ApiError::Internal(format!("{refused}, then gone")))
            }
            SessionError::Taken(_) => Err(ApiError::Internal(refused.to_string())),
            SessionError::Db(e) => Err(e.into()),
        }
    }
}

/// The request's client token, checked, with the request it came with
/// (canonical JSON, the token left out).
fn idempotency(req: &CreateMultipartRequest) -> Result<Option<Idempotency>, ApiError> {
    let Some(token) = req.client_token.as_deref() else {
        return Ok(None);
    };
    let token = ClientToken::parse(token).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let request = serde_json::to_string(&CreateMultipartRequest {
        client_token: None,
        ..req.clone()
    })
    .map_err(|e| ApiError::Internal(format!("create request as JSON: {e}")))?;
    Ok(Some(Idempotency { token, request }))
}

/// The answer already given to this request, while its upload is open; a
/// 422 when the token came with another request.
async fn created_before(
    state: &AppState,
    identity: &Identity,
    idempotency: &Idempotency,
    expires_in: u64,
) -> Result<Option<CreateMultipartResponse>, ApiError> {
    let Some((id, session, request)) = state
        .sessions
        .by_client_token(&identity.user, &idempotency.token)
        .await?
    else {
        return Ok(None);
    };
    if request != idempotency.request {
        return Err(ApiError::Unprocessable(format!(
            "client_token {} was sent with another request (upload {id}); use a new token for each upload",
            idempotency.token
        )));
    }
    tracing::info!(upload_id = %id, key = session.key.as_str(), "multipart create sent again: the same upload");
    Ok(Some(CreateMultipartResponse {
        upload_id: id.to_string(),
        key: session.key.as_str().to_owned(),
        part_size: session.plan.part_size(),
        part_count: session.plan.part_count(),
        expires_in,
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
/// completes or aborts one (in this tab or another), so a short wait is the
/// honest hint; the client waits as long, and asks again.
pub const OPEN_UPLOADS_RETRY_AFTER: Duration = Duration::from_secs(3);

fn too_many(limit: usize) -> ApiError {
    ApiError::RateLimitedFor(
        format!("too many open multipart uploads ({limit}); complete or abort some first"),
        OPEN_UPLOADS_RETRY_AFTER,
    )
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
