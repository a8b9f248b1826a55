//! The JSON protocol between the browser client and the signer: every
//! request and answer of `/api/...`, the error body and its stable codes.
//! Field names follow the original design note's Flask API (`snake_case`).
//! With the signer's `openapi` feature each type also describes its schema.

pub mod batch;
pub mod client_token;
pub mod content_type;
pub mod error;
pub mod form;
pub mod metadata;
pub mod multipart;
pub mod query;
pub mod records;
pub mod single;
