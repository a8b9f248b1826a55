//! Errors on the wire: the body of every error answer (`{"error": {"code",
//! "message"}}`) and its stable codes, shared by the signer's JSON errors
//! and the JS `Error.code`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A stable, machine-readable error code. New codes may be added; existing
/// ones never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request was malformed (bad JSON, a field of the wrong type, a bad value).
    BadRequest,
    /// The network failed (connection refused, reset, CORS blocked).
    Network,
    /// A presigned URL expired before use.
    Expired,
    /// The store or signer refused the caller.
    Forbidden,
    /// No such object or upload (for this caller).
    NotFound,
    /// The file is larger than allowed.
    TooLarge,
    /// The content type or file type is not allowed.
    UnsupportedType,
    /// The bytes stored are not the bytes hashed.
    ChecksumMismatch,
    /// The caller aborted.
    Aborted,
    /// The signer or store failed.
    Server,
    /// Too many requests.
    RateLimited,
    /// No valid credentials: a missing, malformed, forged or expired token.
    Unauthorized,
    /// The store (or the signer's database) has no space left: HTTP 507.
    /// Not retried: space does not come back by waiting a few seconds.
    StorageFull,
    /// The caller's byte quota on the signer would be passed (HTTP 413);
    /// the message says how many bytes are left. Not retried: it stays
    /// refused until the caller's stored bytes go down.
    QuotaExceeded,
}

impl ErrorCode {
    /// Every code (the wasm client's TypeScript union is checked against it).
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::BadRequest,
        ErrorCode::Network,
        ErrorCode::Expired,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::TooLarge,
        ErrorCode::UnsupportedType,
        ErrorCode::ChecksumMismatch,
        ErrorCode::Aborted,
        ErrorCode::Server,
        ErrorCode::RateLimited,
        ErrorCode::Unauthorized,
        ErrorCode::StorageFull,
        ErrorCode::QuotaExceeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Network => "network",
            ErrorCode::Expired => "expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnsupportedType => "unsupported_type",
            ErrorCode::ChecksumMismatch => "checksum_mismatch",
            ErrorCode::Aborted => "aborted",
            ErrorCode::Server => "server",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::StorageFull => "storage_full",
            ErrorCode::QuotaExceeded => "quota_exceeded",
        }
    }

    /// The code named `name` (`"not_found"`), if this version knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == name)
    }

    /// The HTTP status the signer answers with for this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest | ErrorCode::ChecksumMismatch => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Expired | ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::TooLarge | ErrorCode::QuotaExceeded => 413,
            ErrorCode::UnsupportedType => 415,
            ErrorCode::RateLimited => 429,
            ErrorCode::Aborted => 499,
            ErrorCode::Network => 502,
            ErrorCode::Server => 500,
            ErrorCode::StorageFull => 507,
        }
    }

    /// The code a client should report for an HTTP status from the signer.
    pub fn from_http_status(status: u16) -> Self {
        match status {
            // The wasm client reports a bare 401 as `forbidden` (its tests
            // pin it); a signer's 401 body carries `unauthorized` itself.
            401 | 403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            413 => ErrorCode::TooLarge,
            415 => ErrorCode::UnsupportedType,
            429 => ErrorCode::RateLimited,
            400..=499 => ErrorCode::BadRequest,
            507 => ErrorCode::StorageFull,
            _ => ErrorCode::Server,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every error answer: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_code() {
        // Inside its crate the match is exhaustive: a new code fails to
        // compile here until it is given a place in ALL.
        let index = |code: ErrorCode| match code {
            ErrorCode::BadRequest => 0,
            ErrorCode::Network => 1,
            ErrorCode::Expired => 2,
            ErrorCode::Forbidden => 3,
            ErrorCode::NotFound => 4,
            ErrorCode::TooLarge => 5,
            ErrorCode::UnsupportedType => 6,
            ErrorCode::ChecksumMismatch => 7,
            ErrorCode::Aborted => 8,
            ErrorCode::Server => 9,
            ErrorCode::RateLimited => 10,
            ErrorCode::Unauthorized => 11,
            ErrorCode::StorageFull => 12,
            ErrorCode::QuotaExceeded => 13,
        };
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(index(code), i);
        }
    }

    #[test]
    fn serde_name_matches_as_str() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
            assert_eq!(ErrorCode::from_http_status(code.http_status()) == code, {
                // statuses that map back uniquely
                !matches!(
                    code,
                    ErrorCode::ChecksumMismatch
                        | ErrorCode::Expired
                        | ErrorCode::Aborted
                        | ErrorCode::Network
                        | ErrorCode::Unauthorized
                        | ErrorCode::QuotaExceeded
                )
            });
        }
    }

    #[test]
    fn unknown_names_are_none() {
        for name in ["", "NotFound", "not found", "quota", "server "] {
            assert_eq!(ErrorCode::from_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn error_body_shape() {
        let body = ErrorBody::new(ErrorCode::TooLarge, "size 11 exceeds 10");
        let json = serde_json::to_value(&body).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "too_large", "message": "size 11 exceeds 10"}})
        );
    }
}
