//! What S3 imposes and computes, without talking to it: size and part limits,
//! the part plan of a multipart upload, SHA-256 digests as S3 encodes them,
//! and the composite checksum of a multipart object.

pub mod composite_checksum;
pub mod digest;
pub mod limits;
pub mod part_plan;
