//! `GET /api/download-url?key=...`: a presigned GET for one of the caller's
//! own objects, once the store confirms it exists and, when the upload was
//! confirmed, that it is still the object recorded then (409 otherwise:
//! the object was replaced behind the signer's back).
//!
//! The GET signs how the store must answer ([`crate::domain::download`]):
//! as an attachment named after the file, or inline for the few passive
//! types a browser only displays, so that no uploaded HTML or SVG runs on
//! the store's origin. The file name is the key's last segment (the
//! sanitised name the upload gave); the type is the one the store keeps.

use crate::domain::download::{filename_of_key, presentation};
use crate::domain::records;
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiQuery, Identity};
use crate::http::metrics::PresignKind;
use crate::http::state::AppState;
use crate::s3::signer::GetOverrides;
use axum::extract::State;
use axum::Json;
use presign_core::protocol::error::ErrorBody;
use presign_core::protocol::single::DownloadUrlResponse;
use presign_core::ObjectKey;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadUrlQuery {
    /// A key the caller uploaded (under `users/{sub}/`).
    pub key: String,
}

#[utoipa::path(
    get,
    path = "/api/download-url",
    operation_id = "download_url",
    tag = "uploads",
    params(DownloadUrlQuery),
    responses(
        (status = 200, description = "A presigned GET of the caller's object, as an attachment unless its type is passive", body = DownloadUrlResponse),
        (status = 409, description = "The object was replaced after its upload was confirmed (code checksum_mismatch)", body = ErrorBody),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiQuery(query): ApiQuery<DownloadUrlQuery>,
) -> Result<Json<DownloadUrlResponse>, ApiError> {
    let key = ObjectKey::owned_by(&query.key, &identity.user)?;
    let info = state
        .store
        .head_object(&key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Some(record) = state.records.by_key(&identity.user, key.as_str()).await? {
        let stored = records::Stored {
            size: info.size,
            etag: &info.etag,
            sha256: info.sha256.as_deref(),
        };
        if let Some(change) = records::changed_since(&record, &stored) {
            tracing::warn!(key = key.as_str(), %change, "download refused: the object changed after its upload was confirmed");
            return Err(ApiError::Conflict(change));
        }
    }
    let shown = presentation(
        filename_of_key(key.as_str()),
        info.content_type.as_deref(),
        state.policy.inline_pdf,
    );
    let overrides = GetOverrides {
        content_disposition: Some(shown.content_disposition),
        content_type: shown.content_type,
    };
    let signer = state.signer.current().await?;
    let now = state.clock.now();
    let expires_in = signer.lifetime(state.expires_in, now);
    let url = signer.presign_get(&key, &overrides, expires_in, now);
    state.metrics.presigned(PresignKind::Download, 1);
    Ok(Json(DownloadUrlResponse {
        url: url.into(),
        key: key.as_str().to_owned(),
        expires_in: expires_in.as_secs(),
    }))
}
