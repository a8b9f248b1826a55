//! `presign-server`: the signer of presigned-upload.
//!
//! It hands browsers presigned S3 URLs (`POST /api/get-upload-url`) and POST
//! forms (`POST /api/get-upload-form`), confirms uploads against the store
//! (`POST /api/file-uploaded`), signs downloads of a caller's own objects
//! (`GET /api/download-url`), runs the control plane of multipart uploads
//! (`/api/multipart...`), and serves the demo page. Verified uploads are
//! recorded in SQLite, listed by `GET /api/uploads`, and optionally posted
//! to a signed webhook. With `--dev` it also runs an embedded
//! S3-compatible store (s3s-fs). Operations: `GET /healthz`, `GET /metrics`,
//! `GET /api/openapi.json`, one log line per request, the stale-upload
//! collector, and the `gc` and `cors` subcommands.
//!
//! The modules, each a folder or file named after what it holds:
//!
//! - `cli`: the command line as clap parses it;
//! - `config/`: the command line, environment and TOML file resolved into
//!   a checked [`Config`], one rule (flag > env > file) for every setting;
//! - `server/`: [`Server`], starting everything; the store made ready;
//! - `commands/`: the `gc` and `cors` subcommands;
//! - `http/`: the router ([`app`]), its state, the API's errors, the
//!   extractors, CORS, OpenAPI, static files, request log and metrics, and
//!   `routes/`, one module per endpoint;
//! - `auth/`: who calls (JWT, JWKS from a file or a URL, the dev user);
//! - `domain/`: upload sessions, records, the upload policy, byte quotas,
//!   rate limits, the stale-upload collector, the webhook; each with its
//!   own errors;
//! - `s3/`: signing, the credentials it uses (static keys, or the AWS
//!   default chain, refreshed), the POST policy, the store client, the
//!   bucket CORS rule;
//! - `embedded/`: the development store;
//! - `db`: the SQLite database and its thread;
//! - `clock`, `secret`, `duration_text`, `hosts`: small shared values.
//!
//! Dependencies go one way (no module uses one that uses it back): `server`
//! and `commands` use the rest; `http` uses `auth`, `domain`, `s3`,
//! `config` and `db`; `auth` reads its settings from `config` (and takes
//! TLS from `s3`'s store client, to fetch JWKS URLs); `config`
//! reads `cli` into its own types and those of `domain` and `s3`; `domain`
//! uses `db` and `s3`; `embedded` uses `s3`; `s3`, `db` and the small
//! modules use none of the others.
//!
//! This crate's public items are what the binary (`src/main.rs`) and the
//! tests need; everything else is private.

mod auth;
mod cli;
mod clock;
mod commands;
mod config;
mod conformance;
mod db;
mod domain;
mod duration_text;
mod embedded;
mod hosts;
mod http;
mod s3;
mod secret;
mod server;

// What the binary runs.
pub use cli::Cli;
pub use commands::{run as run_command, CommandError};
pub use config::Config;
pub use conformance::{run as run_conformance, Outcome, Report, Target as ConformanceTarget};
pub use server::{Addresses, Server};

// What tests build a server from, or drive it with: the router and its
// state without a socket, the clock, the store and the registries.
pub use crate::http::app;
pub use crate::http::error::NO_SUCH_UPLOAD;
pub use crate::http::metrics::Metrics;
pub use crate::http::openapi::DOCUMENTED_ONLY;
pub use crate::http::routes::healthz::{CheckStatus, HealthResponse, STORE_CHECK_REUSED_FOR};
pub use crate::http::routes::router as api_router;
pub use crate::http::state::{AppState, WebConfig};
pub use auth::{Authenticator, DEV_USER};
pub use clock::{Clock, ManualClock};
pub use config::{AllowedHosts, ApiCors, RequestLimits, StoreConfig};
pub use domain::create_intents::{CreateIntent, CreateIntents};
pub use domain::rate_limit::{RateLimit, UserRateLimiter};
pub use domain::records::Records;
pub use domain::upload_policy::UploadPolicy;
pub use domain::upload_sessions::{UploadId, UploadSession, UploadSessions};
pub use embedded::EmbeddedStore;
pub use s3::credentials::Credentials;
pub use s3::credentials_source::CredentialsSource;
pub use s3::signer::{GetOverrides, NewObjectHeaders, PresignedRequest, Signer};
pub use s3::signer_source::SignerSource;
pub use s3::store_client::list_multipart_uploads::StoreUpload;
pub use s3::store_client::{install_crypto_provider, PartToComplete, StoreClient};
