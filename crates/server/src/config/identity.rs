//! What the identity settings resolve to: how the server learns who calls
//! it ([`crate::auth`] loads the keys they name).

use crate::secret::Secret;
use std::path::PathBuf;

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
