//! Verifying bearer JWTs with `jsonwebtoken` (RustCrypto backend).

use super::jwks;
use super::keys::{IdentityError, VerifyKey, RSA_ALGORITHMS};
use crate::config::{JwtConfig, JwtKeySource};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use presign_core::UserId;
use serde::Deserialize;

/// The keys tokens are checked against.
#[derive(Debug)]
enum Keys {
    /// A shared secret or a PEM public key: every token uses it.
    Single(VerifyKey),
    /// JWKS: the token's `kid` picks the key (optional with a single key).
    ById(Vec<(String, VerifyKey)>),
}

/// Checks signature, algorithm, `exp` (required), `nbf`, and `aud`/`iss` when
/// configured; the user is the `sub` claim.
#[derive(Debug)]
pub struct JwtVerifier {
    keys: Keys,
    audience: Vec<String>,
    issuer: Vec<String>,
    leeway_secs: u64,
}

/// Why a token was refused; the text goes into the 401 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm is not accepted")]
    Algorithm,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token lacks the required claim `{0}`")]
    MissingClaim(String),
    #[error("the token's audience is not accepted")]
    Audience,
    #[error("the token's issuer is not accepted")]
    Issuer,
    #[error("the token's key id (kid) is unknown")]
    UnknownKey,
    #[error("the token's sub is not a valid user id (1 to 128 of A-Z, a-z, 0-9, '.', '_', '-')")]
    BadSubject,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

impl JwtVerifier {
    pub fn from_config(config: &JwtConfig) -> Result<Self, IdentityError> {
        let keys = match &config.key {
            JwtKeySource::Secret(secret) => Keys::Single(VerifyKey {
                key: DecodingKey::from_secret(secret.expose().as_bytes()),
                algorithms: vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
            }),
            JwtKeySource::PublicKeyPem(path) => {
                let pem = read(path)?;
                Keys::Single(
                    pem_key(&pem).ok_or_else(|| IdentityError::BadPem { path: path.clone() })?,
                )
            }
            JwtKeySource::Jwks(path) => {
                let text = read(path)?;
                let keys = jwks::parse(&text).map_err(|reason| IdentityError::BadJwks {
                    path: path.clone(),
                    reason,
                })?;
                Keys::ById(keys)
            }
        };
        Ok(Self {
            keys,
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            leeway_secs: config.leeway_secs,
        })
    }

    /// The user a token names, if it verifies.
    pub fn verify(&self, token: &str) -> Result<UserId, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| map_error(e.kind()))?;
        let key = match &self.keys {
            Keys::Single(key) => key,
            Keys::ById(keys) => match (&header.kid, keys.as_slice()) {
                (Some(kid), _) => keys
                    .iter()
                    .find(|(id, _)| id == kid)
                    .map(|(_, key)| key)
                    .ok_or(VerifyError::UnknownKey)?,
                (None, [(_, only)]) => only,
                (None, _) => return Err(VerifyError::UnknownKey),
            },
        };
        if !key.algorithms.contains(&header.alg) {
            return Err(VerifyError::Algorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = key.algorithms.clone();
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if self.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.audience);
            required.push("aud");
        }
        if !self.issuer.is_empty() {
            validation.set_issuer(&self.issuer);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map_err(|e| map_error(e.kind()))?;
        UserId::parse(&data.claims.sub).map_err(|_| VerifyError::BadSubject)
    }
}

fn read(path: &std::path::Path) -> Result<String, IdentityError> {
    std::fs::read_to_string(path).map_err(|source| IdentityError::Read {
        path: path.to_owned(),
        source,
    })
}

/// An RSA or EC public key in PEM form.
fn pem_key(pem: &str) -> Option<VerifyKey> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem.as_bytes()) {
        return Some(VerifyKey {
            key,
            algorithms: RSA_ALGORITHMS.to_vec(),
        });
    }
    DecodingKey::from_ec_pem(pem.as_bytes())
        .ok()
        .map(|key| VerifyKey {
            key,
            algorithms: vec![Algorithm::ES256, Algorithm::ES384],
        })
}

fn map_error(kind: &ErrorKind) -> VerifyError {
    match kind {
        ErrorKind::InvalidSignature => VerifyError::Signature,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => VerifyError::Algorithm,
        ErrorKind::ExpiredSignature => VerifyError::Expired,
        ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
        ErrorKind::InvalidAudience => VerifyError::Audience,
        ErrorKind::InvalidIssuer => VerifyError::Issuer,
        ErrorKind::InvalidSubject => VerifyError::BadSubject,
        ErrorKind::MissingRequiredClaim(claim) => VerifyError::MissingClaim(claim.clone()),
        // Wrong key type for the algorithm, bad base64/JSON, and the like.
        _ => VerifyError::Malformed,
    }
}
