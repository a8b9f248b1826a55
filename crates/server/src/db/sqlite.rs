//! The default backend ([`crate::db`]): one SQLite file,
//! `{data_dir}/presign.sqlite3`, holding open multipart uploads
//! ([`crate::domain::upload_sessions`]), completed uploads
//! ([`crate::domain::records`]) and the webhook outbox
//! ([`crate::domain::webhook`]), for one signer process.
//!
//! Why `rusqlite` (with `bundled` SQLite) and `rusqlite_migration`: the
//! server needs an embedded, single-file store with no service to run, and
//! a handful of short queries; rusqlite is the maintained, synchronous
//! binding (no compile-time database, unlike sqlx's checked macros), the
//! bundled SQLite does not depend on the system's, and rusqlite_migration
//! keeps the schema version in SQLite's own `user_version`, applying the
//! migrations of [`super::migrations`] in order, each once.
//!
//! SQLite calls block, so they never run on the async runtime's threads:
//! one thread of its own owns the one connection, and [`Sqlite::call`] sends it
//! a closure and awaits the answer. Every query here takes microseconds, so
//! one connection serialises them without a noticeable queue, and makes each
//! closure atomic with respect to the others; under load it also costs less
//! CPU per request than a pool of threads taking turns at a shared
//! connection (BENCHMARKS.md). The file is in WAL mode, so a crash loses at
//! most the last unfinished transaction. The queue to the thread holds at
//! most [`QUEUE_CAPACITY`] closures: when the database falls that far
//! behind (a stalled disk), calls fail at once with [`DbError::Busy`] (the
//! API answers 503 with `Retry-After`) instead of piling up.

use super::migrations;
use super::DbError;
use rusqlite::Connection;
use rusqlite_migration::Migrations;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc;

/// File name of the database inside the data folder.
pub const DB_FILE: &str = "presign.sqlite3";

/// Closures waiting for the database thread, at most. Each takes
/// microseconds; a queue this long means the database is stuck.
pub const QUEUE_CAPACITY: usize = 4096;

/// The database handle: cheap to clone, shared by every request. The
/// connection lives on the database thread, which stops (closing it) when
/// the last handle is dropped.
#[derive(Debug, Clone)]
pub struct Sqlite {
    jobs: mpsc::SyncSender<Job>,
}

/// A closure for the database thread; it sends its own answer.
type Job = Box<dyn FnOnce(&mut Connection) + Send>;

