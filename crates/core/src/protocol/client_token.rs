//! The `client_token` of `POST /api/multipart`: makes creating an upload
//! idempotent, as AWS's `ClientToken` does for its own create calls. The
//! client picks one random token per upload and sends it with every attempt
//! of the create request; when an attempt reached the signer but its answer
//! was lost, the retry gets the upload that attempt created instead of
//! opening a second one (which would stay open, holding one of the caller's
//! open-upload slots, until the stale-upload collector aborted it).

use std::fmt;

/// A validated token: 16 to 64 of `[A-Za-z0-9_-]` (at least 16, so that a
/// token is unlikely to be chosen twice by chance).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientToken(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client_token must be 16 to 64 characters of A-Z, a-z, 0-9, '_' or '-'")]
pub struct ClientTokenError;

impl ClientToken {
    pub fn parse(value: &str) -> Result<Self, ClientTokenError> {
        let ok = (16..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(ClientTokenError)
        }
    }

    /// The token of 128 random bits (the caller's randomness: the browser's
    /// `crypto.getRandomValues`), as 32 lowercase hex digits.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for ok in ["0123456789abcdef", "A-Z_a-z-0123456789", &"x".repeat(64)] {
            assert_eq!(ClientToken::parse(ok).map(|t| t.0), Ok(ok.to_owned()));
        }
        for bad in [
            "",
            "short",
            &"x".repeat(15),
            &"x".repeat(65),
            "0123456789abcdef ",
            "0123456789abcdef/",
            "0123456789abcdé",
        ] {
            assert_eq!(ClientToken::parse(bad), Err(ClientTokenError), "{bad:?}");
        }
    }

    #[test]
    fn a_random_token_is_its_bytes_in_hex_and_parses() {
        let token = ClientToken::from_random([0xab; 16]);
        assert_eq!(token.as_str(), "ab".repeat(16));
        let mut bytes = [0u8; 16];
        bytes[0] = 1;
        bytes[15] = 0xf0;
        let token = ClientToken::from_random(bytes);
        assert_eq!(token.as_str(), format!("01{}f0", "00".repeat(14)));
        assert_eq!(ClientToken::parse(token.as_str()), Ok(token));
    }
}
