//! The multipart control plane, one file per endpoint. The signer creates,
//! presigns parts, lists, completes and aborts; the bytes go from the browser
//! to the store and never pass the signer.
//!
//! Every endpoint under `/api/multipart/{upload_id}` answers the same 404
//! `not_found` for a malformed id, an unknown (finished, aborted) one, and
//! another user's, so ids cannot be probed.

pub mod abort;
pub mod complete;
pub mod create;
pub mod part_urls;
pub mod parts;

use crate::domain::upload_sessions::{UploadId, UploadSession};
use crate::http::error::ApiError;
use crate::http::extract::Identity;
use crate::http::state::AppState;
use crate::s3::store_client::StoreError;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

/// The `{upload_id}` of the path, in the id format, or a 404.
#[derive(Debug, Clone)]
pub struct UploadIdPath(pub UploadId);

impl<S: Send + Sync> FromRequestParts<S> for UploadIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::no_such_upload())?;
        UploadId::parse(&raw)
            .map(Self)
            .ok_or_else(ApiError::no_such_upload)
    }
}

/// The caller's open upload `id`, or a 404.
pub(crate) async fn open_session(
    state: &AppState,
    id: &UploadId,
    identity: &Identity,
) -> Result<UploadSession, ApiError> {
    state
        .sessions
        .get(id, &identity.user)
        .await?
        .ok_or_else(ApiError::no_such_upload)
}

/// A store error for an upload that the store no longer has: the session is
/// dropped and the caller gets the usual 404; other errors pass through.
pub(crate) async fn forget_if_gone(
    state: &AppState,
    id: &UploadId,
    identity: &Identity,
    err: StoreError,
) -> ApiError {
    if err.s3_code() == Some("NoSuchUpload") {
        tracing::warn!(upload_id = %id, "the store no longer has this upload; forgetting it");
        if let Err(e) = state.sessions.remove(id, &identity.user).await {
            return e.into();
        }
        ApiError::no_such_upload()
    } else {
        ApiError::Store(err)
    }
}
