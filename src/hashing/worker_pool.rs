//! The page's side of the hash workers: starts them (`js/hash_worker.js`),
//! hands each job to the least loaded one, routes their answers back, and
//! reports a worker that died, so that its jobs can run on the main thread.

use crate::error::UploadError;
use crate::hashing::protocol::{BlobRange, Reply, Request};
use crate::web::abort;
use crate::web::listener::Listener;
use crate::web::timer;
use futures::channel::oneshot;
use futures::future::{self, Either};
use presign_core::upload::hash_strategy::{self, DigestMethod};
use presign_core::Sha256Digest;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, ErrorEvent, MessageEvent, Worker};

#[wasm_bindgen(module = "/js/hash_worker.js")]
extern "C" {
    /// `new Worker(…/hash_worker.js, { type: "module" })`, told where the
    /// package's JS is (`None`: beside the snippets, where wasm-pack puts it).
    #[wasm_bindgen(js_name = spawnHashWorker, catch)]
    fn spawn_hash_worker(module_url: Option<String>) -> Result<Worker, JsValue>;
}

/// Longest a worker may take to load before the pool goes on without it.
const START_TIMEOUT_MS: u64 = 20_000;

/// Why a job has no digest.
#[derive(Debug)]
pub enum JobError {
    /// The job itself failed (the file unreadable, an abort): final.
    Failed(UploadError),
    /// Its worker died or the pool has none left: run it elsewhere.
    Lost,
}

/// Whether this environment can start workers (Node cannot).
pub fn workers_exist() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"Worker".into()).is_ok_and(|w| w.is_function())
}

/// Running hash workers. Dropping the last handle terminates them.
pub struct WorkerPool {
    shared: Rc<Shared>,
}

pub(super) struct Shared {
    slots: RefCell<Vec<Slot>>,
    pending: RefCell<HashMap<u32, Pending>>,
    next_id: Cell<u32>,
    /// Whole-file streams open (on the first live worker).
    streams: Cell<usize>,
    /// Where workers started later load the package's JS from.
    module_url: Option<String>,
}

struct Slot {
    worker: Worker,
    alive: bool,
    /// Digest jobs given and not answered.
    load: usize,
    /// Until the worker reports ready (or fails to).
    starting: Option<oneshot::Sender<()>>,
    _listeners: [Listener; 2],
}

struct Pending {
    slot: usize,
    counts_load: bool,
    reply: oneshot::Sender<Result<Sha256Digest, JobError>>,
    progress: Option<Rc<dyn Fn(u64)>>,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("workers", &self.len())
            .field("pending", &self.shared.pending.borrow().len())
            .finish()
    }
}

fn warn(message: &str) {
    web_sys::console::warn_1(&format!("presigned-upload: {message}").into());
}

impl WorkerPool {
    /// Starts `count` workers loading the package's JS from `module_url`
    /// (`None`: where wasm-pack puts it) and waits until each is ready or
    /// [`START_TIMEOUT_MS`] passed; `None` when none started.
    pub async fn start(count: u32, module_url: Option<String>) -> Option<Self> {
        let pool = Self {
            shared: Rc::new(Shared {
                slots: RefCell::new(Vec::new()),
                pending: RefCell::new(HashMap::new()),
                next_id: Cell::new(1),
                streams: Cell::new(0),
                module_url,
            }),
        };
        pool.grow_to(count as usize).await;
        (pool.len() > 0).then_some(pool)
    }

    /// Workers started so far, alive or not (the pool never starts one twice).
    pub fn started(&self) -> usize {
        self.shared.slots.borrow().len()
    }

    /// Starts workers until `count` were started, and waits until each new
    /// one is ready or [`START_TIMEOUT_MS`] passed. One that is not ready by
    /// then is stopped and never given work.
    pub async fn grow_to(&self, count: usize) {
        let shared = &self.shared;
        let first = shared.slots.borrow().len();
        let mut started = Vec::new();
        for _ in first..count {
            let worker = match spawn_hash_worker(shared.module_url.clone()) {
                Ok(worker) => worker,
                Err(e) => {
                    warn(&format!(
                        "could not start a hash worker: {}",
                        message_of(&e)
                    ));
                    break;
                }
            };
            let index = shared.slots.borrow().len();
            let (tx, rx) = oneshot::channel();
            let listeners = Shared::listen(shared, &worker, index);
            shared.slots.borrow_mut().push(Slot {
                worker,
                alive: false,
                load: 0,
                starting: Some(tx),
                _listeners: listeners,
            });
            started.push(rx);
        }
        if started.is_empty() {
            return;
        }
        let all = future::join_all(started);
        let timeout = timer::sleep(START_TIMEOUT_MS, None);
        let _ = future::select(all, Box::pin(timeout)).await;
        for slot in shared.slots.borrow_mut().iter_mut().skip(first) {
            if slot.starting.take().is_some() {
                warn("a hash worker did not start in time");
            }
            if !slot.alive {
                slot.worker.terminate();
            }
        }
    }

