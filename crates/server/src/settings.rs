//! Identity, upload policy and per-user limits, from three layers:
//! command-line flags, then environment variables, then the TOML file named
//! by `--config` / `PRESIGN_CONFIG`. A flag beats the environment, which
//! beats the file; per-file-type rules exist only in the file.
//!
//! The file (every table and key optional; relative paths are relative to
//! the file's folder):
//!
//! ```toml
//! [identity]
//! jwt_secret = "..."            # HS256/384/512 shared secret, at least 32 bytes
//! jwt_public_key = "jwt.pem"    # or: RSA/EC public key (RS*/PS*/ES256/ES384)
//! jwt_jwks = "jwks.json"        # or: JWKS file, keys picked by kid
//! jwt_audience = "my-app"       # tokens must carry this aud
//! jwt_issuer = "https://id.example.com/"
//! jwt_leeway = 30               # seconds of clock skew tolerated on exp/nbf
//!
//! [limits]
//! rate_limit = 20               # requests per second per user (0: off)
//! rate_burst = 200
//! max_open_uploads = 20         # open multipart uploads per user
//!
//! [policy]
//! default_max_size = 5368709120 # bytes, for types without their own
//! max_post_size = 10000000      # bytes, presigned POST form uploads
//!
//! [policy.file_types.images]
//! content_types = ["image/png", "image/jpeg"]   # or "image/*"
//! extensions = ["png", "jpg", "jpeg"]
//! max_size = 10000000
//! expires_in = 300              # seconds
//! ```

use crate::config::identity::{IdentityConfig, JwtConfig, JwtKeySource};
use crate::domain::rate_limit::RateLimit;
use crate::domain::upload_policy::{FileTypeRule, UploadPolicy};
use crate::domain::upload_sessions::DEFAULT_MAX_OPEN_PER_USER;
use crate::secret::Secret;
use clap::Args;
use presign_core::keys::file_type::FileType;
use presign_core::s3::limits::{MAX_OBJECT_SIZE, MAX_PRESIGN_EXPIRY_SECS};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// The end of `--help`: where settings come from.
pub const PRECEDENCE_HELP: &str = "Identity, limits and policy settings come from flags, then environment variables, then the --config TOML file (flags > env > TOML); per-file-type rules ([policy.file_types.NAME]: content_types, extensions, max_size, expires_in) only from the file. Without --dev an identity (--jwt-secret, --jwt-public-key or --jwt-jwks) is required.";

/// Smallest HMAC secret accepted (RFC 7518: at least the hash's size).
pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// Default clock skew tolerated on `exp` and `nbf`.
pub const DEFAULT_JWT_LEEWAY_SECS: u64 = 30;

/// The flags of these settings (see the module docs for their precedence).
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// TOML file with identity, limits and per-file-type policy. Precedence:
    /// flags > environment > this file [env PRESIGN_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// HS256 shared secret of bearer JWTs (at least 32 bytes). Prefer the
    /// environment: flags show in `ps` [env PRESIGN_JWT_SECRET].
    #[arg(long, value_name = "SECRET", value_parser = parse_secret)]
    pub jwt_secret: Option<Secret>,

    /// PEM public key (RSA: RS256.., EC: ES256/ES384) of bearer JWTs
    /// [env PRESIGN_JWT_PUBLIC_KEY].
    #[arg(long, value_name = "FILE")]
    pub jwt_public_key: Option<PathBuf>,

    /// JWKS file of bearer JWTs' public keys, picked by `kid`
    /// [env PRESIGN_JWT_JWKS].
    #[arg(long, value_name = "FILE")]
    pub jwt_jwks: Option<PathBuf>,

    /// Required `aud` of bearer JWTs [env PRESIGN_JWT_AUDIENCE].
    #[arg(long, value_name = "AUD")]
    pub jwt_audience: Option<String>,

    /// Required `iss` of bearer JWTs [env PRESIGN_JWT_ISSUER].
    #[arg(long, value_name = "ISS")]
    pub jwt_issuer: Option<String>,

    /// Requests per second per user; 0 turns the limit off [default: 20;
    /// env PRESIGN_RATE_LIMIT].
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,

    /// Burst of requests per user [default: 200; env PRESIGN_RATE_BURST].
    #[arg(long, value_name = "N")]
    pub rate_burst: Option<u32>,

    /// Open multipart uploads per user [default: 20; env PRESIGN_MAX_OPEN_UPLOADS].
    #[arg(long, value_name = "N")]
    pub max_open_uploads: Option<usize>,

    /// Largest upload, in bytes, of file types without their own max_size
    /// [default: S3's limit; env PRESIGN_MAX_SIZE].
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,

    /// Largest presigned POST form upload, in bytes [default: 10000000;
    /// env PRESIGN_MAX_POST_SIZE].
    #[arg(long, value_name = "BYTES")]
    pub max_post_size: Option<u64>,
}

