//! Hashing off the main thread.
//!
//! Each `Uploader` has a small pool of dedicated workers ([`worker_pool`]),
//! started on its first upload or `checksums()` (which may grow it: an
//! upload leaves a core to the page, `checksums()` does not), that run this
//! same package — the same JS and the same .wasm — from `js/hash_worker.js`
//! ([`worker_main`]). The page posts a job (a `Blob` and a byte range:
//! posting a blob copies a handle, not bytes); the worker reads the range
//! itself and answers 32 bytes. Parts
//! are independent, so several are hashed at once on several workers; the
//! whole file's SHA-256 is one sequential stream, fed range after range in
//! file order to one worker, which parts avoid while others exist.
//!
//! Which digest a range gets is the core's decision
//! ([`presign_core::upload::hash_strategy`]): WebCrypto one-shot over a range held in
//! memory, sha2 (in wasm) for a range too big to hold and for the stream.
//! So is where: a one-shot range smaller than a part (a small file's single
//! PUT) is digested on the thread that asks, since its read and its digest
//! run off that thread anyway and a worker's round trip costs more.
//!
//! With `workers: 0`, where `Worker` does not exist (Node), or when the
//! workers cannot start or die, the same work runs on the main thread
//! ([`Hasher::main_thread`]), as it did before workers.

pub mod checksums;
pub mod digest_range;
mod part_buffers;
mod pool_stream;
pub mod protocol;
mod webcrypto;
mod worker_main;
mod worker_pool;

use crate::error::UploadError;
use crate::web::abort;
use futures::channel::oneshot;
use futures::future::LocalBoxFuture;
use futures::FutureExt;
use pool_stream::PoolStream;
use presign_core::upload::hash_strategy::{self, DigestMethod, DigestPreference, WorkerCounts};
use presign_core::{ErrorCode, Sha256Digest, Sha256Hasher};
pub use protocol::BlobRange;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use web_sys::{AbortSignal, Blob};
use worker_pool::{JobError, WorkerPool};

/// An uploader's hash workers, started on first use and kept until the
/// uploader is dropped (`uploader.free()`). Uploads and `checksums()` share
/// them, each using at most its own count ([`WorkerCounts`]): the pool grows
/// when `checksums()` may use more than were started.
pub struct Hashing {
    counts: WorkerCounts,
    module_url: Option<String>,
    state: Rc<RefCell<PoolState>>,
}

/// What a hasher is for, and so how many workers it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Uploads,
    Checksums,
}

enum PoolState {
    Idle,
    /// Being started; these wait for the outcome.
    Starting(Vec<oneshot::Sender<()>>),
    Ready(Rc<WorkerPool>),
    /// `workers: 0`, no `Worker` here, or none could start: the main thread.
    Off,
}

impl fmt::Debug for Hashing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hashing")
            .field("counts", &self.counts)
            .field("running", &self.running())
            .finish()
    }
}

impl Hashing {
    /// Up to `counts` hash workers (0: the main thread), loading the
    /// package's JS from `module_url` (`None`: where wasm-pack puts it).
    pub fn new(counts: WorkerCounts, module_url: Option<String>) -> Self {
        let any = counts.uploads.max(counts.checksums) > 0;
        let state = match any && worker_pool::workers_exist() {
            true => PoolState::Idle,
            false => PoolState::Off,
        };
        Self {
            counts,
            module_url,
            state: Rc::new(RefCell::new(state)),
        }
    }

    /// Workers running now.
    pub fn running(&self) -> u32 {
        match &*self.state.borrow() {
            PoolState::Ready(pool) => pool.len() as u32,
            _ => 0,
        }
    }

    /// A hasher for `purpose` on the pool (started, or grown to the
    /// purpose's count, now if it was not), or on the main thread when there
    /// is no pool.
    pub async fn hasher(&self, purpose: Purpose) -> Hasher {
        let want = match purpose {
            Purpose::Uploads => self.counts.uploads,
            Purpose::Checksums => self.counts.checksums,
        } as usize;
        if want == 0 {
            return Hasher::main_thread();
        }
        let pool = loop {
            let started = {
                let mut state = self.state.borrow_mut();
                match &mut *state {
                    PoolState::Off => return Hasher::main_thread(),
                    PoolState::Ready(pool) if pool.len() > 0 => break Rc::clone(pool),
                    PoolState::Ready(_) => {
                        *state = PoolState::Off;
                        return Hasher::main_thread();
                    }
                    PoolState::Starting(waiting) => {
                        let (tx, rx) = oneshot::channel();
                        waiting.push(tx);
                        rx
                    }
                    PoolState::Idle => {
                        let (tx, rx) = oneshot::channel();
                        *state = PoolState::Starting(vec![tx]);
                        self.start(want);
                        rx
                    }
                }
            };
            // Started (or not): the state says which.
            let _ = started.await;
        };
        if pool.started() < want {
            grow(&pool, want).await;
        }
        Hasher::on(pool, want, purpose)
    }

