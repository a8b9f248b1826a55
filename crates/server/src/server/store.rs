//! The store the signer talks to, made ready: with `--dev` the embedded store
//! is started on `<data_dir>/store` (with the data folder's credentials);
//! otherwise the configured S3 endpoint, with the environment's static keys
//! or the AWS default credentials chain. Shared by the server and the
//! subcommands (`gc`, `cors apply`).

use crate::config::{RemoteCredentials, StoreConfig, DEV_REGION};
use crate::embedded::dev_credentials::{self, DevCredentialsError};
use crate::embedded::{EmbeddedStore, EmbeddedStoreError};
use crate::s3::aws_chain::{AwsChain, CHAIN_NAME};
use crate::s3::credentials_cache::CredentialsCache;
use crate::s3::credentials_source::CredentialsSource;
use crate::s3::signer::SignerError;
use crate::s3::signer_source::SignerSource;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use url::Url;

/// Why the store could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum StoreSetupError {
    #[error(transparent)]
    EmbeddedStore(#[from] EmbeddedStoreError),
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error("cannot make a URL for the store: {0}")]
    StoreUrl(#[from] url::ParseError),
    #[error(transparent)]
    DevCredentials(#[from] DevCredentialsError),
}

/// The embedded store when there is one (stopped when dropped), and the
/// signers for the store's own address.
pub async fn connect(
    store: &StoreConfig,
    bucket: &str,
) -> Result<(Option<EmbeddedStore>, SignerSource), StoreSetupError> {
    match store {
        StoreConfig::Embedded {
            data_dir,
            listen,
            allow_origins,
        } => {
            let key = dev_credentials::load_or_create(data_dir)?;
            let root = data_dir.join("store");
            let store =
                EmbeddedStore::start_for_origins(&root, *listen, key, allow_origins.clone())
                    .await?;
            let endpoint = loopback_url(store.addr())?;
            let signers =
                SignerSource::fixed(endpoint, true, DEV_REGION, bucket, store.credentials())?;
            Ok((Some(store), signers))
        }
        StoreConfig::Remote(remote) => {
            let signers = SignerSource::new(
                remote.endpoint.clone(),
                remote.path_style,
                &remote.region,
                bucket,
                credentials_source(&remote.credentials, &remote.region).await,
            )?;
            Ok((None, signers))
        }
    }
}

/// Where a real store's credentials come from, said in the log (never
/// the secrets).
async fn credentials_source(credentials: &RemoteCredentials, region: &str) -> CredentialsSource {
    match credentials {
        RemoteCredentials::Static(keys) => {
            tracing::info!(
                temporary = keys.session_token.is_some(),
                "signing with the static keys of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            );
            CredentialsSource::Fixed(keys.clone())
        }
        RemoteCredentials::DefaultChain => {
            tracing::info!(
                "no AWS_ACCESS_KEY_ID: signing with credentials from {CHAIN_NAME} (profile, web identity, ECS, EC2 instance metadata), refreshed before they expire"
            );
            let chain = AwsChain::new(region).await;
            CredentialsSource::Refreshed(Arc::new(CredentialsCache::new(Arc::new(chain))))
        }
    }
}

/// A URL that reaches `addr` from this machine (0.0.0.0 becomes 127.0.0.1).
fn loopback_url(addr: SocketAddr) -> Result<Url, url::ParseError> {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Url::parse(&format!("http://{}/", SocketAddr::new(ip, addr.port())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        let url = |a: &str| {
            loopback_url(a.parse().expect("addr"))
                .expect("url")
                .to_string()
        };
        assert_eq!(url("127.0.0.1:9000"), "http://127.0.0.1:9000/");
        assert_eq!(url("0.0.0.0:9000"), "http://127.0.0.1:9000/");
        assert_eq!(url("[::]:9000"), "http://[::1]:9000/");
    }
}
