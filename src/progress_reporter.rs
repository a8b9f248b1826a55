//! Glue between the core's [`ProgressTracker`] and the caller's `onProgress`
//! callback: the clock is `performance.now()`, reports are throttled to about
//! 20 a second, every phase's completion is always delivered, and each report
//! reaches JS as a plain object of numbers (`etaSeconds` is `null` when unknown).

use presign_core::progress::{Phase, Progress, ProgressTracker};
use serde::Serialize;
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
    /// Parts stored and parts in all (1 for a single PUT).
    parts: (u32, u32),
    /// The signer's id of the multipart upload, once there is one.
    upload_id: Option<String>,
    /// The last report sent, to drop exact repeats of a completion.
    last: Option<(Phase, u64, u32)>,
}

/// What JS receives: the core's report plus part counts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    #[serde(flatten)]
    progress: Progress,
    parts_done: u32,
    parts_total: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    upload_id: Option<String>,
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
                parts: (0, 1),
                upload_id: None,
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

    /// Sets the part counts reported from now on.
    pub fn set_parts(&self, done: u32, total: u32) {
        self.state.borrow_mut().parts = (done, total);
    }

    /// Sets the multipart upload's id reported from now on.
    pub fn set_upload_id(&self, id: &str) {
        self.state.borrow_mut().upload_id = Some(id.to_owned());
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
        let report = {
            let mut state = self.state.borrow_mut();
            let key = (report.phase, report.loaded, state.parts.0);
            let complete = report.loaded == report.total;
            if complete && state.last == Some(key) {
                return;
            }
            state.last = Some(key);
            Report {
                progress: report,
                parts_done: state.parts.0,
                parts_total: state.parts.1,
                upload_id: state.upload_id.clone(),
            }
        };
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let Ok(value) = report.serialize(&serializer) else {
            return;
        };
        if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &value) {
            // The caller's bug must not break the upload, nor vanish silently.
            web_sys::console::error_2(&"presigned-upload: onProgress threw".into(), &thrown);
        }
    }
}

/// Milliseconds from `performance.now()`.
pub fn now_ms() -> f64 {
    performance_now()
}
