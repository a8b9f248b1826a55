//! Secret strings (S3 secret keys, session tokens, the JWT and webhook
//! secrets), wrapped so `Debug` never prints them.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

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

/// How a secret is read from a flag (clap) or any text: as it is.
impl FromStr for Secret {
    type Err = Infallible;

    fn from_str(text: &str) -> Result<Self, Infallible> {
        Ok(Self::new(text))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
