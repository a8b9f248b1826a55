//! The browser client's decisions, pure (time and randomness passed in):
//! an upload's states, when and how a request is tried again or waits,
//! the queue's fair slots, progress of a file and of a batch, the saved
//! state that lets a multipart upload resume (and what a page is shown of
//! it), and how parts are hashed.

pub mod batch_progress;
pub mod fair_slots;
pub mod hash_strategy;
pub mod multipart_progress;
pub mod part_pipeline;
pub mod progress;
pub mod resumable_upload;
pub mod resume_state;
pub mod retry_after;
pub mod retry_policy;
pub mod state;
pub mod wait_clock;
