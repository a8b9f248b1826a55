//! What JavaScript sees: the exported classes (`Uploader`, `Upload`,
//! `Batch`), their options read from forgiving JS objects into strict Rust
//! ones, the results as plain JS objects, and the TypeScript declarations.

pub mod batch;
pub mod js_fields;
pub mod options;
pub mod results;
mod typescript;
pub mod upload_handle;
pub mod uploader;
