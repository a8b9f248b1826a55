//! The signer's JSON API over `fetch` (gloo-net): get-upload-url and
//! file-uploaded (batched with an `Uploader`'s other files by
//! [`crate::request_batch`]), the multipart control plane, download-url,
//! with the signer's errors mapped to codes.
//!
//! Every call runs in the caller's attempt loop ([`crate::attempt`]): a
//! transient failure is sent again with the upload's backoff, backpressure
//! (429, 503) waits as its `Retry-After` asks, so a signer that restarts or
//! sheds load in the middle of an upload does not fail it. Every call may be
//! repeated: signing twice is harmless, Complete and file-uploaded answer a
//! repeat from the record, and a Create carries the upload's client token,
//! so a repeat whose first answer was lost gets the same upload.

use crate::abort::LinkedAbort;
use crate::attempt::{self, Call, Peer, Retrying, Stop};
use crate::batched_calls::{Confirming, Signing};
use crate::options::UploaderOptions;
use crate::request_batch::{self, RequestBatch};
use crate::token_source::TokenSource;
use crate::upload_error::UploadError;
use gloo_net::http::{Request, RequestBuilder};
use presign_core::protocol::error::ErrorBody;
use presign_core::protocol::form::{GetUploadFormRequest, GetUploadFormResponse};
use presign_core::protocol::multipart::{
    CompleteMultipartRequest, CompleteMultipartResponse, CreateMultipartRequest,
    CreateMultipartResponse, ListPartsResponse, PartUrlsRequest, PartUrlsResponse,
};
use presign_core::protocol::single::{
    DownloadUrlResponse, FileUploadedRequest, FileUploadedResponse, GetUploadUrlRequest,
    GetUploadUrlResponse,
};
use presign_core::upload::retry_policy::Attempts;
use presign_core::ErrorCode;
use serde::Serialize;
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use web_sys::AbortSignal;

/// Talks to one signer. Cheap to share behind an `Rc`.
pub struct SignerClient {
    endpoint: String,
    headers: Vec<(String, String)>,
    /// Shared by every upload of one `Uploader`.
    tokens: Rc<TokenSource>,
    /// Single-PUT signing and confirming, batched.
    signing: RequestBatch<Signing>,
    confirming: RequestBatch<Confirming>,
}

impl fmt::Debug for SignerClient {
    /// Extra headers may carry credentials: only their names are printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("SignerClient")
            .field("endpoint", &self.endpoint)
            .field("header_names", &names)
            .field("tokens", &self.tokens)
            .finish()
    }
}

/// One answer: its status, its `Retry-After` and its body text.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    text: String,
}

impl SignerClient {
    pub fn new(options: UploaderOptions) -> Self {
        Self {
            endpoint: options.endpoint,
            headers: options.headers,
            tokens: Rc::new(TokenSource::new(options.token)),
            signing: RequestBatch::default(),
            confirming: RequestBatch::default(),
        }
    }

    pub(crate) fn signing(&self) -> &RequestBatch<Signing> {
        &self.signing
    }

