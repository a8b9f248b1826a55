//! What a new upload needs, whether a single PUT (`get-upload-url`) or a
//! multipart upload: a checked filename, file type and Content-Type, and a
//! fresh key `users/{user}/{file_type}/{random}/{filename}` under the caller's prefix.

use crate::error::ApiError;
use crate::identity::Identity;
use presign_core::content_type::{self, DEFAULT_CONTENT_TYPE};
use presign_core::file_type::FileType;
use presign_core::filename;
use presign_core::ObjectKey;

/// A new object's key and the type it will be stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewObject {
    pub key: ObjectKey,
    pub file_type: FileType,
    /// Signed into the upload: the browser must send exactly this.
    pub content_type: String,
}

impl NewObject {
    /// Checks the client's names and builds a key no other upload has.
    pub(crate) fn new(
        identity: &Identity,
        raw_filename: &str,
        raw_file_type: &str,
        raw_content_type: Option<&str>,
    ) -> Result<Self, ApiError> {
        let filename =
            filename::sanitize(raw_filename).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let file_type =
            FileType::parse(raw_file_type).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let content_type = match raw_content_type {
            None => DEFAULT_CONTENT_TYPE.to_owned(),
            Some(raw) => normalize_content_type(raw)?,
        };
        let folder = uuid::Uuid::new_v4().simple().to_string();
        let key =
            ObjectKey::for_upload(&identity.user, &file_type, &folder, &filename).map_err(|e| {
                ApiError::BadRequest(format!(
                    "cannot build a key from filename and file_type: {e}"
                ))
            })?;
        Ok(Self {
            key,
            file_type,
            content_type,
        })
    }
}

/// Validates a client's Content-Type and collapses its inner whitespace, so
/// the value signed is the value any HTTP stack will send.
fn normalize_content_type(raw: &str) -> Result<String, ApiError> {
    let valid = content_type::validate(raw).map_err(|e| ApiError::BadRequest(e.to_string()))?;
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
        let id = Identity::dev().expect("dev");
        let a = NewObject::new(&id, "a b.bin", "ecu", None).expect("object");
        let b = NewObject::new(&id, "a b.bin", "ecu", None).expect("object");
        assert!(a.key.as_str().starts_with("users/dev/ecu/"));
        assert!(a.key.as_str().ends_with("/a b.bin"));
        assert_ne!(a.key, b.key);
        assert_eq!(a.content_type, DEFAULT_CONTENT_TYPE);
        assert!(NewObject::new(&id, "", "ecu", None).is_err());
        assert!(NewObject::new(&id, "a", "ECU", None).is_err());
    }
}
