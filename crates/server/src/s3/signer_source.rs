//! The signer of the moment: the bucket's [`Signer`] keyed with what its
//! [`CredentialsSource`] holds now. Asked once per request (a browser's
//! URL, or one of the server's own calls), so that temporary credentials
//! are picked up as they are refreshed, and never used past their expiry.

use crate::s3::credentials::Credentials;
use crate::s3::credentials_cache::CredentialsUnavailable;
use crate::s3::credentials_source::CredentialsSource;
use crate::s3::signer::{Signer, SignerError};
use url::Url;

/// Signers for one bucket at one address, with current credentials.
#[derive(Debug, Clone)]
pub struct SignerSource {
    /// The bucket and address; its credentials are replaced at every use.
    template: Signer,
    credentials: CredentialsSource,
}

impl SignerSource {
    /// As [`Signer::new`], with credentials from `credentials`.
    pub fn new(
        endpoint: Url,
        path_style: bool,
        region: &str,
        bucket: &str,
        credentials: CredentialsSource,
    ) -> Result<Self, SignerError> {
        let none = Credentials::new("", "");
        let template = Signer::new(endpoint, path_style, region, bucket, &none)?;
        Ok(Self {
            template,
            credentials,
        })
    }

    /// Signers for fixed keys.
    pub fn fixed(
        endpoint: Url,
        path_style: bool,
        region: &str,
        bucket: &str,
        credentials: &Credentials,
    ) -> Result<Self, SignerError> {
        let source = CredentialsSource::Fixed(credentials.clone());
        Self::new(endpoint, path_style, region, bucket, source)
    }

    /// The same, for another base URL of the store (see
    /// [`Signer::with_endpoint`]); the credentials are shared.
    pub fn with_endpoint(&self, endpoint: Url) -> Result<Self, SignerError> {
        Ok(Self {
            template: self.template.with_endpoint(endpoint)?,
            credentials: self.credentials.clone(),
        })
    }

    /// The store's base URL, as configured.
    pub fn endpoint(&self) -> &Url {
        self.template.endpoint()
    }

    pub fn bucket_name(&self) -> &str {
        self.template.bucket_name()
    }

    /// Where the credentials come from.
    pub fn credentials(&self) -> &CredentialsSource {
        &self.credentials
    }

    /// A signer with credentials valid for a while yet, or why there are none.
    pub async fn current(&self) -> Result<Signer, CredentialsUnavailable> {
        let credentials = self.credentials.current().await?;
        Ok(self.template.with_credentials(&credentials))
    }
}
