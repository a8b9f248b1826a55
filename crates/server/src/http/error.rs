//! The API's one error type. Every error answers `{"error": {"code", "message"}}`
//! (core's [`ErrorBody`]). Client errors say what was wrong; store and internal
//! errors are logged in full and answered with a generic message.
//!
//! The errors of the layers below (auth, domain, store, database) become
//! [`ApiError`]s here, and only here; [`ApiErrors`] documents the answers
//! every endpoint may give (OpenAPI).

use crate::auth::AuthError;
use crate::db::DbError;
use crate::domain::quota::QuotaExceeded;
use crate::domain::rate_limit::RateLimited;
use crate::domain::upload_policy::PolicyError;
use crate::s3::credentials_cache::CredentialsUnavailable;
use crate::s3::store_client::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use presign_core::keys::object_key::KeyError;
use presign_core::protocol::error::ErrorBody;
use presign_core::ErrorCode;
use utoipa::IntoResponses;

/// Message of every `not_found`, so that answers reveal nothing about keys
/// that belong to others.
pub const NO_SUCH_OBJECT: &str = "no such object";

/// Message of every unknown multipart upload id: the same for a malformed
/// id, a finished or aborted upload, and another user's upload.
pub const NO_SUCH_UPLOAD: &str = "no such multipart upload";

/// The `Retry-After` of a 503 while the server is busy, in seconds.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The `Retry-After` of a 503 while the database cannot be reached, in
/// seconds: about what a restart or a fail-over of PostgreSQL takes.
const DATABASE_DOWN_RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed input; the message names the field and the problem.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedType(String),
    /// Over the caller's byte quota (413 `quota_exceeded`); the message
    /// says how many bytes are left.
    #[error("{0}")]
    QuotaExceeded(String),
    /// The bytes do not match their SHA-256 (400 `checksum_mismatch`).
    #[error("{0}")]
    ChecksumMismatch(String),
    /// The store assembled something other than what was agreed (409
    /// `checksum_mismatch`): the request was well-formed, the result is wrong.
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but it contradicts an earlier request: a client token
    /// sent again with another request (422 `bad_request`).
    #[error("{0}")]
    Unprocessable(String),
    /// 429 with `Retry-After` (whole seconds, at least 1).
    #[error("{0}")]
    RateLimitedFor(String, std::time::Duration),
    /// No valid credentials (401 `unauthorized`, `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    Unauthorized(String),
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    /// Refused whoever the caller is: a `Host` this server does not answer
    /// to (403 `forbidden`).
    #[error("{0}")]
    Forbidden(String),
    /// The server cannot take more work now (its database queue is full):
    /// 503 `server` with `Retry-After: 1`; the text goes to the log only.
    #[error("busy: {0}")]
    Busy(String),
    /// The keys that check tokens cannot be fetched from the identity
    /// provider (503 `server` with `Retry-After`: when a fetch may be
    /// tried again).
    #[error("the identity provider's keys are not available")]
    IdentityUnavailable(std::time::Duration),
    /// The database cannot be reached (PostgreSQL down or restarting): 503
    /// `server` with `Retry-After: 5`; the text goes to the log only.
    #[error("database unavailable: {0}")]
    DatabaseDown(String),
    /// The request took longer than `--request-timeout` (503 `server`).
    #[error("the request took longer than {} s", .0.as_secs_f64())]
    TimedOut(std::time::Duration),
    /// The store failed (502), could not be reached (503) or is full (507).
    #[error(transparent)]
    Store(StoreError),
    /// No credentials to sign with (temporary ones that could not be had
    /// or refreshed): 503 `server` with `Retry-After`; the cause goes to
    /// the log only.
    #[error(transparent)]
    NoCredentials(#[from] CredentialsUnavailable),
    /// The server's own disk is full (507 `storage_full`); the text goes to
    /// the log only.
    #[error("storage full: {0}")]
    StorageFull(String),
    /// A bug or an impossible state; the text goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn not_found() -> Self {
        ApiError::NotFound(NO_SUCH_OBJECT.to_owned())
    }

    pub fn no_such_upload() -> Self {
        ApiError::NotFound(NO_SUCH_UPLOAD.to_owned())
    }

    pub fn status_code_message(&self) -> (StatusCode, ErrorCode, String) {
        let client = |code: ErrorCode, msg: &str| {
            let status =
                StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, code, msg.to_owned())
        };
        match self {
            ApiError::BadRequest(m) => client(ErrorCode::BadRequest, m),
            ApiError::NotFound(m) => client(ErrorCode::NotFound, m),
            ApiError::TooLarge(m) => client(ErrorCode::TooLarge, m),
            ApiError::UnsupportedType(m) => client(ErrorCode::UnsupportedType, m),
            ApiError::QuotaExceeded(m) => client(ErrorCode::QuotaExceeded, m),
            ApiError::ChecksumMismatch(m) => client(ErrorCode::ChecksumMismatch, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, ErrorCode::ChecksumMismatch, m.clone()),
            ApiError::Unprocessable(m) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::BadRequest,
                m.clone(),
            ),
            ApiError::RateLimitedFor(m, _) => client(ErrorCode::RateLimited, m),
            ApiError::Unauthorized(m) => client(ErrorCode::Unauthorized, m),
            ApiError::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::BadRequest,
                self.to_string(),
            ),
            ApiError::Forbidden(m) => client(ErrorCode::Forbidden, m),
            ApiError::Busy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Server,
                "the server is busy; try again in a moment".to_owned(),
            ),
            ApiError::IdentityUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Server,
                "the keys that verify tokens cannot be fetched from the identity provider yet; try again later".to_owned(),
            ),
            ApiError::DatabaseDown(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Server,
                "the database cannot be reached; try again in a moment".to_owned(),
            ),
            ApiError::TimedOut(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Server,
                format!("{self}; try again later"),
            ),
            ApiError::Store(e) if e.is_storage_full() => storage_full(),
            ApiError::Store(StoreError::Unreachable(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Server,
                "the storage service cannot be reached; try again later".to_owned(),
            ),
            ApiError::Store(_) => (
                StatusCode::BAD_GATEWAY,
                ErrorCode::Server,
                "the storage service failed; try again later".to_owned(),
            ),
            ApiError::NoCredentials(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Server,
                "the server cannot sign requests to the storage service right now; try again shortly"
                    .to_owned(),
            ),
            ApiError::StorageFull(_) => storage_full(),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Server,
                "internal server error".to_owned(),
            ),
        }
    }
}

