//! Stall detection for a transfer: a timer that fires when no progress was
//! seen for a while. Every sign of life ([`StallWatchdog::kick`]) restarts it;
//! dropping the watchdog cancels it and frees its closure.
//!
//! A connection that stops moving bytes (a dead peer, a half-open socket, a
//! proxy holding the request) never ends on its own: without this, an upload
//! would hang until the caller aborts it. A fixed `xhr.timeout` would not do:
//! a large part on a slow link legitimately takes long, it just keeps moving.

use crate::web::timer::{clear_timeout, set_timeout};
use std::cell::{Cell, RefCell};
use std::fmt;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Calls its handler once, after `ms` milliseconds without a [`kick`](Self::kick).
pub struct StallWatchdog {
    ms: f64,
    handle: RefCell<Option<JsValue>>,
    fired: std::rc::Rc<Cell<bool>>,
    closure: Closure<dyn Fn()>,
}

impl StallWatchdog {
    /// Starts the timer; `on_stall` runs at most once.
    pub fn start(ms: u32, on_stall: impl Fn() + 'static) -> Self {
        let fired = std::rc::Rc::new(Cell::new(false));
        let closure = Closure::<dyn Fn()>::new({
            let fired = fired.clone();
            move || {
                if !fired.replace(true) {
                    on_stall();
                }
            }
        });
        let watchdog = Self {
            ms: f64::from(ms),
            handle: RefCell::new(None),
            fired,
            closure,
        };
        watchdog.kick();
        watchdog
    }

    /// Progress was seen: the wait starts over.
    pub fn kick(&self) {
        if self.fired.get() {
            return;
        }
        let mut handle = self.handle.borrow_mut();
        if let Some(old) = handle.take() {
            clear_timeout(&old);
        }
        *handle = Some(set_timeout(self.closure.as_ref().unchecked_ref(), self.ms));
    }

    /// Whether the handler ran.
    pub fn fired(&self) -> bool {
        self.fired.get()
    }

    /// How long a stall it waits for, in seconds (for messages).
    pub fn seconds(&self) -> f64 {
        self.ms / 1000.0
    }
}

impl Drop for StallWatchdog {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.get_mut().take() {
            clear_timeout(&handle);
        }
    }
}

impl fmt::Debug for StallWatchdog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StallWatchdog")
            .field("ms", &self.ms)
            .field("fired", &self.fired.get())
            .finish()
    }
}
