//! The HTTP side of the signer: the router ([`app`]), its shared state, the
//! API's error answers, the extractors, CORS, the `Host` check, the request
//! limits (time and concurrency), the OpenAPI document, the static files,
//! the per-request log line and metrics, and one module per endpoint
//! ([`routes`]).
//!
//! Everything below `domain/`, `auth/` and `s3/` answers its own errors;
//! [`error`] maps them to the API's answers, so nothing outside this folder
//! knows HTTP status codes.

mod cors;
pub mod error;
pub mod extract;
pub mod health;
mod host_check;
pub mod metrics;
pub mod openapi;
mod request_limits;
mod request_observer;
pub mod routes;
pub mod state;
mod static_files;

use axum::middleware::from_fn_with_state;
use axum::Router;
use request_limits::Limiter;
use state::AppState;
use std::sync::Arc;
use tower::util::option_layer;

/// The whole HTTP application: the JSON API under `/api` (with its CORS),
/// `/healthz` and `/metrics`, the wasm package under `/pkg/`, the demo page
/// at `/`. Every request is logged and counted (`request_observer`), then
/// refused unless its `Host` is allowed (`host_check`), then held to the
/// time and concurrency limits (`request_limits`).
pub fn app(state: AppState) -> Router {
    let hosts = Arc::new(state.web.hosts.clone());
    let limiter = Limiter::new(state.web.limits);
    routes::router()
        .layer(option_layer(cors::api_layer(&state.web.cors)))
        .merge(static_files::router(&state.web))
        .layer(from_fn_with_state(limiter, request_limits::enforce))
        .layer(from_fn_with_state(hosts, host_check::check))
        .layer(from_fn_with_state(state.clone(), request_observer::observe))
        .with_state(state)
}
