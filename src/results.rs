//! What the exported promises resolve with, as plain JS objects (camelCase,
//! numbers for sizes, `null` for unknown values).

use crate::upload_error::UploadError;
use presign_core::protocol::single::DownloadUrlResponse;
use presign_core::ErrorCode;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// `uploader.upload()`'s result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadResult {
    /// The object key the signer chose.
    pub key: String,
    /// Bytes stored.
    pub size: u64,
    /// The store's ETag (quotes included, as S3 sends it); `null` if unknown.
    pub etag: Option<String>,
    /// Base64 SHA-256 of the whole file, computed by the client before the
    /// upload and confirmed by the store when it reports one; absent with
    /// `checksum: false`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// `uploader.downloadUrl()`'s result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadLink {
    pub url: String,
    pub key: String,
    pub expires_in: u64,
}

impl From<DownloadUrlResponse> for DownloadLink {
    fn from(r: DownloadUrlResponse) -> Self {
        Self {
            url: r.url,
            key: r.key,
            expires_in: r.expires_in,
        }
    }
}

/// Serialises a result as a plain JS object.
pub fn to_js(value: &impl Serialize) -> Result<JsValue, UploadError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| {
            UploadError::new(
                ErrorCode::Server,
                format!("could not build the result: {e}"),
            )
        })
}
