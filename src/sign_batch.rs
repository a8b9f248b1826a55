//! One `Uploader`'s signing requests for single PUTs, batched: while a
//! signing request is out, the files that come to be signed wait, and go
//! together in the next one (`POST /api/get-upload-urls`, up to 100 files;
//! [`presign_core::batch_protocol`]). A lone file goes alone to
//! `POST /api/get-upload-url`, so nothing waits when nothing else is being
//! signed, and a page that drops a hundred files makes two or three signing
//! requests instead of a hundred round trips on the browser's six
//! connections to the signer.
//!
//! A signer without the batch endpoint (the seed's: 404 or 405) gets one
//! request per file from then on. A failure of a whole batch (the network,
//! a 5xx after the retries, a 401) is every one of its files' failure; a
//! file the signer refuses fails alone, with the error its own request
//! would have had.

use crate::signer_client::SignerClient;
use crate::upload_error::UploadError;
use futures::channel::oneshot;
use futures::future::join_all;
use presign_core::batch_protocol::{GetUploadUrlsRequest, MAX_BATCH};
use presign_core::protocol::{ErrorDetail, GetUploadUrlRequest, GetUploadUrlResponse};
use presign_core::ErrorCode;
use std::cell::{Cell, RefCell};
use std::fmt;

type Reply = Result<GetUploadUrlResponse, UploadError>;

/// A file waiting to be signed, and where its answer goes.
struct Waiting {
    request: GetUploadUrlRequest,
    reply: oneshot::Sender<Reply>,
}

/// The queue of one `Uploader` (shared by its uploads' signer clients).
#[derive(Default)]
pub struct SignBatch {
    waiting: RefCell<Vec<Waiting>>,
    /// A sender task is running (it sends until the queue is empty).
    sending: Cell<bool>,
    /// The signer answered a batch with 404 or 405.
    unsupported: Cell<bool>,
}

impl fmt::Debug for SignBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignBatch")
            .field("waiting", &self.waiting.borrow().len())
            .field("sending", &self.sending.get())
            .field("unsupported", &self.unsupported.get())
            .finish()
    }
}

impl SignBatch {
    /// Whether batches are worth trying with this signer.
    pub fn supported(&self) -> bool {
        !self.unsupported.get()
    }

    /// Queues `request`: its answer to come, and whether no sender runs, so
    /// that the caller must start one ([`send_waiting`]).
    pub fn enqueue(&self, request: GetUploadUrlRequest) -> (oneshot::Receiver<Reply>, bool) {
        let (reply, answer) = oneshot::channel();
        self.waiting.borrow_mut().push(Waiting { request, reply });
        let start = !self.sending.replace(true);
        (answer, start)
    }

    /// Up to [`MAX_BATCH`] waiting files whose uploads still wait (an
    /// aborted upload dropped its receiver).
    fn take(&self) -> Vec<Waiting> {
        let mut waiting = self.waiting.borrow_mut();
        waiting.retain(|w| !w.reply.is_canceled());
        let n = waiting.len().min(MAX_BATCH);
        waiting.drain(..n).collect()
    }
}

/// Sends the waiting files through `client` until none wait. Files queued
/// in the same task as the first (a page's `Promise.all` over its files)
/// go in the first request.
pub async fn send_waiting(client: SignerClient) {
    let batch = client.batch();
    loop {
        // Let the uploads started in this task queue their files first.
        let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(
            &wasm_bindgen::JsValue::UNDEFINED,
        ))
        .await;
        let files = batch.take();
        if files.is_empty() {
            batch.sending.set(false);
            return;
        }
        if files.len() == 1 || !batch.supported() {
            alone(&client, files).await;
            continue;
        }
        let request = GetUploadUrlsRequest {
            files: files.iter().map(|w| w.request.clone()).collect(),
        };
        match client.get_upload_urls(&request).await {
            Ok(answer) if answer.uploads.len() == files.len() => {
                for (waiting, outcome) in files.into_iter().zip(answer.uploads) {
                    let _ = waiting.reply.send(outcome.outcome().map_err(refusal));
                }
            }
            Ok(answer) => {
                let error = UploadError::new(
                    ErrorCode::Server,
                    format!(
                        "the signer answered {} outcomes to get-upload-urls for {} files",
                        answer.uploads.len(),
                        files.len()
                    ),
                );
                files
                    .into_iter()
                    .for_each(|w| drop(w.reply.send(Err(error.clone()))));
            }
            Err(e) if matches!(e.status(), Some(404 | 405)) => {
                batch.unsupported.set(true);
                alone(&client, files).await;
            }
            Err(e) => files
                .into_iter()
                .for_each(|w| drop(w.reply.send(Err(e.clone())))),
        }
    }
}

/// A file the signer refused in a batch: the error its own request gets.
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

/// Each file in its own `get-upload-url` request, all at once.
async fn alone(client: &SignerClient, files: Vec<Waiting>) {
    join_all(files.into_iter().map(|w| async move {
        let answer = client.get_upload_url_alone(&w.request, None).await;
        let _ = w.reply.send(answer);
    }))
    .await;
}
