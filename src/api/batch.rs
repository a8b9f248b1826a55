//! The exported `Batch` class: many files uploaded through one `Uploader`'s
//! queue (`uploader.uploadAll()`), with progress over all of them (the core's
//! [`BatchProgress`]), each file's handle, and the whole batch paused,
//! resumed, cancelled or its failed files retried at once.

use crate::api::js_fields::as_blob;
use crate::api::js_fields::field;
use crate::api::options::MAX_CONCURRENT_FILES;
use crate::api::results;
use crate::api::upload_handle::Upload;
use crate::error::UploadError;
use crate::upload::control::{ControlOptions, StateSink};
use crate::upload::engine::Engine;
use crate::upload::options::UploadOptions;
use crate::upload::progress::{ProgressReport, ProgressReporter, ProgressSink};
use crate::web::clock::now_ms;
use crate::web::timer;
use futures::future::LocalBoxFuture;
use presign_core::upload::batch_progress::{BatchProgress, BatchReport};
use presign_core::upload::progress::Phase;
use presign_core::upload::state::UploadState;
use presign_core::ErrorCode;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

/// Byte progress of a batch is reported at most this often (file changes
/// always are).
const MIN_INTERVAL_MS: f64 = 50.0;
/// The uploads of an `add` start in the tasks after it, this many (as many
/// as can run) per task, so adding a thousand files makes no long task.
const STARTS_PER_TASK: usize = MAX_CONCURRENT_FILES as usize;

/// Many uploads as one: what `uploader.uploadAll()` returns.
///
/// @example
/// ```js
/// const batch = uploader.uploadAll(files, {
///   fileType: "ecu-logs",
///   onProgress: ({ fraction, files }) =>
///     (status.textContent = `${files.done} of ${files.total} uploaded (${Math.round(fraction * 100)}%)`),
/// });
/// pauseButton.onclick = () => batch.pause();
/// resumeButton.onclick = () => batch.resume();
/// retryButton.onclick = () => batch.retryFailed();
/// const { files } = await batch.result;
/// ```
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct Batch {
    inner: Rc<Inner>,
}

/// The batch's JavaScript callbacks.
#[derive(Debug, Default)]
struct Callbacks {
    progress: Option<js_sys::Function>,
    file_progress: Option<js_sys::Function>,
    file_state: Option<js_sys::Function>,
    file_complete: Option<js_sys::Function>,
    file_error: Option<js_sys::Function>,
}

struct Inner {
    engine: Rc<Engine>,
    /// Every file's options (`onProgress` and `onStateChange` taken out).
    options: UploadOptions,
    callbacks: Callbacks,
    entries: RefCell<Vec<Entry>>,
    progress: RefCell<BatchProgress>,
    /// `result` promises waiting for every file to end.
    waiting: RefCell<Vec<js_sys::Function>>,
    /// Uploads made but not started yet (their turn to wait in the queue
    /// comes a task later), and whether a task is starting them.
    unstarted: RefCell<VecDeque<LocalBoxFuture<'static, ()>>>,
    starting: Cell<bool>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("files", &self.entries.borrow().len())
            .finish_non_exhaustive()
    }
}

struct Entry {
    file: Blob,
    /// The current attempt's handle.
    upload: Option<Upload>,
    /// How the current attempt ended; `None` while it runs or waits.
    outcome: Option<Result<JsValue, UploadError>>,
}

impl Batch {
    /// Starts `files` with `options` through the uploader's queue.
    pub fn start(
        engine: Rc<Engine>,
        files: &JsValue,
        options: &JsValue,
    ) -> Result<Self, UploadError> {
        let blobs = blobs(files)?;
        let (options, callbacks) = batch_options(options)?;
        let inner = Rc::new(Inner {
            engine,
            options,
            callbacks,
            entries: RefCell::new(Vec::new()),
            progress: RefCell::new(BatchProgress::new(MIN_INTERVAL_MS)),
            waiting: RefCell::new(Vec::new()),
            unstarted: RefCell::new(VecDeque::new()),
            starting: Cell::new(false),
        });
        Inner::add(&inner, blobs)?;
        Ok(Self { inner })
    }
}

#[wasm_bindgen]
impl Batch {
    /// Files in the batch.
    ///
    /// @example
    /// ```js
    /// console.log(`${batch.length} files`);
    /// ```
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> u32 {
        self.inner.entries.borrow().len() as u32
    }

    /// The batch's progress now (as `onProgress` receives it).
    ///
    /// @example
    /// ```js
    /// const { files, loaded, total } = batch.progress;
    /// console.log(`${files.done}/${files.total} files, ${loaded} of ${total} bytes`);
    /// ```
    #[wasm_bindgen(getter, unchecked_return_type = "BatchProgress")]
    pub fn progress(&self) -> JsValue {
        let report = self.inner.progress.borrow().snapshot();
        results::to_js(&report).unwrap_or(JsValue::NULL)
    }

