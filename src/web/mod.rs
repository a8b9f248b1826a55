//! The browser's primitives, each behind a small Rust type: abortable
//! timers, clocks, randomness, `AbortSignal`s, event listeners that remove
//! themselves, whether the page is being left, reading `Blob`s, and IndexedDB
//! for resume state.

pub mod abort;
pub mod blob_reader;
pub mod clock;
pub mod listener;
pub mod page_lifecycle;
pub mod random;
pub mod resume_store;
pub mod stall_watchdog;
pub mod timer;
