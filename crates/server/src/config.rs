//! The command line ([`Cli`]) and environment, resolved into a checked [`Config`].
//!
//! Resolving never reads the process environment itself: [`Config::resolve`]
//! takes a lookup function, so tests pass a map and `main` passes `std::env`.

pub use crate::cli::Cli;
use crate::cli::StoreKind;
use crate::domain::gc::{self, GcSettings};
use crate::domain::webhook::{WebhookConfig, WebhookRetry};
use crate::duration_text;
use crate::s3::credentials::Credentials;
use crate::secret::Secret;
use crate::settings::{Settings, SettingsError};
use http::HeaderValue;
use presign_core::s3::limits::MAX_PRESIGN_EXPIRY_SECS;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

pub mod identity;

/// Default listening port (`--listen` and `PORT` override it).
pub const DEFAULT_PORT: u16 = 8080;
/// Default bucket of the embedded development store.
pub const DEFAULT_DEV_BUCKET: &str = "uploads";
/// Region the embedded store signs for.
pub const DEV_REGION: &str = "us-east-1";

/// Everything the server needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub store: StoreConfig,
    /// Base URL of the store in URLs handed to browsers, when it differs
    /// from the one the server uses (`--store-public-url`).
    pub store_public_url: Option<Url>,
    pub bucket: String,
    pub expires_in: Duration,
    pub www_dir: PathBuf,
    pub pkg_dir: PathBuf,
    pub cors: ApiCors,
    /// Identity, upload policy and per-user limits (flags > env > TOML).
    pub settings: Settings,
    /// Home of the SQLite database (and of the embedded store with --dev).
    pub data_dir: PathBuf,
    /// Where completed uploads are posted, if anywhere.
    pub webhook: Option<WebhookConfig>,
    /// The stale-upload collector.
    pub gc: GcSettings,
}

/// What the subcommands (`gc`, `cors apply`) need: the store and where the
/// database is. Needs no identity settings.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub store: StoreConfig,
    pub bucket: String,
    pub data_dir: PathBuf,
}

/// Which S3 store the server signs for.
#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// An in-process s3s-fs store on `data_dir/store`, served on `listen`.
    Embedded {
        data_dir: PathBuf,
        listen: SocketAddr,
    },
    /// A real S3 endpoint.
    Remote(RemoteStore),
}

/// A real S3 endpoint, from AWS's usual environment variables.
#[derive(Debug, Clone)]
pub struct RemoteStore {
    pub endpoint: Url,
    pub region: String,
    pub credentials: Credentials,
    /// Path-style URLs (`endpoint/bucket/key`), for custom endpoints; AWS
    /// itself gets virtual-hosted URLs (`bucket.endpoint/key`).
    pub path_style: bool,
}

/// Which browser origins may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiCors {
    /// No CORS headers: only the page served by this server may call it.
    SameOrigin,
    /// Any origin (--dev).
    AnyOrigin,
    /// These origins.
    Origins(Vec<HeaderValue>),
}

impl ApiCors {
    /// The origins a bucket CORS rule must allow for pages calling this API
    /// to upload straight to the store: `*` for any, none for the server's
    /// own page only (`cors print` refuses that).
    pub fn bucket_origins(&self) -> Vec<String> {
        match self {
            ApiCors::SameOrigin => Vec::new(),
            ApiCors::AnyOrigin => vec!["*".to_owned()],
            ApiCors::Origins(list) => list
                .iter()
                .filter_map(|o| o.to_str().ok().map(str::to_owned))
                .collect(),
        }
    }
}

