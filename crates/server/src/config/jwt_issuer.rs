//! One JWT issuer's settings: its key source (a secret, a PEM public key
//! or a JWKS file), the audiences its tokens must carry, its `iss`, and the
//! label of its users' keys: the one of the flags (`identity`), or each of
//! the config file's several (`issuers`).

use super::error::ConfigError;
use crate::secret::Secret;
use std::path::PathBuf;

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
}

impl JwtKeySource {
    /// At most one of a secret, a PEM file and a JWKS file, the secret
    /// long enough.
    pub fn one_of(
        secret: Option<Secret>,
        public_key: Option<PathBuf>,
        jwks: Option<PathBuf>,
    ) -> Result<Option<Self>, ConfigError> {
        match (secret, public_key, jwks) {
            (None, None, None) => Ok(None),
            (Some(secret), None, None) => {
                if secret.expose().len() < MIN_JWT_SECRET_BYTES {
                    return Err(ConfigError::ShortSecret(MIN_JWT_SECRET_BYTES));
                }
                Ok(Some(Self::Secret(secret)))
            }
            (None, Some(pem), None) => Ok(Some(Self::PublicKeyPem(pem))),
            (None, None, Some(jwks)) => Ok(Some(Self::Jwks(jwks))),
            _ => Err(ConfigError::TwoKeySources),
        }
    }

    /// Whether tokens are checked with public keys, which anyone's tokens
    /// from the same identity provider verify with.
    pub fn is_public(&self) -> bool {
        !matches!(self, Self::Secret(_))
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
