//! The JSON protocol of presigned POST forms (the design note's
//! `generate_presigned_post`): `POST /api/get-upload-form`.

use crate::protocol::metadata::Metadata;
use crate::s3::digest::Sha256Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST /api/get-upload-form`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GetUploadFormRequest {
    pub filename: String,
    pub file_type: String,
    /// The form's `Content-Type` field; default `application/octet-stream`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The file's size, when known: checked against the limit up front.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Base64 SHA-256 of the file; when given, the form carries it as the
    /// `x-amz-checksum-sha256` field, pinned by the policy, so the store
    /// refuses other content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
    /// S3 user metadata (`x-amz-meta-*`), signed; see [`crate::protocol::metadata`].
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

/// The answer to [`GetUploadFormRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GetUploadFormResponse {
    /// Where to POST the form.
    pub url: String,
    /// The fields to send before the file, as given.
    pub fields: BTreeMap<String, String>,
    pub key: String,
    pub expires_in: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_and_rejects_unknown_fields() {
        let json = r#"{"filename":"a.txt","file_type":"docs","size":3,"sha256":"ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="}"#;
        let req: GetUploadFormRequest = serde_json::from_str(json).expect("parses");
        assert_eq!(req.sha256, Some(Sha256Digest::of(b"abc")));
        assert_eq!(serde_json::to_string(&req).expect("encodes"), json);
        let extra = r#"{"filename":"a","file_type":"d","bucket":"x"}"#;
        assert!(serde_json::from_str::<GetUploadFormRequest>(extra).is_err());
    }
}
