//! Verifying bearer JWTs with `jsonwebtoken` (RustCrypto backend), with
//! each issuer's keys: read at start from its settings, or fetched from
//! its JWKS URL ([`super::remote_jwks`]).

use super::jwks;
use super::jwks_cache::KeysUnavailable;
use super::keys::{IdentityError, KeySet, VerifyKey, RSA_ALGORITHMS};
use super::remote_jwks::{self, RemoteJwks};
use crate::clock::Clock;
use crate::config::{IssuerConfig, JwtConfig, JwtKeySource};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use presign_core::UserId;
use serde::Deserialize;
use std::sync::Arc;

/// Where an issuer's keys are.
#[derive(Debug)]
enum Keys {
    /// Read at start (a secret, a PEM key, a JWKS file).
    Fixed(Arc<KeySet>),
    /// Fetched from a JWKS URL, and refetched.
    Remote(Arc<RemoteJwks>),
}

/// Checks signature, algorithm, `exp` (required), `nbf`, `aud` when
/// configured, and `iss`: a token is verified only with the keys of the
/// issuer it names (with one issuer and no `--jwt-issuer`, any `iss`). The
/// user is the `sub` claim, under its issuer's label when it has one.
#[derive(Debug)]
pub struct JwtVerifier {
    issuers: Vec<Issuer>,
    leeway_secs: u64,
}

/// One issuer's keys and what its tokens must carry.
#[derive(Debug)]
struct Issuer {
    keys: Keys,
    audience: Vec<String>,
    /// The `iss` its tokens carry; `None` accepts any (a lone issuer).
    issuer: Option<String>,
    /// Its users' keys are `users/{label}/{sub}/`.
    label: Option<String>,
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

/// Why a token gave no user: refused (a 401), or it cannot be checked
/// until its issuer's keys are fetched (a 503: come back later).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Refused(#[from] VerifyError),
    #[error(transparent)]
    KeysUnavailable(#[from] KeysUnavailable),
}

/// The claims read from a verified token. `iss` is a string (RFC 7519's
/// StringOrURI): a list is refused, not searched.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    iss: Option<String>,
}

/// Just the `iss` of a token's claims, read before its signature is
/// checked, to pick the keys that check it.
#[derive(Deserialize)]
struct IssuerClaim {
    iss: Option<String>,
}

impl JwtVerifier {
    /// Reads the key files the settings name; JWKS URLs are fetched later
    /// ([`JwtVerifier::load`]), on `clock`'s time.
    pub fn from_config(config: &JwtConfig, clock: &Clock) -> Result<Self, IdentityError> {
        let needs_http = config
            .issuers
            .iter()
            .any(|issuer| matches!(issuer.key, JwtKeySource::JwksUrl(_)));
        let http = needs_http.then(remote_jwks::http_client).transpose()?;
        let issuers = config
            .issuers
            .iter()
            .map(|issuer| Issuer::from_config(issuer, http.as_ref(), clock))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            issuers,
            leeway_secs: config.leeway_secs,
        })
    }

    /// Fetches every JWKS URL once, together. A failure is logged and the
    /// server runs: requests that need those keys wait for a later fetch.
    pub async fn load(&self) {
        let remotes = self.issuers.iter().filter_map(|issuer| match &issuer.keys {
            Keys::Remote(remote) => Some(remote.load()),
            Keys::Fixed(_) => None,
        });
        futures::future::join_all(remotes).await;
    }

    /// The user a token names, if it verifies.
    pub async fn verify(&self, token: &str) -> Result<UserId, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| map_error(e.kind()))?;
        let issuer = self.issuer_of(token)?;
        let kid = header.kid.as_deref();
        let keys = match &issuer.keys {
            Keys::Fixed(keys) => keys.clone(),
            Keys::Remote(remote) => remote.keys_for(kid).await?,
        };
        let key = keys.pick(kid).ok_or(VerifyError::UnknownKey)?;
        Ok(self.check(issuer, key, &header, token)?)
    }

    /// Checks `token` with `key`, the one its header picked from `issuer`'s.
    fn check(
        &self,
        issuer: &Issuer,
        key: &VerifyKey,
        header: &Header,
        token: &str,
    ) -> Result<UserId, VerifyError> {
        if !key.algorithms.contains(&header.alg) {
            return Err(VerifyError::Algorithm);
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = key.algorithms.clone();
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if issuer.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&issuer.audience);
            required.push("aud");
        }
        if let Some(iss) = &issuer.issuer {
            validation.set_issuer(&[iss]);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map_err(|e| map_error(e.kind()))?;
        if issuer.issuer.is_some() && data.claims.iss != issuer.issuer {
            return Err(VerifyError::Issuer);
        }
        let sub = &data.claims.sub;
        match &issuer.label {
            None => UserId::parse(sub),
            Some(label) => UserId::with_issuer(label, sub),
        }
        .map_err(|_| VerifyError::BadSubject)
    }

    /// The issuer whose keys check `token`: the only one, or the one its
    /// (not yet verified) `iss` names.
    fn issuer_of(&self, token: &str) -> Result<&Issuer, VerifyError> {
        if let [only] = self.issuers.as_slice() {
            return Ok(only);
        }
        let payload = token.split('.').nth(1).ok_or(VerifyError::Malformed)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| VerifyError::Malformed)?;
        let claim: IssuerClaim =
            serde_json::from_slice(&json).map_err(|_| VerifyError::Malformed)?;
        let iss = claim
            .iss
            .ok_or_else(|| VerifyError::MissingClaim("iss".into()))?;
        self.issuers
            .iter()
            .find(|i| i.issuer.as_deref() == Some(iss.as_str()))
            .ok_or(VerifyError::Issuer)
    }
}

impl Issuer {
    /// `http`: the client of JWKS URLs, when some issuer has one.
    fn from_config(
        config: &IssuerConfig,
        http: Option<&reqwest::Client>,
        clock: &Clock,
    ) -> Result<Self, IdentityError> {
        let fixed = |keys: KeySet| Keys::Fixed(Arc::new(keys));
        let keys = match &config.key {
            JwtKeySource::Secret(secret) => fixed(KeySet::Single(VerifyKey {
                key: DecodingKey::from_secret(secret.expose().as_bytes()),
                algorithms: vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
            })),
            JwtKeySource::PublicKeyPem(path) => {
                let pem = read(path)?;
                fixed(KeySet::Single(pem_key(&pem).ok_or_else(|| {
                    IdentityError::BadPem { path: path.clone() }
                })?))
            }
            JwtKeySource::Jwks(path) => {
                let text = read(path)?;
                let keys = jwks::parse(&text).map_err(|reason| IdentityError::BadJwks {
                    path: path.clone(),
                    reason,
                })?;
                fixed(KeySet::ById(keys))
            }
            JwtKeySource::JwksUrl(url) => {
                let http = http.map_or_else(remote_jwks::http_client, |h| Ok(h.clone()))?;
                Keys::Remote(RemoteJwks::new(url.clone(), http, clock.clone()))
            }
        };
        Ok(Self {
            keys,
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            label: config.label.clone(),
        })
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
