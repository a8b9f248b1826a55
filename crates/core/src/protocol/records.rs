//! Completed uploads as the signer records them: `GET /api/uploads` lists
//! them, and the optional webhook posts one per completion.

use crate::protocol::metadata::Metadata;
use serde::{Deserialize, Serialize};

/// One completed upload: an object the signer verified in the store (size,
/// checksum) after `POST /api/file-uploaded` or a multipart Complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadRecord {
    /// The user the upload belongs to (the key lives under `users/{user}/`).
    pub user: String,
    pub key: String,
    pub file_type: String,
    pub size: u64,
    /// The store's `x-amz-checksum-sha256`: a base64 digest of the object,
    /// or a COMPOSITE `base64-N` for multipart objects on S3; `None` when
    /// the store keeps none.
    pub sha256: Option<String>,
    pub etag: String,
    /// When the signer recorded it, RFC 3339 in UTC.
    pub created_at: String,
    /// The object's metadata (`x-amz-meta-*`) as the store reported it.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

/// `GET /api/uploads?limit=N&cursor=C`: the caller's uploads, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListUploadsResponse {
    pub uploads: Vec<UploadRecord>,
    /// Pass as `cursor` for the next page; absent on the last page. Opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
