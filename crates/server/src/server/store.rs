//! The store the signer talks to, made ready: with `--dev` the embedded store
//! is started on `<data_dir>/store` (with the data folder's credentials);
//! otherwise the configured S3 endpoint. Shared by the server and the
//! subcommands (`gc`, `cors apply`).

use crate::config::{StoreConfig, DEV_REGION};
use crate::embedded::dev_credentials::{self, DevCredentialsError};
use crate::embedded::{EmbeddedStore, EmbeddedStoreError};
use crate::s3::signer::{Signer, SignerError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
/// signer for the store's own address.
pub async fn connect(
    store: &StoreConfig,
    bucket: &str,
) -> Result<(Option<EmbeddedStore>, Signer), StoreSetupError> {
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
            let signer = Signer::new(endpoint, true, DEV_REGION, bucket, store.credentials())?;
            Ok((Some(store), signer))
        }
        StoreConfig::Remote(remote) => {
            let signer = Signer::new(
                remote.endpoint.clone(),
                remote.path_style,
                &remote.region,
                bucket,
                &remote.credentials,
            )?;
            Ok((None, signer))
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
