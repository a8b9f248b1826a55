//! The server's database, behind one interface: [`Database`], which the
//! domain stores ([`crate::domain::upload_sessions`],
//! [`crate::domain::records`], [`crate::domain::webhook`]) hold and ask.
//!
//! - [`sqlite`]: the default, one file in `--data-dir`, for one signer
//!   process;
//! - [`postgres`]: with `--database-url postgres://…` (`DATABASE_URL`), one
//!   database that several replicas share: every record, open upload,
//!   client token, quota's usage and webhook delivery is in it, so any
//!   replica serves any call, and the work only one replica may do at a
//!   time (the stale-upload collector) runs under a lock
//!   ([`Database::exclusively`]);
//! - [`migrations`]: the schema, the same versions in both dialects;
//! - [`postgres_url`]: the connection URL, checked, its password never
//!   shown; [`postgres_tls`]: how its connections are encrypted (libpq's
//!   `sslmode`); [`mod@error`]: why a call failed.
//!
//! Each store has one method per operation, and each method one query (or
//! transaction) per backend: the SQL differs (placeholders, types, row
//! locks), the answers do not.

pub mod error;
pub mod migrations;
pub mod postgres;
pub mod postgres_tls;
pub mod postgres_url;
pub mod sqlite;

pub use error::DbError;
pub use postgres::Postgres;
pub use postgres_url::PostgresUrl;
pub use sqlite::Sqlite;

use std::future::Future;
use std::path::Path;

/// The lock the stale-upload collector runs under (PostgreSQL advisory
/// lock key; any number no other application on the database uses).
pub const GC_LOCK: i64 = 0x7072_6573_6967_6e01;

/// The database of a running server. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

impl From<Sqlite> for Database {
    fn from(db: Sqlite) -> Self {
        Database::Sqlite(db)
    }
}

impl From<Postgres> for Database {
    fn from(db: Postgres) -> Self {
        Database::Postgres(db)
    }
}

impl Database {
    /// PostgreSQL at `url` when one is given, else the SQLite file in
    /// `data_dir`; its schema brought up to date either way.
    pub async fn open(data_dir: &Path, url: Option<&PostgresUrl>) -> Result<Self, DbError> {
        match url {
            Some(url) => Ok(Postgres::connect(url).await?.into()),
            None => Ok(Sqlite::open(data_dir)?.into()),
        }
    }

    /// A private SQLite database in memory (tests, and stores alone).
    pub fn in_memory() -> Result<Self, DbError> {
        Ok(Sqlite::open_in_memory()?.into())
    }

    /// `sqlite` or `postgresql`, for the log.
    pub fn backend(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "sqlite",
            Database::Postgres(_) => "postgresql",
        }
    }

    /// Runs `work` unless another process runs work under the same `lock`
    /// now (`None` then). On PostgreSQL that is an advisory lock, held by
    /// one connection for as long as `work` runs, and freed if the process
    /// dies; a SQLite file belongs to one process, which runs it at once.
    pub async fn exclusively<T>(
        &self,
        lock: i64,
        work: impl Future<Output = T>,
    ) -> Result<Option<T>, DbError> {
        match self {
            Database::Sqlite(_) => Ok(Some(work.await)),
            Database::Postgres(pg) => pg.exclusively(lock, work).await,
        }
    }
}
