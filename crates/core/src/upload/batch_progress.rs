//! Progress of a batch of uploads (`uploader.uploadAll()`): the bytes of all
//! files, how many are done, failed, waiting, running, a rate and an ETA.
//!
//! - `loaded` counts bytes the store acknowledged: each file's highest count
//!   so far (a retry that starts a PUT again does not lower it), and the
//!   whole size of a stored file. It never goes back.
//! - `fraction` is the work settled: a file that ended (stored, failed or
//!   cancelled) counts whole, the others by their `loaded`. It reaches 1 when
//!   every file has ended, and goes back only when files are added or failed
//!   ones retried (new work).
//!
//! Time is injected, as in [`crate::upload::progress`].

use crate::upload::progress::RateWindow;
use crate::upload::state::UploadState;
use serde::Serialize;

/// Files of a batch by where they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileCounts {
    pub total: u32,
    /// Waiting their turn, or for a busy signer or store (`queued`).
    pub waiting: u32,
    /// Hashing, uploading or completing.
    pub running: u32,
    pub paused: u32,
    /// Stored.
    pub done: u32,
    pub failed: u32,
    /// Cancelled.
    pub aborted: u32,
}

/// One report of a batch's progress, as JavaScript receives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReport {
    /// Bytes the store acknowledged, of every file.
    pub loaded: u64,
    /// Bytes of every file.
    pub total: u64,
    /// The work settled, 0 to 1 (see the module doc).
    pub fraction: f64,
    /// Recent upload rate of the batch; 0 until known.
    pub bytes_per_second: f64,
    /// Seconds until every running and waiting file is sent, at that rate.
    pub eta_seconds: Option<f64>,
    pub files: FileCounts,
}

#[derive(Debug, Clone)]
struct Entry {
    size: u64,
    sent: u64,
    state: UploadState,
}

/// The batch's accounting.
#[derive(Debug, Clone)]
pub struct BatchProgress {
    entries: Vec<Entry>,
    loaded: u64,
    rate: RateWindow,
    last_emit_ms: Option<f64>,
    min_interval_ms: f64,
}

impl BatchProgress {
    /// Byte progress is reported at most once per `min_interval_ms`; a
    /// file's change of state always is.
    pub fn new(min_interval_ms: f64) -> Self {
        Self {
            entries: Vec::new(),
            loaded: 0,
            rate: RateWindow::default(),
            last_emit_ms: None,
            min_interval_ms,
        }
    }