    /// Workers alive.
    pub fn len(&self) -> usize {
        self.shared
            .slots
            .borrow()
            .iter()
            .filter(|s| s.alive)
            .count()
    }

    /// The digest of `range` by `method`, computed in one of the first
    /// `limit` live workers; `progress` gets the bytes read (streamed
    /// digests only).
    pub async fn digest(
        &self,
        range: BlobRange,
        method: DigestMethod,
        limit: usize,
        signal: &AbortSignal,
        progress: Option<Rc<dyn Fn(u64)>>,
    ) -> Result<Sha256Digest, JobError> {
        abort::ensure_live(Some(signal)).map_err(JobError::Failed)?;
        let slot = self.shared.pick(limit).ok_or(JobError::Lost)?;
        let id = self.shared.id();
        let request = Request::Digest {
            id,
            range,
            method,
            progress: progress.is_some(),
        };
        let reply = self.shared.send(slot, id, true, progress, &request);
        self.shared.answer(id, reply, signal).await
    }

    /// What a whole-file stream ([`super::pool_stream`]) talks to.
    pub(super) fn shared(&self) -> &Rc<Shared> {
        &self.shared
    }
}

impl Shared {
    /// The worker's message and error listeners (holding the pool weakly, so
    /// that dropping the pool frees them).
    fn listen(shared: &Rc<Self>, worker: &Worker, index: usize) -> [Listener; 2] {
        let weak: Weak<Self> = Rc::downgrade(shared);
        let on_message = Listener::new(worker, "message", {
            let weak = weak.clone();
            move |event| {
                if let (Some(shared), Some(event)) =
                    (weak.upgrade(), event.dyn_ref::<MessageEvent>())
                {
                    shared.on_reply(index, &event.data());
                }
            }
        });
        let on_error = Listener::new(worker, "error", move |event| {
            let message = event
                .dyn_ref::<ErrorEvent>()
                .map(ErrorEvent::message)
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "its script did not load".to_owned());
            if let Some(shared) = weak.upgrade() {
                shared.lose(index, &message);
            }
        });
        [on_message, on_error]
    }

    fn on_reply(&self, index: usize, data: &JsValue) {
        match Reply::from_js(data) {
            Some(Reply::Ready) => {
                let mut slots = self.slots.borrow_mut();
                if let Some(slot) = slots.get_mut(index) {
                    if let Some(tx) = slot.starting.take() {
                        slot.alive = true;
                        let _ = tx.send(());
                    }
                }
            }
            Some(Reply::Failed { message }) => self.lose(index, &message),
            Some(Reply::Done { id, digest }) => self.settle(id, Ok(digest)),
            Some(Reply::Error { id, error }) => self.settle(id, Err(JobError::Failed(error))),
            Some(Reply::Progress { id, bytes }) => {
                let progress = self
                    .pending
                    .borrow()
                    .get(&id)
                    .and_then(|p| p.progress.clone());
                if let Some(progress) = progress {
                    progress(bytes);
                }
            }
            None => {}
        }
    }

    /// Worker `index` failed to start or died: its jobs are lost.
    fn lose(&self, index: usize, message: &str) {
        let was_alive = {
            let mut slots = self.slots.borrow_mut();
            let Some(slot) = slots.get_mut(index) else {
                return;
            };
            let was_alive = slot.alive;
            slot.alive = false;
            slot.load = 0;
            slot.starting = None;
            slot.worker.terminate();
            was_alive
        };
        warn(&format!(
            "a hash worker {}: {message}; its work goes to the main thread",
            if was_alive {
                "stopped"
            } else {
                "could not start"
            }
        ));
        let lost: Vec<Pending> = {
            let mut pending = self.pending.borrow_mut();
            let ids: Vec<u32> = pending
                .iter()
                .filter(|(_, p)| p.slot == index)
                .map(|(&id, _)| id)
                .collect();
            ids.iter().filter_map(|id| pending.remove(id)).collect()
        };
        for p in lost {
            let _ = p.reply.send(Err(JobError::Lost));
        }
    }

    fn settle(&self, id: u32, result: Result<Sha256Digest, JobError>) {
        let Some(p) = self.pending.borrow_mut().remove(&id) else {
            return;
        };
        if p.counts_load {
            if let Some(slot) = self.slots.borrow_mut().get_mut(p.slot) {
                slot.load = slot.load.saturating_sub(1);
            }
        }
        let _ = p.reply.send(result);
    }

    /// Job `id`'s answer, or an abort when `signal` fires first (the
    /// worker then stops the job).
    pub(super) async fn answer(
        &self,
        id: u32,
        reply: oneshot::Receiver<Result<Sha256Digest, JobError>>,
        signal: &AbortSignal,
    ) -> Result<Sha256Digest, JobError> {
        match future::select(reply, Box::pin(abort::fired(signal))).await {
            Either::Left((Ok(result), _)) => result,
            Either::Left((Err(oneshot::Canceled), _)) => Err(JobError::Lost),
            Either::Right(_) => {
                self.cancel(id);
                Err(JobError::Failed(UploadError::aborted()))
            }
        }
    }

    /// Job `id` is no longer awaited: the worker stops it.
    fn cancel(&self, id: u32) {
        let slot = self.pending.borrow().get(&id).map(|p| p.slot);
        self.settle(id, Err(JobError::Lost));
        if let Some(slot) = slot {
            let _ = self.post(slot, &Request::Cancel { id });
        }
    }

    pub(super) fn id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1).max(1));
        id
    }

    pub(super) fn is_alive(&self, index: usize) -> bool {
        self.slots.borrow().get(index).is_some_and(|s| s.alive)
    }

    /// Live workers' indices.
    fn live(&self) -> Vec<usize> {
        let slots = self.slots.borrow();
        (0..slots.len()).filter(|&i| slots[i].alive).collect()
    }

    /// The worker a new whole-file stream goes to (the first live one),
    /// counted as streaming from now on; `None` without one.
    pub(super) fn open_stream(&self) -> Option<usize> {
        let slot = self.live().first().copied()?;
        self.streams.set(self.streams.get() + 1);
        Some(slot)
    }

    /// A whole-file stream ended.
    pub(super) fn close_stream(&self) {
        self.streams.set(self.streams.get().saturating_sub(1));
    }

    /// The worker for the next digest among the first `limit` live ones
    /// (see [`hash_strategy::pick_worker`]).
    fn pick(&self, limit: usize) -> Option<usize> {
        let mut live = self.live();
        live.truncate(limit);
        let loads: Vec<usize> = {
            let slots = self.slots.borrow();
            live.iter().map(|&i| slots[i].load).collect()
        };
        let streaming = (self.streams.get() > 0).then_some(0);
        hash_strategy::pick_worker(&loads, streaming).map(|i| live[i])
    }

    pub(super) fn post(&self, index: usize, request: &Request) -> Result<(), JsValue> {
        let worker = self.slots.borrow().get(index).map(|s| s.worker.clone());
        match worker {
            Some(worker) => worker.post_message(&request.to_js()),
            None => Err(JsValue::UNDEFINED),
        }
    }

    /// Posts `request` (job `id`) to worker `index`; its answer arrives on
    /// the receiver.
    pub(super) fn send(
        &self,
        index: usize,
        id: u32,
        counts_load: bool,
        progress: Option<Rc<dyn Fn(u64)>>,
        request: &Request,
    ) -> oneshot::Receiver<Result<Sha256Digest, JobError>> {
        let (tx, rx) = oneshot::channel();
        self.pending.borrow_mut().insert(
            id,
            Pending {
                slot: index,
                counts_load,
                reply: tx,
                progress,
            },
        );
        if counts_load {
            if let Some(slot) = self.slots.borrow_mut().get_mut(index) {
                slot.load += 1;
            }
        }
        if self.post(index, request).is_err() {
            self.settle(id, Err(JobError::Lost));
        }
        rx
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        for slot in self.slots.borrow().iter() {
            slot.worker.terminate();
        }
    }
}

fn message_of(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}