    /// The handle of file `index`'s upload (its current attempt, after a
    /// retry): its state, `pause()`, `resume()`, `abort()`, `result`.
    ///
    /// @example
    /// ```js
    /// batch.upload(0)?.abort();
    /// ```
    pub fn upload(&self, index: u32) -> Option<Upload> {
        let entries = self.inner.entries.borrow();
        entries.get(index as usize).and_then(|e| e.upload.clone())
    }

    /// Adds files to the batch (they wait their turn like the others);
    /// returns the index of the first added.
    ///
    /// @example
    /// ```js
    /// dropZone.ondrop = (e) => batch.add(e.dataTransfer.files);
    /// ```
    pub fn add(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Iterable<Blob> | ArrayLike<Blob>")] files: JsValue,
    ) -> Result<u32, JsValue> {
        let first = self.inner.entries.borrow().len() as u32;
        Inner::add(&self.inner, blobs(&files)?)?;
        Ok(first)
    }

    /// Pauses every file that has not ended (waiting files do not start).
    ///
    /// @example
    /// ```js
    /// window.addEventListener("offline", () => batch.pause());
    /// ```
    pub fn pause(&self) {
        for upload in self.inner.uploads() {
            upload.pause();
        }
    }

    /// Resumes every paused file.
    ///
    /// @example
    /// ```js
    /// window.addEventListener("online", () => batch.resume());
    /// ```
    pub fn resume(&self) {
        for upload in self.inner.uploads() {
            upload.resume();
        }
    }

    /// Cancels every file that has not ended: waiting files never start,
    /// running ones are aborted (multipart uploads aborted in the store).
    ///
    /// @example
    /// ```js
    /// cancelAll.onclick = () => batch.cancel();
    /// ```
    pub fn cancel(&self) {
        for upload in self.inner.uploads() {
            upload.abort();
        }
    }

    /// Starts file `index` again if it failed or was cancelled; returns
    /// whether it did.
    ///
    /// @example
    /// ```js
    /// retryButton.onclick = () => batch.retry(3);
    /// ```
    pub fn retry(&self, index: u32) -> bool {
        let index = index as usize;
        let ended_badly = {
            let entries = self.inner.entries.borrow();
            matches!(entries.get(index).map(|e| &e.outcome), Some(Some(Err(_))))
        };
        if ended_badly {
            Inner::start_file(&self.inner, index, true);
        }
        ended_badly
    }

    /// Starts every failed file again (not the cancelled ones); returns how
    /// many.
    ///
    /// @example
    /// ```js
    /// retryButton.onclick = () => batch.retryFailed();
    /// ```
    #[wasm_bindgen(js_name = retryFailed)]
    pub fn retry_failed(&self) -> u32 {
        let failed: Vec<usize> = {
            let entries = self.inner.entries.borrow();
            (0..entries.len())
                .filter(|&i| {
                    matches!(&entries[i].outcome, Some(Err(e)) if e.code() != ErrorCode::Aborted)
                })
                .collect()
        };
        for &index in &failed {
            Inner::start_file(&self.inner, index, true);
        }
        failed.len() as u32
    }

    /// Resolves once every file of the batch has ended (stored, failed or
    /// cancelled), with the final progress and each file's end: `{ state:
    /// "done", result }` or `{ state: "failed" | "aborted", error }`. Never
    /// rejects.
    ///
    /// @example
    /// ```js
    /// const { files, progress } = await batch.result;
    /// const failed = files.filter((f) => f.state === "failed").map((f) => f.error.code);
    /// ```
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<BatchResult>")]
    pub fn result(&self) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        js_sys::Promise::new(&mut |resolve, _reject| {
            inner.waiting.borrow_mut().push(resolve);
            inner.resolve_if_settled();
        })
    }
}

impl Inner {
    fn add(inner: &Rc<Self>, files: Vec<Blob>) -> Result<(), UploadError> {
        let first = inner.entries.borrow().len();
        {
            let mut entries = inner.entries.borrow_mut();
            let mut progress = inner.progress.borrow_mut();
            for file in files {
                progress.add(crate::web::blob_reader::blob_size(&file));
                entries.push(Entry {
                    file,
                    upload: None,
                    outcome: None,
                });
            }
        }
        let last = inner.entries.borrow().len();
        for index in first..last {
            Inner::start_file(inner, index, false);
        }
        Ok(())
    }

