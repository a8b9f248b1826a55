//! The signer requests an `Uploader` batches ([`crate::transport::signer::batching`]):
//! signing single PUTs (`POST /api/get-upload-urls`, each file as
//! `get-upload-url` alone) and confirming them (`POST /api/files-uploaded`,
//! each as `file-uploaded` alone).

use crate::error::UploadError;
use crate::transport::signer::backend::Backend;
use crate::transport::signer::batching::Batched;
use crate::transport::signer::call::{Call, WhenAbsent};
use crate::transport::signer::http::parse;
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
        backend: &Backend,
        request: &Self::Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Self::Answer, UploadError> {
        let call = Call::post("getUploadUrl", "/api/get-upload-url".into(), request)?;
        let text = backend.call(&call, signal).await?;
        parse(&text, &backend.describe(&call))
    }

    async fn together(
        backend: &Backend,
        files: Vec<Self::Request>,
    ) -> Result<Vec<Result<Self::Answer, UploadError>>, UploadError> {
        let request = GetUploadUrlsRequest { files };
        let call = Call::post("getUploadUrls", Self::BATCH_PATH.into(), &request)?
            .when_absent(WhenAbsent::NoBatches);
        let text = backend.call(&call, None).await?;
        let answer: GetUploadUrlsResponse = parse(&text, &backend.describe(&call))?;
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

    /// `POST /api/file-uploaded`; `None` when the answer is not our JSON
    /// (or the page's signer confirms nothing).
    async fn alone(
        backend: &Backend,
        request: &Self::Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Self::Answer, UploadError> {
        let call = Call::post("fileUploaded", "/api/file-uploaded".into(), request)?
            .when_absent(WhenAbsent::Skip);
        let text = backend.call(&call, signal).await?;
        Ok(serde_json::from_str(&text).ok())
    }

    async fn together(
        backend: &Backend,
        files: Vec<Self::Request>,
    ) -> Result<Vec<Result<Self::Answer, UploadError>>, UploadError> {
        let request = FilesUploadedRequest { files };
        let call = Call::post("filesUploaded", Self::BATCH_PATH.into(), &request)?
            .when_absent(WhenAbsent::NoBatches);
        let text = backend.call(&call, None).await?;
        let answer: FilesUploadedResponse = parse(&text, &backend.describe(&call))?;
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
