//! Keys fetched from a JWKS URL ([`RemoteJwks`]): over HTTP(S) with a
//! timeout, one fetch at a time however many requests need one, every
//! result logged. When to fetch and how long to trust what came is
//! [`super::jwks_cache`]'s to say; this file only fetches.

use super::jwks;
use super::jwks_cache::{self, JwksCache, KeysUnavailable, Plan, KEEP_STALE_FOR};
use super::keys::{IdentityError, KeySet};
use crate::clock::Clock;
use std::error::Error as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use url::Url;

/// Longest a fetch may take, from connecting to the document's last byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest JWKS document read (a provider's is a few KiB).
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// One JWKS URL's keys, cached.
#[derive(Debug)]
pub struct RemoteJwks {
    url: Url,
    /// The URL as logged: without its query, which may hold a key.
    shown: String,
    http: reqwest::Client,
    clock: Clock,
    cache: Mutex<JwksCache>,
    /// Held through a fetch: the requests that need one meanwhile wait
    /// for it and use what it gave.
    turn: Arc<tokio::sync::Mutex<()>>,
}

/// The client every JWKS URL is fetched with: [`FETCH_TIMEOUT`] to connect
/// and in all, no redirects (the configured URL is the one trusted).
pub fn http_client() -> Result<reqwest::Client, IdentityError> {
    crate::s3::store_client::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(FETCH_TIMEOUT)
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("presign-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| IdentityError::HttpClient(e.to_string()))
}

impl RemoteJwks {
    /// Nothing fetched yet: see [`RemoteJwks::load`].
    pub fn new(url: Url, http: reqwest::Client, clock: Clock) -> Arc<Self> {
        let mut shown = url.clone();
        shown.set_fragment(None);
        shown.set_query(None);
        let mut shown = shown.to_string();
        if url.query().is_some() {
            shown.push_str("?…");
        }
        Arc::new(Self {
            shown,
            url,
            http,
            clock,
            cache: Mutex::default(),
            turn: Arc::default(),
        })
    }

    /// The first fetch, at start. A failure is logged, not returned: the
    /// server runs, and requests that need a token wait for a later fetch.
    pub async fn load(self: &Arc<Self>) {
        // The outcome is logged by the fetch itself.
        let _ = self.keys_for(None).await;
    }

    /// The keys to check a token naming `kid` with, fetched first when the
    /// cache says so (waiting for a fetch already under way, if any).
    pub async fn keys_for(
        self: &Arc<Self>,
        kid: Option<&str>,
    ) -> Result<Arc<KeySet>, KeysUnavailable> {
        if let Some(ready) = self.ready(kid, false) {
            return ready;
        }
        // Fetches take turns: one under way ends before the next starts.
        let turn = Arc::clone(&self.turn).lock_owned().await;
        // The fetch this request waited for may have answered it.
        if let Some(ready) = self.ready(kid, true) {
            return ready;
        }
        self.cache().fetching(self.clock.now());
        let this = Arc::clone(self);
        // A task of its own: a request given up on mid-fetch (its client
        // gone, its time up) does not cancel the fetch the others wait for.
        let fetch = tokio::spawn(async move {
            this.refresh().await;
            drop(turn);
        });
        if let Err(e) = fetch.await {
            tracing::error!(url = %self.shown, error = %e, "the JWKS fetch failed");
            self.cache().failed();
        }
        self.cache().settled(self.clock.now())
    }

    /// The cache's answer, unless it asks for a fetch (or, unless
    /// `waited`, to wait for one).
    fn ready(
        &self,
        kid: Option<&str>,
        waited: bool,
    ) -> Option<Result<Arc<KeySet>, KeysUnavailable>> {
        let now = self.clock.now();
        let cache = self.cache();
        match cache.plan(now, kid) {
            Plan::Use(keys) => Some(Ok(keys)),
            Plan::Unavailable(unavailable) => Some(Err(unavailable)),
            Plan::Wait if waited => Some(cache.settled(now)),
            Plan::Fetch | Plan::Wait => None,
        }
    }

    /// Fetches the set into the cache, or logs why not.
    async fn refresh(&self) {
        let result = fetch(&self.http, &self.url).await;
        let now = self.clock.now();
        let mut cache = self.cache();
        let url = &self.shown;
        match result {
            Ok(fetched) => {
                for reason in &fetched.skipped {
                    tracing::warn!(%url, reason, "JWKS key left out");
                }
                tracing::info!(
                    %url,
                    keys = fetched.keys.count(),
                    fresh_for_secs = fetched.lifetime.as_secs(),
                    "JWKS fetched"
                );
                cache.fetched(now, fetched.keys, fetched.lifetime);
            }
            Err(error) => {
                cache.failed();
                match cache.age(now) {
                    Some(age) if age < KEEP_STALE_FOR => tracing::warn!(
                        %url,
                        %error,
                        keys_age_secs = age.as_secs(),
                        "cannot fetch the JWKS: tokens are checked with the last keys fetched until they are a day old"
                    ),
                    _ => tracing::error!(
                        %url,
                        %error,
                        "cannot fetch the JWKS: requests that need a token answer 503 until a fetch succeeds"
                    ),
                }
            }
        }
    }

    fn cache(&self) -> MutexGuard<'_, JwksCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Why a fetch gave no keys.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("no answer within {} s", FETCH_TIMEOUT.as_secs())]
    TimedOut,
    #[error("{0}")]
    Request(String),
    #[error("it answered {status}{}", redirect_hint(*.status))]
    Status { status: reqwest::StatusCode },
    #[error("the document is larger than {} KiB", MAX_DOCUMENT_BYTES / 1024)]
    TooLarge,
    #[error("not a usable JWKS document: {0}")]
    Malformed(String),
}

/// What to do about a redirect: the configured URL is the one trusted.
fn redirect_hint(status: reqwest::StatusCode) -> &'static str {
    if status.is_redirection() {
        " (redirects are not followed: configure the URL it redirects to)"
    } else {
        ""
    }
}

/// A fetch's keys, how long they are fresh, and the keys left out.
struct Fetched {
    keys: KeySet,
    lifetime: Duration,
    skipped: Vec<String>,
}

async fn fetch(http: &reqwest::Client, url: &Url) -> Result<Fetched, FetchError> {
    let mut response = http
        .get(url.clone())
        .header(
            reqwest::header::ACCEPT,
            "application/jwk-set+json, application/json",
        )
        .send()
        .await
        .map_err(request_error)?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status { status });
    }
    let cache_control: Vec<&str> = response
        .headers()
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let lifetime = jwks_cache::lifetime(Some(&cache_control.join(",")));
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request_error)? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let text =
        String::from_utf8(body).map_err(|_| FetchError::Malformed("it is not UTF-8".into()))?;
    let (keys, skipped) = jwks::parse_published(&text).map_err(FetchError::Malformed)?;
    Ok(Fetched {
        keys: KeySet::ById(keys),
        lifetime,
        skipped,
    })
}

/// A failed request, with its causes (reqwest's own text says little
/// more than the URL, which the log line gives without its query).
fn request_error(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::TimedOut;
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    FetchError::Request(text)
}
