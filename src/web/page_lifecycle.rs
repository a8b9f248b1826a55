//! Whether the page is being left (reloaded, closed, navigated away). While
//! a page is torn down the browser cuts off its reads, requests and
//! workers, and an upload then fails for the page's reasons, not its own:
//! such an upload, when it can resume, keeps its saved state for the next
//! page to continue.
//!
//! WebKit cuts off a `Blob` read as soon as a navigation starts, a few
//! milliseconds after `beforeunload` and before `pagehide`, and reports it
//! as a failed read ("The I/O read operation failed."). So the page counts
//! as leaving from `pagehide` until a `pageshow` (back from the
//! back/forward cache), and for [`AFTER_BEFOREUNLOAD_MS`] after a
//! `beforeunload`: a navigation can be cancelled after that event, or turn
//! into a download, and the page then lives on.
//!
//! The page is followed only while a [`Watch`] is held (by each multipart
//! upload that can resume): in some browsers a `beforeunload` listener keeps
//! a page out of the back/forward cache, so an idle uploader holds none.
//! Outside a window (a worker, Node) these events never fire, and the page
//! is never leaving.

use crate::web::clock;
use crate::web::listener::Listener;
use std::cell::{Cell, RefCell};
use std::fmt;
use wasm_bindgen::JsCast;
use web_sys::EventTarget;

/// How long a `beforeunload` alone counts as leaving. A torn-down read
/// fails within milliseconds of it; a page still here seconds later stayed.
pub const AFTER_BEFOREUNLOAD_MS: f64 = 5_000.0;

thread_local! {
    /// `pagehide` fired, and no `pageshow` since.
    static HIDDEN: Cell<bool> = const { Cell::new(false) };
    /// When the last `beforeunload` fired (`performance.now()`).
    static BEFOREUNLOAD_AT: Cell<Option<f64>> = const { Cell::new(None) };
    /// The [`Watch`]es held, and the listeners while there are any.
    static WATCHING: RefCell<(usize, Option<[Listener; 3]>)> = const { RefCell::new((0, None)) };
}

/// Follows the page's lifecycle events while held: the first one held adds
/// the listeners, the last one dropped removes them.
pub struct Watch(());

impl Watch {
    pub fn start() -> Self {
        WATCHING.with(|watching| {
            let (held, listeners) = &mut *watching.borrow_mut();
            *held += 1;
            if listeners.is_none() {
                *listeners = listen();
            }
        });
        Self(())
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Taken out first: the listeners' own drop must not run while the
        // cell is borrowed.
        let unheard = WATCHING.with(|watching| {
            let (held, listeners) = &mut *watching.borrow_mut();
            *held = held.saturating_sub(1);
            if *held > 0 {
                return None;
            }
            // Unheard from now on, so forgotten: the next upload starts on
            // a page that is shown (it runs).
            HIDDEN.with(|h| h.set(false));
            BEFOREUNLOAD_AT.with(|at| at.set(None));
            listeners.take()
        });
        drop(unheard);
    }
}

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch").finish_non_exhaustive()
    }
}

/// The three listeners on the global; `None` outside an `EventTarget`.
fn listen() -> Option<[Listener; 3]> {
    let global = js_sys::global().dyn_into::<EventTarget>().ok()?;
    Some([
        Listener::new(&global, "beforeunload", |_| {
            BEFOREUNLOAD_AT.with(|at| at.set(Some(clock::now_ms())));
        }),
        Listener::new(&global, "pagehide", |_| HIDDEN.with(|h| h.set(true))),
        Listener::new(&global, "pageshow", |_| {
            HIDDEN.with(|h| h.set(false));
            BEFOREUNLOAD_AT.with(|at| at.set(None));
        }),
    ])
}

/// Whether the page is being left now (see the module's description).
pub fn leaving() -> bool {
    counts_as_leaving(
        HIDDEN.with(Cell::get),
        BEFOREUNLOAD_AT.with(Cell::get),
        clock::now_ms(),
    )
}

/// Hidden, or a `beforeunload` (at `beforeunload_at`) less than
/// [`AFTER_BEFOREUNLOAD_MS`] before `now_ms`.
fn counts_as_leaving(hidden: bool, beforeunload_at: Option<f64>, now_ms: f64) -> bool {
    hidden || beforeunload_at.is_some_and(|at| now_ms - at < AFTER_BEFOREUNLOAD_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_or_just_after_a_beforeunload() {
        assert!(!counts_as_leaving(false, None, 10_000.0));
        assert!(counts_as_leaving(true, None, 10_000.0));
        assert!(counts_as_leaving(false, Some(9_990.0), 10_000.0));
        let stayed = 10_000.0 + AFTER_BEFOREUNLOAD_MS;
        assert!(!counts_as_leaving(false, Some(10_000.0), stayed));
        assert!(counts_as_leaving(true, Some(10_000.0), stayed));
    }
}
