//! What hands out temporary credentials, as [`super::credentials_cache`]
//! sees it: one fresh answer per fetch, in this crate's own types (the AWS
//! default chain in production, [`super::aws_chain`]; a fake in tests).

use crate::s3::credentials::Credentials;

/// A source of credentials that expire.
#[async_trait::async_trait]
pub trait CredentialsProvider: Send + Sync + std::fmt::Debug {
    /// Credentials now, asked of the source itself (no caching here).
    async fn fetch(&self) -> Result<Fetched, FetchError>;
}

/// Credentials, and where they came from.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub credentials: Credentials,
    /// Which source gave them, for the log (`"container credentials
    /// endpoint"`); never a secret.
    pub from: String,
}

/// Why no credentials could be had: the source's own words, which name no
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FetchError(pub String);
