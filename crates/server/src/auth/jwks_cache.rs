//! When the keys of a JWKS URL are fetched, and how long they are trusted:
//! the rules of the cache, apart from the fetching ([`super::remote_jwks`]
//! does that). Times come from the server's [`Clock`](crate::clock::Clock),
//! so tests move them instead of waiting.
//!
//! - A fetched set is fresh for its `Cache-Control: max-age`, held between
//!   [`MIN_LIFETIME`] and [`MAX_LIFETIME`]; [`DEFAULT_LIFETIME`] without
//!   one; `no-store` or `no-cache` give the minimum.
//! - A fetch is due when the set is stale, or a token names a `kid` the set
//!   lacks (the provider rotated its keys); but two fetches, whatever they
//!   gave, are at least [`REFETCH_INTERVAL`] apart, so tokens with made-up
//!   `kid`s cannot make the server hammer the provider. While no keys are
//!   loaded the gap is [`RETRY_WITHOUT_KEYS`]: every request is waiting.
//! - While a fetch is under way, a request it may answer waits for it.
//! - A failed fetch keeps the last good set until it is [`KEEP_STALE_FOR`]
//!   old; without a usable set, requests are told to come back later
//!   ([`KeysUnavailable`]), never that their token is wrong.

use super::keys::KeySet;
use jiff::{SignedDuration, Timestamp};
use std::sync::Arc;
use std::time::Duration;

/// Shortest time a fetched set is fresh, whatever its `max-age` says.
pub const MIN_LIFETIME: Duration = Duration::from_secs(60);
/// Longest time a fetched set is fresh.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How long a set without `max-age` is fresh.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Least time between two fetches while keys are loaded.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// Least time between two fetches while no keys are loaded.
pub const RETRY_WITHOUT_KEYS: Duration = Duration::from_secs(10);
/// How long the last good set stands in while fetches fail.
pub const KEEP_STALE_FOR: Duration = Duration::from_secs(24 * 3600);

/// No keys to check tokens with: none fetched yet, or the last good set is
/// older than [`KEEP_STALE_FOR`] and fetches fail. The caller should try
/// again after `retry_after`, when a fetch may be tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the identity provider's keys are not available")]
pub struct KeysUnavailable {
    pub retry_after: Duration,
}

/// What a request does next.
#[derive(Debug)]
pub enum Plan {
    /// Check the token with these keys.
    Use(Arc<KeySet>),
    /// Fetch the set first (then [`JwksCache::settled`]).
    Fetch,
    /// Wait for the fetch under way (then [`JwksCache::settled`]).
    Wait,
    /// No usable keys, and no fetch may be tried yet.
    Unavailable(KeysUnavailable),
}

/// The last good set and when fetches happened.
#[derive(Debug, Default)]
pub struct JwksCache {
    loaded: Option<Loaded>,
    /// When the last fetch started, whatever it gave.
    last_attempt: Option<Timestamp>,
    /// Whether a fetch is under way.
    in_flight: bool,
}

#[derive(Debug)]
struct Loaded {
    keys: Arc<KeySet>,
    fetched_at: Timestamp,
    fresh_until: Timestamp,
}

impl JwksCache {
    /// What a token naming `kid` needs at `now`.
    pub fn plan(&self, now: Timestamp, kid: Option<&str>) -> Plan {
        let due = match &self.loaded {
            None => true,
            Some(loaded) => now >= loaded.fresh_until || !loaded.keys.knows(kid),
        };
        if due && self.in_flight {
            return Plan::Wait;
        }
        if due && self.may_fetch(now) {
            return Plan::Fetch;
        }
        match self.settled(now) {
            Ok(keys) => Plan::Use(keys),
            Err(unavailable) => Plan::Unavailable(unavailable),
        }
    }

    /// The keys as they are, without fetching: the last good set while it
    /// is usable.
    pub fn settled(&self, now: Timestamp) -> Result<Arc<KeySet>, KeysUnavailable> {
        match self.usable(now) {
            Some(keys) => Ok(keys.clone()),
            None => Err(KeysUnavailable {
                retry_after: self.next_fetch_in(now),
            }),
        }
    }

    /// A fetch starts at `now`: the next one waits its turn.
    pub fn fetching(&mut self, now: Timestamp) {
        self.last_attempt = Some(now);
        self.in_flight = true;
    }

    /// The fetch under way failed.
    pub fn failed(&mut self) {
        self.in_flight = false;
    }

