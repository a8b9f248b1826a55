//! How the client hashes: which digest a byte range gets (WebCrypto one-shot
//! over the range in memory, or sha2 streamed chunk by chunk), how many hash
//! workers a pool starts, and which worker takes the next job.
//!
//! Measured in headless Chromium on these machines (`bench/hash_speed.mjs`,
//! figures in docs/design/hashing.md): WebCrypto's one-shot `digest` over an 8 MiB part
//! runs about 3.5x faster than sha2 compiled to wasm, so a range that fits in
//! memory goes to WebCrypto; WebCrypto has no streaming API, so a range too
//! big to hold (and the whole-file SHA-256, fed part after part) streams
//! through sha2.

use crate::s3::limits::{MIB, MIN_PART_SIZE};

/// Largest range read into memory whole for a one-shot digest. Parts are
/// 8 MiB by default; a range above this streams through sha2 in chunks, so
/// memory stays bounded whatever part size a caller picks.
pub const ONE_SHOT_MAX: u64 = 32 * MIB;

/// Largest range digested on the thread that asks, workers or not, when its
/// digest is one-shot: reading it and WebCrypto's digest both run off that
/// thread, so the asking thread only waits, and posting the job to a worker
/// costs more than it saves. In headless Chromium, `checksums()` of 1,000
/// files of 100 KB took 0.61 s of renderer CPU on the page against 0.80 s
/// through a worker, and of 300 files of 1.5 MB 0.86 s against 0.96 s.
/// Parts (at least [`MIN_PART_SIZE`]) still go to the workers: their reads
/// come in many chunks, each a task on the thread that reads.
pub const HERE_MAX: u64 = MIN_PART_SIZE - 1;

/// Whether a range of `len` bytes digested by `method` is digested on the
/// thread that asks rather than in a hash worker.
pub fn digests_here(len: u64, method: DigestMethod) -> bool {
    method == DigestMethod::OneShot && len <= HERE_MAX
}

/// Most hash workers a pool may have (`workers` option).
pub const MAX_WORKERS: u32 = 16;

/// Most hash workers started by default: past four, the parts' uploads, not
/// their hashing, are what a browser waits for.
pub const DEFAULT_MAX_WORKERS: u32 = 4;

/// Jobs a worker is given at once by an upload: two, so one part is being
/// read from the disk while the other is hashed.
pub const JOBS_PER_WORKER: usize = 2;

/// Jobs a worker is given at once by `checksums()`, which does nothing else:
/// three, so that reading keeps ahead of hashing. (Uploads keep two: each
/// job holds a part in the worker's memory.)
pub const CHECKSUM_JOBS_PER_WORKER: usize = 3;

/// How one byte range is digested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestMethod {
    /// The range read into memory whole and digested by WebCrypto.
    OneShot,
    /// The range read chunk by chunk into sha2 (compiled to wasm).
    Streamed,
}

impl DigestMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneShot => "webcrypto",
            Self::Streamed => "sha2",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "webcrypto" => Some(Self::OneShot),
            "sha2" => Some(Self::Streamed),
            _ => None,
        }
    }
}

/// What the caller asked for (the `partDigest` option of `checksums()`,
/// there for measuring each method alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DigestPreference {
    /// The faster method the range and the environment allow.
    #[default]
    Auto,
    /// Always this method (WebCrypto only where it exists).
    Only(DigestMethod),
}

/// The method for a range of `len` bytes. `one_shot_available`: whether
/// WebCrypto's `subtle.digest` exists here (only in secure contexts).
pub fn choose(len: u64, one_shot_available: bool, preference: DigestPreference) -> DigestMethod {
    match preference {
        DigestPreference::Only(DigestMethod::Streamed) => DigestMethod::Streamed,
        _ if !one_shot_available => DigestMethod::Streamed,
        DigestPreference::Only(DigestMethod::OneShot) => DigestMethod::OneShot,
        DigestPreference::Auto if len <= ONE_SHOT_MAX => DigestMethod::OneShot,
        DigestPreference::Auto => DigestMethod::Streamed,
    }
}

/// How many hash workers uploads and `checksums()` may use. They share one
/// pool, started with the first count asked for and grown when
/// `checksums()` asks for more; uploads then still use only their own count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerCounts {
    pub uploads: u32,
    pub checksums: u32,
}

impl WorkerCounts {
    /// The caller's `workers`, for both.
    pub fn both(workers: u32) -> Self {
        Self {
            uploads: workers,
            checksums: workers,
        }
    }

    /// When the caller does not say, from `navigator.hardwareConcurrency`
    /// (absent in some environments: one worker then), at least one worker
    /// and at most [`DEFAULT_MAX_WORKERS`]:
    /// - uploads leave one core to the page;
    /// - `checksums()`, which only hashes, has one worker per core.
    ///
    /// Tried and measured on 2 cores: one worker per core made `checksums()`
    /// of 64 MiB and 1 GiB 1.3x to 1.6x faster (2.9x to 3.8x hash-wasm
    /// instead of 2.1x to 2.3x), uploads no faster (the uploads, not the
    /// hashing, fill the cores), and the 1 GiB upload e2e saw an 82 ms task
    /// on the page in one full run of two and in 1 of 7 runs alone (0 of 6
    /// with one worker). So an upload keeps a core for the page, and the
    /// pool only grows past that when `checksums()` is called.
    pub fn default_for(hardware_concurrency: Option<u32>) -> Self {
        let cores = hardware_concurrency.unwrap_or(1);
        Self {
            uploads: cores.saturating_sub(1).clamp(1, DEFAULT_MAX_WORKERS),
            checksums: cores.clamp(1, DEFAULT_MAX_WORKERS),
        }
    }
}

