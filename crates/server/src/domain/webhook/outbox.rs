//! The webhook outbox (table `webhook_outbox`): which deliveries are due,
//! and what became of each attempt, in SQLite and in PostgreSQL.
//!
//! A sender claims the deliveries it is about to post: claiming moves their
//! `next_attempt_ms` [`LEASE`] ahead, so no other sender (another replica)
//! sees them as due meanwhile; settling then marks each delivered, or sets
//! its retry time. In PostgreSQL the claim skips rows another replica is
//! claiming at the same moment (`FOR UPDATE SKIP LOCKED`): each delivery
//! is posted by one replica. Should a replica die between claim and
//! settle, another posts the delivery once the lease is over.

use crate::db::{Database, DbError};
use rusqlite::params;
use std::time::Duration;

/// How long a claim keeps a delivery from other senders: longer than a
/// batch of attempts takes ([`super::BATCH`] × the attempt timeout).
pub const LEASE: Duration = Duration::from_secs(5 * 60);

/// One delivery claimed for posting.
#[derive(Debug)]
pub struct Pending {
    pub id: i64,
    pub body: String,
    /// Attempts before this one.
    pub attempts: u32,
}

/// Claims up to `batch` due deliveries (fewer than `max_attempts` attempts,
/// due at `now_ms`), oldest first.
pub async fn claim_due(
    db: &Database,
    max_attempts: u32,
    now_ms: i64,
    batch: u32,
) -> Result<Vec<Pending>, DbError> {
    let lease_ms = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
    let until_ms = now_ms.saturating_add(lease_ms);
    let mut claimed = match db {
        Database::Sqlite(db) => {
            db.call(move |c| {
                let tx = c.transaction()?;
                let due = tx
                    .prepare_cached(
                        "SELECT id, body, attempts FROM webhook_outbox
                         WHERE delivered_ms IS NULL AND attempts < ?1 AND next_attempt_ms <= ?2
                         ORDER BY next_attempt_ms, id LIMIT ?3",
                    )?
                    .query_map(params![max_attempts, now_ms, batch], |r| {
                        Ok(Pending {
                            id: r.get(0)?,
                            body: r.get(1)?,
                            attempts: r.get(2)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                for pending in &due {
                    tx.execute(
                        "UPDATE webhook_outbox SET next_attempt_ms = ?1 WHERE id = ?2",
                        params![until_ms, pending.id],
                    )?;
                }
                tx.commit()?;
                Ok(due)
            })
            .await?
        }
        Database::Postgres(db) => {
            let client = db.client().await?;
            let rows = client
                .query(
                    "UPDATE webhook_outbox SET next_attempt_ms = $4
                     WHERE id IN (SELECT id FROM webhook_outbox
                         WHERE delivered_ms IS NULL AND attempts < $1 AND next_attempt_ms <= $2
                         ORDER BY next_attempt_ms, id LIMIT $3
                         FOR UPDATE SKIP LOCKED)
                     RETURNING id, body, attempts",
                    &[
                        &i32::try_from(max_attempts).unwrap_or(i32::MAX),
                        &now_ms,
                        &i64::from(batch),
                        &until_ms,
                    ],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    let attempts: i32 = r.try_get(2)?;
                    Ok(Pending {
                        id: r.try_get(0)?,
                        body: r.try_get(1)?,
                        attempts: u32::try_from(attempts).unwrap_or(0),
                    })
                })
                .collect::<Result<Vec<_>, DbError>>()?
        }
    };
    claimed.sort_by_key(|p| p.id);
    Ok(claimed)
}

/// Marks delivery `id` delivered at `now_ms`, after `attempts` attempts.
pub async fn delivered(db: &Database, id: i64, attempts: u32, now_ms: i64) -> Result<(), DbError> {
    match db {
        Database::Sqlite(db) => {
            db.call(move |c| {
                c.execute(
                    "UPDATE webhook_outbox SET delivered_ms = ?1, attempts = ?2, last_error = NULL
                     WHERE id = ?3",
                    params![now_ms, attempts, id],
                )?;
                Ok(())
            })
            .await
        }
        Database::Postgres(db) => {
            db.client()
                .await?
                .execute(
                    "UPDATE webhook_outbox SET delivered_ms = $1, attempts = $2, last_error = NULL
                     WHERE id = $3",
                    &[&now_ms, &attempts_column(attempts), &id],
                )
                .await?;
            Ok(())
        }
    }
}

/// Records a failed attempt of delivery `id`, to try again at `next_ms`.
pub async fn failed(
    db: &Database,
    id: i64,
    attempts: u32,
    next_ms: i64,
    error: String,
) -> Result<(), DbError> {
    match db {
        Database::Sqlite(db) => {
            db.call(move |c| {
                c.execute(
                    "UPDATE webhook_outbox SET attempts = ?1, next_attempt_ms = ?2, last_error = ?3
                     WHERE id = ?4",
                    params![attempts, next_ms, error, id],
                )?;
                Ok(())
            })
            .await
        }
        Database::Postgres(db) => {
            db.client()
                .await?
                .execute(
                    "UPDATE webhook_outbox SET attempts = $1, next_attempt_ms = $2, last_error = $3
                     WHERE id = $4",
                    &[&attempts_column(attempts), &next_ms, &error, &id],
                )
                .await?;
            Ok(())
        }
    }
}

/// When the next pending delivery is due (claimed ones at their lease's
/// end), if any is pending.
pub async fn next_due_ms(db: &Database, max_attempts: u32) -> Result<Option<i64>, DbError> {
    const NEXT: &str = "SELECT min(next_attempt_ms) FROM webhook_outbox
                        WHERE delivered_ms IS NULL AND attempts < ";
    match db {
        Database::Sqlite(db) => {
            db.call(move |c| {
                Ok(c.query_row(&format!("{NEXT}?1"), [max_attempts], |r| {
                    r.get::<_, Option<i64>>(0)
                })?)
            })
            .await
        }
        Database::Postgres(db) => {
            let client = db.client().await?;
            let row = client
                .query_one(&format!("{NEXT}$1"), &[&attempts_column(max_attempts)])
                .await?;
            Ok(row.try_get(0)?)
        }
    }
}

/// The `attempts` column's INTEGER in PostgreSQL.
fn attempts_column(attempts: u32) -> i32 {
    i32::try_from(attempts).unwrap_or(i32::MAX)
}