    /// Adds a file of `size` bytes, waiting; returns its index.
    pub fn add(&mut self, size: u64) -> usize {
        self.entries.push(Entry {
            size,
            sent: 0,
            state: UploadState::Queued,
        });
        self.entries.len() - 1
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The state file `index` was last reported in.
    pub fn state(&self, index: usize) -> Option<UploadState> {
        self.entries.get(index).map(|e| e.state)
    }

    /// File `index` has `sent` bytes acknowledged (a total, not a delta).
    /// Returns a report when one is due.
    pub fn sent(&mut self, index: usize, sent: u64, now_ms: f64) -> Option<BatchReport> {
        let entry = self.entries.get_mut(index)?;
        let sent = sent.min(entry.size);
        if sent <= entry.sent {
            return None;
        }
        self.loaded += sent - entry.sent;
        entry.sent = sent;
        self.rate.sample(now_ms, self.loaded);
        let due = self
            .last_emit_ms
            .is_none_or(|last| now_ms - last >= self.min_interval_ms);
        due.then(|| self.report(now_ms))
    }

    /// File `index` is now in `state`; a stored file counts whole. Returns
    /// the report (always, when the state changed).
    pub fn state_changed(
        &mut self,
        index: usize,
        state: UploadState,
        now_ms: f64,
    ) -> Option<BatchReport> {
        let entry = self.entries.get_mut(index)?;
        if entry.state == state {
            return None;
        }
        entry.state = state;
        if state == UploadState::Done && entry.sent < entry.size {
            self.loaded += entry.size - entry.sent;
            entry.sent = entry.size;
            self.rate.sample(now_ms, self.loaded);
        }
        Some(self.report(now_ms))
    }

    /// The current report (and the time it was made, for the throttle).
    pub fn report(&mut self, now_ms: f64) -> BatchReport {
        self.last_emit_ms = Some(now_ms);
        self.snapshot()
    }

    /// The current state, whether or not a report is due.
    pub fn snapshot(&self) -> BatchReport {
        let mut files = FileCounts {
            total: self.entries.len() as u32,
            ..FileCounts::default()
        };
        let (mut total, mut settled, mut remaining) = (0u64, 0u64, 0u64);
        for e in &self.entries {
            total += e.size;
            let counter = match e.state {
                UploadState::Queued => &mut files.waiting,
                UploadState::Hashing | UploadState::Uploading | UploadState::Completing => {
                    &mut files.running
                }
                UploadState::Paused => &mut files.paused,
                UploadState::Done => &mut files.done,
                UploadState::Failed => &mut files.failed,
                UploadState::Aborted => &mut files.aborted,
            };
            *counter += 1;
            if e.state.is_final() {
                settled += e.size;
            } else {
                settled += e.sent;
                remaining += e.size - e.sent;
            }
        }
        let rate = self.rate.rate();
        BatchReport {
            loaded: self.loaded,
            total,
            fraction: if total == 0 {
                if files.total == files.done + files.failed + files.aborted {
                    1.0
                } else {
                    0.0
                }
            } else {
                settled as f64 / total as f64
            },
            bytes_per_second: rate,
            eta_seconds: (rate > 0.0).then(|| remaining as f64 / rate),
            files,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::state::UploadState::*;

    #[test]
    fn counts_bytes_and_files() {
        let mut b = BatchProgress::new(0.0);
        let (x, y, z) = (b.add(1_000), b.add(3_000), b.add(6_000));
        b.state_changed(x, Uploading, 0.0);
        b.sent(x, 500, 0.0);
        b.state_changed(y, Hashing, 0.0);
        let r = b.snapshot();
        assert_eq!((r.loaded, r.total), (500, 10_000));
        assert_eq!(r.fraction, 0.05);
        assert_eq!(
            r.files,
            FileCounts {
                total: 3,
                waiting: 1,
                running: 2,
                ..FileCounts::default()
            }
        );
        b.state_changed(x, Done, 1_000.0);
        b.state_changed(y, Failed, 1_000.0);
        let r = b.state_changed(z, Aborted, 1_000.0).expect("a report");
        assert_eq!(r.loaded, 1_000, "a stored file counts whole");
        assert_eq!(r.fraction, 1.0, "every file ended");
        assert_eq!((r.files.done, r.files.failed, r.files.aborted), (1, 1, 1));
    }

    #[test]
    fn a_retry_starting_again_does_not_lower_loaded() {
        let mut b = BatchProgress::new(0.0);
        let x = b.add(1_000);
        b.sent(x, 800, 0.0);
        assert!(b.sent(x, 100, 10.0).is_none());
        assert_eq!(b.snapshot().loaded, 800);
        assert_eq!(b.sent(x, 5_000, 20.0).map(|r| r.loaded), Some(1_000));
    }

    #[test]
    fn bytes_are_throttled_states_are_not() {
        let mut b = BatchProgress::new(50.0);
        let x = b.add(1_000);
        assert!(b.sent(x, 10, 0.0).is_some());
        assert!(b.sent(x, 20, 10.0).is_none());
        assert!(b.state_changed(x, Uploading, 11.0).is_some());
        assert!(b.state_changed(x, Uploading, 12.0).is_none(), "no change");
        assert!(b.sent(x, 30, 40.0).is_none());
        assert!(b.sent(x, 40, 61.0).is_some());
    }

    #[test]
    fn rate_and_eta() {
        let mut b = BatchProgress::new(0.0);
        let (x, _y) = (b.add(4_000), b.add(4_000));
        for s in 0..=2u64 {
            b.sent(x, s * 1_000, s as f64 * 1_000.0);
        }
        let r = b.snapshot();
        assert_eq!(r.bytes_per_second, 1_000.0);
        assert_eq!(r.eta_seconds, Some(6.0));
    }

    #[test]
    fn empty_batches() {
        assert_eq!(BatchProgress::new(0.0).snapshot().fraction, 1.0);
        let mut b = BatchProgress::new(0.0);
        let x = b.add(0);
        assert_eq!(b.snapshot().fraction, 0.0);
        b.state_changed(x, Done, 0.0);
        assert_eq!(b.snapshot().fraction, 1.0);
    }

    /// Whatever order files report in, `loaded` and `fraction` never go back
    /// (no files added, none retried).
    #[test]
    fn never_goes_back() {
        let mut rng = crate::upload::retry_policy::SplitMix64::new(99);
        for _ in 0..100 {
            let mut b = BatchProgress::new(0.0);
            let n = 1 + rng.up_to(20) as usize;
            for _ in 0..n {
                b.add(rng.up_to(10_000));
            }
            let mut last = b.snapshot();
            for step in 0..500 {
                let i = rng.up_to(n as u64 - 1) as usize;
                let now = step as f64;
                if b.state(i).is_some_and(UploadState::is_final) {
                    continue;
                }
                match rng.up_to(9) {
                    0 => b.state_changed(i, Done, now),
                    1 => b.state_changed(i, Failed, now),
                    2 => b.state_changed(i, Aborted, now),
                    3 => b.state_changed(i, Paused, now),
                    4 => b.state_changed(i, Queued, now),
                    5 => b.state_changed(i, Uploading, now),
                    _ => b.sent(i, rng.up_to(12_000), now),
                };
                let r = b.snapshot();
                assert!(r.loaded >= last.loaded);
                assert!(
                    r.fraction >= last.fraction,
                    "{} < {}",
                    r.fraction,
                    last.fraction
                );
                assert!(r.loaded <= r.total && r.fraction <= 1.0);
                last = r;
            }
        }
    }
}