    /// Starts the unstarted uploads, [`STARTS_PER_TASK`] a task.
    fn start_later(inner: &Rc<Self>, upload: LocalBoxFuture<'static, ()>) {
        inner.unstarted.borrow_mut().push_back(upload);
        if inner.starting.replace(true) {
            return;
        }
        let weak = Rc::downgrade(inner);
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let _ = timer::sleep(0, None).await;
                let Some(inner) = weak.upgrade() else {
                    return;
                };
                let next: Vec<_> = {
                    let mut unstarted = inner.unstarted.borrow_mut();
                    let n = unstarted.len().min(STARTS_PER_TASK);
                    unstarted.drain(..n).collect()
                };
                if next.is_empty() {
                    inner.starting.set(false);
                    return;
                }
                for upload in next {
                    wasm_bindgen_futures::spawn_local(upload);
                }
            }
        });
    }

    /// The handles of every file that has not ended.
    fn uploads(&self) -> Vec<Upload> {
        let entries = self.entries.borrow();
        entries
            .iter()
            .filter(|e| e.outcome.is_none())
            .filter_map(|e| e.upload.clone())
            .collect()
    }

    /// Starts (or starts again) file `index`: its handle at once, its
    /// upload `now` or a task later.
    fn start_file(inner: &Rc<Self>, index: usize, now: bool) {
        let weak = Rc::downgrade(inner);
        let on_state: StateSink = Rc::new({
            let weak = Weak::clone(&weak);
            move |state| {
                if let Some(inner) = weak.upgrade() {
                    inner.file_state(index, state);
                }
            }
        });
        let on_progress: ProgressSink = Rc::new({
            let weak = Weak::clone(&weak);
            move |report| {
                if let Some(inner) = weak.upgrade() {
                    inner.file_progress(index, report);
                }
            }
        });
        let options = &inner.options;
        let control = inner.engine.control(ControlOptions {
            signal: options.signal.clone(),
            on_state: Some(on_state),
            abort_in_flight_on_pause: options.abort_in_flight_on_pause,
            progress: Some(Rc::new(ProgressReporter::new(Some(on_progress)))),
        });
        let file = inner.entries.borrow()[index].file.clone();
        let (control, running) = match control {
            Ok(control) => {
                let control = Rc::new(control);
                let prepared = Ok((file, options.clone()));
                let running = inner.engine.launch(prepared, Rc::clone(&control));
                (control, running)
            }
            Err(e) => {
                inner.file_state(index, UploadState::Failed);
                inner.settled(index, Err(e));
                return;
            }
        };
        let (result, settle) = deferred();
        {
            let mut entries = inner.entries.borrow_mut();
            entries[index].upload = Some(Upload::new(control, result));
            entries[index].outcome = None;
        }
        inner.file_state(index, UploadState::Queued);
        // A running file keeps its batch alive: a page may drop the Batch
        // and keep only `result`, which must still settle.
        let batch = Rc::clone(inner);
        let upload = Box::pin(async move {
            let outcome = running.await.and_then(|stored| results::to_js(&stored));
            settle(&outcome);
            batch.settled(index, outcome);
        });
        match now {
            true => wasm_bindgen_futures::spawn_local(upload),
            false => Inner::start_later(inner, upload),
        }
    }

    fn file_state(&self, index: usize, state: UploadState) {
        let report = self
            .progress
            .borrow_mut()
            .state_changed(index, state, now_ms());
        if report.is_none() {
            return;
        }
        self.emit(report);
        let state = JsValue::from_str(state.as_str());
        call(
            &self.callbacks.file_state,
            &state,
            index,
            "onFileStateChange",
        );
    }

    fn file_progress(&self, index: usize, report: &ProgressReport) {
        let sent = match report.progress.phase {
            Phase::Uploading | Phase::Verifying | Phase::Done => Some(report.progress.loaded),
            Phase::Hashing | Phase::Signing => None,
        };
        if let Some(sent) = sent {
            let batch = self.progress.borrow_mut().sent(index, sent, now_ms());
            self.emit(batch);
        }
        if self.callbacks.file_progress.is_some() {
            if let Some(value) = report.to_js() {
                call(
                    &self.callbacks.file_progress,
                    &value,
                    index,
                    "onFileProgress",
                );
            }
        }
    }

    fn settled(&self, index: usize, outcome: Result<JsValue, UploadError>) {
        let (callback, value, name) = match &outcome {
            Ok(result) => (
                &self.callbacks.file_complete,
                result.clone(),
                "onFileComplete",
            ),
            Err(error) => (&self.callbacks.file_error, error.to_js(), "onFileError"),
        };
        if let Some(entry) = self.entries.borrow_mut().get_mut(index) {
            entry.outcome = Some(outcome);
        }
        call(callback, &value, index, name);
        self.resolve_if_settled();
    }

    fn emit(&self, report: Option<BatchReport>) {
        let (Some(callback), Some(report)) = (&self.callbacks.progress, report) else {
            return;
        };
        if let Ok(value) = results::to_js(&report) {
            if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &value) {
                web_sys::console::error_2(&"presigned-upload: onProgress threw".into(), &thrown);
            }
        }
    }

    /// Resolves the `result` promises if every file has ended.
    fn resolve_if_settled(&self) {
        if self.waiting.borrow().is_empty() {
            return;
        }
        let summary = {
            let entries = self.entries.borrow();
            if entries.iter().any(|e| e.outcome.is_none()) {
                return;
            }
            summary(&entries, self.progress.borrow().snapshot())
        };
        let waiting: Vec<js_sys::Function> = self.waiting.borrow_mut().drain(..).collect();
        for resolve in waiting {
            let _ = resolve.call1(&JsValue::UNDEFINED, &summary);
        }
    }
}

