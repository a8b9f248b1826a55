//! Why a database call failed, whichever backend ran it. Details are for
//! the log; the API answers 503 with `Retry-After` when the database is
//! busy or cannot be reached ([`DbError::is_unavailable`]), 507 when its
//! disk is full ([`DbError::is_disk_full`]), and a generic 500 otherwise.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the data folder {0}: {1}")]
    CreateDir(PathBuf, #[source] std::io::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("database: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No connection to PostgreSQL could be had (refused, timed out, the
    /// pool closed).
    #[error("the database cannot be reached: {0}")]
    Unreachable(String),
    #[error("database task failed: {0}")]
    Task(String),
    #[error("cannot start the database thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("database holds an invalid {0}")]
    Corrupt(String),
    #[error("the database queue is full")]
    Busy,
    /// The TLS settings of `--database-url` cannot be used.
    #[error("{0}")]
    Tls(String),
}

impl DbError {
    /// Whether SQLite failed because the disk (or its quota) is full, or
    /// PostgreSQL did (SQLSTATE 53100 `disk_full`).
    pub fn is_disk_full(&self) -> bool {
        match self {
            DbError::Sqlite(s) => s.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
            DbError::Postgres(e) => e.code() == Some(&tokio_postgres::error::SqlState::DISK_FULL),
            _ => false,
        }
    }

    /// Whether the database is there but cannot answer now: the SQLite
    /// queue is full, or PostgreSQL cannot be reached, closed the
    /// connection or is shutting down or starting (SQLSTATE classes 08 and
    /// 57P). Worth retrying in a moment, unlike a failed query.
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Busy | DbError::Unreachable(_) => true,
            DbError::Postgres(e) => postgres_unavailable(e),
            _ => false,
        }
    }
}

fn postgres_unavailable(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let code = code.code();
        return code.starts_with("08") || code.starts_with("57P");
    }
    // No SQLSTATE: a failure of the connection itself (I/O), not of a query.
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) if e.code().is_some() => DbError::Postgres(e),
            other => DbError::Unreachable(with_causes(&other)),
        }
    }
}

/// `e` and each of its sources, `: `-joined: a failed TLS handshake says
/// why (`invalid peer certificate: UnknownIssuer`), not only that it failed.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_and_an_unreachable_database_are_unavailable() {
        assert!(DbError::Busy.is_unavailable());
        assert!(DbError::Unreachable("refused".into()).is_unavailable());
        assert!(!DbError::Corrupt("row".into()).is_unavailable());
        assert!(!DbError::Task("panicked".into()).is_unavailable());
    }
}
