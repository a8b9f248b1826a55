//! CORS of the API (the embedded store's own is [`crate::embedded`]'s).

use crate::config::ApiCors;
use axum::http::{header, Method};
use std::time::Duration;
use tower_http::cors::{Any, CorsLayer};

/// How long browsers may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The API's CORS: none for [`ApiCors::SameOrigin`]; otherwise the listed or
/// any origin may GET, POST JSON (Content-Type) and DELETE (abort a
/// multipart upload), with an Authorization header, and may read a 429's or
/// 503's `Retry-After` (the client waits as long as it asks).
pub fn api_layer(cors: &ApiCors) -> Option<CorsLayer> {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([header::RETRY_AFTER])
        .max_age(PREFLIGHT_MAX_AGE);
    match cors {
        ApiCors::SameOrigin => None,
        ApiCors::AnyOrigin => Some(layer.allow_origin(Any)),
        ApiCors::Origins(list) => Some(layer.allow_origin(list.clone())),
    }
}
