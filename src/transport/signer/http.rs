//! One call to a signer speaking `presign-server`'s protocol over HTTP:
//! JSON over `fetch` (gloo-net) with the uploader's headers and bearer
//! token (renewed once after a 401, with `getToken`), its `Retry-After`
//! kept, its error answer mapped to a code. No retries here: the caller's
//! attempt loop ([`crate::upload::attempt`]) decides.

use crate::error::UploadError;
use crate::transport::signer::call::{Call, Verb};
use crate::transport::signer::token_source::{TokenOption, TokenSource};
use crate::web::abort::LinkedAbort;
use crate::web::clock;
use gloo_net::http::{Request, RequestBuilder};
use presign_core::protocol::error::ErrorBody;
use presign_core::ErrorCode;
use std::fmt;
use web_sys::AbortSignal;

/// The signer's address, the headers and the token of every request.
pub struct SignerHttp {
    endpoint: String,
    headers: Vec<(String, String)>,
    tokens: TokenSource,
}

impl fmt::Debug for SignerHttp {
    /// Extra headers may carry credentials: only their names are printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("SignerHttp")
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

impl SignerHttp {
    /// `endpoint` is normalised (no trailing `/`; empty: same origin).
    pub fn new(
        endpoint: String,
        headers: Vec<(String, String)>,
        token: Option<TokenOption>,
    ) -> Self {
        Self {
            endpoint,
            headers,
            tokens: TokenSource::new(token),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `endpoint + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    /// One call of the protocol over HTTP: the body text of a 2xx answer.
    pub async fn call(
        &self,
        call: &Call<'_>,
        signal: Option<&AbortSignal>,
    ) -> Result<String, UploadError> {
        let url = self.url(&call.path);
        let builder = || match call.verb {
            Verb::Get => Request::get(&url),
            Verb::Delete => Request::delete(&url),
            Verb::Post => Request::post(&url).header("Content-Type", "application/json"),
        };
        self.send(&builder, call.body.clone(), &url, signal).await
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

fn result(answer: Answer) -> Result<String, UploadError> {
    if (200..300).contains(&answer.status) {
        Ok(answer.text)
    } else {
        let error = signer_error(answer.status, &answer.text);
        Err(error.with_retry_after(clock::retry_after(answer.retry_after.as_deref())))
    }
}

/// A JSON answer as `T`, or a `server` error naming `what`.
pub fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, UploadError> {
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
}
