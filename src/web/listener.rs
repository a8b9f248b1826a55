//! An event listener owned by a guard: added on creation, removed (and its
//! closure freed) on drop. Nothing is leaked with `Closure::forget`.

use std::fmt;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget};

/// Listens for `kind` events on `target` until dropped.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    // `Fn`, not `FnMut`: a handler may run again while it is running (an
    // `abort()` called from inside a progress handler dispatches events
    // synchronously), which a `FnMut` closure would refuse.
    closure: Closure<dyn Fn(Event)>,
}

impl Listener {
    pub fn new(
        target: &EventTarget,
        kind: &'static str,
        handler: impl Fn(Event) + 'static,
    ) -> Self {
        let closure = Closure::<dyn Fn(Event)>::new(handler);
        // addEventListener only throws for a non-callable listener.
        let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
        Self {
            target: target.clone(),
            kind,
            closure,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}
