//! Verification keys: a key and the algorithms it may verify, and why the
//! key material the identity settings name cannot be used.

use jsonwebtoken::{Algorithm, DecodingKey};
use std::fmt;
use std::path::PathBuf;

/// One verification key and the algorithms it may verify.
pub struct VerifyKey {
    pub key: DecodingKey,
    pub algorithms: Vec<Algorithm>,
}

// `DecodingKey`'s own Debug would print an HMAC secret.
impl fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyKey")
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// What an RSA key may verify when neither the key nor the file pins one.
pub const RSA_ALGORITHMS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Why the configured key material cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an RSA or EC public key in PEM form")]
    BadPem { path: PathBuf },
    #[error("{path} is not a usable JWKS file: {reason}")]
    BadJwks { path: PathBuf, reason: String },
}
