//! The signer requests an `Uploader` batches ([`crate::request_batch`]):
//! signing single PUTs (`POST /api/get-upload-urls`, each file as
//! `get-upload-url` alone) and confirming them (`POST /api/files-uploaded`,
//! each as `file-uploaded` alone).

use crate::request_batch::{Batched, RequestBatch};
use crate::signer_client::SignerClient;
use crate::upload_error::UploadError;
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

    fn queue(client: &SignerClient) -> &RequestBatch<Self> {
        client.signing()
    }

    async fn alone(
        client: &SignerClient,
        request: &Self::Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Self::Answer, UploadError> {
        client.get_upload_url_alone(request, signal).await
    }

    async fn together(
        client: &SignerClient,
        files: Vec<Self::Request>,
    ) -> Result<Vec<Result<Self::Answer, UploadError>>, UploadError> {
        let answer: GetUploadUrlsResponse = client
            .post_parsed(Self::BATCH_PATH, &GetUploadUrlsRequest { files })
            .await?;
        Ok(outcomes(answer.uploads))
    }
}

/// Confirming an upload (`None`: the answer was not our JSON, as from a
/// seed-style signer, which never gets a batch).
pub(crate) struct Confirming;

impl Batched for Confirming {
    type Request = FileUploadedRequest;
    type Answer = Option<FileUploadedResponse>;
    const BATCH_PATH: &'static str = "/api/files-uploaded";

    fn queue(client: &SignerClient) -> &RequestBatch<Self> {
        client.confirming()
    }

    async fn alone(
        client: &SignerClient,
        request: &Self::Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Self::Answer, UploadError> {
        client.file_uploaded_alone(request, signal).await
    }

    async fn together(
        client: &SignerClient,
        files: Vec<Self::Request>,
    ) -> Result<Vec<Result<Self::Answer, UploadError>>, UploadError> {
        let answer: FilesUploadedResponse = client
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
