//! presigned-upload: browser uploads straight to S3-compatible storage through
//! presigned URLs, with SHA-256 checksums, progress and cancellation.
//!
//! JavaScript sees the classes [`Uploader`], [`Upload`] and [`Batch`]; see
//! their documentation. The logic that needs no browser lives in
//! `presign-core`; this crate is the IO shell around it:
//!
//! - `api`: what JavaScript sees: the classes, their options read from JS
//!   objects, results, errors and the TypeScript declarations;
//! - `upload`: one upload from its turn in the queue to its verified end:
//!   the attempt loop every request goes through, single and multipart
//!   uploads, controls, progress;
//! - `transport`: one request at a time: the signer's JSON API (with its
//!   batching) and the store's presigned PUTs and POSTs;
//! - `hashing`: SHA-256 of files and parts, in Web Workers;
//! - `web`: the browser's primitives: timers, clocks, randomness, abort
//!   signals, listeners, blobs, IndexedDB.

mod api;
mod error;
mod hashing;
mod transport;
mod upload;
mod web;

pub use api::batch::Batch;
pub use api::upload_handle::Upload;
pub use api::uploader::Uploader;
