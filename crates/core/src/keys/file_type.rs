//! The `file_type` of the design note's API: a short label that becomes one segment of
//! the object key (`users/{user}/{file_type}/...`), so it is strictly checked.

use std::fmt;

/// A validated file type label: 1..=64 of `[a-z0-9_-]`, starting alphanumeric.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileType(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "file_type must be 1 to 64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit"
)]
pub struct FileTypeError;

impl FileType {
    pub fn parse(value: &str) -> Result<Self, FileTypeError> {
        let ok = (1..=64).contains(&value.len())
            && value.as_bytes()[0].is_ascii_alphanumeric()
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(FileTypeError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        for ok in ["images", "ecu-logs", "a", "x_1", "2024"] {
            assert!(FileType::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Images",
            "../etc",
            "a/b",
            "-x",
            "_x",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            assert_eq!(FileType::parse(bad), Err(FileTypeError), "{bad:?}");
        }
    }
}
