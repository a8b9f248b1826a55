//! The presigned PUT (or form POST), with `XMLHttpRequest`: unlike `fetch`, it
//! reports upload progress (`xhr.upload.onprogress`). The `Blob` itself is the
//! body (or the last field of a `FormData`), so the browser streams it from disk. Listeners are owned by guards and removed when
//! the request settles; an `AbortSignal` aborts the request in flight, and a
//! [`StallWatchdog`] aborts one that stopped making progress.

use crate::error::UploadError;
use crate::transport::store::refusal;
use crate::web::listener::Listener;
use crate::web::stall_watchdog::StallWatchdog;
use crate::web::{abort, clock};
use presign_core::ErrorCode;
use std::fmt;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, EventTarget, FormData, ProgressEvent, XmlHttpRequest};

/// What a request carries.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    /// The bytes themselves (a presigned PUT).
    Blob(&'a Blob),
    /// A `multipart/form-data` form (a presigned POST); the browser sets the
    /// Content-Type with its boundary.
    Form(&'a FormData),
}

/// What the store answered to a successful PUT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    /// The `ETag` response header, when the store's CORS rules expose it.
    pub etag: Option<String>,
}

/// The request, aborted if it is still running when this guard drops (the
/// future was dropped before the request settled).
struct AbortOnDrop(XmlHttpRequest);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if self.0.ready_state() != XmlHttpRequest::DONE {
            let _ = self.0.abort();
        }
    }
}

impl fmt::Debug for AbortOnDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AbortOnDrop").finish()
    }
}

/// Sends `body` to `url` with `headers`; `on_progress` gets the bytes sent so
/// far (the browser's count, as the upload proceeds). With `stall_timeout_ms`,
/// a request that shows no progress for that long is aborted and fails with
/// `network` (retryable).
pub async fn send(
    url: &str,
    method: &str,
    headers: &[(String, String)],
    body: Body<'_>,
    signal: Option<&AbortSignal>,
    stall_timeout_ms: Option<u32>,
    on_progress: impl Fn(u64) + 'static,
) -> Result<PutOutcome, UploadError> {
    abort::ensure_live(signal)?;
    let xhr = open(url, method, headers)?;
    // Settled with the name of the event that ended the request.
    let mut resolve = None;
    let settled = js_sys::Promise::new(&mut |res, _rej| resolve = Some(res));
    let resolve = resolve.ok_or_else(|| UploadError::network("Promise executor did not run"))?;
    let watchdog = stall_timeout_ms.map(|ms| watch(ms, &resolve, &xhr));
    let _listeners = listen(&xhr, &resolve, watchdog.clone(), on_progress)?;
    let _abort_listener = abort::on_abort(signal, {
        let xhr = xhr.clone();
        move || {
            let _ = xhr.abort();
        }
    });
    let in_flight = AbortOnDrop(xhr.clone());
    match body {
        Body::Blob(blob) => xhr.send_with_opt_blob(Some(blob)),
        Body::Form(form) => xhr.send_with_opt_form_data(Some(form)),
    }
    .map_err(|e| UploadError::network(format!("the upload could not start: {}", js_message(&e))))?;
    let event = JsFuture::from(settled)
        .await
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    drop(in_flight);
    outcome(&xhr, &event, signal, watchdog.as_deref())
}

/// A request opened with `headers` set.
fn open(
    url: &str,
    method: &str,
    headers: &[(String, String)],
) -> Result<XmlHttpRequest, UploadError> {
    let xhr = XmlHttpRequest::new()
        .map_err(|_| UploadError::network("this environment has no XMLHttpRequest"))?;
    xhr.open_with_async(method, url, true).map_err(|e| {
        UploadError::new(
            ErrorCode::Server,
            format!("the signer's upload URL cannot be used: {}", js_message(&e)),
        )
    })?;
    for (name, value) in headers {
        xhr.set_request_header(name, value).map_err(|e| {
            UploadError::new(
                ErrorCode::Server,
                format!(
                    "the signer asked for a header the browser refuses ({name}): {}",
                    js_message(&e)
                ),
            )
        })?;
    }
    Ok(xhr)
}

/// A watchdog that settles the request as `stall` and aborts it after `ms`
/// without progress.
fn watch(ms: u32, resolve: &js_sys::Function, xhr: &XmlHttpRequest) -> Rc<StallWatchdog> {
    let (resolve, xhr) = (resolve.clone(), xhr.clone());
    Rc::new(StallWatchdog::start(ms, move || {
        let _ = resolve.call1(&JsValue::UNDEFINED, &"stall".into());
        let _ = xhr.abort();
    }))
}

/// The request's listeners: progress (which also kicks the watchdog), and
/// the events that end it, each settling `resolve` with its name.
fn listen(
    xhr: &XmlHttpRequest,
    resolve: &js_sys::Function,
    watchdog: Option<Rc<StallWatchdog>>,
    on_progress: impl Fn(u64) + 'static,
) -> Result<[Listener; 7], UploadError> {
    let upload: EventTarget = xhr
        .upload()
        .map_err(|_| UploadError::network("this environment has no XMLHttpRequest.upload"))?
        .into();
    let settle_on = |event: &'static str| {
        let resolve = resolve.clone();
        move |_| {
            let _ = resolve.call1(&JsValue::UNDEFINED, &event.into());
        }
    };
    let kick = move || {
        if let Some(w) = &watchdog {
            w.kick();
        }
    };
    Ok([
        Listener::new(&upload, "progress", {
            let kick = kick.clone();
            move |event| {
                kick();
                if let Some(event) = event.dyn_ref::<ProgressEvent>() {
                    on_progress(event.loaded() as u64);
                }
            }
        }),
        // The body is sent; the response's arrival is progress too.
        Listener::new(&upload, "load", {
            let kick = kick.clone();
            move |_| kick()
        }),
        Listener::new(xhr, "readystatechange", move |_| kick()),
        Listener::new(xhr, "load", settle_on("load")),
        Listener::new(xhr, "error", settle_on("error")),
        Listener::new(xhr, "timeout", settle_on("timeout")),
        Listener::new(xhr, "abort", settle_on("abort")),
    ])
}

/// What the request that ended with `event` means: the store's answer, or
/// why there is none.
fn outcome(
    xhr: &XmlHttpRequest,
    event: &str,
    signal: Option<&AbortSignal>,
    watchdog: Option<&StallWatchdog>,
) -> Result<PutOutcome, UploadError> {
    if abort::ensure_live(signal).is_err() {
        return Err(UploadError::aborted());
    }
    if let Some(w) = watchdog.filter(|w| w.fired()) {
        return Err(UploadError::network(format!(
            "no upload progress for {} s: the connection stalled",
            w.seconds()
        )));
    }
    if event == "abort" {
        return Err(UploadError::aborted());
    }
    let status = xhr.status().unwrap_or(0);
    if event != "load" || status == 0 {
        return Err(refusal::classify(0, ""));
    }
    if (200..300).contains(&status) {
        let etag = xhr.get_response_header("ETag").ok().flatten();
        return Ok(PutOutcome { etag });
    }
    let body = xhr.response_text().ok().flatten().unwrap_or_default();
    // Readable when the store's CORS rules expose it.
    let retry_after = xhr.get_response_header("Retry-After").ok().flatten();
    Err(refusal::classify(status, &body)
        .with_retry_after(clock::retry_after(retry_after.as_deref())))
}

fn js_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_default()
}
