//! When and how a failed request (a part's or a file's PUT, a signer call) is
//! tried again: exponential backoff with FULL jitter (`delay = random in [0,
//! min(cap, base · 2^retry)]`), which failures retry, re-presign, re-hash or
//! fail at once, and backpressure (429, S3's `SlowDown`, a 503 with a
//! `Retry-After`), which waits (its `Retry-After`, else the backoff) without
//! using up attempts, within a total wait budget.
//!
//! Randomness is injected ([`SplitMix64`], seeded by the caller), so the
//! schedule is exact in tests.

use crate::protocol::error::ErrorCode;

/// A small, fast, seedable PRNG (Steele, Lea and Flood's SplitMix64). Not for
/// secrets: only for spreading retries apart.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..=max` (the modulo bias is negligible for delays).
    pub fn up_to(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(n) => self.next_u64() % n,
            None => self.next_u64(),
        }
    }
}

/// What to do about one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this many milliseconds, then send again with the same URL. The
    /// failed attempt counts against `max_attempts`.
    Backoff { delay_ms: u64 },
    /// Backpressure (429, 503): wait this many milliseconds, then send
    /// again. Does not count against `max_attempts`; the upload's total
    /// waiting is bounded by `max_wait_ms` instead.
    Wait { delay_ms: u64 },
    /// The URL expired: ask the signer for a fresh one, then send again.
    Represign,
    /// The store computed another checksum: read and hash the part again
    /// (once), then send again.
    Rehash,
    /// Give up with this failure.
    Fail,
    /// Give up: still refused with backpressure after `max_wait_ms` of
    /// waiting (the caller reports `rate_limited`).
    WaitedTooLong,
}

/// How a failure looks to the policy: the error's stable code, the HTTP
/// status when there was an answer, and the wait its `Retry-After` asked
/// for (already capped, see [`crate::upload::retry_after`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub code: ErrorCode,
    pub status: Option<u16>,
    pub retry_after_ms: Option<u64>,
}

/// Which kind of failure this is, whatever the attempt count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// Network error, timeout, 5xx: worth retrying after a backoff.
    Transient,
    /// 429, S3's `SlowDown` (a `rate_limited` code), or a 503 with a
    /// `Retry-After`: the server is busy and asks the client to wait, not to
    /// fail. (A bare 503, say a signer whose store is down, is transient.)
    Backpressure,
    /// 403 for an expired URL.
    Expired,
    /// BadDigest / XAmzContentChecksumMismatch.
    Checksum,
    /// Any other refusal (4xx, abort, a full disk, a quota): retrying
    /// cannot help.
    Permanent,
}

impl Failure {
    pub fn class(&self) -> FailureClass {
        match (self.code, self.status) {
            (ErrorCode::StorageFull | ErrorCode::QuotaExceeded | ErrorCode::Aborted, _) => {
                FailureClass::Permanent
            }
            (ErrorCode::RateLimited, _) | (_, Some(429)) => FailureClass::Backpressure,
            (_, Some(503)) if self.retry_after_ms.is_some() => FailureClass::Backpressure,
            (ErrorCode::Network, _) => FailureClass::Transient,
            (_, Some(s)) if (500..600).contains(&s) => FailureClass::Transient,
            (ErrorCode::Server, None) => FailureClass::Transient,
            (ErrorCode::Expired, _) => FailureClass::Expired,
            (ErrorCode::ChecksumMismatch, _) => FailureClass::Checksum,
            _ => FailureClass::Permanent,
        }
    }
}

/// Attempts, base delay and cap of the backoff, and the wait budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request in all (the first included); at least 1.
    /// Backpressure waits do not count.
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// Longest an upload may spend waiting on backpressure, in all.
    pub max_wait_ms: u64,
}

/// Five attempts, 250 ms base, 8 s cap.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Ten minutes of backpressure before an upload fails with `rate_limited`.
pub const DEFAULT_MAX_WAIT_MS: u64 = 600_000;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay_ms: 250,
            max_delay_ms: 8_000,
            max_wait_ms: DEFAULT_MAX_WAIT_MS,
        }
    }
}

impl RetryPolicy {
    /// The largest delay before retry number `retry` (0 = the first retry):
    /// `min(cap, base · 2^retry)`.
    pub fn ceiling_ms(&self, retry: u32) -> u64 {
        let factor = 1u64.checked_shl(retry.min(63)).unwrap_or(u64::MAX);
        self.base_delay_ms
            .saturating_mul(factor)
            .min(self.max_delay_ms)
    }

    /// Full jitter: uniform in `[0, ceiling_ms(retry)]`.
    pub fn delay_ms(&self, retry: u32, rng: &mut SplitMix64) -> u64 {
        rng.up_to(self.ceiling_ms(retry))
    }
}

/// One request's attempts so far, over every URL it had: what the policy
/// decides from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempts {
    /// Attempts sent that count against `max_attempts`.
    sent: u32,
    /// Backpressure waits so far (their backoff grows with them).
    waits: u32,
    /// Whether a checksum rejection already made us read it again.
    rehashed: bool,
}

