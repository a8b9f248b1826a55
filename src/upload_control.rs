//! The running side of an upload's handle: its state (the core's
//! [`Lifecycle`]), `pause()`/`resume()`/`abort()`, and what the engine asks
//! of them — "wait here while paused", "stop this PUT, we are pausing".
//!
//! Pausing stops anything new from starting (parts, hashing, signing,
//! completing). With `abortInFlightOnPause`, the PUTs in flight are aborted
//! too (the "pause epoch" signal fires) and sent again after `resume()`;
//! otherwise they finish.

use crate::abort;
use crate::listener::Listener;
use crate::upload_error::UploadError;
use futures::channel::oneshot;
use presign_core::upload_state::{Lifecycle, UploadState};
use std::cell::RefCell;
use std::fmt;
use wasm_bindgen::JsValue;
use web_sys::{AbortController, AbortSignal};

/// One upload's controls. Shared (`Rc`) by the handle and the engine.
pub struct UploadControl {
    lifecycle: RefCell<Lifecycle>,
    on_state: Option<js_sys::Function>,
    /// Fires on `abort()` or when the caller's signal fires.
    abort: AbortController,
    _follow_caller: Option<Listener>,
    /// Fires on `pause()` when in-flight PUTs are to stop; replaced on resume.
    epoch: RefCell<AbortController>,
    abort_in_flight_on_pause: bool,
    waiters: RefCell<Vec<oneshot::Sender<()>>>,
}

impl fmt::Debug for UploadControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadControl")
            .field("state", &self.state())
            .field("abort_in_flight_on_pause", &self.abort_in_flight_on_pause)
            .finish_non_exhaustive()
    }
}

fn controller() -> Result<AbortController, UploadError> {
    AbortController::new()
        .map_err(|_| UploadError::bad_request("this environment has no AbortController"))
}

impl UploadControl {
    /// Controls following the caller's `signal` (if any).
    pub fn new(
        signal: Option<&AbortSignal>,
        on_state: Option<js_sys::Function>,
        abort_in_flight_on_pause: bool,
    ) -> Result<Self, UploadError> {
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
            on_state,
            abort,
            _follow_caller: follow,
            epoch: RefCell::new(controller()?),
            abort_in_flight_on_pause,
            waiters: RefCell::new(Vec::new()),
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

    pub fn state(&self) -> UploadState {
        self.lifecycle.borrow().state()
    }

    /// The engine reached `step`.
    pub fn step(&self, step: UploadState) {
        let changed = self.lifecycle.borrow_mut().step(step);
        self.notify(changed);
    }

    /// The upload ended.
    pub fn end(&self, end: UploadState) {
        let changed = self.lifecycle.borrow_mut().end(end);
        self.notify(changed);
        self.wake();
    }

    pub fn pause(&self) {
        let changed = self.lifecycle.borrow_mut().pause();
        if changed && self.abort_in_flight_on_pause {
            self.epoch.borrow().abort();
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

    /// Returns at once unless paused; else when resumed. Fails with
    /// `aborted` if the upload is aborted meanwhile.
    pub async fn wait_while_paused(&self) -> Result<(), UploadError> {
        let signal = self.signal();
        while self.is_paused() {
            abort::ensure_live(Some(&signal))?;
            let (tx, rx) = oneshot::channel();
            self.waiters.borrow_mut().push(tx);
            let _ = rx.await;
        }
        abort::ensure_live(Some(&signal))
    }

    fn wake(&self) {
        for waiter in self.waiters.borrow_mut().drain(..) {
            let _ = waiter.send(());
        }
    }

    fn notify(&self, changed: bool) {
        let Some(callback) = self.on_state.as_ref().filter(|_| changed) else {
            return;
        };
        let state = JsValue::from_str(self.state().as_str());
        if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &state) {
            web_sys::console::error_2(&"presigned-upload: onStateChange threw".into(), &thrown);
        }
    }
}
