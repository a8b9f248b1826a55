//! Limits S3 imposes (AWS's documentation of object sizes and multipart
//! upload limits).

pub const MIB: u64 = 1024 * 1024;
pub const GIB: u64 = 1024 * MIB;
pub const TIB: u64 = 1024 * GIB;

/// Largest object a single PUT may carry.
pub const MAX_SINGLE_PUT: u64 = 5 * GIB;
/// Smallest multipart part (all but the last).
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// Largest multipart part.
pub const MAX_PART_SIZE: u64 = 5 * GIB;
/// Highest part number.
pub const MAX_PARTS: u64 = 10_000;
/// Largest object S3 stores (5 TiB; fewer than `MAX_PARTS` parts of
/// `MAX_PART_SIZE` reach it).
pub const MAX_OBJECT_SIZE: u64 = 5 * TIB;
/// Longest lifetime of a SigV4 presigned URL (7 days).
pub const MAX_PRESIGN_EXPIRY_SECS: u64 = 604_800;
/// Longest object key, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