    /// Starts the pool in a task of its own (so that no caller's abort
    /// leaves it half started) and wakes whoever waits.
    fn start(&self, count: usize) {
        let state = Rc::clone(&self.state);
        let start = WorkerPool::start(count as u32, self.module_url.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let started = match start.await {
                Some(pool) => PoolState::Ready(Rc::new(pool)),
                None => {
                    web_sys::console::warn_1(
                        &"presigned-upload: no hash worker could start; hashing on the main thread"
                            .into(),
                    );
                    PoolState::Off
                }
            };
            let previous = std::mem::replace(&mut *state.borrow_mut(), started);
            if let PoolState::Starting(waiting) = previous {
                for waiter in waiting {
                    let _ = waiter.send(());
                }
            }
        });
    }
}

/// Grows `pool` to `count` workers in a task of its own (so that no
/// caller's abort leaves it half grown) and waits for it.
async fn grow(pool: &Rc<WorkerPool>, count: usize) {
    let (tx, rx) = oneshot::channel();
    let growing = Rc::clone(pool);
    wasm_bindgen_futures::spawn_local(async move {
        growing.grow_to(count).await;
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Digests byte ranges, on the workers when it has them.
#[derive(Clone)]
pub struct Hasher {
    pool: Option<Rc<WorkerPool>>,
    /// The pool's first workers it may use.
    limit: usize,
    /// Jobs it gives each of them at once.
    per_worker: usize,
    preference: DigestPreference,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("workers", &self.workers())
            .field("preference", &self.preference)
            .finish()
    }
}

impl Hasher {
    /// Hashing on the main thread.
    pub fn main_thread() -> Self {
        Self {
            pool: None,
            limit: 0,
            per_worker: hash_strategy::JOBS_PER_WORKER,
            preference: DigestPreference::Auto,
        }
    }

    fn on(pool: Rc<WorkerPool>, limit: usize, purpose: Purpose) -> Self {
        let per_worker = match purpose {
            Purpose::Uploads => hash_strategy::JOBS_PER_WORKER,
            Purpose::Checksums => hash_strategy::CHECKSUM_JOBS_PER_WORKER,
        };
        Self {
            pool: Some(pool),
            limit,
            per_worker,
            preference: DigestPreference::Auto,
        }
    }

    /// The same, always digesting by `preference` where it can.
    pub fn preferring(self, preference: DigestPreference) -> Self {
        Self { preference, ..self }
    }

    /// Workers this hasher uses (0: the main thread).
    pub fn workers(&self) -> usize {
        self.pool.as_ref().map_or(0, |p| p.len().min(self.limit))
    }

    /// Part digests worth running at once, with `whole` being fed.
    pub fn parallel_jobs(&self, whole: Option<&WholeFile>) -> usize {
        match whole {
            // Each part feeds the whole file here, one after the other.
            Some(whole) if whole.is_here() => 1,
            whole => hash_strategy::parallel_jobs(self.workers(), whole.is_some(), self.per_worker),
        }
    }

    fn method(&self, len: u64) -> DigestMethod {
        hash_strategy::choose(len, webcrypto::available(), self.preference)
    }

    /// The SHA-256 of `range`, on a worker unless the core says here;
    /// `progress` gets the bytes read as it goes.
    pub async fn digest(
        &self,
        range: BlobRange,
        signal: &AbortSignal,
        progress: Option<Rc<dyn Fn(u64)>>,
    ) -> Result<Sha256Digest, UploadError> {
        let method = self.method(range.len());
        let pool = match hash_strategy::digests_here(range.len(), method) {
            true => None,
            false => self.pool.as_ref(),
        };
        if let Some(pool) = pool {
            // Its worker died: another one, then here.
            for _ in 0..2 {
                let job = pool.digest(range.clone(), method, self.limit, signal, progress.clone());
                match job.await {
                    Ok(digest) => return Ok(digest),
                    Err(JobError::Failed(error)) => return Err(error),
                    Err(JobError::Lost) => {}
                }
            }
        }
        let live = || abort::ensure_live(Some(signal));
        let report = |bytes| {
            if let Some(progress) = &progress {
                progress(bytes);
            }
        };
        digest_range::digest(&range, method, &live, &report).await
    }

    /// The whole-file SHA-256 of `blob`, to be fed through [`Hasher::part`].
    pub fn whole_file(&self, blob: &Blob) -> WholeFile {
        let target = match self.pool.as_deref().and_then(PoolStream::open) {
            Some(stream) => WholeTarget::Worker(stream),
            None => WholeTarget::Here(Rc::new(RefCell::new(Some(Sha256Hasher::new())))),
        };
        WholeFile {
            blob: blob.clone(),
            fed: Cell::new(0),
            target: RefCell::new(target),
        }
    }

    /// A part's digest. Its range also goes to `whole` now, so parts must be
    /// started in file order when there is one.
    pub fn part(
        &self,
        range: BlobRange,
        whole: Option<&WholeFile>,
        signal: AbortSignal,
    ) -> LocalBoxFuture<'static, Result<Sha256Digest, UploadError>> {
        if let Some(here) = whole.and_then(|w| w.feed(&range)) {
            // No worker streams the whole file: one read feeds both hashes.
            return async move {
                let mut whole = here.borrow_mut().take().ok_or_else(not_whole)?;
                let mut part = Sha256Hasher::new();
                let live = || abort::ensure_live(Some(&signal));
                let mut both = [&mut part, &mut whole];
                let fed = digest_range::stream(&range, &mut both, &live, &|_| {}).await;
                *here.borrow_mut() = Some(whole);
                fed.map(|()| part.finish())
            }
            .boxed_local();
        }
        let hasher = self.clone();
        async move { hasher.digest(range, &signal, None).await }.boxed_local()
    }
}

fn not_whole() -> UploadError {
    UploadError::new(ErrorCode::Server, "the file was not hashed whole")
}

/// The whole file's SHA-256, fed part by part in file order.
pub struct WholeFile {
    blob: Blob,
    /// Bytes fed so far (`[0, fed)`).
    fed: Cell<u64>,
    target: RefCell<WholeTarget>,
}

enum WholeTarget {
    /// Streamed in a worker.
    Worker(PoolStream),
    /// Hashed here, together with each part.
    Here(Rc<RefCell<Option<Sha256Hasher>>>),
    /// Its worker died: hashed here from the start when finished.
    Lost,
}

impl fmt::Debug for WholeFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WholeFile")
            .field("fed", &self.fed.get())
            .finish_non_exhaustive()
    }
}

