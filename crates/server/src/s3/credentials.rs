//! S3 credentials, with the secret parts wrapped so `Debug` never prints them.

use crate::secret::Secret;

/// An access key pair (and optional session token) that signs requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// Not secret on its own: it names the key pair, and appears in every URL.
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: Secret::new(secret_access_key),
            session_token: None,
        }
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
    fn random_dev_credentials_differ() {
        let a = Credentials::random_dev();
        let b = Credentials::random_dev();
        assert_ne!(a.access_key_id, b.access_key_id);
        assert_ne!(a.secret_access_key, b.secret_access_key);
        assert_eq!(a.access_key_id.len(), 20);
    }
}