/// A store call that had no credentials to sign with is [`ApiError::NoCredentials`].
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Credentials(e) => ApiError::NoCredentials(e),
            other => ApiError::Store(other),
        }
    }
}

/// A full disk is 507 `storage_full`, a full queue or an unreachable
/// database 503 with `Retry-After`; any other database failure a 500.
impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if matches!(e, DbError::Busy) {
            ApiError::Busy(e.to_string())
        } else if e.is_unavailable() {
            ApiError::DatabaseDown(e.to_string())
        } else if e.is_disk_full() {
            ApiError::StorageFull(e.to_string())
        } else {
            ApiError::Internal(e.to_string())
        }
    }
}

/// 413 over a size limit, 415 for a type or extension the policy refuses,
/// 400 for a size the policy needs but was not given.
impl From<PolicyError> for ApiError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
            PolicyError::SizeRequired { .. }
            | PolicyError::BadMetadata(_)
            | PolicyError::MetadataName { .. } => ApiError::BadRequest(e.to_string()),
            PolicyError::ContentType { .. }
            | PolicyError::ActiveContent { .. }
            | PolicyError::Extension { .. } => ApiError::UnsupportedType(e.to_string()),
        }
    }
}

/// 413 `quota_exceeded`, with the bytes left.
impl From<QuotaExceeded> for ApiError {
    fn from(e: QuotaExceeded) -> Self {
        ApiError::QuotaExceeded(e.to_string())
    }
}

/// 429 with `Retry-After`.
impl From<RateLimited> for ApiError {
    fn from(e: RateLimited) -> Self {
        ApiError::RateLimitedFor(e.to_string(), e.retry_after)
    }
}

