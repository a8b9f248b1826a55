//! `presign-server`: the signer of presigned-upload.
//!
//! It hands browsers presigned S3 URLs (`POST /api/get-upload-url`) and POST
//! forms (`POST /api/get-upload-form`, [`post_policy`]), confirms
//! uploads against the store (`POST /api/file-uploaded`), signs downloads of a
//! caller's own objects (`GET /api/download-url`), runs the control plane of
//! multipart uploads (`/api/multipart...`), and serves the demo page.
//! Verified uploads are recorded in SQLite ([`db`], [`records`]), listed by
//! `GET /api/uploads`, and optionally posted to a signed [`webhook`].
//! With `--dev` it also runs an embedded S3-compatible store (s3s-fs).
//!
//! Operations: `GET /healthz` (database and store), `GET /metrics`
//! ([`metrics`]), `GET /api/openapi.json` ([`routes::openapi`]), one log
//! line per request ([`request_observer`]), the stale-upload collector
//! ([`gc`]), and the `gc` and `cors` subcommands ([`commands`],
//! [`s3::bucket_cors_rule`]).
//!
//! [`app`] builds the router from an [`AppState`], testable without a socket;
//! [`Server`] starts everything on real listeners.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod domain;
pub mod duration_text;
pub mod embedded;
pub mod http;
pub mod s3;
pub mod secret;
pub mod server;
pub mod store_setup;

pub use crate::http::app;
pub use crate::http::state::AppState;
pub use cli::Cli;
pub use clock::Clock;
pub use config::Config;
pub use server::Server;
