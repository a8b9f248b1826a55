//! Requests of one `Uploader` to the signer, batched: while a request of a
//! kind is out, the next ones of that kind wait, and go together in the
//! next request (up to 100). A lone request goes alone, so nothing waits
//! when nothing else is out, and a page that drops a hundred files makes a
//! few requests to the signer instead of a hundred round trips on the
//! browser's six connections to it. The kinds ([`crate::transport::signer::batched_calls`]):
//! signing single PUTs (`POST /api/get-upload-urls`) and confirming them
//! (`POST /api/files-uploaded`).
//!
//! A signer without the batch endpoint (the design note's: 404 or 405; a
//! page's signer without the batch function) gets one request per file
//! from then on. A batch is sent once: its failure (the network, a 5xx, a
//! 429, a 401) is each of its files' failed attempt, which each file's own
//! attempt loop retries (in a later batch); a file the signer refuses fails
//! alone, with the error its own request would have had.

use crate::error::UploadError;
use crate::transport::signer::backend::Backend;
use crate::web::abort;
use futures::channel::oneshot;
use futures::future::{join_all, select, Either};
use presign_core::protocol::batch::MAX_BATCH;
use presign_core::ErrorCode;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::pin::pin;
use std::rc::Rc;
use web_sys::AbortSignal;

/// A kind of request that can go alone or in a batch.
pub(crate) trait Batched: Sized + 'static {
    type Request: Clone + 'static;
    type Answer: 'static;
    /// The endpoint, for messages.
    const BATCH_PATH: &'static str;
    /// One request alone (`signal` stops it).
    async fn alone(
        backend: &Backend,
        request: &Self::Request,
        signal: Option<&AbortSignal>,
    ) -> Result<Self::Answer, UploadError>;
    /// Several in one request: one outcome per request, in order, or the
    /// whole batch's failure.
    async fn together(
        backend: &Backend,
        requests: Vec<Self::Request>,
    ) -> Result<Vec<Result<Self::Answer, UploadError>>, UploadError>;
}

type Reply<B> = Result<<B as Batched>::Answer, UploadError>;

/// A request waiting to be sent, and where its answer goes.
struct Waiting<B: Batched> {
    request: B::Request,
    reply: oneshot::Sender<Reply<B>>,
}

/// The queue of one kind of request of one `Uploader`.
pub(crate) struct RequestBatch<B: Batched> {
    waiting: RefCell<Vec<Waiting<B>>>,
    /// A sender task is running (it sends until the queue is empty).
    sending: Cell<bool>,
    /// The signer answered a batch with 404 or 405.
    unsupported: Cell<bool>,
}

impl<B: Batched> Default for RequestBatch<B> {
    fn default() -> Self {
        Self {
            waiting: RefCell::default(),
            sending: Cell::default(),
            unsupported: Cell::default(),
        }
    }
}

impl<B: Batched> fmt::Debug for RequestBatch<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBatch")
            .field("path", &B::BATCH_PATH)
            .field("waiting", &self.waiting.borrow().len())
            .field("sending", &self.sending.get())
            .field("unsupported", &self.unsupported.get())
            .finish()
    }
}

/// `request`'s answer: batched with the others waiting, or alone on a
/// signer without batches. `signal` stops the wait, not the batch.
pub(crate) async fn send<B: Batched>(
    queue: &Rc<RequestBatch<B>>,
    backend: &Rc<Backend>,
    request: &B::Request,
    signal: Option<&AbortSignal>,
) -> Result<B::Answer, UploadError> {
    if queue.unsupported.get() {
        return B::alone(backend, request, signal).await;
    }
    abort::ensure_live(signal)?;
    let (reply, answer) = oneshot::channel();
    queue.waiting.borrow_mut().push(Waiting {
        request: request.clone(),
        reply,
    });
    if !queue.sending.replace(true) {
        let sender = send_waiting::<B>(Rc::clone(queue), Rc::clone(backend));
        wasm_bindgen_futures::spawn_local(sender);
    }
    let answer = async {
        answer.await.unwrap_or_else(|_| {
            Err(UploadError::new(
                ErrorCode::Server,
                format!("{} stopped before an answer", B::BATCH_PATH),
            ))
        })
    };
    let Some(signal) = signal else {
        return answer.await;
    };
    match select(pin!(answer), pin!(abort::fired(signal))).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => Err(UploadError::aborted()),
    }
}

/// Sends the waiting requests of `queue` until none wait. Those queued in
/// the same task as the first (a page's `Promise.all` over its files) go in
/// the first request.
async fn send_waiting<B: Batched>(queue: Rc<RequestBatch<B>>, backend: Rc<Backend>) {
    loop {
        // Let the uploads started in this task queue theirs first.
        let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(
            &wasm_bindgen::JsValue::UNDEFINED,
        ))
        .await;
        let waiting = {
            let mut waiting = queue.waiting.borrow_mut();
            // An aborted upload dropped its receiver: not sent.
            waiting.retain(|w| !w.reply.is_canceled());
            let n = waiting.len().min(MAX_BATCH);
            waiting.drain(..n).collect::<Vec<_>>()
        };
        if waiting.is_empty() {
            queue.sending.set(false);
            return;
        }
        if waiting.len() == 1 || queue.unsupported.get() {
            alone(&backend, waiting).await;
            continue;
        }
        let requests = waiting.iter().map(|w| w.request.clone()).collect();
        match B::together(&backend, requests).await {
            Ok(outcomes) if outcomes.len() == waiting.len() => {
                for (w, outcome) in waiting.into_iter().zip(outcomes) {
                    let _ = w.reply.send(outcome);
                }
            }
            Ok(outcomes) => {
                let error = UploadError::new(
                    ErrorCode::Server,
                    format!(
                        "the signer answered {} outcomes to {} for {} files",
                        outcomes.len(),
                        B::BATCH_PATH,
                        waiting.len()
                    ),
                );
                fail(waiting, &error);
            }
            Err(e) if matches!(e.status(), Some(404 | 405)) => {
                queue.unsupported.set(true);
                alone(&backend, waiting).await;
            }
            Err(e) => fail(waiting, &e),
        }
    }
}

fn fail<B: Batched>(waiting: Vec<Waiting<B>>, error: &UploadError) {
    for w in waiting {
        let _ = w.reply.send(Err(error.clone()));
    }
}

/// Each request on its own, all at once.
async fn alone<B: Batched>(backend: &Backend, waiting: Vec<Waiting<B>>) {
    join_all(waiting.into_iter().map(|w| async move {
        let answer = B::alone(backend, &w.request, None).await;
        let _ = w.reply.send(answer);
    }))
    .await;
}