/// A key a client names, accepted only inside the caller's prefix: a key
/// outside it is "not found" (never "forbidden"), so others' keys cannot
/// be probed; a malformed one is a 400.
impl From<KeyError> for ApiError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::OutsidePrefix => ApiError::not_found(),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

/// 401 for missing or refused credentials; 503 while the keys that check
/// them cannot be fetched.
impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::DevUser(_) => ApiError::Internal(e.to_string()),
            AuthError::KeysUnavailable(e) => ApiError::IdentityUnavailable(e.retry_after),
            _ => ApiError::Unauthorized(e.to_string()),
        }
    }
}

/// 507 `storage_full`, whichever disk it was.
fn storage_full() -> (StatusCode, ErrorCode, String) {
    (
        StatusCode::INSUFFICIENT_STORAGE,
        ErrorCode::StorageFull,
        "no space is left to store uploads; try again once space is freed".to_owned(),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.status_code_message();
        if status.is_server_error() {
            tracing::error!(error_code = code.as_str(), error = %self, source = ?std::error::Error::source(&self), "request failed");
        } else {
            tracing::debug!(error_code = code.as_str(), %status, %message, "client error");
        }
        let mut response = (status, Json(ErrorBody::new(code, message))).into_response();
        // For the request's log line and the errors-by-code metric.
        response.extensions_mut().insert(code);
        match &self {
            ApiError::RateLimitedFor(_, after) | ApiError::IdentityUnavailable(after) => {
                let secs = after.as_secs().max(1);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            ApiError::Busy(_) => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(BUSY_RETRY_AFTER_SECS),
                );
            }
            ApiError::DatabaseDown(_) => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(DATABASE_DOWN_RETRY_AFTER_SECS),
                );
            }
            ApiError::NoCredentials(e) => {
                let secs = e.retry_after.as_secs().max(1);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            ApiError::Unauthorized(_) => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

/// The error answers every API endpoint may give, for the OpenAPI document
/// (each endpoint's `#[utoipa::path]` lists it among its responses). A 413
/// for a body past the API's limit is not here: it would replace the 413
/// the endpoints that size a file describe themselves.
#[derive(Debug, IntoResponses)]
#[allow(
    dead_code,
    reason = "never built: utoipa reads the variants to document the answers"
)]
pub enum ApiErrors {
    /// Malformed request: the message names the field and the problem.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Missing, malformed, forged or expired bearer token.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// A `Host` the server does not answer to (development mode, or
    /// `--allow-host`).
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such object or upload for this caller (also another user's).
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// Per-user rate limit or open-upload cap; see `Retry-After`.
    #[response(status = 429)]
    RateLimited(ErrorBody),
    /// The store failed.
    #[response(status = 502)]
    StoreFailed(ErrorBody),
    /// The store or the database could not be reached, the server is busy,
    /// cannot fetch the keys that verify tokens or has no credentials to
    /// sign with (see `Retry-After`), or the request took longer than
    /// `--request-timeout`.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(err: ApiError) -> (StatusCode, ErrorCode, String) {
        err.status_code_message()
    }