    pub(crate) fn confirming(&self) -> &RequestBatch<Confirming> {
        &self.confirming
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A presigned PUT for one file: batched with the other files of this
    /// `Uploader` waiting to be signed ([`crate::request_batch`]), or alone.
    pub async fn get_upload_url(
        self: &Rc<Self>,
        request: &GetUploadUrlRequest,
        retrying: &Retrying,
        signal: Option<&AbortSignal>,
    ) -> Result<GetUploadUrlResponse, UploadError> {
        let send = || request_batch::send::<Signing>(self, request, signal);
        retried(Peer::Signer, "signing the upload", send, retrying, signal).await
    }

    /// `POST /api/get-upload-url`, once.
    pub async fn get_upload_url_alone(
        &self,
        request: &GetUploadUrlRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<GetUploadUrlResponse, UploadError> {
        let text = self.post("/api/get-upload-url", request, signal).await?;
        parse(&text, "get-upload-url")
    }

    /// `POST /api/get-upload-form`.
    pub async fn get_upload_form(
        &self,
        request: &GetUploadFormRequest,
        retrying: &Retrying,
        signal: Option<&AbortSignal>,
    ) -> Result<GetUploadFormResponse, UploadError> {
        let send = || async {
            let text = self.post("/api/get-upload-form", request, signal).await?;
            parse(&text, "get-upload-form")
        };
        retried(Peer::Signer, "signing the form", send, retrying, signal).await
    }

    /// An upload confirmed: batched with the others of this `Uploader`
    /// waiting to be confirmed ([`crate::request_batch`]), or alone.
    pub async fn file_uploaded(
        self: &Rc<Self>,
        request: &FileUploadedRequest,
        retrying: &Retrying,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<FileUploadedResponse>, UploadError> {
        let send = || request_batch::send::<Confirming>(self, request, signal);
        retried(
            Peer::Signer,
            "confirming the upload",
            send,
            retrying,
            signal,
        )
        .await
    }

    /// `POST /api/file-uploaded`, once. `None` when the answer is not our
    /// JSON (a signer written like the seed may answer anything on success).
    pub async fn file_uploaded_alone(
        &self,
        request: &FileUploadedRequest,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<FileUploadedResponse>, UploadError> {
        let text = self.post("/api/file-uploaded", request, signal).await?;
        Ok(serde_json::from_str(&text).ok())
    }

    /// `GET /api/download-url?key=...`.
    pub async fn download_url(
        &self,
        key: &str,
        retrying: &Retrying,
        signal: Option<&AbortSignal>,
    ) -> Result<DownloadUrlResponse, UploadError> {
        let url = format!(
            "{}/api/download-url?key={}",
            self.endpoint,
            encode_query_component(key)
        );
        let send = || async {
            let text = self
                .send(&|| Request::get(&url), None, &url, signal)
                .await?;
            parse(&text, "download-url")
        };
        retried(
            Peer::Signer,
            "asking for a download link",
            send,
            retrying,
            signal,
        )
        .await
    }

    /// `POST /api/multipart`.
    pub async fn create_multipart(
        &self,
        request: &CreateMultipartRequest,
        retrying: &Retrying,
        signal: Option<&AbortSignal>,
    ) -> Result<CreateMultipartResponse, UploadError> {
        let send = || async {
            let text = self.post("/api/multipart", request, signal).await?;
            parse(&text, "multipart")
        };
        retried(
            Peer::Create,
            "creating the multipart upload",
            send,
            retrying,
            signal,
        )
        .await
    }

    /// `POST /api/multipart/{id}/part-urls`.
    pub async fn part_urls(
        &self,
        upload_id: &str,
        request: &PartUrlsRequest,
        retrying: &Retrying,
        signal: Option<&AbortSignal>,
    ) -> Result<PartUrlsResponse, UploadError> {
        let path = format!(
            "/api/multipart/{}/part-urls",
            encode_query_component(upload_id)
        );
        let send = || async {
            let text = self.post(&path, request, signal).await?;
            parse(&text, "part-urls")
        };
        retried(Peer::Signer, "signing part URLs", send, retrying, signal).await
    }

    /// `GET /api/multipart/{id}/parts`: the parts the store holds.
    pub async fn list_parts(
        &self,
        upload_id: &str,
        retrying: &Retrying,
        signal: Option<&AbortSignal>,
    ) -> Result<ListPartsResponse, UploadError> {
        let url = format!(
            "{}/api/multipart/{}/parts",
            self.endpoint,
            encode_query_component(upload_id)
        );
        let send = || async {
            let text = self
                .send(&|| Request::get(&url), None, &url, signal)
                .await?;
            parse(&text, "parts")
        };
        retried(
            Peer::Signer,
            "listing the stored parts",
            send,
            retrying,
            signal,
        )
        .await
    }

    /// `POST /api/multipart/{id}/complete`.
    pub async fn complete_multipart(
        &self,
        upload_id: &str,
        request: &CompleteMultipartRequest,
        retrying: &Retrying,
        signal: Option<&AbortSignal>,
    ) -> Result<CompleteMultipartResponse, UploadError> {
        let path = format!(
            "/api/multipart/{}/complete",
            encode_query_component(upload_id)
        );
        let send = || async {
            let text = self.post(&path, request, signal).await?;
            parse(&text, "complete")
        };
        retried(
            Peer::Signer,
            "completing the upload",
            send,
            retrying,
            signal,
        )
        .await
    }

    /// `DELETE /api/multipart/{id}`: the signer aborts the upload in the store.
    pub async fn abort_multipart(
        &self,
        upload_id: &str,
        retrying: &Retrying,
    ) -> Result<(), UploadError> {
        let url = format!(
            "{}/api/multipart/{}",
            self.endpoint,
            encode_query_component(upload_id)
        );
        let send = || async {
            self.send(&|| Request::delete(&url), None, &url, None)
                .await?;
            Ok(())
        };
        retried(Peer::Signer, "aborting the upload", send, retrying, None).await
    }

    /// `POST {path}` with a JSON body, once (no upload's signal: a batch's
    /// own request), its JSON answer.
    pub(crate) async fn post_parsed<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, UploadError> {
        let text = self.post(path, body, None).await?;
        parse(&text, path)
    }

    async fn post(
        &self,
        path: &str,
        body: &impl Serialize,
        signal: Option<&AbortSignal>,
    ) -> Result<String, UploadError> {
        let url = format!("{}{path}", self.endpoint);
        let json = serde_json::to_string(body)
            .map_err(|e| UploadError::bad_request(format!("could not encode the request: {e}")))?;
        let builder = || Request::post(&url).header("Content-Type", "application/json");
        self.send(&builder, Some(json), &url, signal).await
    }

    /// Sends the request once with the current token (a 401 renews the
    /// token, with `getToken`, and sends it once more): the body text of a
    /// 2xx answer, an error otherwise.
    async fn send(
        &self,
        builder: &dyn Fn() -> RequestBuilder,
        body: Option<String>,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<String, UploadError> {
        let token = self.tokens.current().await?;
        let request = self.request(builder(), body.clone(), token.as_deref(), url, signal);
        let answer = request.await?;
        if answer.status == 401 {
            if let Some(fresh) = self.tokens.renew().await? {
                let again = self.request(builder(), body, Some(&fresh), url, signal);
                return result(again.await?);
            }
        }
        result(answer)
    }

    /// One request: its answer.
    async fn request(
        &self,
        builder: RequestBuilder,
        body: Option<String>,
        token: Option<&str>,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<Answer, UploadError> {
        let abort = LinkedAbort::new(signal)?;
        let abort_signal = abort.signal();
        let mut builder = builder
            .header("Accept", "application/json")
            .abort_signal(Some(&abort_signal));
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        if let Some(token) = token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        let request = match body {
            Some(json) => builder.body(json),
            None => builder.build(),
        }
        .map_err(|e| UploadError::bad_request(format!("cannot request {url}: {e}")))?;
        let response = request
            .send()
            .await
            .map_err(|e| fetch_failure(&e, &abort_signal, url))?;
        let status = response.status();
        let retry_after = response.headers().get("retry-after");
        let text = response
            .text()
            .await
            .map_err(|e| fetch_failure(&e, &abort_signal, url))?;
        Ok(Answer {
            status,
            retry_after,
            text,
        })
    }
}

/// Runs `send` in the attempt loop under `retrying`.
async fn retried<T, F, Fut>(
    peer: Peer,
    what: &'static str,
    send: F,
    retrying: &Retrying,
    signal: Option<&AbortSignal>,
) -> Result<T, UploadError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, UploadError>>,
{
    let mut call = Call::new(peer, what, send);
    let mut attempts = Attempts::without_rehash();
    attempt::run(retrying, &mut attempts, &mut call, signal)
        .await
        .map_err(Stop::into_error)
}

fn result(answer: Answer) -> Result<String, UploadError> {
    if (200..300).contains(&answer.status) {
        Ok(answer.text)
    } else {
        let error = signer_error(answer.status, &answer.text);
        Err(error.with_retry_after(answer.retry_after.as_deref()))
    }
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, UploadError> {
    serde_json::from_str(text).map_err(|e| {
        UploadError::new(
            ErrorCode::Server,
            format!("the signer's answer to {what} is not usable: {e}"),
        )
    })
}

fn fetch_failure(error: &gloo_net::Error, signal: &AbortSignal, url: &str) -> UploadError {
    let aborted =
        signal.aborted() || matches!(error, gloo_net::Error::JsError(e) if e.name == "AbortError");
    if aborted {
        UploadError::aborted()
    } else {
        UploadError::network(format!(
            "could not reach the signer at {url} ({error}); check the endpoint, the network and the signer's CORS settings"
        ))
    }
}

/// The signer's error answer: its own `{"error":{"code","message"}}` when it
/// sent one (the code is the signer's, more precise than the status), or a
/// code from the HTTP status.
pub fn signer_error(status: u16, body: &str) -> UploadError {
    if let Ok(parsed) = serde_json::from_str::<ErrorBody>(body) {
        return UploadError::new(parsed.error.code, parsed.error.message).with_status(status);
    }
    // An error body with a code this client does not know, or another shape
    // (`{"error": "text"}` is common in hand-written signers, Flask's included).
    let json = serde_json::from_str::<serde_json::Value>(body).ok();
    let message = json
        .as_ref()
        .and_then(|v| {
            [
                v.pointer("/error/message"),
                v.get("error"),
                v.get("message"),
            ]
            .into_iter()
            .flatten()
            .find_map(serde_json::Value::as_str)
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("the signer answered HTTP {status}"));
    UploadError::new(ErrorCode::from_http_status(status), message).with_status(status)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode_query_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_error_body_keeps_its_code() {
        let err = signer_error(
            400,
            r#"{"error":{"code":"bad_request","message":"file_type must be 1 to 64 characters"}}"#,
        );
        assert_eq!(err.code(), ErrorCode::BadRequest);
        assert_eq!(err.message(), "file_type must be 1 to 64 characters");
        assert_eq!(err.status(), Some(400));
        let err = signer_error(413, r#"{"error":{"code":"too_large","message":"too big"}}"#);
        assert_eq!(err.code(), ErrorCode::TooLarge);
    }

    #[test]
    fn other_bodies_map_the_status() {
        let cases: &[(u16, &str, ErrorCode, &str)] = &[
            (
                401,
                "",
                ErrorCode::Forbidden,
                "the signer answered HTTP 401",
            ),
            (
                429,
                r#"{"error":{"code":"some_new_code","message":"slow down"}}"#,
                ErrorCode::RateLimited,
                "slow down",
            ),
            (
                400,
                r#"{"error":"missing file_type"}"#,
                ErrorCode::BadRequest,
                "missing file_type",
            ),
            (
                404,
                "<h1>Not Found</h1>",
                ErrorCode::NotFound,
                "the signer answered HTTP 404",
            ),
            (
                503,
                r#"{"message":"maintenance"}"#,
                ErrorCode::Server,
                "maintenance",
            ),
        ];
        for (status, body, code, message) in cases {
            let err = signer_error(*status, body);
            assert_eq!(
                (err.code(), err.message()),
                (*code, *message),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn query_encoding() {
        assert_eq!(
            encode_query_component("users/dev/demo/2024 a+b&c=d/ñ.bin"),
            "users%2Fdev%2Fdemo%2F2024%20a%2Bb%26c%3Dd%2F%C3%B1.bin"
        );
        assert_eq!(encode_query_component("A-z_0.~"), "A-z_0.~");
    }
}
