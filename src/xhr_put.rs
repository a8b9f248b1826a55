//! The presigned PUT (or form POST), with `XMLHttpRequest`: unlike `fetch`, it
//! reports upload progress (`xhr.upload.onprogress`). The `Blob` itself is the
//! body (or the last field of a `FormData`), so the browser streams it from disk. Listeners are owned by guards and removed when
//! the request settles; an `AbortSignal` aborts the request in flight, and a
//! [`StallWatchdog`] aborts one that stopped making progress.

use crate::abort;
use crate::listener::Listener;
use crate::stall_watchdog::StallWatchdog;
use crate::store_error;
use crate::upload_error::UploadError;
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
    let upload: EventTarget = xhr
        .upload()
        .map_err(|_| UploadError::network("this environment has no XMLHttpRequest.upload"))?
        .into();

    // Settled with the name of the event that ended the request.
    let mut resolve = None;
    let settled = js_sys::Promise::new(&mut |res, _rej| resolve = Some(res));
    let resolve = resolve.ok_or_else(|| UploadError::network("Promise executor did not run"))?;
    let settle_on = |event: &'static str| {
        let resolve = resolve.clone();
        move |_| {
            let _ = resolve.call1(&JsValue::UNDEFINED, &event.into());
        }
    };
    let watchdog = stall_timeout_ms.map(|ms| {
        Rc::new(StallWatchdog::start(ms, {
            let (resolve, xhr) = (resolve.clone(), xhr.clone());
            move || {
                let _ = resolve.call1(&JsValue::UNDEFINED, &"stall".into());
                let _ = xhr.abort();
            }
        }))
    });
    let kick = {
        let watchdog = watchdog.clone();
        move || {
            if let Some(w) = &watchdog {
                w.kick();
            }
        }
    };
    let _listeners = [
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
        Listener::new(&xhr, "readystatechange", move |_| kick()),
        Listener::new(&xhr, "load", settle_on("load")),
        Listener::new(&xhr, "error", settle_on("error")),
        Listener::new(&xhr, "timeout", settle_on("timeout")),
        Listener::new(&xhr, "abort", settle_on("abort")),
    ];
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

    if abort::ensure_live(signal).is_err() {
        return Err(UploadError::aborted());
    }
    if let Some(w) = watchdog.as_ref().filter(|w| w.fired()) {
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
        return Err(store_error::classify(0, ""));
    }
    if (200..300).contains(&status) {
        let etag = xhr.get_response_header("ETag").ok().flatten();
        Ok(PutOutcome { etag })
    } else {
        let body = xhr.response_text().ok().flatten().unwrap_or_default();
        // Readable when the store's CORS rules expose it.
        let retry_after = xhr.get_response_header("Retry-After").ok().flatten();
        Err(store_error::classify(status, &body).with_retry_after(retry_after.as_deref()))
    }
}

fn js_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_default()
}
