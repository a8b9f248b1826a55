//! presigned-upload: browser uploads straight to S3-compatible storage through
//! presigned URLs, with SHA-256 checksums, progress and cancellation.
//!
//! JavaScript sees one class, [`Uploader`]; see its documentation. The logic
//! that needs no browser lives in `presign-core`; this crate is the IO shell.

mod abort;
mod attempt;
mod batch;
mod batched_calls;
mod blob_reader;
mod checksums;
mod client_token;
mod form_post;
mod hashing;
mod job;
mod js_fields;
mod listener;
mod multipart;
mod options;
mod progress_reporter;
mod put_headers;
mod request_batch;
mod results;
mod resume_store;
mod retry;
mod signer_client;
mod single_put;
mod stall_watchdog;
mod store_error;
mod token_source;
mod typescript;
mod upload_control;
mod upload_error;
mod upload_handle;
mod upload_queue;
mod uploader;
mod verify;
mod xhr_put;

pub use batch::Batch;
pub use upload_handle::Upload;
pub use uploader::Uploader;
