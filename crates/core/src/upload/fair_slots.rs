//! A fixed number of slots shared by several owners, granted fairly: the
//! uploader's queue uses one for its files (`maxConcurrentFiles`, each
//! upload its own owner, so first come first served) and one for the
//! requests in flight to the store (`maxConcurrentRequests`, shared by
//! the parts of every running file).
//!
//! When a slot frees, it goes to the waiting owner that holds the fewest
//! slots, the earliest asker among equals. So a small file that starts
//! while a large one keeps its parts in flight gets the next free request
//! slot, instead of waiting behind every part the large file has queued.
//!
//! Pure bookkeeping: the IO side keeps the wakers, keyed by [`Ticket`].

use std::collections::{BTreeMap, VecDeque};

/// Who holds or waits for slots (an upload).
pub type Owner = u64;

/// One waiting request for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(u64);

/// The answer to [`FairSlots::acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acquired {
    /// A slot is the owner's now.
    Now,
    /// None is free: the slot comes with a [`Grant`] of this ticket.
    Queued(Ticket),
}

/// A waiting ticket that was given a slot (the owner holds it from now on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub ticket: Ticket,
    pub owner: Owner,
}

#[derive(Debug, Clone, Copy)]
struct Waiter {
    ticket: Ticket,
    owner: Owner,
}

/// The slots, who holds them and who waits.
#[derive(Debug, Clone)]
pub struct FairSlots {
    capacity: usize,
    in_use: usize,
    held: BTreeMap<Owner, usize>,
    waiting: VecDeque<Waiter>,
    next_ticket: u64,
}

impl FairSlots {
    /// `capacity` slots (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            in_use: 0,
            held: BTreeMap::new(),
            waiting: VecDeque::new(),
            next_ticket: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Slots held now.
    pub fn in_use(&self) -> usize {
        self.in_use
    }

    /// Tickets waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Slots `owner` holds now.
    pub fn held_by(&self, owner: Owner) -> usize {
        self.held.get(&owner).copied().unwrap_or(0)
    }

    /// Asks for one slot for `owner`.
    pub fn acquire(&mut self, owner: Owner) -> Acquired {
        if self.in_use < self.capacity && self.waiting.is_empty() {
            self.take(owner);
            return Acquired::Now;
        }
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.waiting.push_back(Waiter { ticket, owner });
        Acquired::Queued(ticket)
    }

    /// `owner` gives one slot back; returns the ticket it went to, if one
    /// was waiting.
    pub fn release(&mut self, owner: Owner) -> Option<Grant> {
        match self.held.get_mut(&owner) {
            Some(n) if *n > 1 => *n -= 1,
            Some(_) => {
                self.held.remove(&owner);
            }
            None => return None,
        }
        self.in_use -= 1;
        self.grant()
    }

    /// Withdraws a waiting ticket. `false` if it is not waiting (it was
    /// granted already: its owner holds the slot and must release it).
    pub fn cancel(&mut self, ticket: Ticket) -> bool {
        let before = self.waiting.len();
        self.waiting.retain(|w| w.ticket != ticket);
        self.waiting.len() != before
    }

    /// The free slot to the waiter whose owner holds the fewest, earliest
    /// first among equals.
    fn grant(&mut self) -> Option<Grant> {
        if self.in_use >= self.capacity {
            return None;
        }
        let (index, _) = self
            .waiting
            .iter()
            .enumerate()
            .min_by_key(|(i, w)| (self.held_by(w.owner), *i))?;
        let waiter = self.waiting.remove(index)?;
        self.take(waiter.owner);
        Some(Grant {
            ticket: waiter.ticket,
            owner: waiter.owner,
        })
    }