    /// The fetch under way gave `keys`, fresh for `lifetime` (already
    /// bounded by [`lifetime`]).
    pub fn fetched(&mut self, now: Timestamp, keys: KeySet, lifetime: Duration) {
        self.in_flight = false;
        let lifetime = SignedDuration::try_from(lifetime).unwrap_or(SignedDuration::MAX);
        self.loaded = Some(Loaded {
            keys: Arc::new(keys),
            fetched_at: now,
            fresh_until: now.saturating_add(lifetime).unwrap_or(now),
        });
    }

    /// How old the last good set is at `now`, if there is one.
    pub fn age(&self, now: Timestamp) -> Option<Duration> {
        self.loaded
            .as_ref()
            .map(|loaded| elapsed(now, loaded.fetched_at).unwrap_or(Duration::ZERO))
    }

    fn usable(&self, now: Timestamp) -> Option<&Arc<KeySet>> {
        let loaded = self.loaded.as_ref()?;
        let age = elapsed(now, loaded.fetched_at).unwrap_or(Duration::ZERO);
        (age < KEEP_STALE_FOR).then_some(&loaded.keys)
    }

    /// The least time between two fetches now.
    fn gap(&self, now: Timestamp) -> Duration {
        if self.usable(now).is_some() {
            REFETCH_INTERVAL
        } else {
            RETRY_WITHOUT_KEYS
        }
    }

    fn may_fetch(&self, now: Timestamp) -> bool {
        match self.last_attempt.map(|at| elapsed(now, at)) {
            None | Some(None) => true,
            Some(Some(since)) => since >= self.gap(now),
        }
    }

    /// How long until a fetch may be tried, in whole seconds rounded up,
    /// at least one (a `Retry-After` of 0 invites a storm).
    fn next_fetch_in(&self, now: Timestamp) -> Duration {
        let since = self.last_attempt.and_then(|at| elapsed(now, at));
        let wait = since.map_or(Duration::ZERO, |since| self.gap(now).saturating_sub(since));
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Duration::from_secs(secs.max(1))
    }
}

/// Time from `then` to `now`; `None` when the clock went back past `then`.
fn elapsed(now: Timestamp, then: Timestamp) -> Option<Duration> {
    Duration::try_from(now.duration_since(then)).ok()
}

