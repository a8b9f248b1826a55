//! The JSON protocol between the browser client and the signer. Field names
//! follow the original design note's Flask API (`snake_case`), so a client written for the design note's API
//! and a signer written like the design note's both interoperate with ours.

use crate::protocol::metadata::Metadata;
use crate::s3::digest::Sha256Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST /api/get-upload-url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GetUploadUrlRequest {
    pub filename: String,
    pub file_type: String,
    /// Signed into the URL; the browser must send exactly this. Default
    /// `application/octet-stream` (the design note's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Body size in bytes; when given it is signed, so no other size is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Base64 SHA-256 of the body; when given it is signed as
    /// `x-amz-checksum-sha256`, so the store refuses other content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
    /// S3 user metadata (`x-amz-meta-*`), signed; see [`crate::protocol::metadata`].
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

/// The answer to [`GetUploadUrlRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GetUploadUrlResponse {
    pub upload_url: String,
    pub key: String,
    pub expires_in: u64,
    /// Always `PUT` from our signer; absent from a signer written like the design note's.
    #[serde(default = "default_method")]
    pub method: String,
    /// Exactly the headers the browser must send with the PUT. Absent from a
    /// signer written like the design note's, whose URL signs `Content-Type: application/octet-stream`.
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
}

fn default_method() -> String {
    "PUT".to_owned()
}

/// `POST /api/file-uploaded`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FileUploadedRequest {
    pub key: String,
    pub file_type: String,
    /// The size the client uploaded, when it says: the signer refuses (409)
    /// to confirm an object of another size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The SHA-256 the client uploaded (base64), when it says: the stored
    /// object's full-object checksum must be this one (409 otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
}

/// The stored object, as the store describes it after the upload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileUploadedResponse {
    pub key: String,
    pub size: u64,
    pub etag: String,
    /// The store's `x-amz-checksum-sha256`: a plain base64 digest, or a
    /// composite `digest-N` for multipart objects. `None` if none was stored.
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
}

/// `GET /api/download-url?key=...`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DownloadUrlResponse {
    pub url: String,
    pub key: String,
    pub expires_in: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_note_request_parses() {
        let req: GetUploadUrlRequest =
            serde_json::from_str(r#"{"filename":"a.bin","file_type":"ecu"}"#)
                .expect("the design note's shape");
        assert_eq!(req.filename, "a.bin");
        assert_eq!(req.size, None);
    }

    #[test]
    fn design_note_response_parses_with_defaults() {
        let resp: GetUploadUrlResponse = serde_json::from_str(
            r#"{"upload_url":"http://s3/x?X-Amz-Signature=1","key":"temp/1/x","expires_in":900}"#,
        )
        .expect("the design note's shape");
        assert_eq!(resp.method, "PUT");
        assert_eq!(resp.headers, None);
    }

    #[test]
    fn wrong_types_and_unknown_fields_are_refused() {
        for bad in [
            r#"{"filename":"a","file_type":"x","size":-1}"#,
            r#"{"filename":"a","file_type":"x","size":"10"}"#,
            r#"{"filename":7,"file_type":"x"}"#,
            r#"{"filename":"a","file_type":"x","sha256":"nope"}"#,
            r#"{"filename":"a","file_type":"x","contentType":"image/png"}"#,
            r#"{"filename":"a"}"#,
        ] {
            assert!(
                serde_json::from_str::<GetUploadUrlRequest>(bad).is_err(),
                "{bad}"
            );
        }
    }
}
