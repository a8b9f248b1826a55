//! The signer's calls, as the uploads make them: get-upload-url and
//! file-uploaded (batched with an `Uploader`'s other files by
//! [`batching`]), the POST form, the multipart control plane, download-url;
//! each to the uploader's [`Backend`] (HTTP or the page's signer). Each
//! method is one attempt; the caller's attempt loop
//! ([`crate::upload::attempt`]) retries. Every call may be repeated:
//! signing twice is harmless, Complete and file-uploaded answer a repeat
//! from the record, and a Create carries the upload's client token, so a
//! repeat whose first answer was lost gets the same upload.

use crate::error::UploadError;
use crate::transport::signer::backend::Backend;
use crate::transport::signer::batched_calls::{Confirming, Signing};
use crate::transport::signer::batching::{self, RequestBatch};
use crate::transport::signer::call::Call;
use crate::transport::signer::http::parse;
use presign_core::protocol::form::{GetUploadFormRequest, GetUploadFormResponse};
use presign_core::protocol::multipart::{
    CompleteMultipartRequest, CompleteMultipartResponse, CreateMultipartRequest,
    CreateMultipartResponse, ListPartsResponse, PartUrlsRequest, PartUrlsResponse,
};
use presign_core::protocol::query::encode_component;
use presign_core::protocol::single::{
    DownloadUrlResponse, FileUploadedRequest, FileUploadedResponse, GetUploadUrlRequest,
    GetUploadUrlResponse,
};
use serde::de::DeserializeOwned;
use std::rc::Rc;
use web_sys::AbortSignal;

/// Talks to one signer. Cheap to share behind an `Rc`.
#[derive(Debug)]
pub struct SignerClient {
    backend: Rc<Backend>,
    /// Single-PUT signing and confirming, batched across the uploader's files.
    signing: Rc<RequestBatch<Signing>>,
    confirming: Rc<RequestBatch<Confirming>>,
}

/// `/api/multipart/{id}{rest}`.
fn multipart_path(upload_id: &str, rest: &str) -> String {
    format!("/api/multipart/{}{rest}", encode_component(upload_id))
}

impl SignerClient {
    pub fn new(backend: Backend) -> Self {
        Self {
            backend: Rc::new(backend),
            signing: Rc::default(),
            confirming: Rc::default(),
        }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn endpoint(&self) -> &str {
        self.backend.endpoint()
    }

    /// `call`'s answer as `T`, or a `server` error naming the call.
    async fn ask<T: DeserializeOwned>(
        &self,
        call: &Call<'_>,
        signal: Option<&AbortSignal>,
    ) -> Result<T, UploadError> {
        let text = self.backend.call(call, signal).await?;
        parse(&text, &self.backend.describe(call))
    }

    /// A presigned PUT for one file: batched with the other files of this
    /// `Uploader` waiting to be signed, or alone.
    pub async fn get_upload_url(
        &self,
        request: &GetUploadUrlRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<GetUploadUrlResponse, UploadError> {
        batching::send(&self.signing, &self.backend, request, signal).await
    }

    /// `POST /api/get-upload-form`.
    pub async fn get_upload_form(
        &self,
        request: &GetUploadFormRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<GetUploadFormResponse, UploadError> {
        let call = Call::post("getUploadForm", "/api/get-upload-form".into(), request)?;
        self.ask(&call, signal).await
    }

    /// An upload confirmed: batched with the others of this `Uploader`
    /// waiting to be confirmed, or alone. `None` when the answer is not our
    /// JSON (a signer written like the design note's may answer anything).
    pub async fn file_uploaded(
        &self,
        request: &FileUploadedRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<FileUploadedResponse>, UploadError> {
        batching::send(&self.confirming, &self.backend, request, signal).await
    }

    /// `GET /api/download-url?key=...`.
    pub async fn download_url(
        &self,
        key: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<DownloadUrlResponse, UploadError> {
        let path = format!("/api/download-url?key={}", encode_component(key));
        let call = Call::get("downloadUrl", path).about(key);
        self.ask(&call, signal).await
    }

    /// `POST /api/multipart`.
    pub async fn create_multipart(
        &self,
        request: &CreateMultipartRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<CreateMultipartResponse, UploadError> {
        let call = Call::post("createMultipart", "/api/multipart".into(), request)?;
        self.ask(&call, signal).await
    }

    /// `POST /api/multipart/{id}/part-urls`.
    pub async fn part_urls(
        &self,
        upload_id: &str,
        request: &PartUrlsRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<PartUrlsResponse, UploadError> {
        let path = multipart_path(upload_id, "/part-urls");
        let call = Call::post("partUrls", path, request)?.about(upload_id);
        self.ask(&call, signal).await
    }

    /// `GET /api/multipart/{id}/parts`: the parts the store holds.
    pub async fn list_parts(
        &self,
        upload_id: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<ListPartsResponse, UploadError> {
        let call = Call::get("listParts", multipart_path(upload_id, "/parts")).about(upload_id);
        self.ask(&call, signal).await
    }

    /// `POST /api/multipart/{id}/complete`.
    pub async fn complete_multipart(
        &self,
        upload_id: &str,
        request: &CompleteMultipartRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<CompleteMultipartResponse, UploadError> {
        let path = multipart_path(upload_id, "/complete");
        let call = Call::post("completeMultipart", path, request)?.about(upload_id);
        self.ask(&call, signal).await
    }

    /// `DELETE /api/multipart/{id}`: the signer aborts the upload in the store.
    pub async fn abort_multipart(&self, upload_id: &str) -> Result<(), UploadError> {
        let call = Call::delete("abortMultipart", multipart_path(upload_id, "")).about(upload_id);
        self.backend.call(&call, None).await?;
        Ok(())
    }
}
