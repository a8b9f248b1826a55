//! Inside a hash worker: the exported entry point `__presignedUploadWorker`
//! (called by `js/hash_worker.js` once this package has loaded in the
//! worker) and the jobs it runs — digests of single ranges, each its own
//! task, and whole-file streams, each fed its ranges in order.

use crate::error::UploadError;
use crate::hashing::digest_range;
use crate::hashing::protocol::{BlobRange, Reply, Request};
use crate::web::listener::Listener;
use futures::channel::mpsc;
use futures::StreamExt;
use presign_core::upload::hash_strategy::DigestMethod;
use presign_core::{Sha256Digest, Sha256Hasher};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// One range of a stream, as it arrived.
struct StreamRange {
    id: u32,
    range: BlobRange,
    last: bool,
}

/// What the worker keeps between messages.
struct WorkerState {
    scope: DedicatedWorkerGlobalScope,
    cancelled: RefCell<HashSet<u32>>,
    streams: RefCell<HashMap<u32, mpsc::UnboundedSender<StreamRange>>>,
}

thread_local! {
    /// The worker's state and its message listener, for the worker's life.
    static WORKER: RefCell<Option<(Rc<WorkerState>, Listener)>> = const { RefCell::new(None) };
}

/// The hash worker's entry point (internal: `js/hash_worker.js` calls it in
/// the workers the uploader starts). Takes jobs from then on.
#[doc(hidden)]
#[wasm_bindgen(js_name = __presignedUploadWorker, skip_typescript)]
pub fn worker_main() -> Result<(), JsValue> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global()
        .dyn_into()
        .map_err(|_| JsValue::from_str("the hash worker must run in a dedicated worker"))?;
    let state = Rc::new(WorkerState {
        scope: scope.clone(),
        cancelled: RefCell::new(HashSet::new()),
        streams: RefCell::new(HashMap::new()),
    });
    let listener = Listener::new(&scope, "message", {
        let state = Rc::clone(&state);
        move |event| {
            if let Some(request) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|e| Request::from_js(&e.data()))
            {
                state.take(request);
            }
        }
    });
    WORKER.with(|w| *w.borrow_mut() = Some((Rc::clone(&state), listener)));
    state.reply(&Reply::Ready);
    Ok(())
}

impl WorkerState {
    fn reply(&self, reply: &Reply) {
        // Only an uncloneable value fails; replies are numbers and strings.
        let _ = self.scope.post_message(&reply.to_js());
    }

    fn answer(&self, id: u32, result: Result<Sha256Digest, UploadError>) {
        self.reply(&match result {
            Ok(digest) => Reply::Done { id, digest },
            Err(error) => Reply::Error { id, error },
        });
    }

    fn take(self: &Rc<Self>, request: Request) {
        match request {
            Request::Digest {
                id,
                range,
                method,
                progress,
            } => {
                let state = Rc::clone(self);
                wasm_bindgen_futures::spawn_local(async move {
                    let result = state.digest(id, &range, method, progress).await;
                    state.cancelled.borrow_mut().remove(&id);
                    state.answer(id, result);
                });
            }
            Request::Stream {
                id,
                stream,
                range,
                last,
            } => {
                let mut streams = self.streams.borrow_mut();
                let ranges = streams.entry(stream).or_insert_with(|| {
                    let (tx, rx) = mpsc::unbounded();
                    wasm_bindgen_futures::spawn_local(Rc::clone(self).run_stream(stream, rx));
                    tx
                });
                let _ = ranges.unbounded_send(StreamRange { id, range, last });
            }
            Request::Cancel { id } => {
                self.cancelled.borrow_mut().insert(id);
            }
            Request::DropStream { stream } => {
                self.streams.borrow_mut().remove(&stream);
            }
        }
    }

    async fn digest(
        &self,
        id: u32,
        range: &BlobRange,
        method: DigestMethod,
        progress: bool,
    ) -> Result<Sha256Digest, UploadError> {
        let live = || match self.cancelled.borrow().contains(&id) {
            true => Err(UploadError::aborted()),
            false => Ok(()),
        };
        live()?;
        let report = |bytes| {
            if progress {
                self.reply(&Reply::Progress { id, bytes });
            }
        };
        digest_range::digest(range, method, &live, &report).await
    }

    /// Feeds stream `stream`'s ranges into one hasher, in arrival order, and
    /// answers after the last: its digest, or the first failure.
    async fn run_stream(
        self: Rc<Self>,
        stream: u32,
        mut ranges: mpsc::UnboundedReceiver<StreamRange>,
    ) {
        let mut hasher = Sha256Hasher::new();
        let mut failed: Option<UploadError> = None;
        let live = || match self.streams.borrow().contains_key(&stream) {
            true => Ok(()),
            false => Err(UploadError::aborted()),
        };
        while let Some(StreamRange { id, range, last }) = ranges.next().await {
            if failed.is_none() {
                let fed = digest_range::stream(&range, &mut [&mut hasher], &live, &|_| {}).await;
                failed = fed.err();
            }
            if last {
                let result = match failed {
                    Some(error) => Err(error),
                    None => Ok(std::mem::take(&mut hasher).finish()),
                };
                self.answer(id, result);
                break;
            }
        }
        self.streams.borrow_mut().remove(&stream);
    }
}
