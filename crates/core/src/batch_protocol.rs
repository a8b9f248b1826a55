//! `POST /api/get-upload-urls`: single-PUT URLs for several files in one
//! request. Each file is signed (or refused) exactly as
//! `POST /api/get-upload-url` would sign it alone; the answer lists one
//! outcome per file, in the request's order, so one refused file does not
//! fail the others.
//!
//! Why: a page that drops a hundred small files otherwise makes a hundred
//! signing requests, each a round trip before its PUT can start, on the six
//! connections a browser opens to one origin. The client sends the files
//! that wait while a signing request is out as one batch
//! (`src/sign_batch.rs`), and falls back to one request per file on a signer
//! without this endpoint (the seed's).

use crate::protocol::{ErrorDetail, GetUploadUrlRequest, GetUploadUrlResponse};
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
    pub uploads: Vec<SignedOrRefused>,
}

/// One file's outcome: `{"signed": {...}}` with its URL, or
/// `{"status": 413, "error": {"code", "message"}}`, the status and error
/// `POST /api/get-upload-url` would have answered for it alone. (A plain
/// struct, not an untagged enum: serde's untagged decoding would add about
/// 40 kB to the wasm client.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedOrRefused {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<GetUploadUrlResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

impl SignedOrRefused {
    pub fn signed(answer: GetUploadUrlResponse) -> Self {
        Self {
            signed: Some(answer),
            status: None,
            error: None,
        }
    }

    pub fn refused(status: u16, error: ErrorDetail) -> Self {
        Self {
            signed: None,
            status: Some(status),
            error: Some(error),
        }
    }

    /// The URL, or the refusal: its status (400 if the signer gave none)
    /// and error (`None` when the signer gave neither URL nor error).
    pub fn outcome(self) -> Result<GetUploadUrlResponse, (u16, Option<ErrorDetail>)> {
        match self.signed {
            Some(signed) => Ok(signed),
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
                SignedOrRefused::signed(url.clone()),
                SignedOrRefused::refused(413, too_big.clone()),
            ],
        };
        let text = serde_json::to_string(&answer).expect("encodes");
        assert!(
            text.contains(r#"{"status":413,"error":{"code":"too_large","message":"too big"}}"#),
            "{text}"
        );
        let back: GetUploadUrlsResponse = serde_json::from_str(&text).expect("decodes");
        assert_eq!(back, answer);
        let [signed, refused] = <[SignedOrRefused; 2]>::try_from(back.uploads).expect("two");
        assert_eq!(signed.outcome(), Ok(url));
        assert_eq!(refused.outcome(), Err((413, Some(too_big))));
        // Neither a URL nor an error: a refusal without a reason.
        let odd: SignedOrRefused = serde_json::from_str("{}").expect("decodes");
        assert_eq!(odd.outcome(), Err((400, None)));
    }
}
