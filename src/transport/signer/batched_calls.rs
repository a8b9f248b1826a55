//! The signer requests an `Uploader` batches ([`crate::transport::signer::batching`]):
//! signing single PUTs (`POST /api/get-upload-urls`, each file as
//! `get-upload-url` alone) and confirming them (`POST /api/files-uploaded`,
//! each as `file-uploaded` alone).

use crate::error::UploadError;
use crate::transport::signer::batching::Batched;
use crate::transport::signer::http::{parse, SignerHttp};
use presign_core::protocol::batch::{
    BatchOutcome, FilesUploadedRequest, FilesUploadedResponse, GetUploadUrlsRequest,
    GetUploadUrlsResponse,
};
use presign_core::protocol::error::ErrorDetail;
use presign_core::protocol::single::{
    FileUploadedRequest, FileUploadedResponse, GetUploadUrlRequest, GetUploadUrlResponse,
};
use presign_core::ErrorCode;
use web_sys::AbortSignal;

/// Signing a single PUT.
pub(crate) struct Signing;

impl Batched for Signing {
    type Request = GetUploadUrlRequest;
    type Answer = GetUploadUrlResponse;
    const BATCH_PATH: &'static str = "/api/get-upload-urls";

    /// `POST /api/get-upload-url`.
    async fn alone(
        http: &SignerHttp,
        request: &Self::Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Self::Answer, UploadError> {
        let text = http.post("/api/get-upload-url", request, signal).await?;
        parse(&text, "get-upload-url")
    }

    async fn together(
        http: &SignerHttp,
        files: Vec<Self::Request>,
    ) -> Result<Vec<Result<Self::Answer, UploadError>>, UploadError> {
        let answer: GetUploadUrlsResponse = http
            .post_parsed(Self::BATCH_PATH, &GetUploadUrlsRequest { files })
            .await?;
        Ok(outcomes(answer.uploads))
    }
}

/// Confirming an upload (`None`: the answer was not our JSON, as from a
/// signer written like the design note's, which never gets a batch).
pub(crate) struct Confirming;

impl Batched for Confirming {
    type Request = FileUploadedRequest;
    type Answer = Option<FileUploadedResponse>;
    const BATCH_PATH: &'static str = "/api/files-uploaded";

    /// `POST /api/file-uploaded`; `None` when the answer is not our JSON.
    async fn alone(
        http: &SignerHttp,
        request: &Self::Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Self::Answer, UploadError> {
        let text = http.post("/api/file-uploaded", request, signal).await?;
        Ok(serde_json::from_str(&text).ok())
    }

    async fn together(
        http: &SignerHttp,
        files: Vec<Self::Request>,
    ) -> Result<Vec<Result<Self::Answer, UploadError>>, UploadError> {
        let answer: FilesUploadedResponse = http
            .post_parsed(Self::BATCH_PATH, &FilesUploadedRequest { files })
            .await?;
        Ok(outcomes(answer.uploads)
            .into_iter()
            .map(|o| o.map(Some))
            .collect())
    }
}

/// Each file's answer, or the error its own request would have had.
fn outcomes<T>(uploads: Vec<BatchOutcome<T>>) -> Vec<Result<T, UploadError>> {
    uploads
        .into_iter()
        .map(|o| o.outcome().map_err(refusal))
        .collect()
}

fn refusal((status, error): (u16, Option<ErrorDetail>)) -> UploadError {
    let (code, message) = match error {
        Some(e) => (e.code, e.message),
        None => (
            ErrorCode::from_http_status(status),
            format!("the signer refused the file (HTTP {status}) without saying why"),
        ),
    };
    UploadError::new(code, message).with_status(status)
}
