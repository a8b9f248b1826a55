//! What the exported promises resolve with, as plain JS objects (camelCase,
//! numbers for sizes, `null` for unknown values).

use crate::error::UploadError;
use presign_core::protocol::single::DownloadUrlResponse;
use presign_core::ErrorCode;
use serde::Serialize;
use wasm_bindgen::JsValue;

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
