//! The running side of an upload's handle: its state (the core's
//! [`Lifecycle`]), `pause()`/`resume()`/`abort()`, its turn in the
//! uploader's queue, its waits on backpressure, and what the engine asks of
//! them: "wait for a turn", "wait here while paused", "stop this PUT,
//! we are pausing", "a slot for one request to the store".
//!
//! An upload's [`Turn`]s: a single-request file is hashed and signed
//! ahead of its turn (one of the queue's `ahead` slots), sends its bytes in
//! a file slot, and gives that slot to the next file while the signer
//! confirms it; a multipart upload holds its file slot from the start.
//!
//! Pausing stops anything new from starting (parts, hashing, signing,
//! completing) and gives the upload's slots to the next files waiting;
//! `resume()` waits for a slot again. With `abortInFlightOnPause`, the PUTs
//! in flight are aborted too (the "pause epoch" signal fires) and sent again
//! after `resume()`; otherwise they finish.

use crate::error::UploadError;
use crate::upload::progress::{ProgressReporter, Waiting};
use crate::upload::queue::{Slot, UploadQueue};
use crate::web::abort;
use crate::web::clock::now_ms;
use crate::web::listener::Listener;
use futures::channel::oneshot;
use presign_core::upload::fair_slots::Owner;
use presign_core::upload::state::{Lifecycle, UploadState};
use presign_core::upload::wait_clock::WaitClock;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use web_sys::{AbortController, AbortSignal};

/// Receives every change of an upload's state.
pub type StateSink = Rc<dyn Fn(UploadState)>;

/// A sink calling a JavaScript `onStateChange(state)`; what it throws is
/// logged, never allowed to break the upload.
pub fn js_state_sink(callback: js_sys::Function) -> StateSink {
    Rc::new(move |state: UploadState| {
        let state = wasm_bindgen::JsValue::from_str(state.as_str());
        if let Err(thrown) = callback.call1(&wasm_bindgen::JsValue::UNDEFINED, &state) {
            web_sys::console::error_2(&"presigned-upload: onStateChange threw".into(), &thrown);
        }
    })
}

/// What an upload waits for before its next step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// A slot to be hashed and signed ahead of the file's turn, or the
    /// file slot itself.
    Ahead,
    /// One of the uploader's file slots (`maxConcurrentFiles`).
    Running,
}

/// One upload's controls. Shared (`Rc`) by the handle and the engine.
pub struct UploadControl {
    lifecycle: RefCell<Lifecycle>,
    on_state: Option<StateSink>,
    /// Fires on `abort()` or when the caller's signal fires.
    abort: AbortController,
    _follow_caller: Option<Listener>,
    /// Fires on `pause()` when in-flight PUTs are to stop; replaced on resume.
    epoch: RefCell<AbortController>,
    abort_in_flight_on_pause: bool,
    waiters: RefCell<Vec<oneshot::Sender<()>>>,
    queue: Rc<UploadQueue>,
    owner: Owner,
    /// This upload's turn among the uploader's files, while it has one.
    file_slot: RefCell<Option<Slot>>,
    /// Its slot among the files prepared ahead, until it runs.
    ahead_slot: RefCell<Option<Slot>>,
    waits: RefCell<WaitClock>,
    progress: Rc<ProgressReporter>,
}

impl fmt::Debug for UploadControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadControl")
            .field("state", &self.state())
            .field("owner", &self.owner)
            .field("abort_in_flight_on_pause", &self.abort_in_flight_on_pause)
            .finish_non_exhaustive()
    }
}

fn controller() -> Result<AbortController, UploadError> {
    AbortController::new()
        .map_err(|_| UploadError::bad_request("this environment has no AbortController"))
}

/// What [`UploadControl::new`] needs besides the queue.
#[derive(Default)]
pub struct ControlOptions {
    /// The caller's signal, which aborts the upload.
    pub signal: Option<AbortSignal>,
    pub on_state: Option<StateSink>,
    pub abort_in_flight_on_pause: bool,
    pub progress: Option<Rc<ProgressReporter>>,
}

impl fmt::Debug for ControlOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ControlOptions")
            .field("has_signal", &self.signal.is_some())
            .field("has_on_state", &self.on_state.is_some())
            .field("abort_in_flight_on_pause", &self.abort_in_flight_on_pause)
            .finish_non_exhaustive()
    }
}

impl UploadControl {
    /// Controls of one upload in `queue`.
    pub fn new(queue: &Rc<UploadQueue>, options: ControlOptions) -> Result<Self, UploadError> {
        let signal = options.signal.as_ref();
        let abort = controller()?;
        if signal.is_some_and(AbortSignal::aborted) {
            abort.abort();
        }
        let follow = abort::on_abort(signal, {
            let abort = abort.clone();
            move || abort.abort()
        });
        Ok(Self {
            lifecycle: RefCell::new(Lifecycle::new()),
            on_state: options.on_state,
            abort,
            _follow_caller: follow,
            epoch: RefCell::new(controller()?),
            abort_in_flight_on_pause: options.abort_in_flight_on_pause,
            waiters: RefCell::new(Vec::new()),
            owner: queue.owner(),
            queue: Rc::clone(queue),
            file_slot: RefCell::new(None),
            ahead_slot: RefCell::new(None),
            waits: RefCell::new(WaitClock::default()),
            progress: options
                .progress
                .unwrap_or_else(|| Rc::new(ProgressReporter::new(None))),
        })
    }

