//! `GET /metrics`: the server's [`crate::http::metrics`] in the Prometheus text
//! format. The open-uploads gauge is read from the database at each scrape.

use crate::http::error::ApiError;
use crate::http::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"),
    )
)]
pub async fn handler(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let open = state.sessions.total_open().await?;
    let text = state
        .metrics
        .encode(open)
        .map_err(|e| ApiError::Internal(format!("cannot encode the metrics: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, crate::http::metrics::CONTENT_TYPE)],
        text,
    ))
}
