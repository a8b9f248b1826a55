//! `GET /api/download-url?key=...`: a presigned GET for one of the caller's
//! own objects, once the store confirms it exists.

use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiQuery, Identity};
use crate::http::metrics::PresignKind;
use crate::http::state::AppState;
use axum::extract::State;
use axum::Json;
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
        (status = 200, description = "A presigned GET of the caller's object", body = DownloadUrlResponse),
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
    state
        .store
        .head_object(&key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let url = state
        .signer
        .presign_get(&key, state.expires_in, state.clock.now());
    state.metrics.presigned(PresignKind::Download, 1);
    Ok(Json(DownloadUrlResponse {
        url: url.into(),
        key: key.as_str().to_owned(),
        expires_in: state.expires_in.as_secs(),
    }))
}
