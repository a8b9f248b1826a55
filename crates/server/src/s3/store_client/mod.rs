//! The server's own calls to the S3 store, over HTTP with `reqwest`: HEAD an
//! object after an upload, make sure the bucket exists at start, drive
//! multipart uploads ([`multipart`]: create, complete, abort;
//! [`list_parts`]), list the uploads open in the bucket
//! ([`list_multipart_uploads`]), and read and write the bucket's CORS
//! ([`bucket_cors_calls`]).
//!
//! Every request is presigned by [`Signer`] with the system clock and a short
//! lifetime, so there is one signing path for clients and for the server;
//! the signer is asked of the [`SignerSource`] per request, with the
//! credentials of the moment.

use crate::s3::credentials_cache::CredentialsUnavailable;
use crate::s3::signer::Signer;
use crate::s3::signer_source::SignerSource;
use crate::s3::xml;
use jiff::Timestamp;
use presign_core::protocol::metadata::Metadata;
use presign_core::{ObjectKey, Sha256Digest};
use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::Duration;

mod bucket_cors_calls;
pub mod list_multipart_uploads;
mod list_parts;
mod multipart;

/// The S3 error code of a full disk: MinIO's (S3 itself never fills up),
/// which the embedded store answers too.
pub const STORAGE_FULL_CODE: &str = "XMinioStorageFull";

/// Lifetime of the URLs the server signs for itself.
const OWN_REQUEST_EXPIRY: Duration = Duration::from_secs(60);

/// Longest store error message passed on (to the log, or to a client).
const MAX_MESSAGE_CHARS: usize = 300;

/// Talks to the store for the server.
#[derive(Debug, Clone)]
pub struct StoreClient {
    http: reqwest::Client,
    signers: Arc<SignerSource>,
}

/// What the store says about a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub etag: String,
    /// `x-amz-checksum-sha256`, when the object has one.
    pub sha256: Option<String>,
    pub content_type: Option<String>,
    /// Its `x-amz-meta-*` (the signer's own `user-id` left out).
    pub metadata: Metadata,
}

/// A part as CompleteMultipartUpload lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartToComplete<'a> {
    pub number: u32,
    pub etag: &'a str,
    /// `None`: an upload created without checksums.
    pub sha256: Option<&'a Sha256Digest>,
}

/// What CompleteMultipartUpload answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub etag: Option<String>,
    pub checksum_sha256: Option<String>,
}

/// A part the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePart {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    /// `ChecksumSHA256`, when the store reports it.
    pub sha256: Option<String>,
}

