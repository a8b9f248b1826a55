//! Glue between the core's [`ProgressTracker`] and whoever listens to one
//! upload: the clock is `performance.now()`, reports are throttled to about
//! 20 a second, every phase's completion is always delivered, and each report
//! carries the part counts and, while the upload waits on a busy signer or
//! store, why ([`Waiting`]). Listeners are Rust closures ([`ProgressSink`]):
//! the caller's `onProgress` (a plain object of numbers, `etaSeconds` `null`
//! when unknown) or a batch's accounting.

use crate::web::clock::now_ms;
use presign_core::upload::progress::{Phase, Progress, ProgressTracker};
use presign_core::upload::state::WaitReason;
use serde::Serialize;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// At most one report per this many milliseconds (completions excepted).
const MIN_INTERVAL_MS: f64 = 50.0;

/// Receives every report of one upload.
pub type ProgressSink = Rc<dyn Fn(&ProgressReport)>;

/// Why an upload waits, in its reports while it does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Waiting {
    pub reason: WaitReason,
    /// How long this wait lasts, from when it started.
    pub retry_in_ms: u64,
    /// What the signer or the store said.
    pub message: String,
}

/// One report: the core's plus part counts, the upload id and a wait.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressReport {
    #[serde(flatten)]
    pub progress: Progress,
    pub parts_done: u32,
    pub parts_total: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Waiting>,
}

impl ProgressReport {
    /// The report as JavaScript receives it.
    pub fn to_js(&self) -> Option<JsValue> {
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        self.serialize(&serializer).ok()
    }
}

/// A sink calling a JavaScript `onProgress(report)`; what it throws is
/// logged, never allowed to break the upload.
pub fn js_sink(callback: js_sys::Function) -> ProgressSink {
    Rc::new(move |report: &ProgressReport| {
        let Some(value) = report.to_js() else {
            return;
        };
        if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &value) {
            web_sys::console::error_2(&"presigned-upload: onProgress threw".into(), &thrown);
        }
    })
}

/// Reports one upload's progress. Shared (`Rc`) with the XHR progress handler.
pub struct ProgressReporter {
    sink: Option<ProgressSink>,
    state: RefCell<State>,
}

struct State {
    tracker: ProgressTracker,
    /// Parts stored and parts in all (1 for a single PUT).
    parts: (u32, u32),
    /// The signer's id of the multipart upload, once there is one.
    upload_id: Option<String>,
    waiting: Option<Waiting>,
    /// The last report sent, to drop exact repeats of a completion.
    last: Option<(Phase, u64, u32)>,
}

impl fmt::Debug for ProgressReporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressReporter")
            .field("has_sink", &self.sink.is_some())
            .field("tracker", &self.state.borrow().tracker)
            .finish()
    }
}

impl ProgressReporter {
    pub fn new(sink: Option<ProgressSink>) -> Self {
        Self {
            sink,
            state: RefCell::new(State {
                tracker: ProgressTracker::new(Phase::Hashing, 0, MIN_INTERVAL_MS),
                parts: (0, 1),
                upload_id: None,
                waiting: None,
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

    /// The upload starts (`Some`) or stops (`None`) waiting on
    /// backpressure: reported at once, with the current counts.
    pub fn set_waiting(&self, waiting: Option<Waiting>) {
        let snapshot = {
            let mut state = self.state.borrow_mut();
            if state.waiting.is_none() && waiting.is_none() {
                return;
            }
            state.waiting = waiting;
            state.last = None;
            state.tracker.snapshot()
        };
        self.deliver(Some(snapshot));
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

    /// Calls the sink outside any borrow: it may abort the upload, which
    /// dispatches events that report progress again.
    fn deliver(&self, report: Option<Progress>) {
        let (Some(sink), Some(report)) = (&self.sink, report) else {
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
            ProgressReport {
                progress: report,
                parts_done: state.parts.0,
                parts_total: state.parts.1,
                upload_id: state.upload_id.clone(),
                waiting: state.waiting.clone(),
            }
        };
        sink(&report);
    }
}