/// `{ progress, files: [{ state, result | error }] }`.
fn summary(entries: &[Entry], progress: BatchReport) -> JsValue {
    let files = js_sys::Array::new();
    for entry in entries {
        let item = js_sys::Object::new();
        let (state, key, value) = match &entry.outcome {
            Some(Ok(result)) => (UploadState::Done, "result", result.clone()),
            Some(Err(e)) if e.code() == ErrorCode::Aborted => {
                (UploadState::Aborted, "error", e.to_js())
            }
            Some(Err(e)) => (UploadState::Failed, "error", e.to_js()),
            None => continue,
        };
        let _ = js_sys::Reflect::set(&item, &"state".into(), &state.as_str().into());
        let _ = js_sys::Reflect::set(&item, &key.into(), &value);
        files.push(&item);
    }
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"files".into(), &files);
    let progress = results::to_js(&progress).unwrap_or(JsValue::NULL);
    let _ = js_sys::Reflect::set(&out, &"progress".into(), &progress);
    out.into()
}

/// Calls a file callback as `callback(value, index)`; what it throws is
/// logged.
fn call(callback: &Option<js_sys::Function>, value: &JsValue, index: usize, name: &str) {
    let Some(callback) = callback else {
        return;
    };
    if let Err(thrown) = callback.call2(&JsValue::UNDEFINED, value, &JsValue::from(index as u32)) {
        web_sys::console::error_2(&format!("presigned-upload: {name} threw").into(), &thrown);
    }
}

/// A promise, and the function that settles it with an upload's outcome.
/// Its rejection is marked handled: a batch's caller need not await every
/// file's handle.
fn deferred() -> (js_sys::Promise, impl FnOnce(&Result<JsValue, UploadError>)) {
    let mut settle = None;
    let promise = js_sys::Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    HANDLED.with(|handled| {
        let _ = promise.catch(handled);
    });
    let finish = move |outcome: &Result<JsValue, UploadError>| {
        let Some((resolve, reject)) = settle else {
            return;
        };
        let _ = match outcome {
            Ok(value) => resolve.call1(&JsValue::UNDEFINED, value),
            Err(error) => reject.call1(&JsValue::UNDEFINED, &error.to_js()),
        };
    };
    (promise, finish)
}

thread_local! {
    /// A rejection handler that does nothing (one for every batch).
    static HANDLED: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
}

/// The files of `uploadAll(files)`: an array, a `FileList` or any iterable.
fn blobs(files: &JsValue) -> Result<Vec<Blob>, UploadError> {
    let not_files = || {
        UploadError::bad_request(
            "uploadAll() needs an array, a FileList or an iterable of Files or Blobs",
        )
    };
    if !files.is_object() {
        return Err(not_files());
    }
    let list = js_sys::Array::from(files);
    list.iter()
        .enumerate()
        .map(|(i, file)| {
            as_blob(file).map_err(|_| {
                UploadError::bad_request(format!("uploadAll(): item {i} is not a File or Blob"))
            })
        })
        .collect()
}

/// The options every file gets, and the batch's callbacks.
fn batch_options(value: &JsValue) -> Result<(UploadOptions, Callbacks), UploadError> {
    let mut options = UploadOptions::from_js(value)?;
    if options.on_state_change.is_some() {
        return Err(UploadError::bad_request(
            "uploadAll(): options.onStateChange is for one upload; give onFileStateChange(state, index)",
        ));
    }
    let function = |name: &str| -> Result<Option<js_sys::Function>, UploadError> {
        if value.as_string().is_some() {
            return Ok(None);
        }
        field(value, name)?
            .map(|v| {
                v.dyn_into::<js_sys::Function>().map_err(|_| {
                    UploadError::bad_request(format!("options.{name} must be a function"))
                })
            })
            .transpose()
    };
    let callbacks = Callbacks {
        progress: options.on_progress.take(),
        file_progress: function("onFileProgress")?,
        file_state: function("onFileStateChange")?,
        file_complete: function("onFileComplete")?,
        file_error: function("onFileError")?,
    };
    Ok((options, callbacks))
}
