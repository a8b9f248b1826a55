//! Where "now" comes from, so tests can pin it or move it: the time that signs
//! clients' URLs, that dates new multipart uploads, that the stale-upload
//! collector ([`crate::domain::gc`]) measures their age against, and that
//! times the cache of keys fetched from a JWKS URL ([`crate::auth`]).

use jiff::{SignedDuration, Timestamp};
use std::sync::{Arc, Mutex, PoisonError};

/// The server's time source.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// Always this instant (tests: URLs signed in the past are already expired).
    Fixed(Timestamp),
    /// An instant a test sets and moves ([`ManualClock`]); every clone of
    /// the clock sees the same time.
    Manual(ManualClock),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t,
            Clock::Manual(manual) => manual.now(),
        }
    }
}

/// A shared instant, moved by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<Timestamp>>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set(&self, to: Timestamp) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }

    /// Moves the time by `by` (negative: back); saturates at jiff's range.
    pub fn advance(&self, by: SignedDuration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now.saturating_add(by).unwrap_or(*now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_is_shared_by_its_clones() {
        let start: Timestamp = "2026-05-01T12:00:00Z".parse().expect("time");
        let manual = ManualClock::new(start);
        let clock = Clock::Manual(manual.clone());
        let copy = clock.clone();
        assert_eq!(copy.now(), start);
        manual.advance(SignedDuration::from_hours(25));
        assert_eq!(clock.now(), "2026-05-02T13:00:00Z".parse().expect("time"));
        manual.set(start);
        assert_eq!(copy.now(), start);
        assert_eq!(Clock::Fixed(start).now(), start);
    }
}
