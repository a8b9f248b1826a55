//! The work itself: the SHA-256 of one byte range of a blob, by the method
//! the core chose — the same code in a hash worker and on the main thread.

use crate::error::UploadError;
use crate::hashing::part_buffers;
use crate::hashing::protocol::BlobRange;
use crate::hashing::webcrypto;
use crate::web::blob_reader::{self, BlobReader, CHUNK_SIZE};
use presign_core::upload::hash_strategy::DigestMethod;
use presign_core::{Sha256Digest, Sha256Hasher};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Checked between chunks: `Err` stops the work (an abort, a cancel).
pub type Live<'a> = &'a dyn Fn() -> Result<(), UploadError>;
/// Told the bytes read so far, after every chunk.
pub type Progress<'a> = &'a dyn Fn(u64);

/// The digest of `range` by `method`.
pub async fn digest(
    range: &BlobRange,
    method: DigestMethod,
    live: Live<'_>,
    progress: Progress<'_>,
) -> Result<Sha256Digest, UploadError> {
    match method {
        DigestMethod::OneShot => {
            let digest = one_shot(range).await?;
            progress(range.end - range.start);
            Ok(digest)
        }
        DigestMethod::Streamed => {
            let mut hasher = Sha256Hasher::new();
            stream(range, &mut [&mut hasher], live, progress).await?;
            Ok(hasher.finish())
        }
    }
}

/// The range read whole into an `ArrayBuffer` (never into wasm memory; a
/// reused one where blobs are byte streams, see [`part_buffers`]) and
/// digested by WebCrypto.
pub async fn one_shot(range: &BlobRange) -> Result<Sha256Digest, UploadError> {
    let slice = blob_reader::slice(&range.blob, range.start, range.end)?;
    if let Ok(len) = u32::try_from(range.end - range.start) {
        if let Some(view) = part_buffers::read(&slice, len).await? {
            let digest = webcrypto::sha256(&view).await;
            part_buffers::give_back(view);
            return digest;
        }
    }
    let buffer = JsFuture::from(slice.array_buffer())
        .await
        .map_err(|e| blob_reader::unreadable(&e))?;
    let buffer: js_sys::ArrayBuffer = buffer.unchecked_into();
    if u64::from(buffer.byte_length()) != range.end - range.start {
        return Err(changed());
    }
    webcrypto::sha256(&buffer).await
}

/// Feeds the range chunk by chunk into every hasher of `into` (a part's and
/// the whole file's, read once for both).
pub async fn stream(
    range: &BlobRange,
    into: &mut [&mut Sha256Hasher],
    live: Live<'_>,
    progress: Progress<'_>,
) -> Result<(), UploadError> {
    let slice = blob_reader::slice(&range.blob, range.start, range.end)?;
    let mut reader = BlobReader::new(&slice, CHUNK_SIZE);
    let mut read = 0;
    while let Some(chunk) = reader.next_chunk().await? {
        live()?;
        for hasher in into.iter_mut() {
            hasher.update(chunk);
        }
        read += chunk.len() as u64;
        progress(read);
    }
    if read != range.end - range.start {
        return Err(changed());
    }
    Ok(())
}

fn changed() -> UploadError {
    UploadError::bad_request("the file changed while it was being read")
}
