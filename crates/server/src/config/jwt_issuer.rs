//! One JWT issuer's settings: its key source (a secret, a PEM public key,
//! a JWKS file or a JWKS URL), the audiences its tokens must carry, its
//! `iss`, and the label of its users' keys: the one of the flags
//! (`identity`), or each of the config file's several (`issuers`).
//!
//! A JWKS URL must be https: keys fetched over plain http could be swapped
//! by anyone on the way, and with them every caller's identity. Plain http
//! is accepted only to a loopback address (an identity provider or a
//! sidecar on the same machine).

use super::error::ConfigError;
use crate::secret::Secret;
use std::path::PathBuf;
use url::{Host, Url};

/// Smallest HMAC secret accepted (RFC 7518: at least the hash's size).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// One issuer: its keys, the audiences its tokens must carry, its `iss`
/// and the label of its users' keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerConfig {
    pub key: JwtKeySource,
    /// Accepted `aud` values; empty accepts any (a shared secret, or
    /// `--jwt-any-audience`).
    pub audience: Vec<String>,
    /// The `iss` its tokens must carry; `None` (one issuer, no
    /// `--jwt-issuer`) accepts any.
    pub issuer: Option<String>,
    /// Its users' keys are `users/{label}/{sub}/`; `None`: `users/{sub}/`.
    pub label: Option<String>,
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
    /// Like [`JwtKeySource::Jwks`], fetched from this URL and refetched as
    /// the identity provider rotates its keys.
    JwksUrl(Url),
}

impl JwtKeySource {
    /// At most one of a secret, a PEM file, a JWKS file and a JWKS URL,
    /// the secret long enough, the URL https (or http to a loopback
    /// address).
    pub fn one_of(
        secret: Option<Secret>,
        public_key: Option<PathBuf>,
        jwks: Option<PathBuf>,
        jwks_url: Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        match (secret, public_key, jwks, jwks_url) {
            (None, None, None, None) => Ok(None),
            (Some(secret), None, None, None) => {
                if secret.expose().len() < MIN_JWT_SECRET_BYTES {
                    return Err(ConfigError::ShortSecret(MIN_JWT_SECRET_BYTES));
                }
                Ok(Some(Self::Secret(secret)))
            }
            (None, Some(pem), None, None) => Ok(Some(Self::PublicKeyPem(pem))),
            (None, None, Some(jwks), None) => Ok(Some(Self::Jwks(jwks))),
            (None, None, None, Some(url)) => {
                checked_jwks_url(&url).map(|url| Some(Self::JwksUrl(url)))
            }
            _ => Err(ConfigError::TwoKeySources),
        }
    }

    /// Whether tokens are checked with public keys, which anyone's tokens
    /// from the same identity provider verify with.
    pub fn is_public(&self) -> bool {
        !matches!(self, Self::Secret(_))
    }
}

/// `text` as a JWKS URL: https, or http to a loopback address; no user
/// name or password (they would show in the logs).
fn checked_jwks_url(text: &str) -> Result<Url, ConfigError> {
    let bad = |reason: &'static str| ConfigError::BadJwksUrl {
        url: text.to_owned(),
        reason,
    };
    let url = Url::parse(text.trim()).map_err(|_| bad("is not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not hold a user name or password"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if url.host().is_some_and(|host| is_loopback(&host)) => Ok(url),
        "http" => Err(bad(
            "must be https: keys fetched over plain http can be replaced by anyone on the way, \
             and with them every caller's identity (http is accepted only to a loopback \
             address: 127.0.0.1, [::1] or localhost)",
        )),
        _ => Err(bad("must be an https URL")),
    }
}

/// 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
    }
}

/// A comma-separated list, its items trimmed, empty ones left out.
pub fn list(text: Option<String>) -> Vec<String> {
    text.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
