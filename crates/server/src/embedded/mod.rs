//! The development store (`--dev`): s3s-fs, an S3-compatible store on a
//! folder, served in-process over real HTTP, answering as S3 where s3s-fs
//! alone would not.
//!
//! - [`store`]: starting it on its own loopback port (and stopping it);
//! - [`cors`]: its CORS, as a bucket CORS rule would give on S3;
//! - [`service`]: the S3 service, s3s-fs with the differences below;
//! - [`complete`]: CompleteMultipartUpload without reading the parts back;
//! - [`composite`]: a SHA-256 upload completes with S3's COMPOSITE checksum;
//! - [`list_uploads`]: ListMultipartUploads, from s3s-fs's files;
//! - [`storage_full`]: a full disk answers `507`, not `500`;
//! - [`cut_off_body`]: a body cut off before its length answers `400`, not `500`;
//! - [`io_cause`]: which I/O error caused a failure, for those two;
//! - [`write_once`]: `If-None-Match: *` writes, atomic per key;
//! - [`s3s_files`]: the names of the files s3s-fs keeps;
//! - [`dev_credentials`]: its key pair, kept in the data folder.

mod complete;
mod composite;
mod cors;
mod cut_off_body;
pub mod dev_credentials;
mod io_cause;
mod list_uploads;
mod s3s_files;
mod service;
mod storage_full;
mod store;
mod write_once;

pub use store::{max_key_bytes, EmbeddedStore, EmbeddedStoreError};
