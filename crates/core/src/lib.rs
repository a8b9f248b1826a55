//! Sans-IO core of presigned-upload.
//!
//! Everything here is pure: no sockets, no clocks, no randomness. The browser
//! client (the wasm crate) and the signer (`presign-server`) are thin IO shells
//! around these types, and share the JSON protocol defined in [`protocol`].

pub mod batch_progress;
pub mod batch_protocol;
pub mod client_token;
pub mod composite_checksum;
pub mod content_type;
pub mod digest;
pub mod error_code;
pub mod fair_slots;
pub mod file_type;
pub mod filename;
pub mod form_protocol;
pub mod hash_strategy;
pub mod limits;
pub mod multipart_progress;
pub mod multipart_protocol;
pub mod object_key;
pub mod part_plan;
pub mod progress;
pub mod protocol;
pub mod records_protocol;
pub mod resume_state;
pub mod retry_after;
pub mod retry_policy;
pub mod upload_state;
pub mod wait_clock;

pub use digest::{Sha256Digest, Sha256Hasher};
pub use error_code::ErrorCode;
pub use object_key::{KeyDate, ObjectKey, UserId};