/// Why the server refuses to start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable(s) {}: set them for your S3 store, or run with --dev (or --store embedded) for an embedded one", .0.join(", "))]
    MissingEnv(Vec<&'static str>),
    #[error("AWS_ENDPOINT_URL must be an http(s) URL like https://s3.eu-west-1.amazonaws.com, got {0:?}")]
    BadEndpoint(String),
    #[error("PORT must be a port number, got {0:?}")]
    BadPort(String),
    #[error("--expires-in must be between 1 and {MAX_PRESIGN_EXPIRY_SECS} seconds (7 days, the SigV4 limit), got {0}")]
    BadExpiry(u64),
    #[error("bucket name must be 3 to 63 characters of a-z, 0-9, '.' or '-', starting and ending with a letter or digit, got {0:?}")]
    BadBucket(String),
    #[error("--store-public-url (PRESIGN_STORE_PUBLIC_URL) must be an http(s) URL like https://files.example.com, got {0:?}")]
    BadPublicUrl(String),
    #[error("--allow-origin must look like https://host[:port], got {0:?}")]
    BadOrigin(String),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("--webhook-url (PRESIGN_WEBHOOK_URL) must be an http(s) URL like https://app.example.com/hooks/uploads, got {0:?}")]
    BadWebhookUrl(String),
    #[error("a webhook needs both --webhook-url (PRESIGN_WEBHOOK_URL) and --webhook-secret (PRESIGN_WEBHOOK_SECRET)")]
    WebhookIncomplete,
    #[error("--webhook-max-attempts must be at least 1")]
    BadWebhookAttempts,
    #[error("{name}: {message}")]
    BadDuration { name: &'static str, message: String },
    #[error("--gc-older-than (PRESIGN_GC_OLDER_THAN) must be more than 0")]
    ZeroGcAge,
}

impl Config {
    /// Checks the command line and reads the environment through `env`.
    pub fn resolve(cli: Cli, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let listen = match (cli.listen, env("PORT")) {
            (Some(addr), _) => addr,
            (None, Some(port)) => {
                let port = port
                    .trim()
                    .parse::<u16>()
                    .map_err(|_| ConfigError::BadPort(port))?;
                SocketAddr::from((Ipv4Addr::LOCALHOST, port))
            }
            (None, None) => SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
        };
        if !(1..=MAX_PRESIGN_EXPIRY_SECS).contains(&cli.expires_in) {
            return Err(ConfigError::BadExpiry(cli.expires_in));
        }
        let webhook = webhook(&cli, &env)?;
        let gc = gc_settings(&cli, &env)?;
        let cors = api_cors(&cli)?;
        let StoreSettings { store, bucket, .. } = StoreSettings::resolve(&cli, env)?;
        let expires_in = Duration::from_secs(cli.expires_in);
        let settings = Settings::resolve(cli.dev, &cli.settings, expires_in, env)?;
        let store_public_url = cli
            .store_public_url
            .filter(|v| !v.trim().is_empty())
            .or_else(|| env("PRESIGN_STORE_PUBLIC_URL"))
            .map(|text| parse_endpoint(&text).map_err(|_| ConfigError::BadPublicUrl(text.clone())))
            .transpose()?;
        Ok(Self {
            listen,
            store,
            store_public_url,
            bucket,
            expires_in: Duration::from_secs(cli.expires_in),
            www_dir: cli.www_dir,
            pkg_dir: cli.pkg_dir,
            cors,
            settings,
            data_dir: cli.data_dir,
            webhook,
            gc,
        })
    }
}

impl StoreSettings {
    /// The store part of the command line and environment.
    pub fn resolve(cli: &Cli, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let kind = cli.store.unwrap_or(if cli.dev {
            StoreKind::Embedded
        } else {
            StoreKind::S3
        });
        let (store, bucket) = if kind == StoreKind::Embedded {
            let store = StoreConfig::Embedded {
                data_dir: cli.data_dir.clone(),
                listen: cli.store_listen,
            };
            let bucket = cli.bucket.clone();
            (
                store,
                bucket.unwrap_or_else(|| DEFAULT_DEV_BUCKET.to_owned()),
            )
        } else {
            remote_store(cli.bucket.clone(), &env)?
        };
        check_bucket_name(&bucket)?;
        Ok(Self {
            store,
            bucket,
            data_dir: cli.data_dir.clone(),
        })
    }
}

/// Which origins may call the API (and upload to the bucket: `cors print`).
pub fn api_cors(cli: &Cli) -> Result<ApiCors, ConfigError> {
    Ok(if cli.dev {
        ApiCors::AnyOrigin
    } else if cli.allow_origin.is_empty() {
        ApiCors::SameOrigin
    } else {
        let origins = cli.allow_origin.iter().map(|o| parse_origin(o));
        ApiCors::Origins(origins.collect::<Result<_, _>>()?)
    })
}

