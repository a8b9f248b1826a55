//! When and how a failed part upload is tried again: exponential backoff with
//! FULL jitter (`delay = random in [0, min(cap, base · 2^retry)]`), and which
//! failures retry, re-presign, re-hash or fail at once.
//!
//! Randomness is injected ([`SplitMix64`], seeded by the caller), so the
//! schedule is exact in tests.

use crate::error_code::ErrorCode;

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
    /// Wait this many milliseconds, then send again with the same URL.
    Backoff { delay_ms: u64 },
    /// The URL expired: ask the signer for a fresh one, then send again.
    Represign,
    /// The store computed another checksum: read and hash the part again
    /// (once), then send again.
    Rehash,
    /// Give up with this failure.
    Fail,
}

/// How a failure looks to the policy: the error's stable code and the HTTP
/// status when there was an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub code: ErrorCode,
    pub status: Option<u16>,
}

/// Which kind of failure this is, whatever the attempt count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// Network error, timeout, 5xx, 429, SlowDown: worth waiting and retrying.
    Transient,
    /// 403 for an expired URL.
    Expired,
    /// BadDigest / XAmzContentChecksumMismatch.
    Checksum,
    /// Any other refusal (4xx, abort, a full disk): retrying cannot help.
    Permanent,
}

impl Failure {
    pub fn class(&self) -> FailureClass {
        match (self.code, self.status) {
            (ErrorCode::StorageFull, _) => FailureClass::Permanent,
            (ErrorCode::Network | ErrorCode::RateLimited, _) => FailureClass::Transient,
            (_, Some(s)) if s == 429 || (500..600).contains(&s) => FailureClass::Transient,
            (ErrorCode::Server, None) => FailureClass::Transient,
            (ErrorCode::Expired, _) => FailureClass::Expired,
            (ErrorCode::ChecksumMismatch, _) => FailureClass::Checksum,
            _ => FailureClass::Permanent,
        }
    }
}

/// Attempts, base delay and cap of the backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per part in all (the first included); at least 1.
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
}

/// Five attempts, 250 ms base, 8 s cap.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_delay_ms: 250,
            max_delay_ms: 8_000,
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

    /// What to do after attempt number `attempts` (1 = the first) failed.
    /// `rehashed` says whether the part was already re-read once for a
    /// checksum rejection.
    pub fn decide(
        &self,
        failure: Failure,
        attempts: u32,
        rehashed: bool,
        rng: &mut SplitMix64,
    ) -> RetryDecision {
        let exhausted = attempts >= self.max_attempts.max(1);
        match failure.class() {
            FailureClass::Permanent => RetryDecision::Fail,
            _ if exhausted => RetryDecision::Fail,
            FailureClass::Transient => RetryDecision::Backoff {
                delay_ms: self.delay_ms(attempts.saturating_sub(1), rng),
            },
            FailureClass::Expired => RetryDecision::Represign,
            FailureClass::Checksum if rehashed => RetryDecision::Fail,
            FailureClass::Checksum => RetryDecision::Rehash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: ErrorCode, status: Option<u16>) -> Failure {
        Failure { code, status }
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
            (failure(ErrorCode::RateLimited, Some(503)), Transient),
            (failure(ErrorCode::RateLimited, Some(429)), Transient),
            (failure(ErrorCode::Expired, Some(403)), Expired),
            (failure(ErrorCode::ChecksumMismatch, Some(400)), Checksum),
            (failure(ErrorCode::Forbidden, Some(403)), Permanent),
            (failure(ErrorCode::BadRequest, Some(400)), Permanent),
            (failure(ErrorCode::NotFound, Some(404)), Permanent),
            (failure(ErrorCode::Aborted, None), Permanent),
            (failure(ErrorCode::StorageFull, Some(507)), Permanent),
        ];
        for (f, want) in cases {
            assert_eq!(f.class(), want, "{f:?}");
        }
    }

    #[test]
    fn decisions_respect_attempts_and_rehash_once() {
        let p = RetryPolicy::default();
        let mut rng = SplitMix64::new(7);
        let busy = failure(ErrorCode::RateLimited, Some(503));
        assert!(matches!(
            p.decide(busy, 1, false, &mut rng),
            RetryDecision::Backoff { delay_ms } if delay_ms <= 250
        ));
        assert!(matches!(
            p.decide(busy, 4, false, &mut rng),
            RetryDecision::Backoff { delay_ms } if delay_ms <= 2000
        ));
        assert_eq!(p.decide(busy, 5, false, &mut rng), RetryDecision::Fail);
        let expired = failure(ErrorCode::Expired, Some(403));
        assert_eq!(
            p.decide(expired, 1, false, &mut rng),
            RetryDecision::Represign
        );
        let digest = failure(ErrorCode::ChecksumMismatch, Some(400));
        assert_eq!(p.decide(digest, 1, false, &mut rng), RetryDecision::Rehash);
        assert_eq!(p.decide(digest, 2, true, &mut rng), RetryDecision::Fail);
        let denied = failure(ErrorCode::Forbidden, Some(403));
        assert_eq!(p.decide(denied, 1, false, &mut rng), RetryDecision::Fail);
        let once = RetryPolicy {
            max_attempts: 1,
            ..p
        };
        assert_eq!(once.decide(busy, 1, false, &mut rng), RetryDecision::Fail);
    }
}
