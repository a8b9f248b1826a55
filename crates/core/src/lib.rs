//! Sans-IO core of presigned-upload.
//!
//! Everything here is pure: no sockets, no clocks, no randomness. The browser
//! client (the wasm crate) and the signer (`presign-server`) are thin IO shells
//! around these modules:
//!
//! - [`protocol`]: the JSON between client and signer, every wire type and
//!   error code, once;
//! - [`s3`]: what S3 imposes and computes: limits, part plans, SHA-256
//!   digests, the composite checksum;
//! - [`keys`]: object keys under each user's prefix, file types, file names;
//! - [`upload`]: the client's decisions, with time and randomness passed in:
//!   states, retries and waits, the queue's slots, progress, resume state,
//!   hashing strategy.

pub mod keys;
pub mod protocol;
pub mod s3;
pub mod upload;

pub use keys::object_key::{KeyDate, ObjectKey, UserId};
pub use protocol::error::ErrorCode;
pub use s3::digest::{Sha256Digest, Sha256Hasher};