/// The resolved settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub identity: IdentityConfig,
    pub policy: UploadPolicy,
    pub rate_limit: RateLimit,
    pub max_open_uploads: usize,
}

/// Why the settings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("no identity configured: set --jwt-secret, --jwt-public-key or --jwt-jwks (env PRESIGN_JWT_SECRET, PRESIGN_JWT_PUBLIC_KEY, PRESIGN_JWT_JWKS, or [identity] in --config), or run with --dev for a fixed development user")]
    NoIdentity,
    #[error(
        "set only one of --jwt-secret, --jwt-public-key and --jwt-jwks (flags, env or [identity])"
    )]
    TwoKeySources,
    #[error("the JWT secret must be at least {MIN_JWT_SECRET_BYTES} bytes")]
    ShortSecret,
    #[error("cannot read the config file {0}: {1}")]
    ReadFile(PathBuf, String),
    #[error("config file {0}: {1}")]
    BadFile(PathBuf, String),
    #[error("{name} must be {what}, got {value:?}")]
    BadValue {
        name: &'static str,
        what: &'static str,
        value: String,
    },
    #[error("config file: [policy.file_types.{0}] is not a valid file_type (1 to 64 of a-z, 0-9, '_', '-')")]
    BadFileType(String),
    #[error("config file: expires_in of [policy.file_types.{0}] must be between 1 and {MAX_PRESIGN_EXPIRY_SECS} seconds")]
    BadTypeExpiry(String),
}

// The file's types have no Debug: `jwt_secret` is a plain string here.

