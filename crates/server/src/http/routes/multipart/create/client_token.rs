//! A create's `client_token` ([`presign_core::protocol::client_token`]):
//! the request it came with, the answer given to it before while that
//! upload is open, and an earlier attempt that registered nothing.

use crate::domain::create_intents::CreateIntent;
use crate::domain::upload_sessions::Idempotency;
use crate::http::error::ApiError;
use crate::http::extract::Identity;
use crate::http::state::AppState;
use presign_core::protocol::client_token::ClientToken;
use presign_core::protocol::multipart::{CreateMultipartRequest, CreateMultipartResponse};

/// The request's client token, checked, with the request it came with
/// (canonical JSON, the token left out).
pub(super) fn idempotency(req: &CreateMultipartRequest) -> Result<Option<Idempotency>, ApiError> {
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
pub(super) async fn created_before(
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

/// An earlier attempt of this create (same user, same token) that
/// registered nothing; a 422 when the token came with another request.
pub(super) async fn attempted_before(
    state: &AppState,
    identity: &Identity,
    idempotency: &Idempotency,
) -> Result<Option<CreateIntent>, ApiError> {
    let intents = state.sessions.create_intents();
    let Some(earlier) = intents
        .by_client_token(&identity.user, &idempotency.token)
        .await?
    else {
        return Ok(None);
    };
    match &earlier.idempotency {
        Some(i) if i.request == idempotency.request => Ok(Some(earlier)),
        _ => Err(ApiError::Unprocessable(format!(
            "client_token {} was sent with another request; use a new token for each upload",
            idempotency.token
        ))),
    }
}
