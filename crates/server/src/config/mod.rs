//! The command line ([`Cli`]) and the environment, and the `--config` TOML
//! file, resolved into a checked [`Config`]: one place for every setting.
//!
//! Every setting follows one rule ([`sources`]): the flag, else the
//! environment variable (set but blank counts as unset), else the file (for
//! identity, limits and policy, the settings it may hold), else the
//! default. Resolving never reads the process environment itself:
//! [`Config::resolve`] takes a lookup function, so tests pass a map and
//! `main` passes `std::env`.
//!
//! - [`store`]: which store and bucket ([`StoreTarget`], all the
//!   subcommands need);
//! - [`cors`]: which origins may call the API;
//! - [`hosts`]: which `Host` names requests may carry, and where `--dev`
//!   may listen; [`request_limits`]: how long a request may take, how many
//!   run at once;
//! - [`identity`] (each issuer: [`jwt_issuer`]; several: [`issuers`]), [`limits`],
//!   [`upload_policy`]: who calls, how often, uploading what; [`mod@file`]:
//!   the TOML file they may come from;
//! - [`database`]: SQLite, or PostgreSQL at `--database-url`;
//! - [`webhook`], [`gc`]: the background tasks;
//! - [`error`]: why a configuration is refused.

mod cors;
mod database;
mod error;
mod file;
mod gc;
mod hosts;
mod identity;
mod issuers;
mod jwt_issuer;
mod limits;
mod request_limits;
mod sources;
mod store;
mod upload_policy;
mod webhook;

pub use cors::ApiCors;
pub use error::ConfigError;
pub use hosts::AllowedHosts;
pub use identity::{IdentityConfig, JwtConfig};
pub use jwt_issuer::{IssuerConfig, JwtKeySource};
pub use request_limits::RequestLimits;
pub use store::{RemoteCredentials, StoreConfig, StoreTarget, DEV_REGION};

use crate::cli::Cli;
use crate::db::PostgresUrl;
use crate::domain::gc::GcSettings;
use crate::domain::rate_limit::RateLimit;
use crate::domain::upload_policy::UploadPolicy;
use crate::domain::webhook::WebhookConfig;
use presign_core::s3::limits::MAX_PRESIGN_EXPIRY_SECS;
use sources::{http_url, non_blank, Env};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Default listening port (`--listen` and `PORT` override it).
pub const DEFAULT_PORT: u16 = 8080;

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
    /// Who calls: bearer JWTs, or the dev user.
    pub identity: IdentityConfig,
    /// What may be uploaded.
    pub policy: UploadPolicy,
    /// Requests per user per second.
    pub rate_limit: RateLimit,
    /// Open multipart uploads per user.
    pub max_open_uploads: usize,
    /// Home of the SQLite database (and of the embedded store with --dev).
    pub data_dir: PathBuf,
    /// PostgreSQL instead of SQLite (`--database-url`).
    pub database_url: Option<PostgresUrl>,
    /// Where completed uploads are posted, if anywhere.
    pub webhook: Option<WebhookConfig>,
    /// The stale-upload collector.
    pub gc: GcSettings,
    /// Which `Host` names requests may carry.
    pub hosts: AllowedHosts,
    /// How long a request may take, how many run at once.
    pub request_limits: RequestLimits,
}

impl Config {
    /// Checks the command line and reads the environment through `env`
    /// (and the file the command line or the environment names).
    pub fn resolve(cli: Cli, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&env);
        let listen = listen(cli.listen, &env)?;
        if !(1..=MAX_PRESIGN_EXPIRY_SECS).contains(&cli.expires_in) {
            return Err(ConfigError::BadExpiry(cli.expires_in));
        }
        let expires_in = Duration::from_secs(cli.expires_in);
        let webhook = webhook::resolve(&cli, &env)?;
        let database_url = database::resolve(&cli, &env)?;
        let gc = gc::resolve(&cli, &env)?;
        let cors = ApiCors::resolve(&cli)?;
        let StoreTarget { store, bucket, .. } = StoreTarget::from_env(&cli, &env)?;
        hosts::check_dev_listen(&cli, &env, listen, &store)?;
        let hosts = AllowedHosts::resolve(&cli, &env)?;
        let request_limits = RequestLimits::resolve(&cli, &env)?;
        let args = &cli.file_backed;
        let (file, base) = file::load(args.config.clone(), &env)?;
        let identity = identity::resolve(cli.dev, args, &env, file.identity, &base)?;
        let (rate_limit, max_open_uploads) = limits::resolve(args, &env, &file.limits)?;
        let policy = upload_policy::resolve(args, &env, file.policy, expires_in)?;
        let store_public_url = store_public_url(cli.store_public_url, &env)?;
        Ok(Self {
            listen,
            store,
            store_public_url,
            bucket,
            expires_in,
            www_dir: cli.www_dir,
            pkg_dir: cli.pkg_dir,
            cors,
            identity,
            policy,
            rate_limit,
            max_open_uploads,
            data_dir: cli.data_dir,
            database_url,
            webhook,
            gc,
            hosts,
            request_limits,
        })
    }
}

/// The upload policy alone (for subcommands that need no identity): the
/// flags, the environment through `env` and the config file.
pub fn resolve_policy(
    cli: &Cli,
    env: impl Fn(&str) -> Option<String>,
) -> Result<UploadPolicy, ConfigError> {
    let env = Env::new(&env);
    let args = &cli.file_backed;
    let (file, _) = file::load(args.config.clone(), &env)?;
    upload_policy::resolve(args, &env, file.policy, Duration::from_secs(cli.expires_in))
}

/// The database alone (for subcommands): PostgreSQL's URL when
/// `--database-url` or `DATABASE_URL` names one.
pub fn resolve_database(
    cli: &Cli,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<PostgresUrl>, ConfigError> {
    database::resolve(cli, &Env::new(&env))
}

/// `--listen`, else 127.0.0.1 on `PORT`, else 127.0.0.1:8080.
fn listen(flag: Option<SocketAddr>, env: &Env<'_>) -> Result<SocketAddr, ConfigError> {
    let on_port = |port: String| {
        let number = port.trim().parse::<u16>();
        number
            .map(|n| SocketAddr::from((Ipv4Addr::LOCALHOST, n)))
            .map_err(|_| ConfigError::BadPort(port))
    };
    let default = SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT));
    Ok(env
        .layer_with(flag, "PORT", on_port, None)?
        .unwrap_or(default))
}

/// `--store-public-url`, else `PRESIGN_STORE_PUBLIC_URL`, as a URL.
fn store_public_url(flag: Option<String>, env: &Env<'_>) -> Result<Option<Url>, ConfigError> {
    let text = env.layer_with(non_blank(flag), "PRESIGN_STORE_PUBLIC_URL", Ok, None)?;
    text.map(|text| http_url(&text).ok_or(ConfigError::BadPublicUrl(text)))
        .transpose()
}

#[cfg(test)]
mod access_tests;
#[cfg(test)]
mod identity_tests;
#[cfg(test)]
mod jwks_url_tests;
#[cfg(test)]
mod layer_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod webhook_tests;
