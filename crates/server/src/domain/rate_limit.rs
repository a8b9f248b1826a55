//! The per-user request rate limit: a GCRA token bucket per user id
//! (`governor`), checked by the API's `Identity` extractor
//! ([`crate::http::extract`]), so it covers every API request that names its
//! caller.

use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota};
use presign_core::UserId;
use std::num::NonZeroU32;
use std::time::Duration;

/// Default sustained rate, requests per second per user.
pub const DEFAULT_RATE_PER_SECOND: u32 = 20;
/// Default burst, requests a user may make at once after a quiet spell.
pub const DEFAULT_BURST: u32 = 200;
/// Users tracked before idle ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// The configured limit; `per_second == 0` turns it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_second: DEFAULT_RATE_PER_SECOND,
            burst: DEFAULT_BURST,
        }
    }
}

/// A request over the limit, and how long until the user may make another
/// (whole seconds, at least 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "too many requests: the limit is {} per second (bursts of {}) per user; retry in {} s",
    .limit.per_second,
    .limit.burst,
    .retry_after.as_secs()
)]
pub struct RateLimited {
    pub limit: RateLimit,
    pub retry_after: Duration,
}

/// One bucket per user.
pub struct UserRateLimiter {
    limit: RateLimit,
    limiter: Option<DefaultKeyedRateLimiter<UserId>>,
}

impl std::fmt::Debug for UserRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRateLimiter")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl UserRateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let limiter = NonZeroU32::new(limit.per_second).map(|rate| {
            let burst = NonZeroU32::new(limit.burst).unwrap_or(rate);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self { limit, limiter }
    }

    /// `Ok` when `user` may make one more request now; else how long until
    /// it may.
    pub fn check(&self, user: &UserId) -> Result<(), RateLimited> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > PRUNE_ABOVE {
            limiter.retain_recent();
        }
        limiter.check_key(user).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            RateLimited {
                limit: self.limit,
                retry_after: Duration::from_secs(secs.max(1)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_per_user() {
        let limiter = UserRateLimiter::new(RateLimit {
            per_second: 1,
            burst: 3,
        });
        let alice = UserId::parse("alice").expect("user");
        let bob = UserId::parse("bob").expect("user");
        for _ in 0..3 {
            assert!(limiter.check(&alice).is_ok());
        }
        match limiter.check(&alice) {
            Err(limited) => {
                assert_eq!(limited.retry_after, Duration::from_secs(1));
                let msg = limited.to_string();
                assert!(msg.contains("1 per second"), "{msg}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(limiter.check(&bob).is_ok(), "others have their own bucket");
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = UserRateLimiter::new(RateLimit {
            per_second: 0,
            burst: 0,
        });
        let alice = UserId::parse("alice").expect("user");
        for _ in 0..1000 {
            assert!(limiter.check(&alice).is_ok());
        }
    }
}
