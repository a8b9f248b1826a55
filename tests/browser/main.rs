//! The browser client in headless Chromium against a real `presign-server --dev`
//! (signer + embedded store), whose base URL is baked in at compile time:
//!
//! ```sh
//! PRESIGN_ENDPOINT=http://127.0.0.1:PORT CHROMEDRIVER=/usr/bin/chromedriver \
//!   wasm-pack test --headless --chrome -- --test browser
//! ```
//!
//! The multipart and fault tests also need the fault proxies
//! (`tests/support/fault-proxy`, a Rust crate) and a second signer with short-lived URLs:
//! `scripts/test` starts them all and sets `PRESIGN_FAULT_PROXY`,
//! `PRESIGN_ENDPOINT_SHORT_EXPIRY` and `PRESIGN_FAULT_PROXY_SHORT_EXPIRY`.
#![cfg(target_arch = "wasm32")]

mod backpressure;
mod batch;
mod faults;
mod form_post;
mod metadata;
mod multipart;
mod page_signer;
mod pause;
mod resume;
mod single_put;
mod support;
mod token;
mod unchecked;
mod workers;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
