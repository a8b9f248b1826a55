//! Glue between the core's [`ProgressTracker`] and the caller's `onProgress`
//! callback: the clock is `performance.now()`, reports are throttled to about
//! 20 a second, every phase's completion is always delivered, and each report
//! reaches JS as a plain object of numbers (`etaSeconds` is `null` when unknown).

use presign_core::progress::{Phase, Progress, ProgressTracker};
use std::cell::RefCell;
use std::fmt;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

/// At most one report per this many milliseconds (completions excepted).
const MIN_INTERVAL_MS: f64 = 50.0;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: in windows, workers and Node alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Reports one upload's progress. Shared (`Rc`) with the XHR progress handler.
pub struct ProgressReporter {
    callback: Option<js_sys::Function>,
    state: RefCell<State>,
}

struct State {
    tracker: ProgressTracker,
    /// The last report sent, to drop exact repeats of a completion.
    last: Option<(Phase, u64)>,
}

impl fmt::Debug for ProgressReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressReporter")
            .field("has_callback", &self.callback.is_some())
            .field("tracker", &self.state.borrow().tracker)
            .finish()
    }
}

impl ProgressReporter {
    pub fn new(callback: Option<js_sys::Function>) -> Self {
        Self {
            callback,
            state: RefCell::new(State {
                tracker: ProgressTracker::new(Phase::Hashing, 0, MIN_INTERVAL_MS),
                last: None,
            }),
        }
    }

    /// Starts `phase` over `total` bytes and reports its start (0 done).
    pub fn start(&self, phase: Phase, total: u64) {
        let report = {
            let now = now_ms();
            let mut state = self.state.borrow_mut();
            state.tracker.start_phase(phase, total, now);
            state.tracker.update(0, now)
        };
        self.deliver(report);
    }

    /// `loaded` bytes of the current phase are done (a total, not a delta).
    pub fn advance(&self, loaded: u64) {
        let report = self.state.borrow_mut().tracker.update(loaded, now_ms());
        self.deliver(report);
    }

    /// Reports `phase` with the byte counts of the phase before it (the
    /// upload's): for `verifying` and `done`, which move no bytes.
    pub fn announce(&self, phase: Phase) {
        let snapshot = self.state.borrow().tracker.snapshot();
        self.deliver(Some(Progress {
            phase,
            eta_seconds: Some(0.0).filter(|_| snapshot.loaded == snapshot.total),
            ..snapshot
        }));
    }

    /// Calls the callback outside any borrow: it may abort the upload, which
    /// dispatches events that report progress again.
    fn deliver(&self, report: Option<Progress>) {
        let (Some(callback), Some(report)) = (&self.callback, report) else {
            return;
        };
        {
            let mut state = self.state.borrow_mut();
            let key = (report.phase, report.loaded);
            let complete = report.loaded == report.total;
            if complete && state.last == Some(key) {
                return;
            }
            state.last = Some(key);
        }
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let Ok(value) = serde::Serialize::serialize(&report, &serializer) else {
            return;
        };
        if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &value) {
            // The caller's bug must not break the upload, nor vanish silently.
            web_sys::console::error_2(&"presigned-upload: onProgress threw".into(), &thrown);
        }
    }
}

fn now_ms() -> f64 {
    performance_now()
}
