//! What the server knows and decides, apart from HTTP: each module owns one
//! concept and answers its own error type; the API maps those to HTTP
//! answers ([`crate::http::error`]).
//!
//! - [`upload_sessions`]: the open multipart uploads;
//! - [`create_intents`]: what a multipart create is about to open in the
//!   store, until its upload is registered;
//! - [`records`]: the completed uploads;
//! - [`upload_policy`]: what may be uploaded (types, sizes, lifetimes);
//! - [`download`]: how a download is shown (attachment or inline);
//! - [`quota`]: how many bytes each user may hold;
//! - [`rate_limit`]: requests per user;
//! - [`gc`]: the stale-upload collector;
//! - [`webhook`]: the signed POST per completed upload, from an outbox.

pub mod create_intents;
pub mod download;
pub mod gc;
pub mod quota;
pub mod rate_limit;
pub mod records;
pub mod upload_policy;
pub mod upload_sessions;
pub mod webhook;
