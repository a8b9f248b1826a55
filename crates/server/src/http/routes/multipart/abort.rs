//! `DELETE /api/multipart/{upload_id}`: aborts the upload in the store (its
//! parts are deleted) and forgets it; 204. If the store fails, the upload is
//! kept so the abort can be retried.

use super::{open_session, UploadIdPath};
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::Identity;
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;

#[utoipa::path(
    delete,
    path = "/api/multipart/{upload_id}",
    operation_id = "abort_multipart",
    tag = "multipart",
    params(("upload_id" = String, Path, description = "The signer's upload id (32 hex digits)")),
    responses(
        (status = 204, description = "Aborted in the store (its parts deleted) and forgotten"),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    UploadIdPath(id): UploadIdPath,
) -> Result<StatusCode, ApiError> {
    let session = open_session(&state, &id, &identity).await?;
    let existed = state
        .store
        .abort_multipart(&session.key, &session.store_upload_id)
        .await?;
    if !existed {
        tracing::warn!(upload_id = %id, "the store had no such upload to abort");
    }
    state.sessions.remove(&id, &identity.user).await?;
    tracing::info!(upload_id = %id, key = session.key.as_str(), "multipart upload aborted");
    Ok(StatusCode::NO_CONTENT)
}
