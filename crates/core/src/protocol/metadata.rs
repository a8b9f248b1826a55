//! Per-upload metadata: names and values the app attaches to a file (an ECU
//! serial, a project id), stored with the object as S3 user metadata
//! (`x-amz-meta-{name}: {value}`), signed into the PUT, the POST form or
//! the multipart create, so the browser cannot change it.
//!
//! The rules are what S3 and browsers both accept, checked by the client
//! before it asks and by the signer before it signs:
//! - a name is 1 to 64 of `a-z 0-9 -`, starting and ending with a letter or
//!   digit, without the `x-amz-meta-` prefix (S3 lowercases names; an
//!   uppercase one would come back changed). `user-id` is the signer's own.
//! - a value is printable ASCII (space to `~`), without spaces at either
//!   end (HTTP trims them, which would break the signature). Encode other
//!   text yourself (`encodeURIComponent`).
//! - names and values together are at most 2 KB (S3's limit on user
//!   metadata, counted as the bytes of each name and value).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// S3's limit on a PUT's user metadata: the bytes of every name and value.
pub const MAX_METADATA_BYTES: usize = 2048;
/// Longest metadata name.
pub const MAX_NAME_CHARS: usize = 64;
/// The HTTP header prefix of S3 user metadata.
pub const HEADER_PREFIX: &str = "x-amz-meta-";
/// Names the signer sets itself.
pub const RESERVED: [&str; 1] = ["user-id"];

/// Metadata names and values, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Metadata(pub BTreeMap<String, String>);

/// Why metadata is refused; every message names the entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MetadataError {
    #[error("metadata name {0:?} must be 1 to 64 of a-z 0-9 - (lowercase), starting and ending with a letter or digit")]
    BadName(String),
    #[error("metadata name {0:?} must not carry the x-amz-meta- prefix: give {1:?}")]
    Prefixed(String, String),
    #[error("metadata name {0:?} is reserved for the signer")]
    Reserved(String),
    #[error("metadata {0:?} must be printable ASCII (space to ~) without spaces at either end; encode other text, e.g. with encodeURIComponent")]
    BadValue(String),
    #[error("metadata is {0} bytes of names and values; S3 takes at most {MAX_METADATA_BYTES}")]
    TooLarge(usize),
}

impl Metadata {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks every name and value, and the total size.
    pub fn check(&self) -> Result<(), MetadataError> {
        let mut bytes = 0;
        for (name, value) in &self.0 {
            check_name(name)?;
            if !valid_value(value) {
                return Err(MetadataError::BadValue(name.clone()));
            }
            bytes += name.len() + value.len();
        }
        if bytes > MAX_METADATA_BYTES {
            return Err(MetadataError::TooLarge(bytes));
        }
        Ok(())
    }

    /// The S3 headers: `(x-amz-meta-{name}, value)`, sorted.
    pub fn headers(&self) -> impl Iterator<Item = (String, &str)> {
        self.0
            .iter()
            .map(|(name, value)| (format!("{HEADER_PREFIX}{name}"), value.as_str()))
    }

    /// The metadata among a stored object's headers (names lowercased).
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let entries = headers.into_iter().filter_map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let short = name.strip_prefix(HEADER_PREFIX)?;
            (!RESERVED.contains(&short)).then(|| (short.to_owned(), value.to_owned()))
        });
        Self(entries.collect())
    }
}

fn check_name(name: &str) -> Result<(), MetadataError> {
    let lower = name.to_ascii_lowercase();
    if let Some(short) = lower.strip_prefix(HEADER_PREFIX) {
        return Err(MetadataError::Prefixed(name.to_owned(), short.to_owned()));
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let valid = name.len() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && edge_ok(name.chars().next())
        && edge_ok(name.chars().last());
    if !valid {
        return Err(MetadataError::BadName(name.to_owned()));
    }
    if RESERVED.contains(&name) {
        return Err(MetadataError::Reserved(name.to_owned()));
    }
    Ok(())
}

fn valid_value(value: &str) -> bool {
    value.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && !value.starts_with(' ')
        && !value.ends_with(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(pairs: &[(&str, &str)]) -> Metadata {
        Metadata(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn good_metadata_passes_and_becomes_headers() {
        let m = metadata(&[("serial", "ECU-0042"), ("project-id", "p 7"), ("empty", "")]);
        assert_eq!(m.check(), Ok(()));
        let headers: Vec<(String, &str)> = m.headers().collect();
        assert_eq!(
            headers,
            [
                ("x-amz-meta-empty".to_owned(), ""),
                ("x-amz-meta-project-id".to_owned(), "p 7"),
                ("x-amz-meta-serial".to_owned(), "ECU-0042"),
            ]
        );
        assert_eq!(Metadata::default().check(), Ok(()));
    }

    #[test]
    fn each_bad_entry_is_named() {
        let long_name = "a".repeat(65);
        let cases: Vec<(Vec<(&str, &str)>, MetadataError)> = vec![
            (
                vec![("Serial", "1")],
                MetadataError::BadName("Serial".into()),
            ),
            (vec![("-x", "1")], MetadataError::BadName("-x".into())),
            (vec![("x-", "1")], MetadataError::BadName("x-".into())),
            (vec![("", "1")], MetadataError::BadName(String::new())),
            (vec![("a_b", "1")], MetadataError::BadName("a_b".into())),
            (
                vec![(&long_name, "1")],
                MetadataError::BadName(long_name.clone()),
            ),
            (
                vec![("x-amz-meta-serial", "1")],
                MetadataError::Prefixed("x-amz-meta-serial".into(), "serial".into()),
            ),
            (
                vec![("user-id", "eve")],
                MetadataError::Reserved("user-id".into()),
            ),
            (
                vec![("serial", "ñ")],
                MetadataError::BadValue("serial".into()),
            ),
            (
                vec![("serial", "a\r\nx-evil: 1")],
                MetadataError::BadValue("serial".into()),
            ),
            (
                vec![("serial", " padded")],
                MetadataError::BadValue("serial".into()),
            ),
            (
                vec![("serial", "tab\t")],
                MetadataError::BadValue("serial".into()),
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(metadata(&pairs).check(), Err(expected), "{pairs:?}");
        }
    }

    #[test]
    fn the_total_is_at_most_2_kb() {
        let at_limit = metadata(&[("a", &"x".repeat(2047))]);
        assert_eq!(at_limit.check(), Ok(()));
        let over = metadata(&[("a", &"x".repeat(2000)), ("b", &"y".repeat(47))]);
        assert_eq!(over.check(), Err(MetadataError::TooLarge(2049)));
    }

    #[test]
    fn stored_headers_give_the_metadata_back() {
        let m = Metadata::from_headers([
            ("X-Amz-Meta-Serial", "ECU-1"),
            ("x-amz-meta-user-id", "dev"),
            ("content-type", "text/plain"),
        ]);
        assert_eq!(m, metadata(&[("serial", "ECU-1")]));
    }

    #[test]
    fn json_is_a_plain_object() {
        let m: Metadata = serde_json::from_str(r#"{"serial":"1","a":"b"}"#).expect("object");
        assert_eq!(
            serde_json::to_string(&m).expect("json"),
            r#"{"a":"b","serial":"1"}"#
        );
        assert!(serde_json::from_str::<Metadata>(r#"{"serial":1}"#).is_err());
    }
}
