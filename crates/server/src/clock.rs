//! Where "now" comes from when presigning URLs for clients, so tests can pin it.

use jiff::Timestamp;

/// The time source of the URLs handed to clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// Always this instant (tests: URLs signed in the past are already expired).
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => t,
        }
    }
}
