//! The JSON protocol of the multipart control plane. The signer owns the
//! control plane (create, presign parts, list, complete, abort); the bytes go
//! from the browser to the store and never pass the signer.

use crate::protocol::metadata::Metadata;
use crate::s3::digest::Sha256Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `POST /api/multipart`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateMultipartRequest {
    pub filename: String,
    pub file_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The whole file's size in bytes.
    pub size: u64,
    /// The part size the client wants; the signer may grow it (see
    /// [`crate::s3::part_plan::PartPlan`]) and answers with the one to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_size: Option<u64>,
    /// Whether the parts carry SHA-256 checksums (the default). `false`: the
    /// upload is created without a checksum algorithm, and its parts are
    /// signed and completed without checksums (the client's `checksum: false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<bool>,
    /// Makes the request idempotent ([`crate::protocol::client_token`]): the same
    /// token with the same request, while that upload is open, answers the
    /// upload already created; with another request, a 422. 16 to 64 of
    /// `[A-Za-z0-9_-]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// S3 user metadata (`x-amz-meta-*`), signed; see [`crate::protocol::metadata`].
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

/// The answer to [`CreateMultipartRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateMultipartResponse {
    /// The signer's own opaque id (not the store's UploadId).
    pub upload_id: String,
    pub key: String,
    pub part_size: u64,
    pub part_count: u32,
    pub expires_in: u64,
}

/// One part the client has hashed and wants a URL for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartToSign {
    pub number: u32,
    pub size: u64,
    /// Required unless the upload was created with `checksum: false`, where
    /// it must be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
}

/// Most parts one [`PartUrlsRequest`] may ask URLs for: clients ask in
/// batches, ahead of need, so URLs do not expire before use.
pub const MAX_PARTS_PER_REQUEST: usize = 100;

/// `POST /api/multipart/{upload_id}/part-urls`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartUrlsRequest {
    pub parts: Vec<PartToSign>,
}

/// A presigned UploadPart URL and the headers that must accompany it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartUrl {
    pub number: u32,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_in: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartUrlsResponse {
    pub urls: Vec<PartUrl>,
}

/// A part the store holds (`GET /api/multipart/{upload_id}/parts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadedPart {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    /// The part's checksum as the store reports it, when it does.
    #[serde(default)]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListPartsResponse {
    pub upload_id: String,
    pub key: String,
    /// Sorted by part number, every page of the store's ListParts gathered.
    pub parts: Vec<UploadedPart>,
}

/// One part of [`CompleteMultipartRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompletedPart {
    pub number: u32,
    pub etag: String,
    /// Required unless the upload was created with `checksum: false`, where
    /// it must be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
}

/// `POST /api/multipart/{upload_id}/complete`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteMultipartRequest {
    pub parts: Vec<CompletedPart>,
}

/// The object the store assembled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompleteMultipartResponse {
    pub key: String,
    pub size: u64,
    pub etag: String,
    /// The store's checksum of the object: COMPOSITE `base64-N` from S3, a
    /// FULL_OBJECT base64 digest from some stores; `None` if it gave none.
    #[serde(default)]
    pub checksum_sha256: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_refuse_wrong_shapes() {
        for bad in [
            r#"{"filename":"a","file_type":"x"}"#,
            r#"{"filename":"a","file_type":"x","size":-5}"#,
            r#"{"filename":"a","file_type":"x","size":5,"partSize":6}"#,
        ] {
            assert!(
                serde_json::from_str::<CreateMultipartRequest>(bad).is_err(),
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<PartUrlsRequest>(
            r#"{"parts":[{"number":1,"size":5,"sha256":"short"}]}"#
        )
        .is_err());
        assert!(serde_json::from_str::<CompleteMultipartRequest>(
            r#"{"parts":[{"number":0.5,"etag":"x","sha256":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}]}"#
        )
        .is_err());
    }
}
