//! Reading and hashing one part of the file.

use crate::abort;
use crate::blob_reader::{BlobReader, CHUNK_SIZE};
use crate::upload_error::UploadError;
use presign_core::{Sha256Digest, Sha256Hasher};
use web_sys::{AbortSignal, Blob};

/// SHA-256 of `file[start..end]`, read chunk by chunk; each chunk also goes
/// to `whole` when given.
pub async fn hash_range(
    file: &Blob,
    start: u64,
    end: u64,
    signal: &AbortSignal,
    mut whole: Option<&mut Sha256Hasher>,
) -> Result<Sha256Digest, UploadError> {
    let slice = file
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|_| UploadError::bad_request("the file could not be sliced into parts"))?;
    let mut reader = BlobReader::new(&slice, CHUNK_SIZE);
    let mut hasher = Sha256Hasher::new();
    while let Some(chunk) = reader.next_chunk().await? {
        abort::ensure_live(Some(signal))?;
        hasher.update(chunk);
        if let Some(whole) = whole.as_deref_mut() {
            whole.update(chunk);
        }
    }
    Ok(hasher.finish())
}
