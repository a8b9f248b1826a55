//! Who is calling: `Authorization: Bearer <JWT>` verified by [`Authenticator`]
//! (the user id is the token's `sub`), or, with `--dev` and no JWT settings,
//! the fixed development user `dev`.
//!
//! The [`Identity`] extractor also applies the per-user request rate limit
//! ([`crate::rate_limit`]), so every endpoint that knows its caller is limited,
//! and names the caller in the request's log line ([`Caller`]).

mod jwks;
mod jwt;
mod settings;

pub use jwt::{JwtVerifier, VerifyError};
pub use settings::{IdentityConfig, IdentityError, JwtConfig, JwtKeySource};

use crate::error::ApiError;
use crate::request_observer::Caller;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use presign_core::UserId;

/// The user every request acts as with `--dev` and no identity configured.
pub const DEV_USER: &str = "dev";

/// The caller: every key it may sign, confirm or download lives under
/// `users/{user}/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: UserId,
}

impl Identity {
    /// The fixed development user.
    pub fn dev() -> Result<Self, ApiError> {
        UserId::parse(DEV_USER)
            .map(|user| Self { user })
            .map_err(|e| ApiError::Internal(format!("dev user id: {e}")))
    }
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
    /// Loads the key material `config` names (PEM or JWKS files).
    pub fn from_config(config: &IdentityConfig) -> Result<Self, IdentityError> {
        match config {
            IdentityConfig::DevUser => Ok(Self::DevUser),
            IdentityConfig::Jwt(jwt) => JwtVerifier::from_config(jwt).map(Self::Jwt),
        }
    }

    /// The caller of a request with these headers; 401 without valid credentials.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, ApiError> {
        let verifier = match self {
            Authenticator::DevUser => return Identity::dev(),
            Authenticator::Jwt(verifier) => verifier,
        };
        let token = bearer_token(headers)?;
        let user = verifier.verify(token).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            ApiError::Unauthorized(e.to_string())
        })?;
        Ok(Identity { user })
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("missing Authorization: Bearer <token> header".into())
    })?;
    let text = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not ASCII".into()))?;
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <token>`".into(),
        ));
    }
    Ok(token)
}

impl FromRequestParts<AppState> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let identity = state.auth.authenticate(&parts.headers)?;
        if let Some(caller) = parts.extensions.get::<Caller>() {
            caller.set(&identity.user);
        }
        state.rate_limiter.check(&identity.user)?;
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn dev_identity_owns_users_dev() {
        let id = Identity::dev().expect("valid dev user");
        assert_eq!(id.user.prefix(), "users/dev/");
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
                matches!(bearer_token(&h), Err(ApiError::Unauthorized(_))),
                "{bad:?}"
            );
        }
    }
}
