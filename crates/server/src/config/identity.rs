//! The identity settings: how the server learns who calls it (a JWT key
//! source, audiences, issuers), resolved from flags, environment and the
//! file's `[identity]`. [`crate::auth`] loads the keys they name.

use super::error::ConfigError;
use super::file::FileIdentity;
use super::sources::Env;
use crate::cli::FileBackedArgs;
use crate::secret::Secret;
use std::path::{Path, PathBuf};

/// Smallest HMAC secret accepted (RFC 7518: at least the hash's size).
pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// Default clock skew tolerated on `exp` and `nbf`.
pub const DEFAULT_JWT_LEEWAY_SECS: u64 = 30;

/// How the server learns who calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityConfig {
    /// `--dev` with no JWT settings: every request is the user `dev`.
    DevUser,
    /// Bearer JWTs.
    Jwt(JwtConfig),
}

/// Bearer JWT verification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtConfig {
    pub key: JwtKeySource,
    /// Accepted `aud` values; when set, tokens must carry one of them.
    pub audience: Vec<String>,
    /// Accepted `iss` values; when set, tokens must carry one of them.
    pub issuer: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
}

/// Where the verification key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtKeySource {
    /// HS256/HS384/HS512 with a shared secret.
    Secret(Secret),
    /// RS256.. (an RSA key) or ES256/ES384 (an EC key) from a PEM public key.
    PublicKeyPem(PathBuf),
    /// RS*/PS*/ES* public keys from a JWKS file, picked by the token's `kid`.
    Jwks(PathBuf),
}

/// The identity: a JWT key source (one of a secret, a PEM public key and a
/// JWKS file) with its audiences and issuers; without one, the dev user
/// when `dev`, else an error. `base`: the file's folder, where its paths
/// start.
pub fn resolve(
    dev: bool,
    args: &FileBackedArgs,
    env: &Env<'_>,
    file: FileIdentity,
    base: &Path,
) -> Result<IdentityConfig, ConfigError> {
    let path = |text: String| Ok(PathBuf::from(text));
    let secret = env.layer_with(
        args.jwt_secret.clone(),
        "PRESIGN_JWT_SECRET",
        |text| Ok(Secret::new(text)),
        file.jwt_secret.map(Secret::new),
    )?;
    let in_file = |p: Option<PathBuf>| p.map(|p| base.join(p));
    let public_key = env.layer_with(
        args.jwt_public_key.clone(),
        "PRESIGN_JWT_PUBLIC_KEY",
        path,
        in_file(file.jwt_public_key),
    )?;
    let jwks = env.layer_with(
        args.jwt_jwks.clone(),
        "PRESIGN_JWT_JWKS",
        path,
        in_file(file.jwt_jwks),
    )?;
    let key = match (secret, public_key, jwks) {
        (None, None, None) => None,
        (Some(secret), None, None) => {
            if secret.expose().len() < MIN_JWT_SECRET_BYTES {
                return Err(ConfigError::ShortSecret(MIN_JWT_SECRET_BYTES));
            }
            Some(JwtKeySource::Secret(secret))
        }
        (None, Some(pem), None) => Some(JwtKeySource::PublicKeyPem(pem)),
        (None, None, Some(jwks)) => Some(JwtKeySource::Jwks(jwks)),
        _ => return Err(ConfigError::TwoKeySources),
    };
    let audience = env.layer_with(
        args.jwt_audience.clone(),
        "PRESIGN_JWT_AUDIENCE",
        Ok,
        file.jwt_audience,
    )?;
    let issuer = env.layer_with(
        args.jwt_issuer.clone(),
        "PRESIGN_JWT_ISSUER",
        Ok,
        file.jwt_issuer,
    )?;
    match key {
        Some(key) => Ok(IdentityConfig::Jwt(JwtConfig {
            key,
            audience: list(audience),
            issuer: list(issuer),
            leeway_secs: file.jwt_leeway.unwrap_or(DEFAULT_JWT_LEEWAY_SECS),
        })),
        None if dev => Ok(IdentityConfig::DevUser),
        None => Err(ConfigError::NoIdentity),
    }
}

/// A comma-separated list, its items trimmed, empty ones left out.
fn list(text: Option<String>) -> Vec<String> {
    text.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
