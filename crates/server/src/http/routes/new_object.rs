//! What a new upload needs, whether a single PUT (`get-upload-url`), a POST
//! form or a multipart upload: a checked filename, file type, Content-Type
//! and metadata, and a fresh key under the caller's prefix from the file
//! type's key template (`users/{user}/{file_type}/{date}/{uuid}-{filename}`
//! by default; `date`: the UTC day of the server's clock).

use crate::domain::upload_policy::{Allowed, UploadMethod, UploadPolicy, UploadRequest};
use crate::http::error::ApiError;
use crate::http::extract::Identity;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use presign_core::keys::file_type::FileType;
use presign_core::keys::filename;
use presign_core::keys::key_template::KeyParts;
use presign_core::protocol::content_type::{self, DEFAULT_CONTENT_TYPE};
use presign_core::protocol::metadata::Metadata;
use presign_core::{KeyDate, ObjectKey};

/// What the client asked to upload, as it sent it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asked<'a> {
    pub filename: &'a str,
    pub file_type: &'a str,
    pub content_type: Option<&'a str>,
    pub metadata: &'a Metadata,
}

/// A new object's key and the type it will be stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewObject {
    pub key: ObjectKey,
    pub file_type: FileType,
    /// Signed into the upload: the browser must send exactly this.
    pub content_type: String,
    /// The sanitised filename (shortened in the key when it must be).
    pub filename: String,
}

impl NewObject {
    /// Checks the client's names and metadata against `policy` and builds a
    /// key no other upload has, at most `max_key_bytes` long (the filename
    /// is shortened to fit).
    pub(crate) fn new(
        identity: &Identity,
        asked: &Asked<'_>,
        policy: &UploadPolicy,
        now: Timestamp,
        max_key_bytes: usize,
    ) -> Result<Self, ApiError> {
        let filename =
            filename::sanitize(asked.filename).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let file_type =
            FileType::parse(asked.file_type).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let content_type = match asked.content_type {
            None => DEFAULT_CONTENT_TYPE.to_owned(),
            Some(raw) => normalize_content_type(raw)?,
        };
        policy.check_metadata(&file_type, asked.metadata)?;
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        let parts = KeyParts {
            user: &identity.user,
            file_type: &file_type,
            date: utc_day(now)?,
            uuid: &uuid,
            filename: &filename,
            metadata: asked.metadata,
        };
        let key = policy
            .key_template(&file_type)
            .key(&parts, max_key_bytes)
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok(Self {
            key,
            file_type,
            content_type,
            filename,
        })
    }

    /// Checks this upload of `size` bytes by `method` against the policy.
    pub(crate) fn check(
        &self,
        policy: &UploadPolicy,
        size: Option<u64>,
        method: UploadMethod,
    ) -> Result<Allowed, ApiError> {
        Ok(policy.check_upload(&UploadRequest {
            file_type: &self.file_type,
            filename: &self.filename,
            content_type: &self.content_type,
            size,
            method,
        })?)
    }
}

/// The UTC calendar day of `now`.
fn utc_day(now: Timestamp) -> Result<KeyDate, ApiError> {
    let date = now.to_zoned(TimeZone::UTC).date();
    let part = |v: i8| u8::try_from(v).unwrap_or(0);
    u16::try_from(date.year())
        .ok()
        .and_then(|year| KeyDate::new(year, part(date.month()), part(date.day())))
        .ok_or_else(|| ApiError::Internal(format!("the clock's date {date} is out of range")))
}

/// Validates a client's Content-Type and collapses its inner whitespace, so
/// the value signed is the value any HTTP stack will send.
fn normalize_content_type(raw: &str) -> Result<String, ApiError> {
    let valid = content_type::validate(raw)
        .map_err(|e| ApiError::BadRequest(format!("content_type {raw:?} {e}")))?;
    Ok(valid.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_whitespace_is_collapsed() {
        assert_eq!(
            normalize_content_type(" text/plain;  charset=utf-8 ")
                .ok()
                .as_deref(),
            Some("text/plain; charset=utf-8")
        );
        assert!(normalize_content_type("nope").is_err());
    }

    fn new(filename: &str, file_type: &str, now: &str, max: usize) -> Result<NewObject, ApiError> {
        let id = Identity {
            user: presign_core::UserId::parse("dev").expect("dev"),
        };
        let asked = Asked {
            filename,
            file_type,
            content_type: None,
            metadata: &Metadata::default(),
        };
        let now: Timestamp = now.parse().expect("time");
        NewObject::new(&id, &asked, &UploadPolicy::default(), now, max)
    }

    #[test]
    fn keys_are_fresh_and_under_the_callers_prefix() {
        let now = "2026-03-07T23:59:59Z";
        let a = new("a b.bin", "ecu", now, 1024).expect("object");
        let b = new("a b.bin", "ecu", now, 1024).expect("object");
        let key = a.key.as_str();
        let rest = key
            .strip_prefix("users/dev/ecu/2026-03-07/")
            .unwrap_or_else(|| panic!("{key}"));
        let (uuid, name) = rest.split_at(32);
        assert!(uuid.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
        assert_eq!(name, "-a b.bin");
        assert_ne!(a.key, b.key);
        assert_eq!(a.content_type, DEFAULT_CONTENT_TYPE);
        assert!(new("", "ecu", now, 1024).is_err());
        assert!(new("a", "ECU", now, 1024).is_err());
        let next = new("../\u{202E}", "ecu", "2026-03-08T00:00:00Z", 1024).expect("object");
        // A long name is shortened to fit the key limit, keeping its extension.
        let long = format!("{}.tar.gz", "n".repeat(300));
        let fit = new(&long, "ecu", now, 120).expect("object");
        assert!(fit.key.as_str().len() <= 120, "{}", fit.key);
        assert!(fit.key.as_str().ends_with("nn.gz"), "{}", fit.key);
        // A key limit that leaves no room for a name is refused.
        assert!(new("a.bin", "ecu", now, 60).is_err());
        assert!(next.key.as_str().starts_with("users/dev/ecu/2026-03-08/"));
        assert!(next.key.as_str().ends_with("-file"), "{}", next.key);
    }
}
