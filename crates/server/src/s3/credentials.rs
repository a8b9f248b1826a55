//! S3 credentials, with the secret parts wrapped so `Debug` never prints them.

use crate::secret::Secret;
use jiff::Timestamp;
use std::time::Duration;

/// An access key pair (and optional session token) that signs requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Not secret on its own: it names the key pair, and appears in every URL.
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// When temporary credentials stop working (`None`: long-term keys).
    /// A presigned URL stops working then too, whatever its own lifetime.
    pub expires_at: Option<Timestamp>,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: None,
            expires_at: None,
        }
    }

    /// How long they still work after `now`: `None` when they never
    /// expire, zero once expired.
    pub fn remaining(&self, now: Timestamp) -> Option<Duration> {
        self.expires_at
            .map(|at| Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO))
    }

    /// A random key pair, for the embedded development store only.
    pub fn random_dev() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
        Self::new(
            format!("DEV{}", &id[..17]),
            uuid::Uuid::new_v4().simple().to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_secrets() {
        let mut creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        creds.session_token = Some(Secret::new("session-token-value"));
        let debug = format!("{creds:?} {:#?}", creds);
        assert!(debug.contains("AKIDEXAMPLE"), "{debug}");
        assert!(!debug.contains("wJalrXUtnFEMI"), "{debug}");
        assert!(!debug.contains("session-token-value"), "{debug}");
        assert!(debug.contains("Secret(***)"), "{debug}");
    }

    #[test]
    fn remaining_lifetime() {
        let now: Timestamp = "2026-05-01T12:00:00Z".parse().expect("time");
        let mut creds = Credentials::new("AKID", "secret");
        assert_eq!(creds.remaining(now), None);
        creds.expires_at = Some("2026-05-01T12:01:30Z".parse().expect("time"));
        assert_eq!(creds.remaining(now), Some(Duration::from_secs(90)));
        creds.expires_at = Some("2026-05-01T11:59:00Z".parse().expect("time"));
        assert_eq!(creds.remaining(now), Some(Duration::ZERO));
    }

    #[test]
    fn random_dev_credentials_differ() {
        let a = Credentials::random_dev();
        let b = Credentials::random_dev();
        assert_ne!(a.access_key_id, b.access_key_id);
        assert_ne!(a.secret_access_key, b.secret_access_key);
        assert_eq!(a.access_key_id.len(), 20);
    }
}
