//! One `Uploader`'s queue: the files that may run at once
//! (`maxConcurrentFiles`), the single-request files hashed and signed ahead
//! of their turn ([`AHEAD`]), and the requests to the store that may be in
//! flight at once across all of them (`maxConcurrentRequests`), each a set of
//! [`FairSlots`] (the core decides who gets a free slot; this keeps the
//! wakers), and a signal for uploads waiting on the signer's cap of open
//! multipart uploads: one of this uploader's multipart uploads ended.
//!
//! A waiting file holds nothing but its `File` handle: it is read only once
//! it has a slot (a file slot, or one ahead).

use crate::error::UploadError;
use crate::web::abort;
use futures::channel::oneshot;
use futures::future::{select, Either};
use presign_core::upload::fair_slots::{Acquired, FairSlots, Owner, Ticket};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::pin::pin;
use std::rc::Rc;
use web_sys::AbortSignal;

/// Single-request files hashed and signed while they wait for a file slot,
/// so that a small file's turn is its PUT alone, and the signer signs them
/// in batches ([`crate::transport::signer::batching`]) instead of one round
/// trip per file.
pub const AHEAD: usize = 16;

/// The queue of one `Uploader`, shared (`Rc`) by its uploads.
#[derive(Debug)]
pub struct UploadQueue {
    pub files: Rc<Slots>,
    pub ahead: Rc<Slots>,
    pub requests: Rc<Slots>,
    pub multipart_ended: Notify,
    next_owner: Cell<Owner>,
}

impl UploadQueue {
    pub fn new(max_files: u32, max_requests: u32) -> Self {
        Self {
            files: Rc::new(Slots::new(max_files as usize)),
            ahead: Rc::new(Slots::new(AHEAD)),
            requests: Rc::new(Slots::new(max_requests as usize)),
            multipart_ended: Notify::default(),
            next_owner: Cell::new(0),
        }
    }

    /// A fresh owner id for one upload.
    pub fn owner(&self) -> Owner {
        let id = self.next_owner.get();
        self.next_owner.set(id + 1);
        id
    }
}

/// A number of slots and the tasks waiting for one.
pub struct Slots {
    state: RefCell<FairSlots>,
    wakers: RefCell<HashMap<Ticket, oneshot::Sender<()>>>,
}

impl fmt::Debug for Slots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("Slots")
            .field("capacity", &state.capacity())
            .field("in_use", &state.in_use())
            .field("waiting", &state.waiting())
            .finish()
    }
}

impl Slots {
    pub fn new(capacity: usize) -> Self {
        Self {
            state: RefCell::new(FairSlots::new(capacity)),
            wakers: RefCell::new(HashMap::new()),
        }
    }

    /// Slots taken now.
    pub fn in_use(&self) -> usize {
        self.state.borrow().in_use()
    }

    /// Whether an `acquire` now would get a slot without waiting.
    pub fn free_now(&self) -> bool {
        let state = self.state.borrow();
        state.waiting() == 0 && state.in_use() < state.capacity()
    }

    /// Waits for a slot for `owner`; fails with `aborted` when `signal`
    /// fires first. The slot is given back when the [`Slot`] drops.
    pub async fn acquire(
        self: &Rc<Self>,
        owner: Owner,
        signal: Option<&AbortSignal>,
    ) -> Result<Slot, UploadError> {
        abort::ensure_live(signal)?;
        let acquired = self.state.borrow_mut().acquire(owner);
        let ticket = match acquired {
            Acquired::Now => return Ok(self.slot(owner)),
            Acquired::Queued(ticket) => ticket,
        };
        let (tx, rx) = oneshot::channel();
        self.wakers.borrow_mut().insert(ticket, tx);
        // Withdraws the ticket if this future is dropped or aborted before
        // its grant arrives; a grant that came meanwhile is given back.
        let mut pending = Pending {
            slots: self,
            ticket,
            owner,
            armed: true,
        };
        let granted = match signal {
            None => rx.await.is_ok(),
            Some(signal) => match select(rx, pin!(abort::fired(signal))).await {
                Either::Left((granted, _)) => granted.is_ok(),
                Either::Right(_) => false,
            },
        };
        if !granted {
            return Err(UploadError::aborted());
        }
        pending.armed = false;
        Ok(self.slot(owner))
    }

    fn slot(self: &Rc<Self>, owner: Owner) -> Slot {
        Slot {
            slots: Rc::clone(self),
            owner,
        }
    }

    /// `owner` gives a slot back; the task it goes to, if any, is woken
    /// (a grant to a task that is gone is given back in turn).
    fn release(&self, owner: Owner) {
        let mut owner = owner;
        loop {
            let Some(grant) = self.state.borrow_mut().release(owner) else {
                return;
            };
            let waker = self.wakers.borrow_mut().remove(&grant.ticket);
            match waker.map(|w| w.send(())) {
                Some(Ok(())) => return,
                _ => owner = grant.owner,
            }
        }
    }
}

/// A slot held; given back on drop.
pub struct Slot {
    slots: Rc<Slots>,
    owner: Owner,
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot").field("owner", &self.owner).finish()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.release(self.owner);
    }
}

/// A ticket still waiting: withdrawn on drop, or, if granted meanwhile
/// (the grant raced the abort), its slot given back.
struct Pending<'a> {
    slots: &'a Rc<Slots>,
    ticket: Ticket,
    owner: Owner,
    armed: bool,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.slots.wakers.borrow_mut().remove(&self.ticket);
        let withdrawn = self.slots.state.borrow_mut().cancel(self.ticket);
        if !withdrawn {
            self.slots.release(self.owner);
        }
    }
}

/// Wakes every task waiting for the next notification.
#[derive(Debug, Default)]
pub struct Notify {
    waiters: RefCell<Vec<oneshot::Sender<()>>>,
}

impl Notify {
    /// Resolves at the next [`Notify::notify_all`].
    pub fn notified(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        self.waiters.borrow_mut().push(tx);
        rx
    }

    pub fn notify_all(&self) {
        for waiter in self.waiters.borrow_mut().drain(..) {
            let _ = waiter.send(());
        }
    }
}
