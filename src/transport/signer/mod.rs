//! The signer's JSON API over `fetch`: its calls ([`client`]), one request
//! with the uploader's headers and bearer token ([`http`], [`token_source`]),
//! and the batching of single-PUT signing and confirming across an
//! uploader's files ([`batching`], [`batched_calls`]).

pub mod batched_calls;
pub mod batching;
pub mod client;
pub mod http;
pub mod token_source;
