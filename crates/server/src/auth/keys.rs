//! Verification keys: a key and the algorithms it may verify, an issuer's
//! set of them and which one a token's `kid` picks, and why the key
//! material the identity settings name cannot be used.

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

/// The keys an issuer's tokens are checked against.
#[derive(Debug)]
pub enum KeySet {
    /// A shared secret or a PEM public key: every token uses it.
    Single(VerifyKey),
    /// JWKS: the token's `kid` picks the key (optional with a single key).
    ById(Vec<(String, VerifyKey)>),
}

impl KeySet {
    /// The key a token's `kid` picks, if any.
    pub fn pick(&self, kid: Option<&str>) -> Option<&VerifyKey> {
        match self {
            KeySet::Single(key) => Some(key),
            KeySet::ById(keys) => match (kid, keys.as_slice()) {
                (Some(kid), _) => keys.iter().find(|(id, _)| id == kid).map(|(_, key)| key),
                (None, [(_, only)]) => Some(only),
                (None, _) => None,
            },
        }
    }

    /// Whether the set has the key `kid` names: `false` only for a `kid`
    /// it lacks (a newer set may hold it), never for a token without one.
    pub fn knows(&self, kid: Option<&str>) -> bool {
        match (self, kid) {
            (KeySet::ById(keys), Some(kid)) => keys.iter().any(|(id, _)| id == kid),
            _ => true,
        }
    }

    /// How many keys it holds.
    pub fn count(&self) -> usize {
        match self {
            KeySet::Single(_) => 1,
            KeySet::ById(keys) => keys.len(),
        }
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
    #[error("cannot make the HTTP client that fetches JWKS: {0}")]
    HttpClient(String),
}