    #[test]
    fn client_errors_keep_their_message() {
        let (status, code, msg) = parts(ApiError::BadRequest("filename is empty".into()));
        assert_eq!(
            (status, code),
            (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
        );
        assert_eq!(msg, "filename is empty");
        let (status, code, _) = parts(ApiError::TooLarge("big".into()));
        assert_eq!(
            (status, code),
            (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::TooLarge)
        );
        let (status, code, msg) = parts(ApiError::QuotaExceeded("3 bytes left".into()));
        assert_eq!(
            (status, code),
            (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::QuotaExceeded)
        );
        assert_eq!(msg, "3 bytes left");
        let (status, code, msg) = parts(ApiError::not_found());
        assert_eq!((status, code), (StatusCode::NOT_FOUND, ErrorCode::NotFound));
        assert_eq!(msg, NO_SUCH_OBJECT);
        let (status, code, _) = parts(ApiError::ChecksumMismatch("part 2".into()));
        assert_eq!(
            (status, code),
            (StatusCode::BAD_REQUEST, ErrorCode::ChecksumMismatch)
        );
        let (status, code, _) = parts(ApiError::Conflict("size".into()));
        assert_eq!(
            (status, code),
            (StatusCode::CONFLICT, ErrorCode::ChecksumMismatch)
        );
        let (status, code, _) = parts(ApiError::RateLimitedFor(
            "slow down".into(),
            std::time::Duration::from_secs(1),
        ));
        assert_eq!(
            (status, code),
            (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
        );
    }

    #[test]
    fn internal_errors_say_nothing_about_internals() {
        let (status, code, msg) = parts(ApiError::Internal("secret path /var/x".into()));
        assert_eq!(
            (status, code),
            (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Server)
        );
        assert!(!msg.contains("/var/x"));
        let store = StoreError::BadResponse {
            operation: "HeadObject",
            header: "ETag",
        };
        let (status, code, msg) = parts(ApiError::Store(store));
        assert_eq!((status, code), (StatusCode::BAD_GATEWAY, ErrorCode::Server));
        assert!(!msg.contains("HeadObject"));
    }

    #[test]
    fn a_full_store_or_database_is_507_storage_full() {
        let full = |status: StatusCode, code: &str| {
            ApiError::Store(StoreError::Rejected {
                operation: "CompleteMultipartUpload",
                status,
                code: code.into(),
                message: "disk full".into(),
            })
        };
        for err in [
            full(StatusCode::INSUFFICIENT_STORAGE, "XMinioStorageFull"),
            full(StatusCode::INTERNAL_SERVER_ERROR, "XMinioStorageFull"),
            full(StatusCode::INSUFFICIENT_STORAGE, "InternalError"),
            ApiError::Store(StoreError::Status {
                operation: "HeadObject",
                status: StatusCode::INSUFFICIENT_STORAGE,
            }),
            ApiError::StorageFull("/data/presign.sqlite3: database or disk is full".into()),
        ] {
            let (status, code, msg) = parts(err);
            assert_eq!(
                (status, code),
                (StatusCode::INSUFFICIENT_STORAGE, ErrorCode::StorageFull)
            );
            assert!(!msg.contains("sqlite3"), "{msg}");
        }
        let (status, code, _) = parts(full(StatusCode::INTERNAL_SERVER_ERROR, "InternalError"));
        assert_eq!((status, code), (StatusCode::BAD_GATEWAY, ErrorCode::Server));
    }

    #[test]
    fn no_credentials_is_a_503_with_retry_after_that_names_no_cause() {
        let unavailable = CredentialsUnavailable {
            cause: "container endpoint at 127.0.0.1:9 refused".into(),
            retry_after: std::time::Duration::from_millis(4200),
        };
        for err in [
            ApiError::from(unavailable.clone()),
            ApiError::from(StoreError::Credentials(unavailable)),
        ] {
            let (status, code, message) = err.status_code_message();
            assert_eq!(
                (status, code),
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Server)
            );
            assert!(!message.contains("127.0.0.1"), "{message}");
            let response = err.into_response();
            assert_eq!(response.headers()[header::RETRY_AFTER], "4");
        }
    }

    #[test]
    fn a_full_database_queue_is_a_503_with_retry_after() {
        let response = ApiError::from(DbError::Busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            response.extensions().get::<ErrorCode>(),
            Some(&ErrorCode::Server)
        );
        let (_, _, message) = parts(ApiError::from(DbError::Busy));
        assert!(message.contains("busy"), "{message}");
        let (status, code, message) = parts(ApiError::TimedOut(std::time::Duration::from_secs(60)));
        assert_eq!(
            (status, code),
            (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Server)
        );
        assert!(message.contains("longer than 60 s"), "{message}");
    }

    #[test]
    fn a_full_disk_is_storage_full_other_failures_internal() {
        let failure = |code: i32| {
            DbError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        // SQLITE_FULL (13): "database or disk is full".
        assert!(matches!(
            ApiError::from(failure(13)),
            ApiError::StorageFull(_)
        ));
        // SQLITE_IOERR (10), SQLITE_CORRUPT (11).
        for code in [10, 11] {
            assert!(matches!(
                ApiError::from(failure(code)),
                ApiError::Internal(_)
            ));
        }
    }
}
