//! Who is calling. For now everyone is the fixed development user `dev`;
//! real identity (a session, a token) replaces [`Identity::from_request_parts`]
//! in a later issue, and nothing else has to change.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use presign_core::UserId;

/// The user every request acts as until authentication exists.
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

impl<S: Send + Sync> FromRequestParts<S> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Identity::dev()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_identity_owns_users_dev() {
        let id = Identity::dev().expect("valid dev user");
        assert_eq!(id.user.prefix(), "users/dev/");
    }
}
