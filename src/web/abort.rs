//! Cancellation through the caller's `AbortSignal`.

use crate::error::UploadError;
use crate::web::listener::Listener;
use futures::channel::oneshot;
use std::cell::RefCell;
use std::fmt;
use web_sys::{AbortController, AbortSignal};

/// Fails with `aborted` if the signal has fired.
pub fn ensure_live(signal: Option<&AbortSignal>) -> Result<(), UploadError> {
    match signal {
        Some(s) if s.aborted() => Err(UploadError::aborted()),
        _ => Ok(()),
    }
}

/// Runs `handler` when the signal fires, for as long as the returned guard lives.
pub fn on_abort(signal: Option<&AbortSignal>, handler: impl Fn() + 'static) -> Option<Listener> {
    signal.map(|s| Listener::new(s, "abort", move |_| handler()))
}

/// Resolves when `signal` fires (at once if it has).
pub async fn fired(signal: &AbortSignal) {
    if signal.aborted() {
        return;
    }
    let (tx, rx) = oneshot::channel::<()>();
    let tx = RefCell::new(Some(tx));
    let _listening = on_abort(Some(signal), move || {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(());
        }
    });
    let _ = rx.await;
}

/// An internal `AbortController` that follows the caller's signal.
///
/// `fetch` rejects with the signal's `reason`, which a caller may set to any
/// value (`controller.abort("stop")`); our own controller always rejects with
/// a `DOMException` named `AbortError`, which the fetch wrapper can rely on.
pub struct LinkedAbort {
    controller: AbortController,
    _follow: Option<Listener>,
    _also: Option<Listener>,
}

impl LinkedAbort {
    /// Fails with `aborted` at once if the caller's signal already fired.
    pub fn new(signal: Option<&AbortSignal>) -> Result<Self, UploadError> {
        ensure_live(signal)?;
        let controller = AbortController::new()
            .map_err(|_| UploadError::bad_request("this environment has no AbortController"))?;
        let inner = controller.clone();
        let follow = on_abort(signal, move || inner.abort());
        Ok(Self {
            controller,
            _follow: follow,
            _also: None,
        })
    }

    /// Follows `signal` and also `other` (whichever fires first).
    pub fn either(signal: Option<&AbortSignal>, other: &AbortSignal) -> Result<Self, UploadError> {
        let mut linked = Self::new(signal)?;
        if other.aborted() {
            linked.abort();
        }
        let inner = linked.controller.clone();
        linked._also = on_abort(Some(other), move || inner.abort());
        Ok(linked)
    }

    pub fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    /// Aborts everything that follows this controller's signal.
    pub fn abort(&self) {
        self.controller.abort();
    }
}

impl fmt::Debug for LinkedAbort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkedAbort").finish_non_exhaustive()
    }
}
