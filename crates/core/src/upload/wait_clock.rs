//! How long an upload has waited on backpressure, in wall-clock time: the
//! time during which at least one of its requests was waiting, so parts
//! waiting side by side count once. The retry policy bounds it
//! (`maxWaitMs`). Time is injected.

/// Waits in progress and the time spent waiting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaitClock {
    waiting: u32,
    since_ms: f64,
    total_ms: f64,
}

impl WaitClock {
    /// A request starts waiting at `now_ms`.
    pub fn begin(&mut self, now_ms: f64) {
        if self.waiting == 0 {
            self.since_ms = now_ms;
        }
        self.waiting += 1;
    }

    /// A request stops waiting at `now_ms`.
    pub fn end(&mut self, now_ms: f64) {
        match self.waiting {
            0 => {}
            1 => {
                self.waiting = 0;
                self.total_ms += (now_ms - self.since_ms).max(0.0);
            }
            _ => self.waiting -= 1,
        }
    }

    /// Milliseconds spent waiting up to `now_ms`.
    pub fn waited_ms(&self, now_ms: f64) -> u64 {
        let current = match self.waiting {
            0 => 0.0,
            _ => (now_ms - self.since_ms).max(0.0),
        };
        (self.total_ms + current) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_waits_count_once() {
        let mut c = WaitClock::default();
        c.begin(0.0);
        c.begin(500.0);
        assert_eq!(c.waited_ms(800.0), 800);
        c.end(1_000.0);
        c.end(2_000.0);
        assert_eq!(c.waited_ms(5_000.0), 2_000);
        c.begin(6_000.0);
        assert_eq!(c.waited_ms(6_500.0), 2_500);
        c.end(7_000.0);
        c.end(8_000.0);
        assert_eq!(
            c.waited_ms(9_000.0),
            3_000,
            "an unmatched end changes nothing"
        );
    }
}
