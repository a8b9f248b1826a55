//! One upload, from its turn in the uploader's queue to its verified end:
//! the attempt loop every request goes through ([`attempt`]), the upload's
//! controls and waits ([`control`], [`queue`]), progress, and the two ways to
//! send a file: one request ([`single`]) or parts ([`multipart`]).

pub mod attempt;
pub mod control;
pub mod engine;
pub mod job;
pub mod multipart;
pub mod options;
pub mod progress;
pub mod queue;
pub mod single;
pub mod verify;
