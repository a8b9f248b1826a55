//! Secret strings (S3 secret keys, session tokens, the JWT and webhook
//! secrets), wrapped so `Debug` never prints them.

use std::fmt;

/// A secret string. `Debug` prints `Secret(***)`; there is no `Display`, so it
/// cannot end up in a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it (signing).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
