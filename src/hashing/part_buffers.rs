//! Parts read whole for WebCrypto's one-shot digest, into reused buffers:
//! `blob.stream()` read with a BYOB reader straight into a spare
//! `ArrayBuffer` of this thread (a worker, or the page), handed back after
//! the digest. `Blob.slice(…).arrayBuffer()` per part left one part-sized
//! buffer behind each time, collected late by a busy worker: in Chromium 156
//! the renderer drifted up by about 40 MiB more on a 4 GiB upload than on a
//! 1 GiB one (bench/browser/memory.mjs). At most [`KEEP`] buffers are kept:
//! the jobs a worker runs at once.

use crate::error::UploadError;
use crate::web::blob_reader::{byob_read, byob_reader};
use presign_core::upload::hash_strategy;
use std::cell::RefCell;
use web_sys::Blob;

/// Spare buffers kept per thread: the most jobs a worker runs at once
/// ([`hash_strategy::CHECKSUM_JOBS_PER_WORKER`]; an upload's two take no
/// more than two).
const KEEP: usize = hash_strategy::CHECKSUM_JOBS_PER_WORKER;

thread_local! {
    static SPARE: RefCell<Vec<js_sys::ArrayBuffer>> = const { RefCell::new(Vec::new()) };
}

/// `blob` (`len` bytes) read into a spare buffer: a view of its bytes, to
/// hand back with [`give_back`]. `None` where blobs are not byte streams
/// (the caller reads it another way).
pub async fn read(blob: &Blob, len: u32) -> Result<Option<js_sys::Uint8Array>, UploadError> {
    let Some(reader) = byob_reader(blob) else {
        return Ok(None);
    };
    let mut buffer = take(len);
    let mut filled = 0;
    while filled < len {
        let view =
            js_sys::Uint8Array::new_with_byte_offset_and_length(&buffer, filled, len - filled);
        let Some(value) = byob_read(&reader, &view).await? else {
            break;
        };
        // The read moved the buffer into `value`: take it back.
        buffer = value.buffer();
        if value.length() == 0 {
            break;
        }
        filled += value.length();
    }
    if filled != len {
        // The buffer may have gone with the last read: not kept.
        let _ = reader.cancel();
        return Err(UploadError::bad_request(
            "the file changed while it was being read",
        ));
    }
    Ok(Some(js_sys::Uint8Array::new_with_byte_offset_and_length(
        &buffer, 0, len,
    )))
}

/// Returns the buffer under `view` for the next part.
pub fn give_back(view: js_sys::Uint8Array) {
    SPARE.with(|spare| {
        let mut spare = spare.borrow_mut();
        if spare.len() < KEEP {
            spare.push(view.buffer());
        }
    });
}

/// A spare buffer of at least `len` bytes, or a new one.
fn take(len: u32) -> js_sys::ArrayBuffer {
    SPARE.with(|spare| {
        let mut spare = spare.borrow_mut();
        match spare.iter().position(|b| b.byte_length() >= len) {
            Some(i) => spare.swap_remove(i),
            None => js_sys::ArrayBuffer::new(len),
        }
    })
}
