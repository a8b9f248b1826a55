//! Which S3 store the server signs for, and the bucket: the embedded store
//! on the data folder (`--dev`, or `--store embedded`), or a real endpoint
//! from AWS's usual environment variables, with static keys from them or,
//! when there are none, credentials from the AWS default chain.

use super::error::ConfigError;
use super::sources::{http_url, Env};
use crate::cli::{Cli, StoreKind};
use crate::s3::credentials::Credentials;
use crate::secret::Secret;
use http::HeaderValue;
use std::net::SocketAddr;
use std::path::PathBuf;
use url::Url;

/// Default bucket of the embedded development store.
pub const DEFAULT_DEV_BUCKET: &str = "uploads";
/// Region the embedded store signs for.
pub const DEV_REGION: &str = "us-east-1";

/// Which store and bucket, and where the database is: what the subcommands
/// (`gc`, `cors apply`) need, without identity or policy.
#[derive(Debug, Clone)]
pub struct StoreTarget {
    pub store: StoreConfig,
    pub bucket: String,
    pub data_dir: PathBuf,
}

/// Which S3 store the server signs for.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// An in-process s3s-fs store on `data_dir/store`, served on `listen`,
    /// to pages on a loopback name and of `allow_origins` (its CORS).
    Embedded {
        data_dir: PathBuf,
        listen: SocketAddr,
        allow_origins: Vec<HeaderValue>,
    },
    /// A real S3 endpoint.
    Remote(RemoteStore),
}

/// A real S3 endpoint, from AWS's usual environment variables.
#[derive(Debug, Clone)]
pub struct RemoteStore {
    pub endpoint: Url,
    pub region: String,
    pub credentials: RemoteCredentials,
    /// Path-style URLs (`endpoint/bucket/key`), for custom endpoints; AWS
    /// itself gets virtual-hosted URLs (`bucket.endpoint/key`).
    pub path_style: bool,
}

/// What signs for a real store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteCredentials {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (and
    /// `AWS_SESSION_TOKEN`), as given: used as they are, never refreshed.
    Static(Credentials),
    /// None of those set: the AWS default credentials chain (profiles, web
    /// identity, ECS, EC2 instance metadata), refreshed before expiry.
    DefaultChain,
}

impl StoreTarget {
    /// The store part of the command line and of the environment `env`.
    pub fn resolve(cli: &Cli, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::from_env(cli, &Env::new(&env))
    }

    pub(super) fn from_env(cli: &Cli, env: &Env<'_>) -> Result<Self, ConfigError> {
        let kind = cli.store.unwrap_or(if cli.dev {
            StoreKind::Embedded
        } else {
            StoreKind::S3
        });
        let (store, bucket) = if kind == StoreKind::Embedded {
            let store = StoreConfig::Embedded {
                data_dir: cli.data_dir.clone(),
                listen: cli.store_listen,
                allow_origins: super::cors::parse_origins(&cli.allow_origin)?,
            };
            let bucket = cli.bucket.clone();
            (
                store,
                bucket.unwrap_or_else(|| DEFAULT_DEV_BUCKET.to_owned()),
            )
        } else {
            remote_store(cli.bucket.clone(), env)?
        };
        check_bucket_name(&bucket)?;
        Ok(Self {
            store,
            bucket,
            data_dir: cli.data_dir.clone(),
        })
    }
}

/// The endpoint, region, credentials and bucket of a real store; every
/// variable missing is named at once.
fn remote_store(
    bucket: Option<String>,
    env: &Env<'_>,
) -> Result<(StoreConfig, String), ConfigError> {
    let bucket = env.layer_with(bucket, "PRESIGN_BUCKET", Ok, None)?;
    let region = env.get("AWS_REGION");
    let credentials = remote_credentials(env);
    let mut missing = Vec::new();
    if region.is_none() {
        missing.push("AWS_REGION");
    }
    if let Err(names) = &credentials {
        missing.extend(names);
    }
    if bucket.is_none() {
        missing.push("PRESIGN_BUCKET (or --bucket)");
    }
    let (Some(bucket), Some(region), Ok(credentials)) = (bucket, region, credentials) else {
        return Err(ConfigError::MissingEnv(missing));
    };
    let endpoint =
        |text: &str| http_url(text).ok_or_else(|| ConfigError::BadEndpoint(text.to_owned()));
    let (endpoint, path_style) = match env.get("AWS_ENDPOINT_URL") {
        Some(text) => (endpoint(&text)?, true),
        None => (
            endpoint(&format!("https://s3.{region}.amazonaws.com"))?,
            false,
        ),
    };
    let remote = RemoteStore {
        endpoint,
        region,
        credentials,
        path_style,
    };
    Ok((StoreConfig::Remote(remote), bucket))
}

/// Static keys when the environment has any of them (then both the key id
/// and the secret, or the names of those missing), the default chain when
/// it has none.
fn remote_credentials(env: &Env<'_>) -> Result<RemoteCredentials, Vec<&'static str>> {
    let key_id = env.get("AWS_ACCESS_KEY_ID");
    let secret = env.get("AWS_SECRET_ACCESS_KEY");
    let token = env.get("AWS_SESSION_TOKEN");
    match (key_id, secret) {
        (None, None) if token.is_none() => Ok(RemoteCredentials::DefaultChain),
        (Some(key_id), Some(secret)) => Ok(RemoteCredentials::Static(Credentials {
            access_key_id: key_id,
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
            expires_at: None,
        })),
        (key_id, secret) => Err([
            ("AWS_ACCESS_KEY_ID", key_id.is_none()),
            ("AWS_SECRET_ACCESS_KEY", secret.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect()),
    }
}

fn check_bucket_name(name: &str) -> Result<(), ConfigError> {
    let bytes = name.as_bytes();
    let ok = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..");
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadBucket(name.to_owned()))
    }
}
