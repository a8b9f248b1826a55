//! A fault-injecting HTTP proxy for tests, between browsers and an S3 store.
//! Test-only: not part of the product, never a dependency of it.
//!
//! It forwards every request unchanged (method, path, query, headers with
//! `Host` as sent, bodies streamed both ways), so SigV4 signatures still
//! verify at the store. Before forwarding it may inject a [`Fault`]: an S3
//! error answer (500, 503 SlowDown, 429, 403 "Request has expired"), a delay,
//! a stall past the client's timeout, a corrupted body, or a connection reset
//! in the middle of the request body or in place of the store's answer.
//!
//! Faults come from explicit [`rules`] (the browser tests: "part 3 fails
//! twice with 503") or from [`chaos`]: a seeded fault rate whose every
//! decision depends only on the seed, the request's identity and how many
//! times that request was seen, so a run is reproducible whatever the order
//! in which concurrent uploads reach the proxy.
//!
//! The control API is described in [`control`].
//!
//! `fault-proxy delay` is another tool in the same binary: a TCP relay that
//! gives a link's round trip to the link benchmarks ([`delay_link`]).

pub mod chaos;
pub mod control;
pub mod delay_link;
pub mod fault;
pub mod journal;
pub mod proxy;
pub mod rules;
