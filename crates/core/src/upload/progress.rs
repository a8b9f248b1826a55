//! Progress accounting: monotonic byte counts, a smoothed rate and an ETA.
//!
//! Time is injected (milliseconds from any fixed origin), so the browser passes
//! `performance.now()` and tests pass exact numbers.

use serde::Serialize;
use std::collections::VecDeque;

/// What the uploader is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// Reading the file and computing its SHA-256.
    Hashing,
    /// Asking the signer for a presigned URL.
    Signing,
    /// Sending bytes to the store.
    Uploading,
    /// Asking the signer to confirm the stored object.
    Verifying,
    /// Finished.
    Done,
}

/// One progress report, as JavaScript receives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub phase: Phase,
    /// Bytes of the current phase done (hashed, or acknowledged by the store).
    pub loaded: u64,
    pub total: u64,
    /// `loaded / total`, 1.0 for an empty file.
    pub fraction: f64,
    /// Recent rate over the last few seconds; 0 until there are two samples.
    pub bytes_per_second: f64,
    /// Seconds left at the recent rate, when there is one.
    pub eta_seconds: Option<f64>,
}

/// How far back the rate looks.
const RATE_WINDOW_MS: f64 = 3_000.0;

/// The recent rate of a growing byte count: bytes per second over the last
/// few seconds of samples.
#[derive(Debug, Clone, Default)]
pub struct RateWindow {
    samples: VecDeque<(f64, u64)>,
}

impl RateWindow {
    /// Forgets every sample.
    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// `count` bytes at `now_ms`.
    pub fn sample(&mut self, now_ms: f64, count: u64) {
        self.samples.push_back((now_ms, count));
        while self.samples.len() > 2
            && self
                .samples
                .front()
                .is_some_and(|&(t, _)| now_ms - t > RATE_WINDOW_MS)
        {
            self.samples.pop_front();
        }
    }

    /// Bytes per second between the oldest and newest sample; 0 until there
    /// are two apart in time.
    pub fn rate(&self) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some(&(t0, b0)), Some(&(t1, b1))) if t1 > t0 && b1 >= b0 => {
                (b1 - b0) as f64 * 1000.0 / (t1 - t0)
            }
            _ => 0.0,
        }
    }
}

/// Tracks one phase's bytes. `loaded` never goes backwards, whatever is reported.
#[derive(Debug, Clone)]
pub struct ProgressTracker {
    phase: Phase,
    total: u64,
    loaded: u64,
    samples: RateWindow,
    last_emit_ms: Option<f64>,
    min_interval_ms: f64,
}

impl ProgressTracker {
    /// `min_interval_ms` throttles [`ProgressTracker::update`]'s reports (50 ms ≈ 20/s).
    pub fn new(phase: Phase, total: u64, min_interval_ms: f64) -> Self {
        Self {
            phase,
            total,
            loaded: 0,
            samples: RateWindow::default(),
            last_emit_ms: None,
            min_interval_ms,
        }
    }

    /// Starts a new phase over `total` bytes; resets counts and rate.
    pub fn start_phase(&mut self, phase: Phase, total: u64, now_ms: f64) {
        self.phase = phase;
        self.total = total;
        self.loaded = 0;
        self.samples.clear();
        self.samples.sample(now_ms, 0);
        self.last_emit_ms = None;
    }

    /// Records that `loaded` bytes are done in total (not a delta). Returns a
    /// report when one is due: the first, then at most one per interval, and
    /// always when the phase completes.
    pub fn update(&mut self, loaded: u64, now_ms: f64) -> Option<Progress> {
        let loaded = loaded.min(self.total).max(self.loaded);
        self.loaded = loaded;
        self.samples.sample(now_ms, loaded);
        let due = match self.last_emit_ms {
            None => true,
            Some(last) => now_ms - last >= self.min_interval_ms || loaded == self.total,
        };
        if due {
            self.last_emit_ms = Some(now_ms);
            Some(self.snapshot())
        } else {
            None
        }
    }

    /// The current state, whether or not a report is due.
    pub fn snapshot(&self) -> Progress {
        let rate = self.rate();
        let remaining = self.total - self.loaded;
        Progress {
            phase: self.phase,
            loaded: self.loaded,
            total: self.total,
            fraction: if self.total == 0 {
                1.0
            } else {
                self.loaded as f64 / self.total as f64
            },
            bytes_per_second: rate,
            eta_seconds: (rate > 0.0).then(|| remaining as f64 / rate),
        }
    }

    fn rate(&self) -> f64 {
        self.samples.rate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_and_clamped() {
        let mut t = ProgressTracker::new(Phase::Uploading, 1000, 0.0);
        t.start_phase(Phase::Uploading, 1000, 0.0);
        assert_eq!(t.update(500, 10.0).map(|p| p.loaded), Some(500));
        // A retry reporting fewer bytes does not move the bar back.
        assert_eq!(t.update(100, 20.0).map(|p| p.loaded), Some(500));
        assert_eq!(t.update(5000, 30.0).map(|p| p.loaded), Some(1000));
        assert_eq!(t.snapshot().fraction, 1.0);
    }

    #[test]
    fn throttles_but_always_reports_completion() {
        let mut t = ProgressTracker::new(Phase::Hashing, 100, 50.0);
        t.start_phase(Phase::Hashing, 100, 0.0);
        assert!(t.update(10, 1.0).is_some());
        assert!(t.update(20, 20.0).is_none());
        assert!(t.update(30, 51.0).is_some());
        assert!(t.update(100, 52.0).is_some());
    }

    #[test]
    fn rate_and_eta_over_recent_window() {
        let mut t = ProgressTracker::new(Phase::Uploading, 10_000, 0.0);
        t.start_phase(Phase::Uploading, 10_000, 0.0);
        // 1,000 bytes per second for 4 s.
        for s in 1..=4u64 {
            t.update(s * 1000, s as f64 * 1000.0);
        }
        let p = t.snapshot();
        assert_eq!(p.bytes_per_second, 1000.0);
        assert_eq!(p.eta_seconds, Some(6.0));
        // Then it speeds up to 3,000 B/s; the 3 s window follows.
        for s in 5..=7u64 {
            t.update(4000 + (s - 4) * 2000, s as f64 * 1000.0);
        }
        let p = t.snapshot();
        assert!(p.bytes_per_second > 1500.0, "{}", p.bytes_per_second);
    }

    #[test]
    fn empty_file_is_complete() {
        let t = ProgressTracker::new(Phase::Uploading, 0, 0.0);
        assert_eq!(t.snapshot().fraction, 1.0);
        assert_eq!(t.snapshot().eta_seconds, None);
    }
}
