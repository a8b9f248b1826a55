//! Starting everything: the embedded store (with --dev), the signer, the
//! store client, and the HTTP server on its listener.

use crate::auth::{Authenticator, IdentityError, DEV_USER};
use crate::clock::Clock;
use crate::config::{Config, StoreConfig};
use crate::db::{Database, DbError};
use crate::domain::gc::{self, GcReport, GcRuns};
use crate::domain::rate_limit::UserRateLimiter;
use crate::domain::records::Records;
use crate::domain::upload_sessions::UploadSessions;
use crate::domain::webhook::{self, WebhookConfig};
use crate::embedded::EmbeddedStore;
use crate::http::metrics::Metrics;
use crate::http::state::{AppState, WebConfig};
use crate::s3::signer::SignerError;
use crate::s3::signer_source::SignerSource;
use crate::s3::store_client::{StoreClient, StoreError};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::StoreSetupError;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use url::Url;

pub mod store;

/// A running server. Dropping it stops the embedded store; call
/// [`Server::shutdown`] to also stop the HTTP server gracefully.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    store_url: String,
    /// The store's public base URL, when it differs from `store_url`.
    public_store_url: Option<String>,
    bucket: String,
    store_client: StoreClient,
    sessions: Arc<UploadSessions>,
    records: Arc<Records>,
    /// The webhook sender, stopped when the server is dropped.
    webhook: Option<AbortOnDrop>,
    /// The periodic stale-upload collector, and its reports.
    gc: Option<(AbortOnDrop, GcRuns)>,
    clock: Clock,
    metrics: Arc<Metrics>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    store: Option<EmbeddedStore>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    StoreSetup(#[from] StoreSetupError),
    #[error(transparent)]
    Signer(#[from] SignerError),
    #[error("cannot prepare the bucket: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
    #[error("identity: {0}")]
    Identity(#[from] IdentityError),
    #[error("cannot open the database: {0}")]
    Db(#[from] DbError),
    #[error("cannot start the webhook sender: {0}")]
    Webhook(#[source] reqwest::Error),
}

/// A background task aborted when dropped.
#[derive(Debug)]
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Where a started server listens: what `--ready-file` holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Addresses {
    /// The API's base URL.
    pub url: String,
    /// The store's base URL, as the signer reaches it.
    pub store_url: String,
    pub bucket: String,
    /// The store's base URL as browsers reach it, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_store_url: Option<String>,
}

impl Server {
    pub async fn start(config: Config) -> Result<Self, StartError> {
        Self::start_with_clock(config, Clock::System).await
    }

    /// Like [`Server::start`], with the clock that signs clients' URLs and
    /// dates the keys fetched from a JWKS URL.
    pub async fn start_with_clock(config: Config, clock: Clock) -> Result<Self, StartError> {
        let auth = authenticator(&config, &clock).await?;
        let store = connect_store(&config).await?;
        let db = Database::open(&config.data_dir, config.database_url.as_ref()).await?;
        tracing::info!(backend = db.backend(), "database ready");
        let sessions = Arc::new(UploadSessions::new(db.clone(), config.max_open_uploads));
        let (records, webhook) = records_and_webhook(db, config.webhook.clone())?;
        let metrics = Arc::new(Metrics::new());
        let gc = config.gc.interval.map(|interval| {
            let metrics = metrics.clone();
            let (task, runs) = gc::spawn(
                sessions.clone(),
                store.client.clone(),
                clock.clone(),
                interval,
                config.gc.older_than,
                move |report| count_aborted(&metrics, report),
            );
            (AbortOnDrop(task), runs)
        });
        let (listen, bucket) = (config.listen, config.bucket.clone());
        let state = AppState {
            signer: store.public_signer,
            store: store.client.clone(),
            sessions: sessions.clone(),
            records: records.clone(),
            expires_in: config.expires_in,
            clock: clock.clone(),
            max_key_bytes: max_key_bytes(&config.store, &config.bucket),
            web: WebConfig {
                www_dir: config.www_dir,
                pkg_dir: config.pkg_dir,
                cors: config.cors,
                hosts: config.hosts,
                limits: config.request_limits,
            },
            auth,
            policy: Arc::new(config.policy),
            rate_limiter: Arc::new(UserRateLimiter::new(config.rate_limit)),
            metrics: metrics.clone(),
            store_check: Arc::default(),
        };
        let Serving {
            addr,
            shutdown,
            task,
        } = serve(listen, crate::http::app(state)).await?;
        Ok(Self {
            addr,
            store_url: store.url,
            public_store_url: store.public_url,
            bucket,
            store_client: store.client,
            sessions,
            records,
            webhook,
            gc,
            clock,
            metrics,
            shutdown,
            task,
            store: store.embedded,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The store's base URL, no trailing slash.
    pub fn store_url(&self) -> &str {
        &self.store_url
    }

    /// The store's base URL in presigned URLs for browsers, no trailing slash.
    pub fn public_store_url(&self) -> &str {
        self.public_store_url.as_deref().unwrap_or(&self.store_url)
    }

    /// The server's own client of the store (internal address).
    pub fn store_client(&self) -> &StoreClient {
        &self.store_client
    }

    /// The registry of open multipart uploads.
    pub fn upload_sessions(&self) -> &Arc<UploadSessions> {
        &self.sessions
    }

    /// The completed uploads.
    pub fn records(&self) -> &Arc<Records> {
        &self.records
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Aborts the open multipart uploads started longer ago than
    /// `older_than` by the server's clock, now (what `presign-server gc`
    /// and the periodic collector do).
    pub async fn collect_stale_uploads(&self, older_than: Duration) -> Result<GcReport, DbError> {
        let report = gc::collect(
            &self.sessions,
            &self.store_client,
            self.clock.now(),
            older_than,
        )
        .await?;
        count_aborted(&self.metrics, &report);
        Ok(report)
    }

    /// The reports of the periodic collector (`None` until its first run;
    /// no channel when `--gc-interval 0` turned it off).
    pub fn gc_runs(&self) -> Option<GcRuns> {
        self.gc.as_ref().map(|(_, runs)| runs.clone())
    }

    /// The embedded store, with --dev.
    pub fn embedded_store(&self) -> Option<&EmbeddedStore> {
        self.store.as_ref()
    }

    /// Where it listens, as `--ready-file` writes it.
    pub fn addresses(&self) -> Addresses {
        Addresses {
            url: self.url(),
            store_url: self.store_url.clone(),
            bucket: self.bucket.clone(),
            public_store_url: self.public_store_url.clone(),
        }
    }

    /// The one line printed on stdout at start, for people (scripts read
    /// `--ready-file`):
    /// `presign-server listening on URL (store URL, bucket NAME)`, followed by
    /// ` public store URL` only when browsers reach the store elsewhere.
    pub fn startup_line(&self) -> String {
        let mut line = format!(
            "presign-server listening on {} (store {}, bucket {})",
            self.url(),
            self.store_url,
            self.bucket
        );
        if let Some(public) = &self.public_store_url {
            line.push_str(" public store ");
            line.push_str(public);
        }
        line
    }

    /// Stops accepting connections, finishes those in flight, stops the store.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        let result = match self.task.await {
            Ok(result) => result,
            Err(join) => Err(std::io::Error::other(join)),
        };
        drop(self.webhook);
        drop(self.gc);
        drop(self.store);
        result
    }
}

/// How callers are authenticated (the keys the settings name, loaded or
/// fetched: a JWKS URL that cannot be fetched is logged, not fatal); with
/// the dev user, a warning that the server must stay private.
async fn authenticator(config: &Config, clock: &Clock) -> Result<Arc<Authenticator>, StartError> {
    let auth = Authenticator::from_config(&config.identity, clock)?;
    auth.load().await;
    if matches!(auth, Authenticator::DevUser) {
        tracing::warn!(
            user = DEV_USER,
            "--dev without JWT settings: every request acts as the fixed user `dev`; never expose this server"
        );
    }
    Ok(Arc::new(auth))
}

/// The store, connected.
struct ConnectedStore {
    /// The embedded store, with --dev (stopped when dropped).
    embedded: Option<EmbeddedStore>,
    /// The server's own client, at the store's internal address.
    client: StoreClient,
    /// Signs the URLs handed to browsers, for the store's public address.
    public_signer: Arc<SignerSource>,
    /// The store's base URL.
    url: String,
    /// The store's public base URL, when it differs from `url`.
    public_url: Option<String>,
}

/// Starts the embedded store or reaches the remote one: the embedded
/// store's bucket is created, a remote bucket is checked in the background
/// (the store may come up later); the signer for browsers gets the public
/// address (`--store-public-url`) when it is another one.
async fn connect_store(config: &Config) -> Result<ConnectedStore, StartError> {
    let (embedded, signer) = store::connect(&config.store, &config.bucket).await?;
    let signer = Arc::new(signer);
    let client = StoreClient::new(signer.clone())?;
    if embedded.is_some() {
        client.ensure_bucket().await?;
    } else {
        tokio::spawn(check_bucket(client.clone(), config.bucket.clone()));
    }
    let url = base_url(signer.endpoint());
    let public_signer = match &config.store_public_url {
        Some(public) if base_url(public) != url => Arc::new(signer.with_endpoint(public.clone())?),
        _ => signer,
    };
    let public_url = Some(base_url(public_signer.endpoint())).filter(|public| *public != url);
    Ok(ConnectedStore {
        embedded,
        client,
        public_signer,
        url,
        public_url,
    })
}

/// The completed uploads, and the webhook sender when `hook` is set (woken
/// when a record queues a delivery).
fn records_and_webhook(
    db: Database,
    hook: Option<WebhookConfig>,
) -> Result<(Arc<Records>, Option<AbortOnDrop>), StartError> {
    let queued = Arc::new(Notify::new());
    let records = Arc::new(Records::new(db.clone(), hook.is_some(), queued.clone()));
    let sender = match hook {
        Some(hook) => Some(AbortOnDrop(
            webhook::spawn(db, hook, queued).map_err(StartError::Webhook)?,
        )),
        None => None,
    };
    Ok((records, sender))
}

/// The longest key the store takes: S3's 1,024 bytes, less for the
/// embedded store (its files are named after the whole key).
fn max_key_bytes(store: &StoreConfig, bucket: &str) -> usize {
    match store {
        StoreConfig::Embedded { .. } => crate::embedded::max_key_bytes(bucket),
        StoreConfig::Remote(_) => presign_core::s3::limits::MAX_KEY_BYTES,
    }
}

/// The HTTP server, running.
struct Serving {
    /// The address it listens on.
    addr: SocketAddr,
    /// Stops it gracefully when sent (or dropped).
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Serves `app` on `listen`.
async fn serve(listen: SocketAddr, app: axum::Router) -> Result<Serving, StartError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| StartError::Bind(listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(listen, e))?;
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop.await;
            })
            .await
    });
    Ok(Serving {
        addr,
        shutdown,
        task,
    })
}

/// Counts the uploads a collection aborted.
fn count_aborted(metrics: &Metrics, report: &GcReport) {
    let aborted = report.aborted.len() + report.orphans.len();
    metrics.gc_aborted(u64::try_from(aborted).unwrap_or(u64::MAX));
}

/// `url` as text without a trailing slash.
fn base_url(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// Warns at start when a remote bucket is missing or unreachable; the server
/// runs anyway (the store may come up later).
async fn check_bucket(client: StoreClient, bucket: String) {
    match client.bucket_exists().await {
        Ok(true) => tracing::info!(%bucket, "bucket found"),
        Ok(false) => tracing::warn!(%bucket, "bucket does not exist: uploads will fail"),
        Err(e) => tracing::warn!(%bucket, error = %e, "cannot check the bucket"),
    }
}
