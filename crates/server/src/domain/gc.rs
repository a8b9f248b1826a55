//! The stale-upload collector: aborts multipart uploads started longer ago
//! than an age (default 24 h), so a store never accumulates the parts of
//! uploads that clients gave up on.
//!
//! It goes through the signer's own records of open uploads (the database,
//! [`crate::domain::upload_sessions`]): for each one started before `now - age` it
//! calls AbortMultipartUpload on the store (which deletes the parts), then
//! forgets the upload, whose id answers 404 from then on. An upload the store
//! refuses to abort (unreachable, an error) is kept and tried again on the
//! next run. Age is measured from the upload's start, as S3's own lifecycle
//! rule (AbortIncompleteMultipartUpload) does: pick an age longer than any
//! upload should take.
//!
//! It runs from `presign-server gc --older-than 24h` (once), and inside the
//! server ([`spawn`]) at start and then every `--gc-interval` (default 1 h).
//! Replicas sharing a PostgreSQL database collect one at a time (an
//! advisory lock, [`crate::db::Database::exclusively`]): a run that finds
//! another under way is skipped; and of two removals of one upload only
//! one counts it.
//!
//! It also goes through the intents of creates
//! ([`crate::domain::create_intents`]): a create writes one before it asks
//! the store for an upload, and settles it when it registers the upload,
//! so an intent older than the age is a create that registered nothing
//! (its signer killed between the two, the store's answer lost) and no
//! retry came for. For each, the collector lists the uploads open at its
//! key (ListMultipartUploads), aborts each one no session holds, and
//! deletes the intent; an intent whose key a younger intent names is left
//! for a later run (a retry is taking over there now). When the store
//! could not list or abort, the intent is kept for the next run. A store
//! that will not list (no ListMultipartUploads, or not for the signer's key
//! pair: on AWS it takes `s3:ListBucketMultipartUploads`) is logged once
//! per run, and its stale intents are deleted unresolved (nothing could
//! ever resolve them there): on such a store, a bucket lifecycle rule
//! (AbortIncompleteMultipartUpload) is what catches those uploads. S3,
//! Garage and the embedded store list them.

use crate::clock::Clock;
use crate::db::{DbError, GC_LOCK};
use crate::domain::create_intents::CreateIntent;
use crate::domain::upload_sessions::{UploadId, UploadSessions};
use crate::s3::store_client::list_multipart_uploads::listing_unavailable;
use crate::s3::store_client::{StoreClient, StoreError};
use jiff::Timestamp;
use presign_core::{ObjectKey, UserId};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Default age after which an open upload is stale.
pub const DEFAULT_OLDER_THAN: Duration = Duration::from_secs(24 * 3600);
/// Default time between two collections in a running server.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);

/// The collector of a running server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcSettings {
    /// Time between collections; `None`: the server never collects.
    pub interval: Option<Duration>,
    /// Uploads started longer ago than this are aborted.
    pub older_than: Duration,
}

impl Default for GcSettings {
    fn default() -> Self {
        Self {
            interval: Some(DEFAULT_INTERVAL),
            older_than: DEFAULT_OLDER_THAN,
        }
    }
}

/// An upload the collector aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aborted {
    pub id: UploadId,
    pub user: UserId,
    pub key: ObjectKey,
    pub started: Timestamp,
    /// Whether the store still had it (false: it was gone already).
    pub in_store: bool,
}

/// An upload the store would not abort; it is kept for the next run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub id: UploadId,
    pub key: ObjectKey,
    pub error: String,
}

/// An upload the store held at a stale intent's key and no session held:
/// a create's that registered nothing; aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanAborted {
    pub user: UserId,
    pub key: ObjectKey,
    /// The store's UploadId.
    pub store_upload_id: String,
    /// When the create that left it started.
    pub started: Timestamp,
}

/// A stale intent kept for the next run: the store did not list or abort
/// the uploads at its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentKept {
    pub user: UserId,
    pub key: ObjectKey,
    pub error: String,
}

/// What one collection did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    pub aborted: Vec<Aborted>,
    pub failed: Vec<Failed>,
    /// Uploads of creates that registered nothing, aborted.
    pub orphans: Vec<OrphanAborted>,
    /// Intents whose uploads could not be listed or aborted, kept.
    pub intents_kept: Vec<IntentKept>,
    /// Nothing was done: another replica was collecting.
    pub skipped: bool,
}

impl fmt::Display for Aborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "aborted {} (user {}, key {}, started {}){}",
            self.id,
            self.user.as_str(),
            self.key.as_str(),
            self.started,
            if self.in_store {
                ""
            } else {
                ", already gone from the store"
            }
        )
    }
}

impl fmt::Display for OrphanAborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "aborted store upload {} that no session held (user {}, key {}, create started {})",
            self.store_upload_id,
            self.user.as_str(),
            self.key.as_str(),
            self.started
        )
    }
}

impl fmt::Display for IntentKept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kept the intent of a create (user {}, key {}): {}",
            self.user.as_str(),
            self.key.as_str(),
            self.error
        )
    }
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kept {} (key {}): the store did not abort it: {}",
            self.id,
            self.key.as_str(),
            self.error
        )
    }
}

/// Aborts every open upload started before `now - older_than`, oldest
/// first, and what the creates that started before then and registered
/// nothing left open; skips (nothing done, `skipped` set) while another replica of a
/// shared database collects.
pub async fn collect(
    sessions: &UploadSessions,
    store: &StoreClient,
    now: Timestamp,
    older_than: Duration,
) -> Result<GcReport, DbError> {
    let run = collect_now(sessions, store, now, older_than);
    match sessions.database().exclusively(GC_LOCK, run).await? {
        Some(report) => report,
        None => {
            tracing::info!("gc: another replica is collecting; skipped");
            Ok(GcReport {
                skipped: true,
                ..GcReport::default()
            })
        }
    }
}