/// A store request that failed. Details are for the log, never for clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot reach the store: {0}")]
    Unreachable(#[source] WithoutUrl),
    #[error("the store answered {status} to {operation}")]
    Status {
        operation: &'static str,
        status: StatusCode,
    },
    #[error("the store's answer to {operation} lacks a valid {header} header")]
    BadResponse {
        operation: &'static str,
        header: &'static str,
    },
    /// The store refused with an S3 error document (`<Error><Code>`); S3
    /// may also send one with `200 OK` (CompleteMultipartUpload).
    #[error("the store answered {status} {code} to {operation}: {message}")]
    Rejected {
        operation: &'static str,
        status: StatusCode,
        code: String,
        message: String,
    },
    #[error("the store's answer to {operation} is not the XML expected: {detail}")]
    BadXml {
        operation: &'static str,
        detail: String,
    },
    #[error("cannot build an HTTP client: {0}")]
    Client(#[source] WithoutUrl),
    /// Nothing to sign the request with (temporary credentials that could
    /// not be had or refreshed); the store was not asked.
    #[error(transparent)]
    Credentials(#[from] CredentialsUnavailable),
}

/// An HTTP client's error with its URL dropped: the URLs the server signs
/// for itself carry `X-Amz-Signature` and `X-Amz-Credential` (and
/// `X-Amz-Security-Token` with temporary credentials), which no log may
/// hold. Its text is the error's and its causes', one after the other.
#[derive(Debug)]
pub struct WithoutUrl(reqwest::Error);

impl From<reqwest::Error> for WithoutUrl {
    fn from(e: reqwest::Error) -> Self {
        Self(e.without_url())
    }
}

impl std::fmt::Display for WithoutUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = std::error::Error::source(&self.0);
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

impl std::error::Error for WithoutUrl {}

/// A request to the store that got no answer.
fn unreachable(e: reqwest::Error) -> StoreError {
    StoreError::Unreachable(e.into())
}

impl StoreError {
    /// The S3 error code (`NoSuchUpload`, `InvalidPart`, ...), when the store sent one.
    pub fn s3_code(&self) -> Option<&str> {
        match self {
            StoreError::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the store may have carried out the request though its
    /// answer was not had (no answer, or one that could not be read): a
    /// CreateMultipartUpload that fails so may have opened an upload.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            StoreError::Unreachable(_) | StoreError::BadXml { .. } | StoreError::BadResponse { .. }
        )
    }

    /// Whether the store is out of space: `507 Insufficient Storage`, or
    /// MinIO's `XMinioStorageFull` (the embedded store's answer too).
    pub fn is_storage_full(&self) -> bool {
        match self {
            StoreError::Rejected { status, code, .. } => {
                *status == StatusCode::INSUFFICIENT_STORAGE || code == STORAGE_FULL_CODE
            }
            StoreError::Status { status, .. } => *status == StatusCode::INSUFFICIENT_STORAGE,
            _ => false,
        }
    }
}

/// Installs rustls' `ring` provider as the process default, once. reqwest is
/// built without a provider of its own (`rustls-no-provider`) to avoid
/// compiling aws-lc; any HTTP client in this process needs this first.
pub fn install_crypto_provider() {
    // Err only means another provider is installed already: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl StoreClient {
    pub fn new(signers: Arc<SignerSource>) -> Result<Self, StoreError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| StoreError::Client(e.into()))?;
        Ok(Self { http, signers })
    }

    /// The signer for one request, with the credentials of the moment.
    async fn signer(&self) -> Result<Signer, StoreError> {
        Ok(self.signers.current().await?)
    }

    /// HEADs `key`: `Ok(None)` when there is no such object. (On AWS, a
    /// missing key answers 403 unless the key pair may also `s3:ListBucket`;
    /// that 403 surfaces as a store error.)
    pub async fn head_object(&self, key: &ObjectKey) -> Result<Option<ObjectInfo>, StoreError> {
        const OP: &str = "HeadObject";
        let req = self
            .signer()
            .await?
            .presign_head(key, OWN_REQUEST_EXPIRY, Timestamp::now());
        let mut builder = self.http.head(req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let resp = builder.send().await.map_err(unreachable)?;
        match resp.status() {
            StatusCode::NOT_FOUND => return Ok(None),
            s if s.is_success() => {}
            status => {
                return Err(StoreError::Status {
                    operation: OP,
                    status,
                })
            }
        }
        let headers = resp.headers();
        let size = header_text(headers, CONTENT_LENGTH.as_str())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or(StoreError::BadResponse {
                operation: OP,
                header: "Content-Length",
            })?;
        let etag = header_text(headers, ETAG.as_str()).ok_or(StoreError::BadResponse {
            operation: OP,
            header: "ETag",
        })?;
        Ok(Some(ObjectInfo {
            size,
            etag,
            sha256: header_text(headers, "x-amz-checksum-sha256"),
            content_type: header_text(headers, CONTENT_TYPE.as_str()),
            metadata: Metadata::from_headers(
                headers
                    .iter()
                    .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
            ),
        }))
    }

    /// Creates the bucket unless it exists (the embedded development store).
    pub async fn ensure_bucket(&self) -> Result<(), StoreError> {
        if self.bucket_exists().await? {
            return Ok(());
        }
        let url = self
            .signer()
            .await?
            .presign_create_bucket(OWN_REQUEST_EXPIRY, Timestamp::now());
        let resp = self
            .http
            .put(url)
            .header(CONTENT_LENGTH, "0")
            .body(Vec::new())
            .send()
            .await
            .map_err(unreachable)?;
        match resp.status() {
            // 409: created meanwhile by someone else (BucketAlreadyOwnedByYou).
            s if s.is_success() || s == StatusCode::CONFLICT => Ok(()),
            status => Err(StoreError::Status {
                operation: "CreateBucket",
                status,
            }),
        }
    }

    /// HEADs the bucket: `Ok(false)` when it does not exist.
    pub async fn bucket_exists(&self) -> Result<bool, StoreError> {
        let url = self
            .signer()
            .await?
            .presign_head_bucket(OWN_REQUEST_EXPIRY, Timestamp::now());
        let resp = self.http.head(url).send().await.map_err(unreachable)?;
        match resp.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            status => Err(StoreError::Status {
                operation: "HeadBucket",
                status,
            }),
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Sends `request` to the store; the status and text of its answer.
async fn exchange(
    operation: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<(StatusCode, String), StoreError> {
    let resp = request.send().await.map_err(unreachable)?;
    let status = resp.status();
    let body = resp.text().await.map_err(unreachable)?;
    tracing::debug!(operation, %status, "store answered");
    Ok((status, body))
}

/// The error an answer describes: its `<Error>` document, or its bare status.
fn error_from(operation: &'static str, status: StatusCode, body: &str) -> StoreError {
    match xml::parse(body) {
        Ok(doc) if doc.name == "Error" => StoreError::Rejected {
            operation,
            status,
            code: doc.text_of("Code").unwrap_or("Unknown").to_owned(),
            message: doc
                .text_of("Message")
                .unwrap_or("")
                .chars()
                .take(MAX_MESSAGE_CHARS)
                .collect(),
        },
        _ => StoreError::Status { operation, status },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_the_s3_code_and_a_short_message() {
        let long = "m".repeat(1000);
        let err = error_from(
            "X",
            StatusCode::BAD_REQUEST,
            &format!("<Error><Code>InvalidPart</Code><Message>{long}</Message></Error>"),
        );
        let StoreError::Rejected { code, message, .. } = err else {
            panic!("rejected");
        };
        assert_eq!(code, "InvalidPart");
        assert_eq!(message.len(), MAX_MESSAGE_CHARS);
        assert!(matches!(
            error_from("X", StatusCode::FORBIDDEN, ""),
            StoreError::Status { .. }
        ));
    }
}