/// The TOML file's shape.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    #[serde(default)]
    identity: FileIdentity,
    #[serde(default)]
    limits: FileLimits,
    #[serde(default)]
    policy: FilePolicy,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIdentity {
    jwt_secret: Option<String>,
    jwt_public_key: Option<PathBuf>,
    jwt_jwks: Option<PathBuf>,
    jwt_audience: Option<String>,
    jwt_issuer: Option<String>,
    jwt_leeway: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLimits {
    rate_limit: Option<u32>,
    rate_burst: Option<u32>,
    max_open_uploads: Option<usize>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePolicy {
    default_max_size: Option<u64>,
    max_post_size: Option<u64>,
    #[serde(default)]
    file_types: BTreeMap<String, FileTypeRule>,
}

impl Settings {
    /// Resolves flags, then `env`, then the TOML file. `dev` allows running
    /// without identity; `default_expires_in` is `--expires-in`.
    pub fn resolve(
        dev: bool,
        args: &SettingsArgs,
        default_expires_in: Duration,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let file_path = args
            .config
            .clone()
            .or_else(|| env("PRESIGN_CONFIG").map(PathBuf::from));
        let (file, base) = match &file_path {
            Some(path) => (
                read_file(path)?,
                path.parent().map(Path::to_owned).unwrap_or_default(),
            ),
            None => (FileSettings::default(), PathBuf::new()),
        };
        let in_file = |p: Option<PathBuf>| p.map(|p| base.join(p));

        let secret = args
            .jwt_secret
            .as_ref()
            .map(|s| s.expose().to_owned())
            .or_else(|| env("PRESIGN_JWT_SECRET"))
            .or(file.identity.jwt_secret);
        let public_key = args
            .jwt_public_key
            .clone()
            .or_else(|| env("PRESIGN_JWT_PUBLIC_KEY").map(PathBuf::from))
            .or_else(|| in_file(file.identity.jwt_public_key));
        let jwks = args
            .jwt_jwks
            .clone()
            .or_else(|| env("PRESIGN_JWT_JWKS").map(PathBuf::from))
            .or_else(|| in_file(file.identity.jwt_jwks));
        let key = match (secret, public_key, jwks) {
            (None, None, None) => None,
            (Some(secret), None, None) => {
                if secret.len() < MIN_JWT_SECRET_BYTES {
                    return Err(SettingsError::ShortSecret);
                }
                Some(JwtKeySource::Secret(Secret::new(secret)))
            }
            (None, Some(pem), None) => Some(JwtKeySource::PublicKeyPem(pem)),
            (None, None, Some(jwks)) => Some(JwtKeySource::Jwks(jwks)),
            _ => return Err(SettingsError::TwoKeySources),
        };
        let list = |v: Option<String>| -> Vec<String> {
            v.into_iter()
                .flat_map(|s| {
                    s.split(',')
                        .map(|p| p.trim().to_owned())
                        .collect::<Vec<_>>()
                })
                .filter(|s| !s.is_empty())
                .collect()
        };
        let audience = list(
            args.jwt_audience
                .clone()
                .or_else(|| env("PRESIGN_JWT_AUDIENCE"))
                .or(file.identity.jwt_audience),
        );
        let issuer = list(
            args.jwt_issuer
                .clone()
                .or_else(|| env("PRESIGN_JWT_ISSUER"))
                .or(file.identity.jwt_issuer),
        );
        let identity = match key {
            Some(key) => IdentityConfig::Jwt(JwtConfig {
                key,
                audience,
                issuer,
                leeway_secs: file.identity.jwt_leeway.unwrap_or(DEFAULT_JWT_LEEWAY_SECS),
            }),
            None if dev => IdentityConfig::DevUser,
            None => return Err(SettingsError::NoIdentity),
        };

        let rate_limit = RateLimit {
            per_second: layer(
                args.rate_limit,
                &env,
                "PRESIGN_RATE_LIMIT",
                "a whole number",
                file.limits.rate_limit,
            )?
            .unwrap_or(RateLimit::default().per_second),
            burst: layer(
                args.rate_burst,
                &env,
                "PRESIGN_RATE_BURST",
                "a whole number",
                file.limits.rate_burst,
            )?
            .unwrap_or(RateLimit::default().burst),
        };
        let max_open_uploads = layer(
            args.max_open_uploads,
            &env,
            "PRESIGN_MAX_OPEN_UPLOADS",
            "a whole number",
            file.limits.max_open_uploads,
        )?
        .unwrap_or(DEFAULT_MAX_OPEN_PER_USER);
        let defaults = UploadPolicy::default();
        let default_max_size = layer(
            args.max_size,
            &env,
            "PRESIGN_MAX_SIZE",
            "a size in bytes",
            file.policy.default_max_size,
        )?
        .unwrap_or(defaults.default_max_size);
        let max_post_size = layer(
            args.max_post_size,
            &env,
            "PRESIGN_MAX_POST_SIZE",
            "a size in bytes",
            file.policy.max_post_size,
        )?
        .unwrap_or(defaults.max_post_size);
        for (name, value) in [
            ("max_size", default_max_size),
            ("max_post_size", max_post_size),
        ] {
            if !(1..=MAX_OBJECT_SIZE).contains(&value) {
                return Err(SettingsError::BadValue {
                    name,
                    what: "between 1 byte and S3's 5 TiB limit",
                    value: value.to_string(),
                });
            }
        }
        for (name, rule) in &file.policy.file_types {
            if FileType::parse(name).is_err() {
                return Err(SettingsError::BadFileType(name.clone()));
            }
            if rule
                .expires_in
                .is_some_and(|s| !(1..=MAX_PRESIGN_EXPIRY_SECS).contains(&s))
            {
                return Err(SettingsError::BadTypeExpiry(name.clone()));
            }
        }
        let policy = UploadPolicy {
            default_max_size,
            max_post_size,
            default_expires_in,
            file_types: file.policy.file_types,
        };
        Ok(Self {
            identity,
            policy,
            rate_limit,
            max_open_uploads,
        })
    }
}

fn parse_secret(text: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(text))
}

/// The flag, else the environment variable `name` (parsed), else the file's value.
fn layer<T: FromStr + Copy>(
    flag: Option<T>,
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    what: &'static str,
    file: Option<T>,
) -> Result<Option<T>, SettingsError> {
    if flag.is_some() {
        return Ok(flag);
    }
    if let Some(text) = env(name) {
        return text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| SettingsError::BadValue {
                name,
                what,
                value: text,
            });
    }
    Ok(file)
}

fn read_file(path: &Path) -> Result<FileSettings, SettingsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SettingsError::ReadFile(path.to_owned(), e.to_string()))?;
    toml::from_str(&text)
        .map_err(|e| SettingsError::BadFile(path.to_owned(), e.message().to_owned()))
}

#[cfg(test)]
mod tests;