/// The worker for the next part job, by the jobs each has (`loads`): the
/// least loaded, the first among equals. With a whole-file stream running on
/// `stream_worker`, parts avoid that worker while others exist, since the
/// stream is sequential and the slowest job there is. `None`: no workers.
pub fn pick_worker(loads: &[usize], stream_worker: Option<usize>) -> Option<usize> {
    let avoided = |i: usize| loads.len() > 1 && stream_worker == Some(i);
    loads
        .iter()
        .enumerate()
        .filter(|&(i, _)| !avoided(i))
        .min_by_key(|&(i, &load)| (load, i))
        .map(|(i, _)| i)
}

/// Part jobs that may run at once on a pool of `workers` (one of them
/// streaming the whole file when `streaming`), `per_worker` on each worker
/// that takes parts, or one on the main thread (0 workers).
pub fn parallel_jobs(workers: usize, streaming: bool, per_worker: usize) -> usize {
    let for_parts = match workers {
        0 => return 1,
        1 => 1,
        n if streaming => n - 1,
        n => n,
    };
    for_parts * per_worker
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_in_memory_go_to_webcrypto_others_stream() {
        use DigestMethod::*;
        let auto = DigestPreference::Auto;
        assert_eq!(choose(8 * MIB, true, auto), OneShot);
        assert_eq!(choose(0, true, auto), OneShot);
        assert_eq!(choose(ONE_SHOT_MAX, true, auto), OneShot);
        assert_eq!(choose(ONE_SHOT_MAX + 1, true, auto), Streamed);
        // No WebCrypto (an insecure context): sha2 whatever was asked.
        assert_eq!(choose(8 * MIB, false, auto), Streamed);
        assert_eq!(
            choose(8 * MIB, false, DigestPreference::Only(OneShot)),
            Streamed
        );
        // Asked for one method: that one, whatever the size.
        assert_eq!(
            choose(8 * MIB, true, DigestPreference::Only(Streamed)),
            Streamed
        );
        assert_eq!(
            choose(64 * MIB, true, DigestPreference::Only(OneShot)),
            OneShot
        );
    }

    #[test]
    fn small_one_shot_ranges_are_digested_where_asked() {
        use DigestMethod::*;
        assert!(digests_here(0, OneShot));
        assert!(digests_here(100_000, OneShot));
        assert!(digests_here(MIN_PART_SIZE - 1, OneShot));
        assert!(!digests_here(MIN_PART_SIZE, OneShot));
        assert!(!digests_here(8 * MIB, OneShot));
        // sha2 hashes on the thread that reads: never the page's.
        assert!(!digests_here(100_000, Streamed));
    }

    #[test]
    fn method_names_round_trip() {
        for m in [DigestMethod::OneShot, DigestMethod::Streamed] {
            assert_eq!(DigestMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(DigestMethod::parse("md5"), None);
    }

    #[test]
    fn uploads_leave_a_core_to_the_page_and_checksums_use_every_core() {
        let counts = |cores| {
            let c = WorkerCounts::default_for(cores);
            (c.uploads, c.checksums)
        };
        assert_eq!(counts(None), (1, 1));
        assert_eq!(counts(Some(0)), (1, 1));
        assert_eq!(counts(Some(1)), (1, 1));
        assert_eq!(counts(Some(2)), (1, 2));
        assert_eq!(counts(Some(3)), (2, 3));
        assert_eq!(counts(Some(5)), (4, 4));
        assert_eq!(counts(Some(64)), (4, 4));
        assert_eq!(
            WorkerCounts::both(0),
            WorkerCounts {
                uploads: 0,
                checksums: 0
            }
        );
        assert_eq!(
            WorkerCounts::both(3),
            WorkerCounts {
                uploads: 3,
                checksums: 3
            }
        );
    }

    #[test]
    fn parts_go_to_the_least_loaded_worker() {
        assert_eq!(pick_worker(&[], None), None);
        assert_eq!(pick_worker(&[0, 0, 0], None), Some(0));
        assert_eq!(pick_worker(&[1, 0, 1], None), Some(1));
        assert_eq!(pick_worker(&[2, 2, 1], None), Some(2));
        // Full everywhere: still the least loaded (the caller bounds the jobs).
        assert_eq!(pick_worker(&[3, 2], None), Some(1));
    }

    #[test]
    fn parts_avoid_the_stream_worker_unless_it_is_the_only_one() {
        assert_eq!(pick_worker(&[0, 1], Some(0)), Some(1));
        assert_eq!(pick_worker(&[0, 5], Some(0)), Some(1));
        assert_eq!(pick_worker(&[0, 3, 1], Some(2)), Some(0));
        assert_eq!(pick_worker(&[0], Some(0)), Some(0));
        assert_eq!(pick_worker(&[4], Some(0)), Some(0));
    }

    #[test]
    fn parallel_jobs_match_the_workers_that_take_parts() {
        for per_worker in [JOBS_PER_WORKER, CHECKSUM_JOBS_PER_WORKER] {
            assert_eq!(parallel_jobs(0, false, per_worker), 1);
            assert_eq!(parallel_jobs(0, true, per_worker), 1);
            assert_eq!(parallel_jobs(1, true, per_worker), per_worker);
            assert_eq!(parallel_jobs(4, false, per_worker), 4 * per_worker);
            assert_eq!(parallel_jobs(4, true, per_worker), 3 * per_worker);
        }
    }
}
