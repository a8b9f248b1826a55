//! A signer written by the page: `new Uploader({ signer })`, an object of
//! (async) functions, one per call of the protocol, taking and answering
//! the same JSON as `presign-server`'s endpoints. The page's backend signs
//! however it likes (its own routes, its own sessions); the uploader still
//! hashes, splits, retries, resumes and reports progress.
//!
//! A function answers the call's JSON object, or a `fetch` `Response` (read
//! as JSON when `ok`, else as the signer's error answer). It fails by
//! throwing: a `Response`, or an error with `status` (the HTTP status the
//! backend answered: 429 and 503 wait, 5xx retry, 4xx fail), `code` (one of
//! the `UploadError` codes) and `retryAfter` (seconds or an HTTP date);
//! anything else thrown is a network failure (`TypeError`, as `fetch`
//! throws) or a `server` one, and retried.

use crate::error::UploadError;
use crate::transport::signer::call::{Call, WhenAbsent};
use crate::transport::signer::http::signer_error;
use crate::web::abort;
use crate::web::clock;
use futures::future::{select, Either};
use js_sys::{Function, Object, Reflect, JSON};
use presign_core::ErrorCode;
use std::fmt;
use std::pin::pin;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Response};

/// Every function a page's signer may have; `getUploadUrl` is required.
pub const FUNCTIONS: [&str; 11] = [
    "getUploadUrl",
    "getUploadUrls",
    "fileUploaded",
    "filesUploaded",
    "getUploadForm",
    "downloadUrl",
    "createMultipart",
    "partUrls",
    "completeMultipart",
    "abortMultipart",
    "listParts",
];

/// The functions of multipart uploads: all or none. (`listParts` is
/// optional beside them: without it, an upload is not resumed after a
/// reload.)
const MULTIPART: [&str; 4] = [
    "createMultipart",
    "partUrls",
    "completeMultipart",
    "abortMultipart",
];

/// The page's signer object and the functions it has.
#[derive(Clone)]
pub struct JsSigner {
    object: Object,
    functions: Vec<(&'static str, Function)>,
}

impl fmt::Debug for JsSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.functions.iter().map(|(n, _)| *n).collect();
        f.debug_struct("JsSigner")
            .field("functions", &names)
            .finish()
    }
}

impl PartialEq for JsSigner {
    /// The same object.
    fn eq(&self, other: &Self) -> bool {
        JsValue::from(&self.object) == JsValue::from(&other.object)
    }
}

impl JsSigner {
    /// Checks `options.signer`: an object with `getUploadUrl`, every other
    /// known name a function or absent, the multipart ones all or none.
    pub fn from_js(value: &JsValue) -> Result<Self, UploadError> {
        let object: Object = value.clone().dyn_into().map_err(|_| {
            UploadError::bad_request("options.signer must be an object of async functions")
        })?;
        let mut functions = Vec::new();
        for name in FUNCTIONS {
            let member = Reflect::get(&object, &JsValue::from_str(name))
                .map_err(|_| UploadError::bad_request(format!("could not read signer.{name}")))?;
            if member.is_undefined() || member.is_null() {
                continue;
            }
            let function = member.dyn_into::<Function>().map_err(|_| {
                UploadError::bad_request(format!("signer.{name} must be a function"))
            })?;
            functions.push((name, function));
        }
        let signer = Self { object, functions };
        if !signer.has("getUploadUrl") {
            return Err(UploadError::bad_request(
                "options.signer needs a getUploadUrl function",
            ));
        }
        let multipart = MULTIPART.iter().filter(|name| signer.has(name)).count();
        if multipart != 0 && multipart != MULTIPART.len() {
            let missing: Vec<&str> = MULTIPART
                .into_iter()
                .filter(|name| !signer.has(name))
                .collect();
            return Err(UploadError::bad_request(format!(
                "options.signer signs multipart uploads only with all of {}: {} missing",
                MULTIPART.join(", "),
                missing.join(", ")
            )));
        }
        Ok(signer)
    }

    pub fn has(&self, name: &str) -> bool {
        self.functions.iter().any(|(n, _)| *n == name)
    }

    /// Whether large files may go in parts.
    pub fn signs_multipart(&self) -> bool {
        self.has(MULTIPART[0])
    }

    /// Calls `call`'s function: the JSON text of its answer (`"null"` for
    /// none). `signal` is handed to the function, and stops the wait even
    /// when the function ignores it.
    pub async fn call(
        &self,
        call: &Call<'_>,
        signal: Option<&AbortSignal>,
    ) -> Result<String, UploadError> {
        abort::ensure_live(signal)?;
        let Some((_, function)) = self.functions.iter().find(|(n, _)| *n == call.function) else {
            return absent(call);
        };
        let args = arguments(call, signal)?;
        let answer = async {
            let promise = function
                .apply(&self.object, &args)
                .map(|value| js_sys::Promise::resolve(&value))
                .map_err(|thrown| (thrown, call.function));
            match promise {
                Ok(promise) => JsFuture::from(promise)
                    .await
                    .map_err(|thrown| (thrown, call.function)),
                Err(e) => Err(e),
            }
        };
        let outcome = match signal {
            None => answer.await,
            Some(signal) => match select(pin!(answer), pin!(abort::fired(signal))).await {
                Either::Left((outcome, _)) => outcome,
                Either::Right(_) => return Err(UploadError::aborted()),
            },
        };
        match outcome {
            Ok(value) => answer_text(value, call.function).await,
            Err((thrown, function)) => Err(refusal(thrown, function, signal).await),
        }
    }
}

