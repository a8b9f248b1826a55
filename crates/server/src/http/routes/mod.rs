//! The JSON API under `/api`, `/healthz` and `/metrics`: one file per endpoint.

pub(crate) mod batch;
pub mod download_url;
pub mod file_uploaded;
pub mod files_uploaded;
pub mod get_upload_form;
pub mod get_upload_url;
pub mod get_upload_urls;
pub mod healthz;
pub mod metrics;
pub mod multipart;
pub(crate) mod new_object;
pub(crate) mod quota_budget;
pub mod uploads;

use crate::http::error::ApiError;
use crate::http::extract::{body_limit, BODY_LIMIT, COMPLETE_BODY_LIMIT};
use crate::http::openapi;
use crate::http::state::AppState;
use axum::http::Method;
use axum::routing::{any, delete, get, post};
use axum::Router;

/// The API routes under `/api`. Unknown paths there answer a JSON 404, wrong
/// methods a JSON 405 (not the static files' empty 404); a body over 64 KiB
/// (2 MiB for a Complete: `BODY_LIMIT` and `COMPLETE_BODY_LIMIT` of
/// `http::extract`), a JSON 413.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/get-upload-url", post(get_upload_url::handler))
        .route("/api/get-upload-urls", post(get_upload_urls::handler))
        .route("/api/get-upload-form", post(get_upload_form::handler))
        .route("/api/file-uploaded", post(file_uploaded::handler))
        .route("/api/files-uploaded", post(files_uploaded::handler))
        .route("/api/download-url", get(download_url::handler))
        .route("/api/uploads", get(uploads::handler))
        .route("/api/multipart", post(multipart::create::handler))
        .route(
            "/api/multipart/{upload_id}",
            delete(multipart::abort::handler),
        )
        .route(
            "/api/multipart/{upload_id}/part-urls",
            post(multipart::part_urls::handler),
        )
        .route(
            "/api/multipart/{upload_id}/parts",
            get(multipart::parts::handler),
        )
        .route(
            multipart::complete::PATH,
            post(multipart::complete::handler).layer(body_limit(COMPLETE_BODY_LIMIT)),
        )
        .route("/api/openapi.json", get(openapi::handler))
        .route("/healthz", get(healthz::handler))
        .route("/metrics", get(metrics::handler))
        .route("/api", any(not_found))
        .route("/api/", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(body_limit(BODY_LIMIT))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such API endpoint".into())
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}