/// `--gc-interval` (0: off) and `--gc-older-than`, else their environment
/// variables, else 1 h and 24 h.
fn gc_settings(
    cli: &Cli,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<GcSettings, ConfigError> {
    let duration =
        |flag: Option<Duration>, name: &'static str, default: Duration| match (flag, env(name)) {
            (Some(d), _) => Ok(d),
            (None, Some(text)) => duration_text::parse(&text)
                .map_err(|message| ConfigError::BadDuration { name, message }),
            (None, None) => Ok(default),
        };
    let interval = duration(cli.gc_interval, "PRESIGN_GC_INTERVAL", gc::DEFAULT_INTERVAL)?;
    let older_than = duration(
        cli.gc_older_than,
        "PRESIGN_GC_OLDER_THAN",
        gc::DEFAULT_OLDER_THAN,
    )?;
    if older_than.is_zero() {
        return Err(ConfigError::ZeroGcAge);
    }
    Ok(GcSettings {
        interval: Some(interval).filter(|i| !i.is_zero()),
        older_than,
    })
}

fn webhook(
    cli: &Cli,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<WebhookConfig>, ConfigError> {
    let url = cli
        .webhook_url
        .clone()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| env("PRESIGN_WEBHOOK_URL"));
    let secret = cli
        .webhook_secret
        .clone()
        .filter(|s| !s.expose().is_empty())
        .or_else(|| env("PRESIGN_WEBHOOK_SECRET").map(Secret::new));
    let (url, secret) = match (url, secret) {
        (None, None) => return Ok(None),
        (Some(url), Some(secret)) => (url, secret),
        _ => return Err(ConfigError::WebhookIncomplete),
    };
    let url = parse_endpoint(&url).map_err(|_| ConfigError::BadWebhookUrl(url.clone()))?;
    if cli.webhook_max_attempts == 0 {
        return Err(ConfigError::BadWebhookAttempts);
    }
    let defaults = WebhookRetry::default();
    Ok(Some(WebhookConfig {
        url,
        secret,
        retry: WebhookRetry {
            first_delay: Duration::from_millis(cli.webhook_retry_ms),
            max_attempts: cli.webhook_max_attempts,
            ..defaults
        },
    }))
}

fn remote_store(
    bucket: Option<String>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(StoreConfig, String), ConfigError> {
    let bucket = bucket.or_else(|| env("PRESIGN_BUCKET"));
    let region = env("AWS_REGION");
    let key_id = env("AWS_ACCESS_KEY_ID");
    let secret = env("AWS_SECRET_ACCESS_KEY");
    let mut missing = Vec::new();
    for (name, value) in [
        ("AWS_REGION", &region),
        ("AWS_ACCESS_KEY_ID", &key_id),
        ("AWS_SECRET_ACCESS_KEY", &secret),
        ("PRESIGN_BUCKET (or --bucket)", &bucket),
    ] {
        if value.is_none() {
            missing.push(name);
        }
    }
    let (Some(bucket), Some(region), Some(key_id), Some(secret)) = (bucket, region, key_id, secret)
    else {
        return Err(ConfigError::MissingEnv(missing));
    };
    let (endpoint, path_style) = match env("AWS_ENDPOINT_URL") {
        Some(text) => (parse_endpoint(&text)?, true),
        None => (
            parse_endpoint(&format!("https://s3.{region}.amazonaws.com"))?,
            false,
        ),
    };
    let credentials = Credentials {
        access_key_id: key_id,
        secret_access_key: Secret::new(secret),
        session_token: env("AWS_SESSION_TOKEN").map(Secret::new),
    };
    let remote = RemoteStore {
        endpoint,
        region,
        credentials,
        path_style,
    };
    Ok((StoreConfig::Remote(remote), bucket))
}

fn parse_endpoint(text: &str) -> Result<Url, ConfigError> {
    let bad = || ConfigError::BadEndpoint(text.to_owned());
    let url = Url::parse(text.trim()).map_err(|_| bad())?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.query().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if ok {
        Ok(url)
    } else {
        Err(bad())
    }
}

fn parse_origin(text: &str) -> Result<HeaderValue, ConfigError> {
    let bad = || ConfigError::BadOrigin(text.to_owned());
    let origin = text.trim().trim_end_matches('/');
    let url = Url::parse(origin).map_err(|_| bad())?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.username().is_empty()
        && !origin.ends_with(':');
    if !ok {
        return Err(bad());
    }
    HeaderValue::from_str(origin).map_err(|_| bad())
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

#[cfg(test)]
mod tests;
#[cfg(test)]
mod webhook_tests;
