//! `GET /api/uploads?limit=N&cursor=C`: the caller's completed uploads,
//! newest first, `limit` (1..=100, default 50) per page. Pass the answer's
//! `next_cursor` as `cursor` for the next page; it is absent on the last.
//! Only the caller's own records are ever listed.

use crate::domain::records::{DEFAULT_PAGE, MAX_PAGE};
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiQuery, Identity};
use crate::http::state::AppState;
use axum::extract::State;
use axum::Json;
use presign_core::protocol::records::ListUploadsResponse;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListUploadsQuery {
    /// Records per page, 1 to 100 (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/uploads",
    operation_id = "list_uploads",
    tag = "uploads",
    params(ListUploadsQuery),
    responses(
        (status = 200, description = "The caller's completed uploads, newest first", body = ListUploadsResponse),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiQuery(query): ApiQuery<ListUploadsQuery>,
) -> Result<Json<ListUploadsResponse>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_PAGE}, got {limit}"
        )));
    }
    let page = state
        .records
        .list(&identity.user, limit, query.cursor.as_deref())
        .await?
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(Json(ListUploadsResponse {
        uploads: page.uploads,
        next_cursor: page.next_cursor,
    }))
}