impl WholeFile {
    /// Whether the parts feed it here (no worker streams it).
    fn is_here(&self) -> bool {
        matches!(*self.target.borrow(), WholeTarget::Here(_))
    }

    /// Feeds the next range; returns the hasher when the caller must feed it
    /// (no worker streams this file).
    fn feed(&self, range: &BlobRange) -> Option<Rc<RefCell<Option<Sha256Hasher>>>> {
        self.fed.set(range.end);
        let mut target = self.target.borrow_mut();
        match &*target {
            WholeTarget::Worker(stream) => {
                if stream.feed(range.clone()).is_err() {
                    *target = WholeTarget::Lost;
                }
                None
            }
            WholeTarget::Here(hasher) => Some(Rc::clone(hasher)),
            WholeTarget::Lost => None,
        }
    }

    /// The digest of everything fed.
    pub async fn finish(self, signal: &AbortSignal) -> Result<Sha256Digest, UploadError> {
        let end = self.fed.get();
        match self.target.into_inner() {
            WholeTarget::Worker(stream) => {
                match stream
                    .finish(BlobRange::new(&self.blob, end, end), signal)
                    .await
                {
                    Ok(digest) => Ok(digest),
                    Err(JobError::Failed(error)) => Err(error),
                    Err(JobError::Lost) => rehash(&self.blob, end, signal).await,
                }
            }
            WholeTarget::Here(hasher) => {
                let hasher = hasher.borrow_mut().take().ok_or_else(not_whole)?;
                Ok(hasher.finish())
            }
            WholeTarget::Lost => rehash(&self.blob, end, signal).await,
        }
    }
}

/// `blob[0..end]` streamed here: the worker streaming it died.
async fn rehash(blob: &Blob, end: u64, signal: &AbortSignal) -> Result<Sha256Digest, UploadError> {
    let live = || abort::ensure_live(Some(signal));
    let range = BlobRange::new(blob, 0, end);
    digest_range::digest(&range, DigestMethod::Streamed, &live, &|_| {}).await
}