/// How long a set is fresh, from its response's `Cache-Control` (all its
/// values, comma-joined): `max-age` held between [`MIN_LIFETIME`] and
/// [`MAX_LIFETIME`], [`DEFAULT_LIFETIME`] without one, the minimum for
/// `no-store` or `no-cache`.
pub fn lifetime(cache_control: Option<&str>) -> Duration {
    let mut max_age = None;
    for directive in cache_control.unwrap_or_default().split(',') {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "no-store" | "no-cache" => return MIN_LIFETIME,
            "max-age" => {
                let value = value.trim().trim_matches('"');
                // Past u64: as long as allowed.
                let secs = value.parse::<u64>().ok().or_else(|| {
                    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                        .then_some(u64::MAX)
                });
                max_age = max_age.or(secs.map(Duration::from_secs));
            }
            _ => {}
        }
    }
    max_age
        .unwrap_or(DEFAULT_LIFETIME)
        .clamp(MIN_LIFETIME, MAX_LIFETIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("time")
    }

    fn set(kids: &[&str]) -> KeySet {
        let key = |kid: &&str| {
            let key = jsonwebtoken::DecodingKey::from_secret(b"test");
            let algorithms = vec![jsonwebtoken::Algorithm::HS256];
            (
                (*kid).to_owned(),
                super::super::keys::VerifyKey { key, algorithms },
            )
        };
        KeySet::ById(kids.iter().map(key).collect())
    }

    fn kids(plan: &Plan) -> Vec<String> {
        match plan {
            Plan::Use(keys) => match keys.as_ref() {
                KeySet::ById(keys) => keys.iter().map(|(kid, _)| kid.clone()).collect(),
                KeySet::Single(_) => vec![],
            },
            other => panic!("keys expected, got {other:?}"),
        }
    }

    fn retry_after(plan: &Plan) -> u64 {
        match plan {
            Plan::Unavailable(e) => e.retry_after.as_secs(),
            other => panic!("unavailable expected, got {other:?}"),
        }
    }

    #[test]
    fn max_age_is_honoured_within_bounds() {
        let secs = |text: Option<&str>| lifetime(text).as_secs();
        assert_eq!(secs(None), 300);
        assert_eq!(secs(Some("")), 300);
        assert_eq!(secs(Some("public, max-age=3600")), 3600);
        assert_eq!(secs(Some("Max-Age = \"120\" , must-revalidate")), 120);
        assert_eq!(secs(Some("max-age=5")), 60);
        assert_eq!(secs(Some("max-age=0")), 60);
        assert_eq!(secs(Some("max-age=604800")), 86_400);
        assert_eq!(secs(Some("max-age=99999999999999999999999")), 86_400);
        assert_eq!(secs(Some("max-age=soon")), 300);
        assert_eq!(secs(Some("max-age=3600, no-cache")), 60);
        assert_eq!(secs(Some("no-store")), 60);
        assert_eq!(secs(Some("private")), 300);
    }

    #[test]
    fn a_fresh_set_is_used_a_stale_one_refetched() {
        let mut cache = JwksCache::default();
        assert!(matches!(cache.plan(at(0), None), Plan::Fetch));
        cache.fetching(at(0));
        cache.fetched(at(0), set(&["a"]), Duration::from_secs(120));
        assert_eq!(kids(&cache.plan(at(119), Some("a"))), ["a"]);
        assert!(matches!(cache.plan(at(120), Some("a")), Plan::Fetch));
    }

    #[test]
    fn unknown_kids_refetch_at_most_once_a_minute() {
        let mut cache = JwksCache::default();
        cache.fetching(at(0));
        cache.fetched(at(0), set(&["a"]), MAX_LIFETIME);
        // Within a minute of the last fetch: the set as it is.
        assert_eq!(kids(&cache.plan(at(59), Some("b"))), ["a"]);
        assert!(matches!(cache.plan(at(60), Some("b")), Plan::Fetch));
        cache.fetching(at(60));
        cache.fetched(at(60), set(&["a", "b"]), MAX_LIFETIME);
        for kid in ["x", "y", "z"] {
            assert_eq!(kids(&cache.plan(at(100), Some(kid))), ["a", "b"]);
        }
        // A token without a kid never asks for a fetch.
        assert_eq!(kids(&cache.plan(at(1000), None)), ["a", "b"]);
    }

    #[test]
    fn a_failed_refetch_keeps_the_last_keys_for_a_day() {
        let mut cache = JwksCache::default();
        cache.fetching(at(0));
        cache.fetched(at(0), set(&["a"]), MIN_LIFETIME);
        let mut now = 60;
        while now < 86_400 {
            assert!(matches!(cache.plan(at(now), Some("a")), Plan::Fetch));
            cache.fetching(at(now));
            cache.failed();
            // It fails: the old keys, until the next try a minute later.
            assert_eq!(kids(&cache.plan(at(now + 1), Some("a"))), ["a"]);
            now += 3600;
        }
        let day = 86_400;
        cache.fetching(at(day - 1));
        cache.failed();
        assert_eq!(retry_after(&cache.plan(at(day), Some("a"))), 9);
        assert_eq!(cache.age(at(day)), Some(KEEP_STALE_FOR));
    }

    #[test]
    fn without_keys_requests_wait_for_the_next_try() {
        let mut cache = JwksCache::default();
        cache.fetching(at(0));
        cache.failed();
        assert_eq!(retry_after(&cache.plan(at(0), None)), 10);
        assert_eq!(retry_after(&cache.plan(at(7), Some("a"))), 3);
        assert!(matches!(cache.plan(at(10), None), Plan::Fetch));
        assert_eq!(
            cache.settled(at(10)).map(|_| ()),
            Err(KeysUnavailable {
                retry_after: Duration::from_secs(1)
            })
        );
    }

    #[test]
    fn requests_a_fetch_under_way_may_answer_wait_for_it() {
        let mut cache = JwksCache::default();
        cache.fetching(at(0));
        assert!(matches!(cache.plan(at(0), Some("a")), Plan::Wait));
        cache.fetched(at(0), set(&["a"]), MAX_LIFETIME);
        cache.fetching(at(60));
        // Known kid, fresh keys: no need to wait.
        assert_eq!(kids(&cache.plan(at(60), Some("a"))), ["a"]);
        assert!(matches!(cache.plan(at(60), Some("b")), Plan::Wait));
        cache.failed();
        assert_eq!(kids(&cache.plan(at(61), Some("b"))), ["a"]);
    }

    #[test]
    fn a_clock_gone_back_allows_a_fetch_and_keeps_the_keys() {
        let mut cache = JwksCache::default();
        cache.fetching(at(1000));
        cache.fetched(at(1000), set(&["a"]), MAX_LIFETIME);
        assert!(matches!(cache.plan(at(0), Some("b")), Plan::Fetch));
        assert_eq!(kids(&cache.plan(at(0), Some("a"))), ["a"]);
    }
}