    /// The upload's own signal: everything it starts follows it.
    pub fn signal(&self) -> AbortSignal {
        self.abort.signal()
    }

    /// Fires when a pause must stop the PUTs in flight.
    pub fn pause_signal(&self) -> AbortSignal {
        self.epoch.borrow().signal()
    }

    pub fn progress(&self) -> &Rc<ProgressReporter> {
        &self.progress
    }

    pub fn queue(&self) -> &Rc<UploadQueue> {
        &self.queue
    }

    pub fn state(&self) -> UploadState {
        self.lifecycle.borrow().state()
    }

    /// The engine reached `step`.
    pub fn step(&self, step: UploadState) {
        let changed = self.lifecycle.borrow_mut().step(step);
        self.notify(changed);
    }

    /// The upload ended; its file slot goes to the next file.
    pub fn end(&self, end: UploadState) {
        let changed = self.lifecycle.borrow_mut().end(end);
        self.give_turn();
        self.progress.set_waiting(None);
        self.notify(changed);
        self.wake();
    }

    pub fn pause(&self) {
        let changed = self.lifecycle.borrow_mut().pause();
        if changed {
            if self.abort_in_flight_on_pause {
                self.epoch.borrow().abort();
            }
            self.give_turn();
        }
        self.notify(changed);
    }

    pub fn resume(&self) {
        let changed = self.lifecycle.borrow_mut().resume();
        if changed {
            if let Ok(fresh) = controller() {
                *self.epoch.borrow_mut() = fresh;
            }
            self.wake();
        }
        self.notify(changed);
    }

    /// Aborts the upload (the engine then rejects with `aborted`).
    pub fn abort(&self) {
        self.abort.abort();
        self.wake();
    }

    pub fn is_paused(&self) -> bool {
        self.lifecycle.borrow().is_paused()
    }

    /// Waits until the upload may run: not paused, and holding one of the
    /// uploader's file slots (`queued` until then). Fails with `aborted` if
    /// the upload is aborted meanwhile.
    pub async fn wait_while_paused(&self) -> Result<(), UploadError> {
        self.wait_for(Turn::Running).await
    }

    /// Waits until the upload is not paused and holds what `turn` needs.
    /// Fails with `aborted` if the upload is aborted meanwhile.
    pub async fn wait_for(&self, turn: Turn) -> Result<(), UploadError> {
        let signal = self.signal();
        loop {
            while self.is_paused() {
                abort::ensure_live(Some(&signal))?;
                let (tx, rx) = oneshot::channel();
                self.waiters.borrow_mut().push(tx);
                let _ = rx.await;
            }
            abort::ensure_live(Some(&signal))?;
            if self.file_slot.borrow().is_some() {
                return Ok(());
            }
            let slots = match turn {
                Turn::Ahead if self.ahead_slot.borrow().is_some() => return Ok(()),
                Turn::Ahead => &self.queue.ahead,
                Turn::Running => &self.queue.files,
            };
            // Hashed and signed ahead, it waits for its turn as `queued`.
            if turn == Turn::Running && !slots.free_now() && self.state() == UploadState::Hashing {
                self.step(UploadState::Queued);
            }
            let slot = slots.acquire(self.owner, Some(&signal)).await?;
            // Paused while it waited: the slot goes to the next file.
            if self.is_paused() {
                continue;
            }
            match turn {
                Turn::Ahead => self.ahead_slot.borrow_mut().get_or_insert(slot),
                Turn::Running => {
                    // Running, it is no longer ahead: that slot goes to the next file.
                    self.ahead_slot.borrow_mut().take();
                    self.file_slot.borrow_mut().get_or_insert(slot)
                }
            };
        }
    }

    /// The upload's bytes are sent: its file slot goes to the next file
    /// while the signer confirms it (`completing`, which cannot pause).
    pub fn sent(&self) {
        self.step(UploadState::Completing);
        self.give_turn();
    }

    fn give_turn(&self) {
        self.file_slot.borrow_mut().take();
        self.ahead_slot.borrow_mut().take();
    }

    /// A slot for one request to the store, shared fairly with the other
    /// running files' requests; `signal` stops the wait.
    pub async fn request_slot(&self, signal: Option<&AbortSignal>) -> Result<Slot, UploadError> {
        self.queue.requests.acquire(self.owner, signal).await
    }

    /// A request starts waiting on backpressure, as `waiting` says.
    pub fn begin_wait(&self, waiting: Waiting) {
        self.waits.borrow_mut().begin(now_ms());
        let changed = self.lifecycle.borrow_mut().begin_wait();
        self.progress.set_waiting(Some(waiting));
        self.notify(changed);
    }

    /// A wait on backpressure ended.
    pub fn end_wait(&self) {
        self.waits.borrow_mut().end(now_ms());
        let changed = self.lifecycle.borrow_mut().end_wait();
        if !self.lifecycle.borrow().is_waiting() {
            self.progress.set_waiting(None);
        }
        self.notify(changed);
    }

    /// Milliseconds this upload has waited on backpressure so far.
    pub fn waited_ms(&self) -> u64 {
        self.waits.borrow().waited_ms(now_ms())
    }

    fn wake(&self) {
        for waiter in self.waiters.borrow_mut().drain(..) {
            let _ = waiter.send(());
        }
    }

    fn notify(&self, changed: bool) {
        if let Some(sink) = self.on_state.as_ref().filter(|_| changed) {
            sink(self.state());
        }
    }
}
