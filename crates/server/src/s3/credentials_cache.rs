//! Temporary credentials, held between requests and refreshed before they
//! expire, so that nothing is ever signed with credentials past their end.
//!
//! Held credentials are used until [`MIN_VALIDITY`] before they expire;
//! from [`REFRESH_MARGIN`] before, they are asked for again (at most every
//! [`REFRESH_INTERVAL`]: a source such as IMDS hands out the same ones until
//! it rotates them), in the background while the held ones serve. When the
//! source fails, the held ones stay in use while they last; once they are
//! gone, every caller gets [`CredentialsUnavailable`] with the time until
//! the next try ([`FAILURE_BACKOFF`]), instead of waiting on a failing
//! source. One fetch runs at a time: callers with nothing usable held wait
//! for its answer.

use crate::s3::credentials::Credentials;
use crate::s3::credentials_provider::{CredentialsProvider, FetchError, Fetched};
use jiff::Timestamp;
use std::sync::Arc;
use std::time::Duration;

/// Credentials closer than this to their expiry are not used: a URL signed
/// with them would live too short a time to be of use.
pub const MIN_VALIDITY: Duration = Duration::from_secs(30);

/// From this long before their expiry, credentials are asked for again.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Within the margin, the source is asked at most this often.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(10);

/// After the source failed, it is asked again no sooner than this.
pub const FAILURE_BACKOFF: Duration = Duration::from_secs(5);

/// No credentials to sign with: the source failed and none it gave before
/// are still valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no credentials to sign with: {cause}")]
pub struct CredentialsUnavailable {
    /// The source's last failure (no secret in it).
    pub cause: String,
    /// When the source will be asked again.
    pub retry_after: Duration,
}

/// The credentials of one provider, cached.
#[derive(Debug)]
pub struct CredentialsCache {
    provider: Arc<dyn CredentialsProvider>,
    held: std::sync::Mutex<Held>,
    /// Held by the one fetch under way.
    fetching: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, Default)]
struct Held {
    credentials: Option<Credentials>,
    /// The source is not asked before then.
    next_fetch: Option<Timestamp>,
    /// Why the last fetch failed, while no fetch has succeeded since.
    failure: Option<String>,
}

/// What the held state says to do now.
enum Step {
    Use(Credentials),
    Refuse(CredentialsUnavailable),
    /// Ask the source; the credentials are still usable meanwhile.
    Refresh(Credentials),
    /// Ask the source; nothing usable is held.
    Fetch,
}

impl CredentialsCache {
    pub fn new(provider: Arc<dyn CredentialsProvider>) -> Self {
        Self {
            provider,
            held: std::sync::Mutex::default(),
            fetching: Arc::default(),
        }
    }

    /// Credentials valid for at least [`MIN_VALIDITY`] from now.
    pub async fn current(self: &Arc<Self>) -> Result<Credentials, CredentialsUnavailable> {
        self.current_at(Timestamp::now()).await
    }

