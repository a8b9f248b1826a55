//! Reads a `Blob` (or `File`) in fixed-size chunks: memory stays at one
//! chunk whatever the file's size, and every chunk is an `await`, so the page
//! keeps handling events.
//!
//! Where the browser streams blobs as bytes (Chromium, Firefox, Safari 16+),
//! `blob.stream()` is read with a BYOB reader into one reused 1 MiB
//! `ArrayBuffer`. Reading `Blob.slice(…).arrayBuffer()` chunk after chunk
//! (the fallback) leaves a fresh buffer behind per chunk, and a worker busy
//! hashing collects them late: measured in Chromium 156 over 1 GiB, the
//! renderer grew by about 190 MiB that way, by 16 MiB with BYOB
//! (bench/browser/memory.mjs measures the uploader's peak).

use crate::error::UploadError;
use presign_core::s3::limits::MIB;
use std::fmt;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableStreamByobReader};

/// 4 MiB: about 25 ms of SHA-256 in wasm, so the page stays responsive and an
/// abort is noticed quickly, with few enough round trips to stay fast.
pub const CHUNK_SIZE: u64 = 4 * MIB;

/// What the BYOB reader reads into: 1 MiB, handed back and forth.
const BYOB_BUFFER: u32 = 1 << 20;

/// Sequential chunk reader over one blob; the buffer is reused between chunks.
pub struct BlobReader {
    blob: Blob,
    size: u64,
    offset: u64,
    chunk_size: u64,
    buffer: Vec<u8>,
    /// `blob.stream()`'s BYOB reader and its buffer, where there is one.
    byob: Option<(ReadableStreamByobReader, js_sys::ArrayBuffer)>,
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        // Stopped early (an abort, an error): let the browser stop reading.
        if let Some((reader, _)) = &self.byob {
            if self.offset < self.size {
                let _ = reader.cancel();
            }
        }
    }
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
            byob: byob_reader(blob).map(|r| (r, js_sys::ArrayBuffer::new(BYOB_BUFFER))),
        }
    }

    /// The next chunk, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<&[u8]>, UploadError> {
        if self.offset >= self.size {
            return Ok(None);
        }
        let end = self.size.min(self.offset + self.chunk_size);
        if self.byob.is_some() {
            return self.next_streamed(end).await;
        }
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

impl BlobReader {
    /// The bytes up to `end` from the BYOB reader, into `buffer`.
    async fn next_streamed(&mut self, end: u64) -> Result<Option<&[u8]>, UploadError> {
        let want = (end - self.offset) as usize;
        self.buffer.resize(want, 0);
        let mut filled = 0;
        while filled < want {
            let Some((reader, spare)) = self.byob.as_mut() else {
                break;
            };
            let room = BYOB_BUFFER.min((want - filled) as u32);
            let view = js_sys::Uint8Array::new_with_byte_offset_and_length(spare, 0, room);
            let Some(value) = byob_read(reader, &view).await? else {
                break;
            };
            // The read moved the buffer into `value`: take it back for the next.
            *spare = value.buffer();
            let len = value.length() as usize;
            if len == 0 || filled + len > want {
                break;
            }
            value.copy_to(&mut self.buffer[filled..filled + len]);
            filled += len;
        }
        if filled != want {
            return Err(UploadError::bad_request(
                "the file changed while it was being read",
            ));
        }
        self.offset = end;
        Ok(Some(&self.buffer[..want]))
    }
}

/// One BYOB read into `view`: the bytes read, as a view on the buffer to
/// use next (the read moves `view`'s buffer), or `None` at the end.
pub async fn byob_read(
    reader: &ReadableStreamByobReader,
    view: &js_sys::Uint8Array,
) -> Result<Option<js_sys::Uint8Array>, UploadError> {
    let result = JsFuture::from(reader.read_with_array_buffer_view(view))
        .await
        .map_err(|e| unreadable(&e))?;
    let field =
        |name: &str| js_sys::Reflect::get(&result, &name.into()).map_err(|e| unreadable(&e));
    if field("done")?.is_truthy() {
        return Ok(None);
    }
    Ok(field("value")?.dyn_into::<js_sys::Uint8Array>().ok())
}

/// `blob.stream().getReader({ mode: "byob" })`, or `None` where the stream
/// is not a byte stream (or there is no `stream()`).
pub fn byob_reader(blob: &Blob) -> Option<ReadableStreamByobReader> {
    let has_stream = js_sys::Reflect::get(blob, &"stream".into())
        .ok()
        .is_some_and(|f| f.is_function());
    if !has_stream {
        return None;
    }
    let stream = blob.stream();
    let get_reader: js_sys::Function = js_sys::Reflect::get(&stream, &"getReader".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"mode".into(), &"byob".into()).ok()?;
    let reader: JsValue = get_reader.call1(&stream, &options).ok()?;
    Some(reader.unchecked_into())
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
