//! The two clocks the client reads: `performance.now()` for durations
//! (monotonic; progress rates, URL lifetimes, waits) and `Date.now()` for
//! wall-clock times (saved resume state, `Retry-After` dates).

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: in windows, workers and Node alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Milliseconds from `performance.now()`.
pub fn now_ms() -> f64 {
    performance_now()
}

/// Milliseconds since the Unix epoch, from `Date.now()`.
pub fn unix_ms() -> f64 {
    js_sys::Date::now()
}

/// The wait a `Retry-After` header asks for now, in milliseconds (capped;
/// `None` for a missing or invalid one), see
/// [`presign_core::upload::retry_after`].
pub fn retry_after(header: Option<&str>) -> Option<u64> {
    header.and_then(|value| presign_core::upload::retry_after::parse(value, unix_ms()))
}
