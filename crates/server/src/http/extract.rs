//! What handlers take from a request: the caller ([`Identity`],
//! authenticated and rate-limited), and axum's `Json` and `Query` extractors
//! with their rejections turned into [`ApiError`]s, so malformed input gets
//! the API's JSON error shape and a message naming the problem (serde's
//! text names the field). JSON bodies are read up to [`BODY_LIMIT`]
//! ([`COMPLETE_BODY_LIMIT`] for a multipart Complete, each route's set by
//! [`body_limit`]); past it, a 413.

use crate::auth::Authenticator;
use crate::domain::rate_limit::UserRateLimiter;
use crate::http::error::ApiError;
use crate::http::request_observer::Caller;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRef, FromRequest, FromRequestParts, Query, Request};
use axum::http::header::CONTENT_LENGTH;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::{Extension, Json};
use presign_core::UserId;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tower::layer::util::{Identity as NoLayer, Stack};
use tower::ServiceBuilder;

/// The largest JSON body the API reads: 64 KiB is room for a batch of 100
/// files with names of 255 bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The largest body a multipart Complete reads: room for S3's 10,000 parts
/// at 200 bytes each (a part takes about 100: its number, a quoted ETag,
/// a SHA-256).
pub const COMPLETE_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The caller: every key it may sign, confirm or download lives under
/// `users/{user}/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: UserId,
}

/// The caller, from any state that holds an [`Authenticator`] and a
/// [`UserRateLimiter`]: every endpoint that takes it is authenticated
/// (401 without valid credentials; 503 while the keys that check them
/// cannot be fetched), limited per user (429), and names its caller in the
/// request's log line ([`Caller`]).
impl<S> FromRequestParts<S> for Identity
where
    S: Send + Sync,
    Arc<Authenticator>: FromRef<S>,
    Arc<UserRateLimiter>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Arc::<Authenticator>::from_ref(state);
        let user = auth.authenticate(&parts.headers).await?;
        if let Some(caller) = parts.extensions.get::<Caller>() {
            caller.set(&user);
        }
        Arc::<UserRateLimiter>::from_ref(state).check(&user)?;
        Ok(Identity { user })
    }
}

/// A JSON body of type `T`, or a JSON 4xx.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = req.extensions().get::<BodyLimit>().copied();
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if let (Some(limit), Some(declared)) = (limit, declared) {
            if declared > limit.0 as u64 {
                return Err(too_large(Some(limit)));
            }
        }
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(&rejection, limit)),
        }
    }
}

/// A route's body limit, as [`body_limit`] sets it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(usize);

/// The layers holding a route's bodies to `limit` bytes: axum's
/// [`DefaultBodyLimit`] (a body growing past it), and the limit
/// [`ApiJson`] checks a declared `Content-Length` against (refused before
/// a byte is read, rather than waited for).
pub fn body_limit(
    limit: usize,
) -> ServiceBuilder<Stack<Extension<BodyLimit>, Stack<DefaultBodyLimit, NoLayer>>> {
    ServiceBuilder::new()
        .layer(DefaultBodyLimit::max(limit))
        .layer(Extension(BodyLimit(limit)))
}

/// 413, naming the limit when it is known.
fn too_large(limit: Option<BodyLimit>) -> ApiError {
    ApiError::TooLarge(match limit {
        Some(BodyLimit(limit)) => format!(
            "the request body is larger than the {} KiB this endpoint reads",
            limit / 1024
        ),
        None => "the request body is too large".to_owned(),
    })
}

fn json_rejection(rejection: &JsonRejection, limit: Option<BodyLimit>) -> ApiError {
    let text = rejection.body_text();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedType(
            "the request body must be JSON (Content-Type: application/json)".into(),
        ),
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(limit),
        JsonRejection::JsonSyntaxError(_) => ApiError::BadRequest(format!(
            "the request body is not valid JSON: {}",
            strip(&text)
        )),
        JsonRejection::JsonDataError(_) => {
            ApiError::BadRequest(format!("invalid request: {}", strip(&text)))
        }
        _ => ApiError::BadRequest(format!("cannot read the request body: {text}")),
    }
}

/// Drops axum's generic preamble ("Failed to deserialize the JSON body into
/// the target type: "), keeping serde's part, which names the field.
fn strip(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, rest)| rest)
}

/// A query string of type `T`, or a JSON 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    ApiError::BadRequest(format!(
        "invalid query string: {}",
        strip(&rejection.body_text())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_keeps_serdes_part() {
        assert_eq!(
            strip("Failed to deserialize the JSON body into the target type: missing field `file_type` at line 1 column 18"),
            "missing field `file_type` at line 1 column 18"
        );
        assert_eq!(strip("no colon"), "no colon");
    }
}
