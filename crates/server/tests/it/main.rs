//! The server's integration tests, in one binary (one link instead of one
//! per file): each module holds the tests of one area, over real HTTP
//! against a real server and store where they can; [`common`] starts them.

mod common;

mod access;
mod audience_issuers;
mod bad_input;
mod binary;
mod conformance;
mod cors_apply;
mod cors_static;
mod credentials_chain;
mod database_down;
mod dev_mode;
mod downloads;
mod embedded_complete;
mod garage_write_once;
mod gc;
mod healthz;
mod hostile_dev_limits;
mod hostile_downloads;
mod hostile_identity_quotas;
mod hostile_input;
mod identity;
mod jwks_url;
mod limits;
mod lost_create;
mod metadata;
mod metrics;
mod multipart;
mod multipart_client_token;
mod multipart_input;
mod multipart_unchecked;
mod openapi;
mod ownership;
mod postgres_tls;
mod quota;
mod records;
mod remote_store;
mod replicas;
mod secrets;
mod server_limits;
mod store_public_url;
mod upload;
mod upload_batch;
mod upload_form;
mod webhook;
mod write_once;