impl Attempts {
    /// A request with bytes that can be read and hashed again once.
    pub fn new() -> Self {
        Self::default()
    }

    /// A request with nothing to read again and compare (no checksum, or a
    /// signer call): a checksum refusal fails it.
    pub fn without_rehash() -> Self {
        Self {
            rehashed: true,
            ..Self::default()
        }
    }

    /// An attempt is being sent.
    pub fn sending(&mut self) {
        self.sent += 1;
    }

    /// The attempt being sent was stopped by a pause: it does not count.
    pub fn stopped(&mut self) {
        self.sent = self.sent.saturating_sub(1);
    }

    /// The bytes were read and hashed again after a checksum rejection.
    pub fn rehashed(&mut self) {
        self.rehashed = true;
    }

    /// Attempts that counted so far.
    pub fn count(&self) -> u32 {
        self.sent
    }

    /// What to do after the attempt being sent failed with `failure`, when
    /// the upload has already waited `waited_ms` on backpressure.
    pub fn decide(
        &mut self,
        policy: &RetryPolicy,
        failure: Failure,
        waited_ms: u64,
        rng: &mut SplitMix64,
    ) -> RetryDecision {
        let class = failure.class();
        if class == FailureClass::Backpressure {
            // Waiting is not failing: the attempt does not count.
            self.stopped();
            let left = policy.max_wait_ms.saturating_sub(waited_ms);
            if left == 0 {
                return RetryDecision::WaitedTooLong;
            }
            let delay_ms = match failure.retry_after_ms {
                // As asked, plus up to a tenth (at most 1 s) so that the
                // clients told the same moment do not all return at once.
                Some(asked) => asked.saturating_add(rng.up_to((asked / 10).min(1_000))),
                None => policy.delay_ms(self.waits, rng),
            };
            self.waits += 1;
            return RetryDecision::Wait {
                delay_ms: delay_ms.min(left),
            };
        }
        let exhausted = self.sent >= policy.max_attempts.max(1);
        match class {
            FailureClass::Permanent => RetryDecision::Fail,
            _ if exhausted => RetryDecision::Fail,
            FailureClass::Transient => RetryDecision::Backoff {
                delay_ms: policy.delay_ms(self.sent.saturating_sub(1), rng),
            },
            FailureClass::Expired => RetryDecision::Represign,
            FailureClass::Checksum if self.rehashed => RetryDecision::Fail,
            FailureClass::Checksum => RetryDecision::Rehash,
            FailureClass::Backpressure => RetryDecision::Fail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: ErrorCode, status: Option<u16>) -> Failure {
        Failure {
            code,
            status,
            retry_after_ms: None,
        }
    }

    /// `attempts` sends, each failing with `f`, the last decision.
    fn after(
        p: &RetryPolicy,
        f: Failure,
        attempts: &mut Attempts,
        rng: &mut SplitMix64,
    ) -> RetryDecision {
        attempts.sending();
        attempts.decide(p, f, 0, rng)
    }

    #[test]
    fn splitmix_known_answer() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let p = RetryPolicy::default();
        let ceilings: Vec<u64> = (0..8).map(|r| p.ceiling_ms(r)).collect();
        assert_eq!(ceilings, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(p.ceiling_ms(200), 8000);
    }

    #[test]
    fn seeded_schedule_is_exact_and_within_bounds() {
        let p = RetryPolicy::default();
        let mut rng = SplitMix64::new(42);
        let schedule: Vec<u64> = (0..6).map(|r| p.delay_ms(r, &mut rng)).collect();
        let mut again = SplitMix64::new(42);
        let expected: Vec<u64> = (0..6)
            .map(|r| again.next_u64() % (p.ceiling_ms(r) + 1))
            .collect();
        assert_eq!(schedule, expected);
        assert_eq!(schedule, [222, 289, 959, 570, 183, 4974]);
        for (r, d) in schedule.iter().enumerate() {
            assert!(*d <= p.ceiling_ms(r as u32));
        }
    }

    #[test]
    fn classification() {
        use FailureClass::*;
        let cases = [
            (failure(ErrorCode::Network, None), Transient),
            (failure(ErrorCode::Server, Some(500)), Transient),
            (failure(ErrorCode::Server, Some(502)), Transient),
            (failure(ErrorCode::Server, None), Transient),
            (failure(ErrorCode::RateLimited, Some(503)), Backpressure),
            (failure(ErrorCode::RateLimited, Some(429)), Backpressure),
            (failure(ErrorCode::Server, Some(503)), Transient),
            (
                Failure {
                    retry_after_ms: Some(1_000),
                    ..failure(ErrorCode::Server, Some(503))
                },
                Backpressure,
            ),
            (failure(ErrorCode::Server, Some(429)), Backpressure),
            (failure(ErrorCode::RateLimited, None), Backpressure),
            (failure(ErrorCode::Expired, Some(403)), Expired),
            (failure(ErrorCode::ChecksumMismatch, Some(400)), Checksum),
            (failure(ErrorCode::Forbidden, Some(403)), Permanent),
            (failure(ErrorCode::BadRequest, Some(400)), Permanent),
            (failure(ErrorCode::NotFound, Some(404)), Permanent),
            (failure(ErrorCode::Aborted, None), Permanent),
            (failure(ErrorCode::StorageFull, Some(507)), Permanent),
            (failure(ErrorCode::QuotaExceeded, Some(413)), Permanent),
        ];
        for (f, want) in cases {
            assert_eq!(f.class(), want, "{f:?}");
        }
    }

    #[test]
    fn decisions_respect_attempts_and_rehash_once() {
        let p = RetryPolicy::default();
        let mut rng = SplitMix64::new(7);
        let broken = failure(ErrorCode::Server, Some(500));
        let mut a = Attempts::new();
        assert!(matches!(
            after(&p, broken, &mut a, &mut rng),
            RetryDecision::Backoff { delay_ms } if delay_ms <= 250
        ));
        for _ in 0..2 {
            after(&p, broken, &mut a, &mut rng);
        }
        assert!(matches!(
            after(&p, broken, &mut a, &mut rng),
            RetryDecision::Backoff { delay_ms } if delay_ms <= 2000
        ));
        assert_eq!(after(&p, broken, &mut a, &mut rng), RetryDecision::Fail);
        assert_eq!(a.count(), 5);

        let expired = failure(ErrorCode::Expired, Some(403));
        let mut a = Attempts::new();
        assert_eq!(
            after(&p, expired, &mut a, &mut rng),
            RetryDecision::Represign
        );
        let digest = failure(ErrorCode::ChecksumMismatch, Some(400));
        assert_eq!(after(&p, digest, &mut a, &mut rng), RetryDecision::Rehash);
        a.rehashed();
        assert_eq!(after(&p, digest, &mut a, &mut rng), RetryDecision::Fail);
        let mut unchecked = Attempts::without_rehash();
        assert_eq!(
            after(&p, digest, &mut unchecked, &mut rng),
            RetryDecision::Fail
        );
        let denied = failure(ErrorCode::Forbidden, Some(403));
        assert_eq!(
            after(&p, denied, &mut Attempts::new(), &mut rng),
            RetryDecision::Fail
        );
        let once = RetryPolicy {
            max_attempts: 1,
            ..p
        };
        assert_eq!(
            after(&once, broken, &mut Attempts::new(), &mut rng),
            RetryDecision::Fail
        );
    }

    #[test]
    fn a_paused_attempt_does_not_count() {
        let p = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        let mut rng = SplitMix64::new(1);
        let mut a = Attempts::new();
        a.sending();
        a.stopped();
        let broken = failure(ErrorCode::Network, None);
        assert!(matches!(
            after(&p, broken, &mut a, &mut rng),
            RetryDecision::Backoff { .. }
        ));
        assert_eq!(after(&p, broken, &mut a, &mut rng), RetryDecision::Fail);
    }

    #[test]
    fn backpressure_waits_without_using_attempts() {
        let p = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        let mut rng = SplitMix64::new(3);
        let busy = Failure {
            retry_after_ms: Some(2_000),
            ..failure(ErrorCode::RateLimited, Some(503))
        };
        let mut a = Attempts::new();
        for _ in 0..50 {
            a.sending();
            match a.decide(&p, busy, 0, &mut rng) {
                // As asked, plus at most a tenth: never less.
                RetryDecision::Wait { delay_ms } => assert!((2_000..=2_200).contains(&delay_ms)),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(a.count(), 0, "waits use up no attempts");
        // The failures that are not backpressure still count.
        let broken = failure(ErrorCode::Network, None);
        assert!(matches!(
            after(&p, broken, &mut a, &mut rng),
            RetryDecision::Backoff { .. }
        ));
        assert_eq!(after(&p, broken, &mut a, &mut rng), RetryDecision::Fail);
    }

    #[test]
    fn backpressure_without_retry_after_backs_off_and_grows() {
        let p = RetryPolicy::default();
        let mut rng = SplitMix64::new(11);
        let busy = failure(ErrorCode::RateLimited, Some(429));
        let mut a = Attempts::new();
        for wait in 0..8 {
            a.sending();
            match a.decide(&p, busy, 0, &mut rng) {
                RetryDecision::Wait { delay_ms } => assert!(delay_ms <= p.ceiling_ms(wait)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_wait_budget_bounds_every_wait_and_then_gives_up() {
        let p = RetryPolicy {
            max_wait_ms: 3_000,
            ..RetryPolicy::default()
        };
        let mut rng = SplitMix64::new(5);
        let a_day = Failure {
            retry_after_ms: Some(crate::upload::retry_after::MAX_RETRY_AFTER_MS),
            ..failure(ErrorCode::Server, Some(503))
        };
        let mut a = Attempts::new();
        a.sending();
        assert_eq!(
            a.decide(&p, a_day, 0, &mut rng),
            RetryDecision::Wait { delay_ms: 3_000 }
        );
        a.sending();
        assert_eq!(
            a.decide(&p, a_day, 1_000, &mut rng),
            RetryDecision::Wait { delay_ms: 2_000 }
        );
        a.sending();
        assert_eq!(
            a.decide(&p, a_day, 3_000, &mut rng),
            RetryDecision::WaitedTooLong
        );
    }
}
