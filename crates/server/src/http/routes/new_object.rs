//! What a new upload needs, whether a single PUT (`get-upload-url`) or a
//! multipart upload: a checked filename, file type and Content-Type, and a
//! fresh key `users/{user}/{file_type}/{date}/{uuid}-{filename}` under the
//! caller's prefix (`date`: the UTC day of the server's clock).

use crate::domain::upload_policy::{Allowed, UploadMethod, UploadPolicy, UploadRequest};
use crate::http::error::ApiError;
use crate::http::extract::Identity;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use presign_core::keys::file_type::FileType;
use presign_core::keys::filename;
use presign_core::protocol::content_type::{self, DEFAULT_CONTENT_TYPE};
use presign_core::protocol::metadata::Metadata;
use presign_core::{KeyDate, ObjectKey};

/// A new object's key and the type it will be stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewObject {
    pub key: ObjectKey,
    pub file_type: FileType,
    /// Signed into the upload: the browser must send exactly this.
    pub content_type: String,
    /// The sanitised filename (the key's last part, after the uuid).
    pub filename: String,
}

/// The shortest filename room a key must leave.
const MIN_FILENAME_ROOM: usize = 8;

impl NewObject {
    /// Checks the client's names and builds a key no other upload has, at
    /// most `max_key_bytes` long (the filename is shortened to fit).
    pub(crate) fn new(
        identity: &Identity,
        raw_filename: &str,
        raw_file_type: &str,
        raw_content_type: Option<&str>,
        now: Timestamp,
        max_key_bytes: usize,
    ) -> Result<Self, ApiError> {
        let filename =
            filename::sanitize(raw_filename).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let file_type =
            FileType::parse(raw_file_type).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        // users/{user}/{file_type}/YYYY-MM-DD/{32 hex}-{filename}
        let fixed = identity.user.prefix().len() + file_type.as_str().len() + 1 + 10 + 1 + 33;
        let room = max_key_bytes.saturating_sub(fixed);
        if room < MIN_FILENAME_ROOM {
            return Err(ApiError::BadRequest(format!(
                "the user id and file_type leave no room for a filename in a {max_key_bytes}-byte key"
            )));
        }
        let filename = filename::shorten(&filename, room);
        let content_type = match raw_content_type {
            None => DEFAULT_CONTENT_TYPE.to_owned(),
            Some(raw) => normalize_content_type(raw)?,
        };
        let id = uuid::Uuid::new_v4().simple().to_string();
        let key = ObjectKey::for_upload(&identity.user, &file_type, utc_day(now)?, &id, &filename)
            .map_err(|e| {
                ApiError::BadRequest(format!(
                    "cannot build a key from filename and file_type: {e}"
                ))
            })?;
        Ok(Self {
            key,
            file_type,
            content_type,
            filename,
        })
    }

    /// Checks the upload's metadata: well formed, and each name one the
    /// file type's policy takes (no file type takes any yet).
    pub(crate) fn check_metadata(&self, metadata: &Metadata) -> Result<(), ApiError> {
        metadata
            .check()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        match metadata.0.keys().next() {
            None => Ok(()),
            Some(name) => Err(ApiError::BadRequest(format!(
                "metadata name {name:?} is not allowed for file_type {}",
                self.file_type.as_str()
            ))),
        }
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

    #[test]
    fn keys_are_fresh_and_under_the_callers_prefix() {
        let id = Identity {
            user: presign_core::UserId::parse("dev").expect("dev"),
        };
        let now: Timestamp = "2026-03-07T23:59:59Z".parse().expect("time");
        let a = NewObject::new(&id, "a b.bin", "ecu", None, now, 1024).expect("object");
        let b = NewObject::new(&id, "a b.bin", "ecu", None, now, 1024).expect("object");
        let key = a.key.as_str();
        let rest = key
            .strip_prefix("users/dev/ecu/2026-03-07/")
            .unwrap_or_else(|| panic!("{key}"));
        let (uuid, name) = rest.split_at(32);
        assert!(uuid.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
        assert_eq!(name, "-a b.bin");
        assert_ne!(a.key, b.key);
        assert_eq!(a.content_type, DEFAULT_CONTENT_TYPE);
        assert!(NewObject::new(&id, "", "ecu", None, now, 1024).is_err());
        assert!(NewObject::new(&id, "a", "ECU", None, now, 1024).is_err());
        let next = NewObject::new(
            &id,
            "../\u{202E}",
            "ecu",
            None,
            "2026-03-08T00:00:00Z".parse().expect("time"),
            1024,
        )
        .expect("object");
        // A long name is shortened to fit the key limit, keeping its extension.
        let long = format!("{}.tar.gz", "n".repeat(300));
        let fit = NewObject::new(&id, &long, "ecu", None, now, 120).expect("object");
        assert!(fit.key.as_str().len() <= 120, "{}", fit.key);
        assert!(fit.key.as_str().ends_with("nn.gz"), "{}", fit.key);
        // A key limit that leaves no room for a name is refused.
        assert!(NewObject::new(&id, "a.bin", "ecu", None, now, 60).is_err());
        assert!(next.key.as_str().starts_with("users/dev/ecu/2026-03-08/"));
        assert!(next.key.as_str().ends_with("-file"), "{}", next.key);
    }
}
