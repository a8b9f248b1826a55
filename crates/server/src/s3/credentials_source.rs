//! Where the signer's credentials come from, asked again for every
//! signature: fixed keys (from the environment, or the embedded store's),
//! or a provider of temporary credentials, cached and refreshed
//! ([`CredentialsCache`]; the AWS default chain in production).

use crate::s3::credentials::Credentials;
use crate::s3::credentials_cache::{CredentialsCache, CredentialsUnavailable};
use std::sync::Arc;

/// The credentials to sign with, now.
#[derive(Debug, Clone)]
pub enum CredentialsSource {
    /// Keys that never expire.
    Fixed(Credentials),
    /// Temporary credentials, refreshed before they expire; clones share
    /// the cache.
    Refreshed(Arc<CredentialsCache>),
}

impl CredentialsSource {
    /// Credentials valid for a while yet, or why there are none.
    pub async fn current(&self) -> Result<Credentials, CredentialsUnavailable> {
        match self {
            CredentialsSource::Fixed(credentials) => Ok(credentials.clone()),
            CredentialsSource::Refreshed(cache) => cache.current().await,
        }
    }
}
