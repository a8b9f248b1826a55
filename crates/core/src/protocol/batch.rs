//! Batches: several files in one request to the signer, each handled
//! exactly as its own request would be, one outcome per file in the
//! request's order, so one refused file does not fail the others.
//!
//! - `POST /api/get-upload-urls`: single-PUT URLs (each as
//!   `POST /api/get-upload-url`).
//! - `POST /api/files-uploaded`: confirmations (each as
//!   `POST /api/file-uploaded`).
//!
//! Why: a page that drops a hundred small files otherwise makes a hundred
//! signing requests and a hundred confirmations, each a round trip on the
//! six connections a browser opens to one origin. The client sends the
//! requests that wait while one of their kind is out as one batch
//! (`src/request_batch.rs`), and falls back to one request per file on a
//! signer without these endpoints (the design note's).

use crate::protocol::error::ErrorDetail;
use crate::protocol::single::{
    FileUploadedRequest, FileUploadedResponse, GetUploadUrlRequest, GetUploadUrlResponse,
};
use serde::{Deserialize, Serialize};

/// Most files in one batch.
pub const MAX_BATCH: usize = 100;

/// `POST /api/get-upload-urls`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GetUploadUrlsRequest {
    /// 1 to [`MAX_BATCH`] files, each as `POST /api/get-upload-url` takes it.
    pub files: Vec<GetUploadUrlRequest>,
}

/// The answer: one outcome per file, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GetUploadUrlsResponse {
    pub uploads: Vec<BatchOutcome<GetUploadUrlResponse>>,
}

/// `POST /api/files-uploaded`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FilesUploadedRequest {
    /// 1 to [`MAX_BATCH`] files, each as `POST /api/file-uploaded` takes it.
    pub files: Vec<FileUploadedRequest>,
}

/// The answer: one outcome per file, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilesUploadedResponse {
    pub uploads: Vec<BatchOutcome<FileUploadedResponse>>,
}

/// One file's outcome: `{"ok": {...}}`, what its own request would have
/// answered, or `{"status": 413, "error": {"code", "message"}}`, the status
/// and error it would have had. (A plain struct, not an untagged enum:
/// serde's untagged decoding would add about 20 kB to the wasm client.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchOutcome<T> {
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub ok: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// `#[serde(default)]` on a field of type `Option<T>` would make serde
/// require `T: Default`; this does not.
fn none<T>() -> Option<T> {
    None
}

impl<T> BatchOutcome<T> {
    pub fn ok(answer: T) -> Self {
        Self {
            ok: Some(answer),
            status: None,
            error: None,
        }
    }

    pub fn refused(status: u16, error: ErrorDetail) -> Self {
        Self {
            ok: None,
            status: Some(status),
            error: Some(error),
        }
    }

    /// The answer, or the refusal: its status (400 if the signer gave none)
    /// and error (`None` when the signer gave neither answer nor error).
    pub fn outcome(self) -> Result<T, (u16, Option<ErrorDetail>)> {
        match self.ok {
            Some(answer) => Ok(answer),
            None => Err((self.status.unwrap_or(400), self.error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn outcomes_read_back_as_written() {
        let url = GetUploadUrlResponse {
            upload_url: "http://store/b/k?X-Amz-Signature=x".into(),
            key: "users/u/demo/k".into(),
            expires_in: 900,
            method: "PUT".into(),
            headers: None,
        };
        let too_big = ErrorDetail {
            code: ErrorCode::TooLarge,
            message: "too big".into(),
        };
        let answer = GetUploadUrlsResponse {
            uploads: vec![
                BatchOutcome::ok(url.clone()),
                BatchOutcome::refused(413, too_big.clone()),
            ],
        };
        let text = serde_json::to_string(&answer).expect("encodes");
        assert!(
            text.contains(r#"{"status":413,"error":{"code":"too_large","message":"too big"}}"#),
            "{text}"
        );
        let back: GetUploadUrlsResponse = serde_json::from_str(&text).expect("decodes");
        assert_eq!(back, answer);
        let [signed, refused] =
            <[BatchOutcome<GetUploadUrlResponse>; 2]>::try_from(back.uploads).expect("two");
        assert_eq!(signed.outcome(), Ok(url));
        assert_eq!(refused.outcome(), Err((413, Some(too_big))));
        // Neither a URL nor an error: a refusal without a reason.
        let odd: BatchOutcome<GetUploadUrlResponse> = serde_json::from_str("{}").expect("decodes");
        assert_eq!(odd.outcome(), Err((400, None)));
    }
}
