//! The signer: its calls as uploads make them ([`client`]), each one a
//! [`call`] that goes to the uploader's [`backend`]: over HTTP to a signer
//! speaking `presign-server`'s protocol ([`http`], with the bearer token of
//! [`token_source`]), or to the page's own signer object ([`js_signer`]).
//! Single-PUT signing and confirming are batched across an uploader's
//! files ([`batching`], [`batched_calls`]).

pub mod backend;
pub mod batched_calls;
pub mod batching;
pub mod call;
pub mod client;
pub mod http;
pub mod js_signer;
pub mod token_source;
