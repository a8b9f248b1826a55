//! CORS of the API and of the embedded store.

use crate::config::ApiCors;
use axum::http::{header, HeaderName, Method};
use std::time::Duration;
use tower_http::cors::{AllowHeaders, Any, CorsLayer};

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

/// The embedded store's CORS, as a bucket CORS rule would give on S3: any
/// origin, the methods uploads use, any request header (Content-Type,
/// x-amz-checksum-*), and ETag, the checksum and `Retry-After` exposed so
/// scripts can read them (without `ETag` exposed a browser cannot complete a
/// multipart upload).
pub fn store_layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::PUT,
            Method::POST,
            Method::HEAD,
            Method::DELETE,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            header::ETAG,
            HeaderName::from_static("x-amz-checksum-sha256"),
            header::RETRY_AFTER,
        ])
        .max_age(PREFLIGHT_MAX_AGE)
}
