//! The signer's API, one call at a time: get-upload-url and file-uploaded
//! (batched with an `Uploader`'s other files by [`batching`]), the POST
//! form, the multipart control plane, download-url. Each method is one
//! attempt; the caller's attempt loop ([`crate::upload::attempt`]) retries.
//! Every call may be repeated: signing twice is harmless, Complete and
//! file-uploaded answer a repeat from the record, and a Create carries the
//! upload's client token, so a repeat whose first answer was lost gets the
//! same upload.

use crate::error::UploadError;
use crate::transport::signer::batched_calls::{Confirming, Signing};
use crate::transport::signer::batching::{self, RequestBatch};
use crate::transport::signer::http::{encode_query_component, parse, SignerHttp};
use crate::transport::signer::token_source::TokenOption;
use presign_core::protocol::form::{GetUploadFormRequest, GetUploadFormResponse};
use presign_core::protocol::multipart::{
    CompleteMultipartRequest, CompleteMultipartResponse, CreateMultipartRequest,
    CreateMultipartResponse, ListPartsResponse, PartUrlsRequest, PartUrlsResponse,
};
use presign_core::protocol::single::{
    DownloadUrlResponse, FileUploadedRequest, FileUploadedResponse, GetUploadUrlRequest,
    GetUploadUrlResponse,
};
use std::rc::Rc;
use web_sys::AbortSignal;

/// Talks to one signer. Cheap to share behind an `Rc`.
#[derive(Debug)]
pub struct SignerClient {
    http: Rc<SignerHttp>,
    /// Single-PUT signing and confirming, batched across the uploader's files.
    signing: Rc<RequestBatch<Signing>>,
    confirming: Rc<RequestBatch<Confirming>>,
}

/// `/api/multipart/{id}{rest}`.
fn multipart_path(upload_id: &str, rest: &str) -> String {
    format!("/api/multipart/{}{rest}", encode_query_component(upload_id))
}

impl SignerClient {
    /// A client of the signer at `endpoint` (normalised; `""`: same origin).
    pub fn new(
        endpoint: String,
        headers: Vec<(String, String)>,
        token: Option<TokenOption>,
    ) -> Self {
        Self {
            http: Rc::new(SignerHttp::new(endpoint, headers, token)),
            signing: Rc::default(),
            confirming: Rc::default(),
        }
    }

    pub fn endpoint(&self) -> &str {
        self.http.endpoint()
    }

    /// A presigned PUT for one file: batched with the other files of this
    /// `Uploader` waiting to be signed, or alone.
    pub async fn get_upload_url(
        &self,
        request: &GetUploadUrlRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<GetUploadUrlResponse, UploadError> {
        batching::send(&self.signing, &self.http, request, signal).await
    }

    /// `POST /api/get-upload-form`.
    pub async fn get_upload_form(
        &self,
        request: &GetUploadFormRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<GetUploadFormResponse, UploadError> {
        let text = self
            .http
            .post("/api/get-upload-form", request, signal)
            .await?;
        parse(&text, "get-upload-form")
    }

    /// An upload confirmed: batched with the others of this `Uploader`
    /// waiting to be confirmed, or alone. `None` when the answer is not our
    /// JSON (a signer written like the design note's may answer anything).
    pub async fn file_uploaded(
        &self,
        request: &FileUploadedRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<FileUploadedResponse>, UploadError> {
        batching::send(&self.confirming, &self.http, request, signal).await
    }

    /// `GET /api/download-url?key=...`.
    pub async fn download_url(
        &self,
        key: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<DownloadUrlResponse, UploadError> {
        let path = format!("/api/download-url?key={}", encode_query_component(key));
        let text = self.http.get(&path, signal).await?;
        parse(&text, "download-url")
    }

    /// `POST /api/multipart`.
    pub async fn create_multipart(
        &self,
        request: &CreateMultipartRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<CreateMultipartResponse, UploadError> {
        let text = self.http.post("/api/multipart", request, signal).await?;
        parse(&text, "multipart")
    }

    /// `POST /api/multipart/{id}/part-urls`.
    pub async fn part_urls(
        &self,
        upload_id: &str,
        request: &PartUrlsRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<PartUrlsResponse, UploadError> {
        let path = multipart_path(upload_id, "/part-urls");
        let text = self.http.post(&path, request, signal).await?;
        parse(&text, "part-urls")
    }

    /// `GET /api/multipart/{id}/parts`: the parts the store holds.
    pub async fn list_parts(
        &self,
        upload_id: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<ListPartsResponse, UploadError> {
        let text = self
            .http
            .get(&multipart_path(upload_id, "/parts"), signal)
            .await?;
        parse(&text, "parts")
    }

    /// `POST /api/multipart/{id}/complete`.
    pub async fn complete_multipart(
        &self,
        upload_id: &str,
        request: &CompleteMultipartRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<CompleteMultipartResponse, UploadError> {
        let path = multipart_path(upload_id, "/complete");
        let text = self.http.post(&path, request, signal).await?;
        parse(&text, "complete")
    }

    /// `DELETE /api/multipart/{id}`: the signer aborts the upload in the store.
    pub async fn abort_multipart(&self, upload_id: &str) -> Result<(), UploadError> {
        self.http
            .delete(&multipart_path(upload_id, ""), None)
            .await?;
        Ok(())
    }
}