async fn collect_now(
    sessions: &UploadSessions,
    store: &StoreClient,
    now: Timestamp,
    older_than: Duration,
) -> Result<GcReport, DbError> {
    let cutoff = jiff::SignedDuration::try_from(older_than)
        .ok()
        .and_then(|age| now.checked_sub(age).ok())
        .unwrap_or(Timestamp::MIN);
    let mut report = GcReport::default();
    for (id, session) in sessions.started_before(cutoff).await? {
        match store
            .abort_multipart(&session.key, &session.store_upload_id)
            .await
        {
            Ok(in_store) => {
                // None: completed or aborted by its client meanwhile.
                if sessions.remove(&id, &session.user).await?.is_some() {
                    let aborted = Aborted {
                        id,
                        user: session.user,
                        key: session.key,
                        started: session.created_at,
                        in_store,
                    };
                    tracing::info!(upload_id = %aborted.id, key = aborted.key.as_str(), started = %aborted.started, in_store, "gc: stale multipart upload aborted");
                    report.aborted.push(aborted);
                }
            }
            Err(e) => {
                tracing::warn!(upload_id = %id, key = session.key.as_str(), error = %e, "gc: the store did not abort a stale upload; kept for the next run");
                report.failed.push(Failed {
                    id,
                    key: session.key,
                    error: e.to_string(),
                });
            }
        }
    }
    collect_intents(sessions, store, cutoff, &mut report).await?;
    Ok(report)
}

/// Resolves every intent started before `cutoff` (module doc).
async fn collect_intents(
    sessions: &UploadSessions,
    store: &StoreClient,
    cutoff: Timestamp,
    report: &mut GcReport,
) -> Result<(), DbError> {
    let intents = sessions.create_intents();
    let (stale, fresh): (Vec<_>, Vec<_>) = intents
        .all()
        .await?
        .into_iter()
        .partition(|i| i.started_at < cutoff);
    let busy: HashSet<ObjectKey> = fresh.into_iter().map(|i| i.key).collect();
    let mut cannot_list = false;
    for intent in stale {
        if busy.contains(&intent.key) {
            continue;
        }
        match abort_orphans(sessions, store, &intent).await? {
            Ok(orphans) => {
                for orphan in &orphans {
                    tracing::info!(key = orphan.key.as_str(), started = %orphan.started, "gc: an upload no session held aborted");
                }
                report.orphans.extend(orphans);
            }
            Err(e) if listing_unavailable(&e) => {
                if !cannot_list {
                    tracing::warn!(error = %e, "gc: the store cannot list multipart uploads: uploads of creates that registered nothing are left to a bucket lifecycle rule");
                    cannot_list = true;
                }
            }
            Err(e) => {
                tracing::warn!(key = intent.key.as_str(), error = %e, "gc: the store did not list or abort the uploads at a create's key; kept for the next run");
                report.intents_kept.push(IntentKept {
                    user: intent.user,
                    key: intent.key,
                    error: e.to_string(),
                });
                continue;
            }
        }
        intents.remove(&intent.id).await?;
    }
    Ok(())
}

/// Aborts the uploads open at `intent`'s key that no session holds.
async fn abort_orphans(
    sessions: &UploadSessions,
    store: &StoreClient,
    intent: &CreateIntent,
) -> Result<Result<Vec<OrphanAborted>, StoreError>, DbError> {
    let open = match store.multipart_uploads_at(&intent.key).await {
        Ok(open) => open,
        Err(e) => return Ok(Err(e)),
    };
    if open.is_empty() {
        return Ok(Ok(Vec::new()));
    }
    let held = sessions.store_uploads_at(&intent.key).await?;
    let mut aborted = Vec::new();
    for store_upload_id in open.into_iter().filter(|id| !held.contains(id)) {
        match store.abort_multipart(&intent.key, &store_upload_id).await {
            Ok(_) => aborted.push(OrphanAborted {
                user: intent.user.clone(),
                key: intent.key.clone(),
                store_upload_id,
                started: intent.started_at,
            }),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(aborted))
}

/// What the periodic collector publishes after each run.
pub type GcRuns = watch::Receiver<Option<Arc<GcReport>>>;

/// The server's periodic collector: at start, then every `interval`; each
/// run's report goes to `on_run` (the server counts it in its metrics) and
/// is published on the returned channel.
pub fn spawn(
    sessions: Arc<UploadSessions>,
    store: StoreClient,
    clock: Clock,
    interval: Duration,
    older_than: Duration,
    on_run: impl Fn(&GcReport) + Send + 'static,
) -> (JoinHandle<()>, GcRuns) {
    let (runs, receiver) = watch::channel(None);
    let task = tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match collect(&sessions, &store, clock.now(), older_than).await {
                Ok(report) => {
                    on_run(&report);
                    if !report.aborted.is_empty()
                        || !report.failed.is_empty()
                        || !report.orphans.is_empty()
                        || !report.intents_kept.is_empty()
                    {
                        tracing::info!(
                            aborted = report.aborted.len(),
                            kept = report.failed.len(),
                            orphans_aborted = report.orphans.len(),
                            intents_kept = report.intents_kept.len(),
                            "gc: stale multipart uploads collected"
                        );
                    }
                    runs.send_replace(Some(Arc::new(report)));
                }
                Err(e) => tracing::error!(error = %e, "gc: cannot read the open uploads"),
            }
        }
    });
    (task, receiver)
}
