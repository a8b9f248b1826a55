//! Who is calling: `Authorization: Bearer <JWT>` verified by [`Authenticator`]
//! with the keys of the token's issuer (the user id is the token's `sub`,
//! under its issuer's label when several issuers are trusted), or, with
//! `--dev` and no JWT settings, the fixed development user `dev`.
//!
//! Nothing here knows the HTTP API: it reads one header and answers the
//! caller's user id or an [`AuthError`]. The API's `Identity` extractor
//! ([`crate::http::extract`]) runs it on every request that names its caller.
//!
//! The files: `jwt` verifies tokens; `keys` holds verification keys and
//! key sets; `jwks` reads JWKS documents; `remote_jwks` fetches them from
//! a JWKS URL, under the rules of `jwks_cache` (how long keys are trusted,
//! when to fetch again).

mod jwks;
mod jwks_cache;
mod jwt;
mod keys;
mod remote_jwks;

pub use jwks_cache::KeysUnavailable;
pub use jwt::{JwtVerifier, TokenError, VerifyError};
pub use keys::IdentityError;

use crate::clock::Clock;
use crate::config::IdentityConfig;
use http::{header, HeaderMap};
use presign_core::UserId;

/// The user every request acts as with `--dev` and no identity configured.
pub const DEV_USER: &str = "dev";

/// The fixed development user.
pub fn dev_user() -> Result<UserId, AuthError> {
    UserId::parse(DEV_USER).map_err(|e| AuthError::DevUser(e.to_string()))
}

/// Why a request has no caller. The texts of all but [`AuthError::DevUser`]
/// and [`AuthError::KeysUnavailable`] are for the client (a 401); the
/// first is a bug, for the log only; the second says to come back later
/// (a 503), never that the token is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing Authorization: Bearer <token> header")]
    MissingHeader,
    #[error("the Authorization header is not ASCII")]
    NotAscii,
    #[error("the Authorization header must be `Bearer <token>`")]
    NotBearer,
    /// The token does not verify.
    #[error(transparent)]
    Token(#[from] VerifyError),
    /// The keys that would check the token are not fetched yet.
    #[error(transparent)]
    KeysUnavailable(#[from] KeysUnavailable),
    #[error("dev user id: {0}")]
    DevUser(String),
}

/// How callers prove who they are.
#[derive(Debug)]
pub enum Authenticator {
    /// `--dev` without JWT settings: everyone is [`DEV_USER`].
    DevUser,
    /// A bearer JWT, verified with a shared secret or public keys.
    Jwt(JwtVerifier),
}

impl Authenticator {
    /// Loads the key material `config` names (PEM or JWKS files); JWKS
    /// URLs are fetched by [`Authenticator::load`], and their cache runs on
    /// `clock`'s time.
    pub fn from_config(config: &IdentityConfig, clock: &Clock) -> Result<Self, IdentityError> {
        match config {
            IdentityConfig::DevUser => Ok(Self::DevUser),
            IdentityConfig::Jwt(jwt) => JwtVerifier::from_config(jwt, clock).map(Self::Jwt),
        }
    }

    /// The first fetch of every JWKS URL, at start; failures are logged,
    /// and requests that need those keys answer 503 until a fetch succeeds.
    pub async fn load(&self) {
        if let Authenticator::Jwt(verifier) = self {
            verifier.load().await;
        }
    }

    /// The user a request with these headers acts as: every key it may
    /// sign, confirm or download lives under `users/{user}/`.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<UserId, AuthError> {
        let verifier = match self {
            Authenticator::DevUser => return dev_user(),
            Authenticator::Jwt(verifier) => verifier,
        };
        let token = bearer_token(headers)?;
        verifier.verify(token).await.map_err(|e| match e {
            TokenError::Refused(e) => {
                tracing::debug!(error = %e, "token refused");
                AuthError::Token(e)
            }
            TokenError::KeysUnavailable(e) => AuthError::KeysUnavailable(e),
        })
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer_token(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::MissingHeader)?;
    let text = value.to_str().map_err(|_| AuthError::NotAscii)?;
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::NotBearer);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn dev_identity_owns_users_dev() {
        let user = dev_user().expect("valid dev user");
        assert_eq!(user.prefix(), "users/dev/");
    }

    #[test]
    fn bearer_header_shapes() {
        let headers = |v: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(v) = v {
                h.insert(
                    header::AUTHORIZATION,
                    HeaderValue::from_str(v).expect("value"),
                );
            }
            h
        };
        let h = headers(Some("Bearer abc.def.ghi"));
        assert_eq!(bearer_token(&h).ok(), Some("abc.def.ghi"));
        let h = headers(Some("bearer  abc"));
        assert_eq!(bearer_token(&h).ok(), Some("abc"));
        for bad in [
            None,
            Some("Basic dXNlcjpwYXNz"),
            Some("Bearer"),
            Some("Bearer   "),
            Some("abc"),
        ] {
            let h = headers(bad);
            assert!(
                matches!(
                    bearer_token(&h),
                    Err(AuthError::MissingHeader | AuthError::NotAscii | AuthError::NotBearer)
                ),
                "{bad:?}"
            );
        }
    }
}