/// The outcome of a call the signer has no function for.
fn absent(call: &Call<'_>) -> Result<String, UploadError> {
    match call.when_absent {
        WhenAbsent::Skip => Ok("null".to_owned()),
        WhenAbsent::NoBatches => Err(UploadError::new(
            ErrorCode::NotFound,
            format!("the page's signer has no {}", call.function),
        )
        .with_status(404)),
        WhenAbsent::Refuse => Err(UploadError::bad_request(format!(
            "the page's signer has no {} function, which this upload needs",
            call.function
        ))),
    }
}

/// `(subject?, body?, { signal })`.
fn arguments(call: &Call<'_>, signal: Option<&AbortSignal>) -> Result<js_sys::Array, UploadError> {
    let args = js_sys::Array::new();
    if let Some(subject) = call.subject {
        args.push(&JsValue::from_str(subject));
    }
    if let Some(body) = &call.body {
        let parsed = JSON::parse(body)
            .map_err(|_| UploadError::bad_request("could not encode the request"))?;
        args.push(&parsed);
    }
    let context = Object::new();
    if let Some(signal) = signal {
        let _ = Reflect::set(&context, &"signal".into(), signal);
    }
    args.push(&context);
    Ok(args)
}

/// A function's answer as JSON text: an object, or a `Response`.
async fn answer_text(value: JsValue, function: &str) -> Result<String, UploadError> {
    if let Some(response) = value.dyn_ref::<Response>() {
        if !response.ok() {
            return Err(response_error(response).await);
        }
        return response_body(response)
            .await
            .map_err(|e| UploadError::network(format!("signer.{function}: {e}")));
    }
    if value.is_undefined() || value.is_null() {
        return Ok("null".to_owned());
    }
    JSON::stringify(&value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| {
            UploadError::new(
                ErrorCode::Server,
                format!("signer.{function} answered a value that is not JSON"),
            )
        })
}

/// A `Response` the signer threw or answered with a failing status.
async fn response_error(response: &Response) -> UploadError {
    let status = response.status();
    let retry_after = response.headers().get("retry-after").ok().flatten();
    let body = response_body(response).await.unwrap_or_default();
    signer_error(status, &body).with_retry_after(clock::retry_after(retry_after.as_deref()))
}

async fn response_body(response: &Response) -> Result<String, String> {
    let text = response.text().map_err(describe)?;
    let text = JsFuture::from(text).await.map_err(describe)?;
    Ok(text.as_string().unwrap_or_default())
}

/// What a signer function threw, as an upload error (see the module doc).
async fn refusal(thrown: JsValue, function: &str, signal: Option<&AbortSignal>) -> UploadError {
    if signal.is_some_and(AbortSignal::aborted) || name_of(&thrown) == Some("AbortError".into()) {
        return UploadError::aborted();
    }
    if let Some(response) = thrown.dyn_ref::<Response>() {
        return response_error(response).await;
    }
    let read = |key: &str| Reflect::get(&thrown, &JsValue::from_str(key)).ok();
    let status = read("status")
        .and_then(|v| v.as_f64())
        .filter(|s| (100.0..600.0).contains(s) && s.fract() == 0.0)
        .map(|s| s as u16);
    let code = read("code")
        .and_then(|v| v.as_string())
        .and_then(|name| ErrorCode::from_name(&name));
    let retry_after = read("retryAfter").and_then(|v| match v.as_f64() {
        Some(seconds) => Some(seconds.to_string()),
        None => v.as_string(),
    });
    let message = format!("signer.{function} failed: {}", describe(thrown.clone()));
    let error = match (status, code) {
        (Some(status), code) => {
            let code = code.unwrap_or_else(|| ErrorCode::from_http_status(status));
            UploadError::new(code, message).with_status(status)
        }
        (None, Some(code)) => UploadError::new(code, message),
        (None, None) if name_of(&thrown) == Some("TypeError".into()) => {
            UploadError::network(message)
        }
        (None, None) => UploadError::new(ErrorCode::Server, message),
    };
    error.with_retry_after(clock::retry_after(retry_after.as_deref()))
}

fn name_of(value: &JsValue) -> Option<String> {
    Reflect::get(value, &"name".into()).ok()?.as_string()
}

/// `error.message`, or the value as a string.
fn describe(value: JsValue) -> String {
    Reflect::get(&value, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}