impl Sqlite {
    /// Opens (creating) `{data_dir}/presign.sqlite3` in WAL mode and brings
    /// its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Self, DbError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| DbError::CreateDir(data_dir.to_owned(), e))?;
        let conn = Connection::open(data_dir.join(DB_FILE))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite refused WAL mode");
        }
        Self::prepare(conn, QUEUE_CAPACITY)
    }

    /// A private database in memory (tests, and `app()` without a data folder).
    pub fn open_in_memory() -> Result<Self, DbError> {
        Self::prepare(Connection::open_in_memory()?, QUEUE_CAPACITY)
    }

    fn prepare(mut conn: Connection, capacity: usize) -> Result<Self, DbError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Migrations::new(migrations::sqlite()).to_latest(&mut conn)?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(capacity);
        std::thread::Builder::new()
            .name("presign-db".into())
            .spawn(move || {
                // Ends when every handle (every sender) is gone.
                for job in queue {
                    job(&mut conn);
                }
            })
            .map_err(DbError::Thread)?;
        Ok(Self { jobs })
    }

    /// Runs `f` with the connection on the database thread, after the
    /// closures sent before it; [`DbError::Busy`] at once when the queue
    /// is full.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // A panic inside `f` rolls back its transaction (dropped
            // unfinished), so the connection stays usable, and the thread
            // goes on with the next closure.
            let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(DbError::Task("a database task panicked".into())));
            // The caller may have gone (a request cancelled): nothing to tell.
            let _ = answer.send(result);
        });
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::TrySendError::Full(_) => DbError::Busy,
            mpsc::TrySendError::Disconnected(_) => {
                DbError::Task("the database thread has stopped".into())
            }
        })?;
        answered
            .await
            .map_err(|_| DbError::Task("the database thread dropped a task".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt as _;

    #[test]
    fn migrations_are_valid() {
        Migrations::new(migrations::sqlite())
            .validate()
            .expect("valid migrations");
    }

    const INSERT_UPLOAD: &str =
        "INSERT INTO uploads (user_id, object_key, file_type, size, etag, created_at)
         VALUES ('dev', ?1, 'ecu', 1, '\"e\"', 'now')";

    /// Records a completed upload of `key` for the user `dev`.
    async fn insert_upload(db: &Sqlite, key: &'static str) -> Result<(), DbError> {
        db.call(move |c| {
            c.execute(INSERT_UPLOAD, [key])?;
            Ok(())
        })
        .await
    }

    #[tokio::test]
    async fn a_full_queue_is_busy_at_once_and_the_database_answers_again() {
        let db = Sqlite::prepare(Connection::open_in_memory().expect("memory"), 2).expect("opened");
        // The thread holds the first closure until told to go on...
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = tokio::sync::oneshot::channel::<()>();
        let held = tokio::spawn({
            let db = db.clone();
            async move {
                db.call(move |_| {
                    let _ = started.send(());
                    let _ = wait.recv();
                    Ok(())
                })
                .await
            }
        });
        running.await.expect("the first closure runs");
        // ...so two more fill the queue (each sent, waiting for its
        // answer), and the next is refused at once.
        let mut queued: Vec<_> = (0..2).map(|_| Box::pin(db.call(|_| Ok(())))).collect();
        for call in &mut queued {
            assert!(call.now_or_never().is_none(), "queued, not answered");
        }
        let refused = db.call(|_| Ok(())).now_or_never();
        assert!(matches!(refused, Some(Err(DbError::Busy))), "{refused:?}");
        go.send(()).expect("the first closure waits");
        held.await.expect("task").expect("the first closure");
        for call in queued {
            call.await.expect("a queued closure");
        }
        db.call(|_| Ok(())).await.expect("room again");
    }

    #[tokio::test]
    async fn a_panicking_closure_is_an_error_and_the_thread_goes_on() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Sqlite::open(dir.path()).expect("opened");
        let panicked = db
            .call(|c| -> Result<(), DbError> {
                let tx = c.transaction()?;
                tx.execute(INSERT_UPLOAD, ["users/dev/lost"])?;
                panic!("a bug inside a database closure");
            })
            .await;
        assert!(
            matches!(&panicked, Err(DbError::Task(m)) if m.contains("panicked")),
            "{panicked:?}"
        );
        // The same thread and connection answer the next closure, and the
        // panicked closure's transaction was rolled back.
        let rows: i64 = db
            .call(|c| Ok(c.query_row("SELECT count(*) FROM uploads", [], |r| r.get(0))?))
            .await
            .expect("the database thread still answers");
        assert_eq!(rows, 0);
        // And it still writes.
        insert_upload(&db, "users/dev/kept")
            .await
            .expect("insert after the panic");
    }

    #[tokio::test]
    async fn an_open_upload_of_version_2_keeps_working_after_the_client_token_migration() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let mut conn = Connection::open(dir.path().join(DB_FILE)).expect("file");
            Migrations::new(migrations::sqlite()[..2].to_vec())
                .to_latest(&mut conn)
                .expect("version 2");
            conn.execute(
                "INSERT INTO upload_sessions (id, user_id, object_key, store_upload_id, size,
                    part_size, content_type, file_type, created_at, checksums)
                 VALUES ('0123456789abcdef0123456789abcdef', 'dev', 'users/dev/ecu/2026-12-01/x-a.bin',
                    'store-id', 12, 5242880, 'application/octet-stream', 'ecu',
                    '2026-12-01T00:00:00Z', 1)",
                [],
            )
            .expect("a version 2 row");
        }
        let sessions = crate::domain::upload_sessions::UploadSessions::new(
            Sqlite::open(dir.path()).expect("migrated").into(),
            20,
        );
        let id =
            crate::domain::upload_sessions::UploadId::parse("0123456789abcdef0123456789abcdef")
                .expect("id");
        let dev = presign_core::UserId::parse("dev").expect("user");
        let session = sessions.get(&id, &dev).await.expect("db").expect("the row");
        assert_eq!(session.store_upload_id, "store-id");
        // It holds no token: a token's lookup does not find it.
        let token = presign_core::protocol::client_token::ClientToken::parse("0123456789abcdef")
            .expect("token");
        assert_eq!(
            sessions.by_client_token(&dev, &token).await.expect("db"),
            None
        );
    }

    #[tokio::test]
    async fn a_file_database_is_wal_and_migrates_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("nested/data");
        let version = |db: Sqlite| async move {
            db.call(|c| {
                let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                Ok((version, mode))
            })
            .await
            .expect("query")
        };
        let latest = i64::try_from(migrations::MIGRATIONS.len()).expect("count");
        let db = Sqlite::open(&data).expect("created on an empty folder");
        assert!(data.join(DB_FILE).is_file());
        assert_eq!(version(db.clone()).await, (latest, "wal".to_owned()));
        insert_upload(&db, "users/dev/x").await.expect("insert");
        drop(db);
        // Opening again runs no migration twice and keeps the rows.
        let db = Sqlite::open(&data).expect("reopened");
        assert_eq!(version(db.clone()).await, (latest, "wal".to_owned()));
        let rows: i64 = db
            .call(|c| Ok(c.query_row("SELECT count(*) FROM uploads", [], |r| r.get(0))?))
            .await
            .expect("count");
        assert_eq!(rows, 1);
    }
}
