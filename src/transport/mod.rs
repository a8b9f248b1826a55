//! One request at a time, no retries (those are [`crate::upload::attempt`]'s):
//! the signer's JSON API and the store's presigned PUTs and POST forms.

pub mod signer;
pub mod store;
