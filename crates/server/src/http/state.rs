//! What every request handler shares.

use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::config::{AllowedHosts, ApiCors, RequestLimits};
use crate::domain::rate_limit::UserRateLimiter;
use crate::domain::records::Records;
use crate::domain::upload_policy::UploadPolicy;
use crate::domain::upload_sessions::UploadSessions;
use crate::http::health::StoreCheckCache;
use crate::http::metrics::Metrics;
use crate::s3::signer_source::SignerSource;
use crate::s3::store_client::StoreClient;
use axum::extract::FromRef;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Shared, cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Signs the URLs handed to browsers, for the store's public address
    /// (`--store-public-url`, else the address the server uses), with the
    /// credentials of the moment.
    pub signer: Arc<SignerSource>,
    /// The server's own calls to the store, at its internal address.
    pub store: StoreClient,
    /// Open multipart uploads.
    pub sessions: Arc<UploadSessions>,
    /// Completed uploads (and their webhook deliveries).
    pub records: Arc<Records>,
    /// Lifetime of the URLs handed to clients.
    pub expires_in: Duration,
    /// Time source of the URLs handed to clients.
    pub clock: Clock,
    pub web: WebConfig,
    /// Who calls: bearer JWTs, or the dev user.
    pub auth: Arc<Authenticator>,
    /// What may be uploaded ([`UploadPolicy::check_upload`]).
    pub policy: Arc<UploadPolicy>,
    /// Requests per user per second.
    pub rate_limiter: Arc<UserRateLimiter>,
    /// Longest key the store takes: S3's 1,024 bytes, less for the embedded
    /// store (its files are named after the whole key).
    pub max_key_bytes: usize,
    /// What `GET /metrics` reports.
    pub metrics: Arc<Metrics>,
    /// The last store check of `GET /healthz`, reused for a while.
    pub store_check: Arc<StoreCheckCache>,
}

/// What the router serves besides the API, to whom, and within which limits.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub www_dir: PathBuf,
    pub pkg_dir: PathBuf,
    pub cors: ApiCors,
    /// Which `Host` names requests may carry.
    pub hosts: AllowedHosts,
    /// How long a request may take, how many run at once.
    pub limits: RequestLimits,
}

impl FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl FromRef<AppState> for Arc<UserRateLimiter> {
    fn from_ref(state: &AppState) -> Self {
        state.rate_limiter.clone()
    }
}
