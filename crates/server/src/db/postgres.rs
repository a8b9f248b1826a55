//! The PostgreSQL backend ([`crate::db`]): a pool of connections to the
//! database of `--database-url`, which every replica of the signer shares.
//!
//! Why `tokio-postgres` and `deadpool-postgres` (docs/libraries.md): the
//! maintained asynchronous client, with a small pool that hands out a
//! connection per call and drops the broken ones, so the signer recovers
//! by itself when PostgreSQL comes back. (sqlx was the other candidate:
//! its SQLite driver links its own SQLite, which cannot live beside
//! rusqlite's in one binary.)
//!
//! A call that cannot get a connection fails within [`CONNECT_TIMEOUT`]
//! with [`DbError::Unreachable`] (the API answers 503 with `Retry-After`);
//! the next call tries a new connection. The schema is brought up to date
//! at start ([`crate::db::migrations`], version kept in `presign_schema`)
//! under an advisory lock, so replicas starting together migrate once.

use super::migrations::MIGRATIONS;
use super::{DbError, PostgresUrl};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use std::future::Future;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Longest wait for a new connection, or for a free one of the pool.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Connections per replica, at most.
pub const POOL_SIZE: usize = 16;
/// The lock migrations run under.
const MIGRATION_LOCK: i64 = 0x7072_6573_6967_6e00;

/// The pool. Cheap to clone.
#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl Postgres {
    /// Connects to `url` and migrates its schema; fails when PostgreSQL
    /// cannot be reached now.
    pub async fn connect(url: &PostgresUrl) -> Result<Self, DbError> {
        let mut config = url.config().clone();
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("presign-server");
        }
        let tls = url
            .tls()
            .client_config()
            .map_err(|e| DbError::Tls(format!("--database-url: {e}")))?;
        // Fast: a connection whose socket closed (PostgreSQL restarted) is
        // dropped when it is next taken, and a new one made.
        let manager = Manager::from_config(
            config,
            MakeRustlsConnect::new(tls),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| DbError::Unreachable(e.to_string()))?;
        let db = Self { pool };
        db.migrate().await?;
        tracing::info!(database = url.redacted(), "PostgreSQL connected");
        Ok(db)
    }

    /// A connection from the pool.
    pub async fn client(&self) -> Result<Object, DbError> {
        Ok(self.pool.get().await?)
    }

    /// Applies the migrations this database has not had, in one
    /// transaction, under [`MIGRATION_LOCK`].
    async fn migrate(&self) -> Result<(), DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS presign_schema (
                version INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await?;
        let current: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM presign_schema", &[])
            .await?
            .get(0);
        let known = MIGRATIONS.len();
        let current = usize::try_from(current).unwrap_or(0);
        if current > known {
            return Err(DbError::Corrupt(format!(
                "schema version {current}: this signer knows versions up to {known}; run a newer one"
            )));
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(current) {
            let version = i32::try_from(index + 1).unwrap_or(i32::MAX);
            tx.batch_execute(migration.postgres).await?;
            tx.execute(
                "INSERT INTO presign_schema (version) VALUES ($1)",
                &[&version],
            )
            .await?;
            tracing::info!(version, "PostgreSQL schema migrated");
        }
        tx.commit().await?;
        Ok(())
    }

    /// [`crate::db::Database::exclusively`]: `pg_try_advisory_lock`, held
    /// on one connection while `work` runs. Should `work` be cancelled, the
    /// connection is closed instead of going back to the pool, which frees
    /// the lock.
    pub async fn exclusively<T>(
        &self,
        lock: i64,
        work: impl Future<Output = T>,
    ) -> Result<Option<T>, DbError> {
        let client = self.client().await?;
        let locked: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&lock])
            .await?
            .get(0);
        if !locked {
            return Ok(None);
        }
        let mut held = Held(Some(client));
        let done = work.await;
        if let Some(client) = &held.0 {
            if client
                .query_one("SELECT pg_advisory_unlock($1)", &[&lock])
                .await
                .is_ok()
            {
                // Unlocked: the connection may serve others again.
                drop(held.0.take());
            }
        }
        Ok(Some(done))
    }
}

/// A connection holding an advisory lock: closed when dropped, unless the
/// lock was released and the connection taken back out first.
struct Held(Option<Object>);

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            drop(Object::take(client));
        }
    }
}

/// Whether `e` is PostgreSQL refusing a row because of the unique index
/// `index`.
pub fn is_unique_violation(e: &tokio_postgres::Error, index: &str) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && db.constraint() == Some(index)
    })
}

/// A size or count as PostgreSQL's BIGINT.
pub fn bigint(n: u64) -> Result<i64, DbError> {
    i64::try_from(n).map_err(|_| DbError::Corrupt(format!("number {n} past BIGINT")))
}

/// A BIGINT read back as a size or count.
pub fn unsigned(n: i64) -> Result<u64, DbError> {
    u64::try_from(n).map_err(|_| DbError::Corrupt(format!("negative number {n}")))
}

/// Takes the per-user lock of `user` for the rest of the transaction `tx`:
/// checks that must not race across replicas (the open-uploads cap, the
/// quota) run under it, so two replicas never both see room for one more.
pub async fn lock_user(tx: &tokio_postgres::Transaction<'_>, user: &str) -> Result<(), DbError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('presign-user:' || $1, 0))",
        &[&user],
    )
    .await?;
    Ok(())
}
