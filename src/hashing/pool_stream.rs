//! The whole file's SHA-256 in a hash worker: one stream per upload, its
//! ranges posted in file order to the pool's first live worker, which
//! answers the digest after the last.

use crate::hashing::protocol::{BlobRange, Request};
use crate::hashing::worker_pool::{JobError, Shared, WorkerPool};
use presign_core::Sha256Digest;
use std::fmt;
use std::rc::Rc;
use web_sys::AbortSignal;

/// The whole file's SHA-256, fed range after range in file order to one
/// worker. Dropped unfinished, the worker forgets it.
pub struct PoolStream {
    shared: Rc<Shared>,
    slot: usize,
    stream: u32,
    finished: bool,
}

impl fmt::Debug for PoolStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolStream")
            .field("slot", &self.slot)
            .field("stream", &self.stream)
            .finish()
    }
}

impl PoolStream {
    /// A stream on the pool's first live worker; `None` without one.
    pub(super) fn open(pool: &WorkerPool) -> Option<Self> {
        let shared = pool.shared();
        let slot = shared.open_stream()?;
        Some(Self {
            shared: Rc::clone(shared),
            slot,
            stream: shared.id(),
            finished: false,
        })
    }

    /// Queues the next range; `Lost` when the worker died meanwhile.
    pub fn feed(&self, range: BlobRange) -> Result<(), JobError> {
        let (_, request) = self.request(range, false)?;
        self.shared
            .post(self.slot, &request)
            .map_err(|_| JobError::Lost)
    }

    /// Ends the stream with `last` (an empty range at its end will do) and
    /// waits for its digest. Aborted, the worker forgets the stream.
    pub async fn finish(
        mut self,
        last: BlobRange,
        signal: &AbortSignal,
    ) -> Result<Sha256Digest, JobError> {
        let (id, request) = self.request(last, true)?;
        let reply = self.shared.send(self.slot, id, false, None, &request);
        let digest = self.shared.answer(id, reply, signal).await;
        // Answered (or its worker lost): the worker has forgotten it.
        self.finished = !matches!(digest, Err(JobError::Failed(_)));
        digest
    }

    /// The message that feeds `range`, and its job id.
    fn request(&self, range: BlobRange, last: bool) -> Result<(u32, Request), JobError> {
        if !self.shared.is_alive(self.slot) {
            return Err(JobError::Lost);
        }
        let id = self.shared.id();
        let request = Request::Stream {
            id,
            stream: self.stream,
            range,
            last,
        };
        Ok((id, request))
    }
}

impl Drop for PoolStream {
    fn drop(&mut self) {
        self.shared.close_stream();
        if !self.finished {
            let request = Request::DropStream {
                stream: self.stream,
            };
            let _ = self.shared.post(self.slot, &request);
        }
    }
}
