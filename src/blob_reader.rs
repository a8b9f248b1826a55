//! Reads a `Blob` (or `File`) in fixed-size chunks with `Blob.slice` and
//! `arrayBuffer()`: memory stays at one chunk whatever the file's size, and
//! every chunk is an `await`, so the page keeps handling events.

use crate::upload_error::UploadError;
use presign_core::limits::MIB;
use std::fmt;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// 4 MiB: about 25 ms of SHA-256 in wasm, so the page stays responsive and an
/// abort is noticed quickly, with few enough round trips to stay fast.
pub const CHUNK_SIZE: u64 = 4 * MIB;

/// Sequential chunk reader over one blob; the buffer is reused between chunks.
pub struct BlobReader {
    blob: Blob,
    size: u64,
    offset: u64,
    chunk_size: u64,
    buffer: Vec<u8>,
}

impl fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobReader")
            .field("size", &self.size)
            .field("offset", &self.offset)
            .field("chunk_size", &self.chunk_size)
            .finish()
    }
}

impl BlobReader {
    pub fn new(blob: &Blob, chunk_size: u64) -> Self {
        Self {
            blob: blob.clone(),
            size: blob_size(blob),
            offset: 0,
            chunk_size: chunk_size.max(1),
            buffer: Vec::new(),
        }
    }

    /// The next chunk, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<&[u8]>, UploadError> {
        if self.offset >= self.size {
            return Ok(None);
        }
        let end = self.size.min(self.offset + self.chunk_size);
        // Offsets are below 2^53 (Blob sizes are JS numbers), so f64 is exact.
        let slice = self
            .blob
            .slice_with_f64_and_f64(self.offset as f64, end as f64)
            .map_err(|e| unreadable(&e))?;
        let buffer = JsFuture::from(slice.array_buffer())
            .await
            .map_err(|e| unreadable(&e))?;
        let bytes = js_sys::Uint8Array::new(&buffer);
        let len = bytes.length() as usize;
        if len as u64 != end - self.offset {
            return Err(UploadError::bad_request(
                "the file changed while it was being read",
            ));
        }
        self.buffer.resize(len, 0);
        bytes.copy_to(&mut self.buffer[..len]);
        self.offset = end;
        Ok(Some(&self.buffer[..len]))
    }
}

/// A blob's size in bytes.
pub fn blob_size(blob: &Blob) -> u64 {
    let size = blob.size();
    if size.is_finite() && size > 0.0 {
        size as u64
    } else {
        0
    }
}

/// `blob[start..end]` as a blob of its own.
pub fn slice(blob: &Blob, start: u64, end: u64) -> Result<Blob, UploadError> {
    // Offsets are below 2^53 (Blob sizes are JS numbers), so f64 is exact.
    blob.slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|_| UploadError::bad_request("the file could not be sliced into parts"))
}

/// A read that failed: the file was moved, changed or deleted.
pub fn unreadable(error: &wasm_bindgen::JsValue) -> UploadError {
    let detail = error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default();
    UploadError::bad_request(format!(
        "the file could not be read (was it moved, changed or deleted?): {detail}"
    ))
}