    fn take(&mut self, owner: Owner) {
        self.in_use += 1;
        *self.held.entry(owner).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(a: Acquired) -> Ticket {
        match a {
            Acquired::Queued(t) => t,
            Acquired::Now => panic!("granted at once"),
        }
    }

    #[test]
    fn first_come_first_served_between_equals() {
        let mut s = FairSlots::new(2);
        assert_eq!(s.acquire(1), Acquired::Now);
        assert_eq!(s.acquire(2), Acquired::Now);
        let t3 = queued(s.acquire(3));
        let t4 = queued(s.acquire(4));
        assert_eq!((s.in_use(), s.waiting()), (2, 2));
        assert_eq!(
            s.release(1),
            Some(Grant {
                ticket: t3,
                owner: 3
            })
        );
        assert_eq!(
            s.release(2),
            Some(Grant {
                ticket: t4,
                owner: 4
            })
        );
        assert_eq!(s.release(3), None);
        assert_eq!(s.release(4), None);
        assert_eq!((s.in_use(), s.waiting()), (0, 0));
    }

    #[test]
    fn a_free_slot_goes_to_the_owner_holding_fewest() {
        let mut s = FairSlots::new(3);
        for _ in 0..3 {
            assert_eq!(s.acquire(1), Acquired::Now);
        }
        // The large upload queues more parts before the small one asks.
        let _big = [queued(s.acquire(1)), queued(s.acquire(1))];
        let small = queued(s.acquire(2));
        assert_eq!(
            s.release(1),
            Some(Grant {
                ticket: small,
                owner: 2
            })
        );
        assert_eq!(s.held_by(1), 2);
        assert_eq!(s.held_by(2), 1);
    }

    #[test]
    fn cancelled_tickets_are_skipped_and_granted_ones_cannot_be_cancelled() {
        let mut s = FairSlots::new(1);
        assert_eq!(s.acquire(1), Acquired::Now);
        let a = queued(s.acquire(2));
        let b = queued(s.acquire(3));
        assert!(s.cancel(a));
        assert!(!s.cancel(a));
        assert_eq!(
            s.release(1),
            Some(Grant {
                ticket: b,
                owner: 3
            })
        );
        assert!(!s.cancel(b), "granted: the owner holds it now");
        assert_eq!(s.held_by(3), 1);
    }

    #[test]
    fn releasing_what_is_not_held_changes_nothing() {
        let mut s = FairSlots::new(1);
        assert_eq!(s.release(9), None);
        assert_eq!(s.acquire(1), Acquired::Now);
        assert_eq!(s.release(9), None);
        assert_eq!(s.in_use(), 1);
        assert_eq!(FairSlots::new(0).capacity(), 1);
    }

    /// Random acquire/release/cancel sequences never hand out more than the
    /// capacity, never leave a slot free while someone waits, and account
    /// every slot to its owner.
    #[test]
    fn invariants_hold_over_random_sequences() {
        let mut rng = crate::upload::retry_policy::SplitMix64::new(2024);
        for round in 0..200 {
            let capacity = 1 + (round % 6);
            let mut s = FairSlots::new(capacity);
            let mut holders: Vec<Owner> = Vec::new();
            let mut tickets: Vec<(Ticket, Owner)> = Vec::new();
            for _ in 0..300 {
                match rng.up_to(2) {
                    0 => {
                        let owner = rng.up_to(4);
                        match s.acquire(owner) {
                            Acquired::Now => holders.push(owner),
                            Acquired::Queued(t) => tickets.push((t, owner)),
                        }
                    }
                    1 if !holders.is_empty() => {
                        let i = rng.up_to(holders.len() as u64 - 1) as usize;
                        let owner = holders.swap_remove(i);
                        if let Some(grant) = s.release(owner) {
                            let at = tickets.iter().position(|(t, _)| *t == grant.ticket);
                            let (_, o) = tickets.remove(at.expect("a waiting ticket"));
                            assert_eq!(o, grant.owner);
                            holders.push(grant.owner);
                        }
                    }
                    _ if !tickets.is_empty() => {
                        let i = rng.up_to(tickets.len() as u64 - 1) as usize;
                        let (ticket, _) = tickets.swap_remove(i);
                        assert!(s.cancel(ticket));
                    }
                    _ => {}
                }
                assert!(s.in_use() <= capacity);
                assert_eq!(s.in_use(), holders.len());
                assert_eq!(s.waiting(), tickets.len());
                if s.waiting() > 0 {
                    assert_eq!(s.in_use(), capacity, "a slot free while someone waits");
                }
                for owner in 0..4 {
                    let held = holders.iter().filter(|&&o| o == owner).count();
                    assert_eq!(s.held_by(owner), held);
                }
            }
        }
    }
}
