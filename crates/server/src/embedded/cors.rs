//! The embedded store's CORS, as a bucket CORS rule would give on S3: pages
//! on a loopback name (`localhost`, `127.0.0.1`, `[::1]`; http or https,
//! any port) and the origins of `--allow-origin`, the methods uploads use,
//! any request header (Content-Type, x-amz-checksum-*), and ETag, the
//! checksum and `Retry-After` exposed so scripts can read them (without
//! `ETag` exposed a browser cannot complete a multipart upload).

use crate::hosts::is_loopback_origin;
use axum::http::{header, HeaderName, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// How long browsers may cache a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// The layer in front of the store's S3 service, for loopback pages and
/// `also`.
pub fn layer(also: Vec<HeaderValue>) -> CorsLayer {
    let allowed = move |origin: &HeaderValue, _: &axum::http::request::Parts| {
        is_loopback_origin(origin.as_bytes()) || also.contains(origin)
    };
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(allowed))
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
