//! How far ahead of a multipart upload's PUTs its parts are read, hashed
//! and signed: enough that a free request slot never waits for a URL, few
//! enough that no URL waits long enough to expire and no part's bytes are
//! read long before they are sent.

use crate::protocol::multipart::MAX_PARTS_PER_REQUEST;

/// Where a multipart upload's parts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pipeline {
    /// Parts hashed, waiting for a URL.
    pub hashed: usize,
    /// Parts signed, waiting for a request slot.
    pub signed: usize,
    /// Parts not taken in yet (being hashed, or not started).
    pub unhashed: usize,
    /// Parts being sent.
    pub in_flight: usize,
    /// Parts being hashed now.
    pub hashing: usize,
    /// Parts hashed before the parts before them, held back.
    pub early: usize,
    /// Parts in flight at once (`concurrency`).
    pub concurrency: usize,
    /// Parts hashed at once, at most.
    pub hash_limit: usize,
}

impl Pipeline {
    /// Whether to ask for URLs now: nothing is running (do not idle), a
    /// request's worth is ready, or the request is full.
    pub fn sign_due(&self) -> bool {
        if self.hashed == 0 || self.signed >= self.concurrency {
            return false;
        }
        let starving = self.in_flight + self.signed == 0;
        let full_batch = self.hashed >= self.concurrency.min(self.hashed + self.unhashed);
        starving || full_batch || self.hashed >= MAX_PARTS_PER_REQUEST
    }

    /// How many parts to ask URLs for now.
    pub fn sign_count(&self) -> usize {
        self.hashed.min(MAX_PARTS_PER_REQUEST)
    }

    /// Whether to start reading and hashing one more part: a hashing slot is
    /// free and fewer than twice `concurrency` parts wait ahead of the PUTs.
    pub fn read_ahead(&self) -> bool {
        self.unhashed > self.hashing + self.early
            && self.hashing < self.hash_limit
            && self.hashing + self.early + self.hashed + self.signed < 2 * self.concurrency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hashed: usize, signed: usize, unhashed: usize, in_flight: usize) -> Pipeline {
        Pipeline {
            hashed,
            signed,
            unhashed,
            in_flight,
            hashing: 0,
            early: 0,
            concurrency: 4,
            hash_limit: 2,
        }
    }

    #[test]
    fn batches_fill_up_to_concurrency() {
        assert!(at(1, 0, 15, 0).sign_due(), "nothing runs: do not idle");
        assert!(!at(2, 1, 15, 0).sign_due());
        assert!(at(4, 1, 15, 0).sign_due());
        // Enough signed parts queued: wait.
        assert!(!at(8, 4, 15, 4).sign_due());
        // The tail: fewer parts than a batch remain.
        assert!(at(2, 3, 0, 4).sign_due());
        assert!(!at(0, 0, 0, 4).sign_due());
        assert_eq!(at(250, 0, 0, 0).sign_count(), MAX_PARTS_PER_REQUEST);
    }

    #[test]
    fn reads_ahead_within_the_hashing_slots_and_twice_concurrency() {
        let mut p = at(0, 0, 10, 0);
        assert!(p.read_ahead());
        p.hashing = 2;
        assert!(!p.read_ahead(), "both hashing slots busy");
        p.hashing = 1;
        p.hashed = 4;
        p.signed = 3;
        assert!(!p.read_ahead(), "eight parts wait ahead already");
        p.signed = 2;
        assert!(p.read_ahead());
        let done = Pipeline {
            unhashed: 1,
            hashing: 1,
            ..p
        };
        assert!(!done.read_ahead(), "the last part is being hashed");
    }
}
