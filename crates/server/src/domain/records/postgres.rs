//! Completed uploads in PostgreSQL: the queries of [`super::Records`] for
//! replicas that share one database. Recording the same key on two
//! replicas at once writes one row (the unique key: the second insert
//! waits for the first and then does nothing) and queues one delivery; a
//! quota check takes its user's lock
//! ([`crate::db::postgres::lock_user`]) so replicas never both spend the
//! same room.

use super::{delivery_body, metadata_parse, metadata_to, QuotaExceeded, COLUMNS};
use crate::db::postgres::{bigint, lock_user, unsigned};
use crate::db::{DbError, Postgres};
use crate::domain::quota::{self, QuotaLimits};
use crate::domain::upload_sessions;
use jiff::Timestamp;
use presign_core::protocol::records::UploadRecord;

/// [`super::Records::write`]: the record, and whether a delivery was queued.
pub(super) async fn write(
    db: &Postgres,
    new: &UploadRecord,
    at: Timestamp,
    multipart_id: Option<String>,
    quota: &QuotaLimits,
    webhook: bool,
) -> Result<Result<(UploadRecord, bool), QuotaExceeded>, DbError> {
    let mut client = db.client().await?;
    let tx = client.transaction().await?;
    if quota.is_set() {
        lock_user(&tx, &new.user).await?;
        let recorded: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM uploads WHERE object_key = $1)",
                &[&new.key],
            )
            .await?
            .get(0);
        if !recorded {
            let (user, file_type) = (&new.user, &new.file_type);
            if let Err(e) =
                quota::postgres::check_in(&*tx, quota, user, file_type, new.size).await?
            {
                return Ok(Err(e));
            }
        }
    }
    let inserted = tx
        .execute(
            "INSERT INTO uploads (user_id, object_key, file_type, size, sha256, etag,
                multipart_id, created_at, metadata)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (object_key) DO NOTHING",
            &[
                &new.user,
                &new.key,
                &new.file_type,
                &bigint(new.size)?,
                &new.sha256,
                &new.etag,
                &multipart_id,
                &at.to_string(),
                &metadata_to(&new.metadata),
            ],
        )
        .await?
        == 1;
    if let Some(id) = &multipart_id {
        upload_sessions::postgres::delete(&tx, id, &new.user).await?;
    }
    let row = tx
        .query_one(
            &format!("SELECT id, {COLUMNS} FROM uploads WHERE object_key = $1"),
            &[&new.key],
        )
        .await?;
    let (row_id, record): (i64, _) = (row.try_get(0)?, read(&row, 1)?);
    let queued = inserted && webhook;
    if queued {
        tx.execute(
            "INSERT INTO webhook_outbox (upload_id, body, next_attempt_ms) VALUES ($1, $2, $3)",
            &[
                &row_id,
                &delivery_body(row_id, &record)?,
                &at.as_millisecond(),
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok((record, queued)))
}

/// The record of `user` whose unique `column` holds `value`.
pub(super) async fn find(
    db: &Postgres,
    column: &'static str,
    value: &str,
    user: &str,
) -> Result<Option<UploadRecord>, DbError> {
    let client = db.client().await?;
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM uploads WHERE {column} = $1 AND user_id = $2"),
            &[&value, &user],
        )
        .await?;
    row.map(|r| read(&r, 0)).transpose()
}

/// Up to `limit + 1` rows of `user` before the row id `before`, newest first.
pub(super) async fn list(
    db: &Postgres,
    user: &str,
    limit: u32,
    before: i64,
) -> Result<Vec<(i64, UploadRecord)>, DbError> {
    let client = db.client().await?;
    let rows = client
        .query(
            &format!(
                "SELECT id, {COLUMNS} FROM uploads WHERE user_id = $1 AND id < $2
                 ORDER BY id DESC LIMIT $3"
            ),
            &[&user, &before, &(i64::from(limit) + 1)],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, read(r, 1)?)))
        .collect()
}

fn read(r: &tokio_postgres::Row, first: usize) -> Result<UploadRecord, DbError> {
    Ok(UploadRecord {
        user: r.try_get(first)?,
        key: r.try_get(first + 1)?,
        file_type: r.try_get(first + 2)?,
        size: unsigned(r.try_get(first + 3)?)?,
        sha256: r.try_get(first + 4)?,
        etag: r.try_get(first + 5)?,
        created_at: r.try_get(first + 6)?,
        metadata: metadata_parse(r.try_get(first + 7)?)
            .map_err(|e| DbError::Corrupt(format!("metadata of a record: {e}")))?,
    })
}
