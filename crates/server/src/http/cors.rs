//! CORS of the API (the embedded store's own is [`crate::embedded`]'s).

use crate::config::ApiCors;
use crate::hosts::is_loopback_origin;
use axum::http::{header, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long browsers may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The API's CORS: none for [`ApiCors::SameOrigin`]; otherwise the listed
/// origins (and, in development mode, pages on a loopback name) may GET,
/// POST JSON (Content-Type) and DELETE (abort a multipart upload), with an
/// Authorization header, and may read a 429's or 503's `Retry-After` (the
/// client waits as long as it asks). Other origins get no CORS headers, so
/// their pages cannot read the answers.
pub fn api_layer(cors: &ApiCors) -> Option<CorsLayer> {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .expose_headers([header::RETRY_AFTER])
        .max_age(PREFLIGHT_MAX_AGE);
    match cors {
        ApiCors::SameOrigin => None,
        ApiCors::LoopbackAnd(list) => {
            let also = list.clone();
            let allowed = move |origin: &HeaderValue, _: &axum::http::request::Parts| {
                is_loopback_origin(origin.as_bytes()) || also.contains(origin)
            };
            Some(layer.allow_origin(AllowOrigin::predicate(allowed)))
        }
        ApiCors::Origins(list) => Some(layer.allow_origin(list.clone())),
    }
}