    /// Like [`CredentialsCache::current`], at the instant `now`.
    pub async fn current_at(
        self: &Arc<Self>,
        now: Timestamp,
    ) -> Result<Credentials, CredentialsUnavailable> {
        match self.step(now) {
            Step::Use(c) => Ok(c),
            Step::Refuse(e) => Err(e),
            Step::Refresh(c) => {
                // In the background: the held ones serve meanwhile, and
                // another caller's refresh under way is not repeated.
                if let Ok(fetching) = self.fetching.clone().try_lock_owned() {
                    let cache = self.clone();
                    tokio::spawn(async move {
                        let fetched = cache.provider.fetch().await;
                        let _ = cache.store(fetched, now);
                        drop(fetching);
                    });
                }
                Ok(c)
            }
            Step::Fetch => {
                let _fetching = self.fetching.lock().await;
                // The fetch waited for may have brought what is needed.
                match self.step(now) {
                    Step::Use(c) => return Ok(c),
                    Step::Refuse(e) => return Err(e),
                    Step::Refresh(_) | Step::Fetch => {}
                }
                let fetched = self.provider.fetch().await;
                self.store(fetched, now)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn step(&self, now: Timestamp) -> Step {
        let held = self.lock();
        let due = held.next_fetch.is_none_or(|at| now >= at);
        match held.credentials.clone().filter(|c| usable(c, now)) {
            Some(c) if !due || !needs_refresh(&c, now) => Step::Use(c),
            Some(c) => Step::Refresh(c),
            None if !due => Step::Refuse(held.unavailable(now)),
            None => Step::Fetch,
        }
    }

    /// Keeps what the source answered; the credentials to use now.
    fn store(
        &self,
        fetched: Result<Fetched, FetchError>,
        now: Timestamp,
    ) -> Result<Credentials, CredentialsUnavailable> {
        let fetched = fetched.and_then(|f| {
            if usable(&f.credentials, now) {
                Ok(f)
            } else {
                Err(FetchError(format!(
                    "the {} gave credentials that expire too soon to sign with",
                    f.from
                )))
            }
        });
        let mut held = self.lock();
        match fetched {
            Ok(Fetched { credentials, from }) => {
                if held.credentials.as_ref() != Some(&credentials) {
                    let expires_at = credentials.expires_at.map(|t| t.to_string());
                    tracing::info!(%from, expires_at, "credentials loaded");
                }
                held.next_fetch =
                    needs_refresh(&credentials, now).then(|| after(now, REFRESH_INTERVAL));
                held.failure = None;
                held.credentials = Some(credentials.clone());
                Ok(credentials)
            }
            Err(FetchError(cause)) => {
                held.next_fetch = Some(after(now, FAILURE_BACKOFF));
                match held.credentials.clone().filter(|c| usable(c, now)) {
                    Some(c) => {
                        tracing::warn!(error = %cause, "cannot refresh the credentials; the held ones are used while they last");
                        held.failure = Some(cause);
                        Ok(c)
                    }
                    None => {
                        tracing::error!(error = %cause, "no credentials: nothing can be signed");
                        held.failure = Some(cause);
                        Err(held.unavailable(now))
                    }
                }
            }
        }
    }
}

impl Held {
    fn unavailable(&self, now: Timestamp) -> CredentialsUnavailable {
        let retry_after = self
            .next_fetch
            .and_then(|at| Duration::try_from(at.duration_since(now)).ok())
            .unwrap_or(Duration::ZERO)
            .max(Duration::from_secs(1));
        CredentialsUnavailable {
            cause: self
                .failure
                .clone()
                .unwrap_or_else(|| "the held credentials have expired".to_owned()),
            retry_after,
        }
    }
}

/// Valid for at least [`MIN_VALIDITY`] more.
fn usable(c: &Credentials, now: Timestamp) -> bool {
    c.remaining(now).is_none_or(|left| left > MIN_VALIDITY)
}

/// Within [`REFRESH_MARGIN`] of their expiry.
fn needs_refresh(c: &Credentials, now: Timestamp) -> bool {
    c.remaining(now).is_some_and(|left| left < REFRESH_MARGIN)
}

fn after(now: Timestamp, by: Duration) -> Timestamp {
    now.checked_add(by).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// Answers from a list, counting the fetches.
    #[derive(Debug, Default)]
    struct Scripted {
        answers: std::sync::Mutex<VecDeque<Result<Fetched, FetchError>>>,
        fetches: std::sync::atomic::AtomicUsize,
    }

    impl Scripted {
        fn then(&self, answer: Result<Fetched, FetchError>) {
            self.answers.lock().expect("lock").push_back(answer);
        }

        fn fetches(&self) -> usize {
            self.fetches.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    #[async_trait::async_trait]
    impl CredentialsProvider for Scripted {
        async fn fetch(&self) -> Result<Fetched, FetchError> {
            self.fetches
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.answers
                .lock()
                .expect("lock")
                .pop_front()
                .unwrap_or_else(|| Err(FetchError("nothing scripted".into())))
        }
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("time")
    }

    fn creds(id: &str, expires: i64) -> Result<Fetched, FetchError> {
        let mut credentials = Credentials::new(id, "secret");
        credentials.expires_at = Some(t(expires));
        Ok(Fetched {
            credentials,
            from: "test source".into(),
        })
    }

    fn cache() -> (Arc<Scripted>, Arc<CredentialsCache>) {
        let source = Arc::new(Scripted::default());
        (source.clone(), Arc::new(CredentialsCache::new(source)))
    }

    /// The key id handed out at `secs`, once a refresh it started is done.
    async fn key_at(cache: &Arc<CredentialsCache>, secs: i64) -> String {
        let key = cache
            .current_at(t(secs))
            .await
            .expect("credentials")
            .access_key_id;
        let _done = cache.fetching.lock().await;
        key
    }

    #[tokio::test]
    async fn long_lived_credentials_are_fetched_once() {
        let (source, cache) = cache();
        source.then(creds("A", 3600));
        for secs in [0, 10, 600, 3000] {
            assert_eq!(key_at(&cache, secs).await, "A");
        }
        assert_eq!(source.fetches(), 1);
    }

    #[tokio::test]
    async fn within_the_margin_they_are_refreshed_at_most_every_interval() {
        let (source, cache) = cache();
        source.then(creds("A", 200));
        source.then(creds("A", 200));
        source.then(creds("B", 400));
        assert_eq!(key_at(&cache, 0).await, "A");
        assert_eq!(key_at(&cache, 5).await, "A");
        assert_eq!(source.fetches(), 1, "not again within the interval");
        assert_eq!(key_at(&cache, 10).await, "A");
        assert_eq!(source.fetches(), 2, "the source gave the same ones");
        // Refreshed in the background: the held ones serve meanwhile.
        assert_eq!(key_at(&cache, 20).await, "A");
        assert_eq!(source.fetches(), 3);
        assert_eq!(key_at(&cache, 21).await, "B");
        assert_eq!(source.fetches(), 3);
    }

    #[tokio::test]
    async fn a_failing_source_leaves_the_held_ones_in_use_while_they_last() {
        let (source, cache) = cache();
        source.then(creds("A", 100));
        assert_eq!(key_at(&cache, 0).await, "A");
        source.then(Err(FetchError("endpoint down".into())));
        source.then(Err(FetchError("endpoint down".into())));
        assert_eq!(key_at(&cache, 20).await, "A", "still valid: kept");
        // 100 - 30 s of minimum validity: from 70 s on they are not used.
        let err = cache.current_at(t(70)).await.expect_err("expired");
        assert_eq!(err.cause, "endpoint down");
        assert_eq!(source.fetches(), 3, "asked again past the backoff");
        // Within the backoff: refused at once, without asking the source.
        let err = cache.current_at(t(72)).await.expect_err("backoff");
        assert_eq!(err.retry_after, Duration::from_secs(3));
        assert_eq!(source.fetches(), 3);
        // The source is back: the next caller after the backoff gets them.
        source.then(creds("B", 1000));
        assert_eq!(key_at(&cache, 75).await, "B");
    }

    #[tokio::test]
    async fn credentials_about_to_expire_are_never_handed_out() {
        let (source, cache) = cache();
        source.then(creds("A", 20));
        let err = cache.current_at(t(0)).await.expect_err("too short");
        assert!(err.cause.contains("expire too soon"), "{}", err.cause);
        assert_eq!(err.retry_after, FAILURE_BACKOFF);
        source.then(creds("B", 40));
        assert_eq!(key_at(&cache, 5).await, "B");
        // 25 s left: under the minimum, and the source fails.
        let err = cache.current_at(t(15)).await.expect_err("expired");
        assert_eq!(err.cause, "nothing scripted");
    }

    #[tokio::test]
    async fn the_first_callers_share_one_fetch() {
        let (source, cache) = cache();
        source.then(creds("A", 3600));
        let calls = (0..8).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.current_at(t(0)).await })
        });
        for call in calls {
            assert!(call.await.expect("task").is_ok());
        }
        assert_eq!(source.fetches(), 1);
    }
}
