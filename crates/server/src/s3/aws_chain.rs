//! The AWS default credentials chain (crate `aws-config`) as a
//! [`CredentialsProvider`]: environment variables, the shared config and
//! credentials files (`AWS_PROFILE`), a web identity token
//! (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`), the ECS container
//! endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`), and
//! EC2 instance metadata (IMDSv2), tried in that order. It reads the
//! process environment, as every AWS SDK does. Only credentials come from
//! here: the signing is [`crate::s3::signer`]'s.

use crate::s3::credentials::Credentials;
use crate::s3::credentials_provider::{CredentialsProvider, FetchError, Fetched};
use crate::secret::Secret;
use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use aws_config::Region;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::ProvideCredentials as _;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use jiff::Timestamp;

/// What the chain is called in logs and messages.
pub const CHAIN_NAME: &str = "the AWS default credentials chain";

/// The chain, with its own HTTPS client (rustls on ring, as the store
/// client's) for the credential endpoints and STS.
#[derive(Debug)]
pub struct AwsChain {
    chain: DefaultCredentialsChain,
}

impl AwsChain {
    /// The chain for `region` (where STS is asked, for web identity).
    pub async fn new(region: &str) -> Self {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let config = ProviderConfig::without_region().with_http_client(http);
        let chain = DefaultCredentialsChain::builder()
            .region(Region::new(region.to_owned()))
            .configure(config)
            .build()
            .await;
        Self { chain }
    }
}

#[async_trait::async_trait]
impl CredentialsProvider for AwsChain {
    async fn fetch(&self) -> Result<Fetched, FetchError> {
        let got = self
            .chain
            .provide_credentials()
            .await
            .map_err(|e| FetchError(error_text(&e)))?;
        Ok(Fetched {
            credentials: Credentials {
                access_key_id: got.access_key_id().to_owned(),
                secret_access_key: Secret::new(got.secret_access_key()),
                session_token: got.session_token().map(Secret::new),
                expires_at: got.expiry().and_then(|at| Timestamp::try_from(at).ok()),
            },
            from: origin(got.get_property::<Vec<AwsCredentialFeature>>()),
        })
    }
}

/// Which link of the chain gave credentials, from the features the SDK
/// marks them with.
fn origin(features: Option<&Vec<AwsCredentialFeature>>) -> String {
    let names: Vec<&str> = features
        .into_iter()
        .flatten()
        .filter_map(|feature| {
            Some(match feature {
                AwsCredentialFeature::CredentialsEnvVars => "environment variables",
                AwsCredentialFeature::CredentialsProfile => "shared config profile",
                AwsCredentialFeature::CredentialsStsAssumeRole => "assumed role",
                AwsCredentialFeature::CredentialsProfileStsWebIdToken
                | AwsCredentialFeature::CredentialsEnvVarsStsWebIdToken
                | AwsCredentialFeature::CredentialsStsAssumeRoleWebId => "web identity token",
                AwsCredentialFeature::CredentialsHttp => "container credentials endpoint",
                AwsCredentialFeature::CredentialsImds => "EC2 instance metadata",
                _ => return None,
            })
        })
        .collect();
    if names.is_empty() {
        CHAIN_NAME.to_owned()
    } else {
        names.join(", ")
    }
}

/// The error and its causes, one after the other (the SDK's errors name
/// what failed, never a secret).
fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_named_from_the_sdks_features() {
        let named = |features: Vec<AwsCredentialFeature>| origin(Some(&features));
        assert_eq!(
            named(vec![AwsCredentialFeature::CredentialsHttp]),
            "container credentials endpoint"
        );
        assert_eq!(
            named(vec![
                AwsCredentialFeature::CredentialsStsAssumeRole,
                AwsCredentialFeature::CredentialsProfile
            ]),
            "assumed role, shared config profile"
        );
        assert_eq!(origin(None), CHAIN_NAME);
        assert_eq!(
            named(vec![AwsCredentialFeature::ResolvedAccountId]),
            CHAIN_NAME
        );
    }
}
