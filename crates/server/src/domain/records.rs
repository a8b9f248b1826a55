//! Completed uploads (table `uploads`; SQLite here, PostgreSQL in
//! [`postgres`]): one row per object the signer
//! verified in the store, written idempotently (one row per key; recording
//! the same key again returns the first row), listed per user newest first.
//!
//! When a webhook is configured, the row and its outbox entry
//! (`webhook_outbox`) are written in one transaction, so a record never
//! exists without its pending delivery, and a failing webhook cannot lose or
//! delay it ([`crate::domain::webhook`] delivers in the background).

use crate::db::{Database, DbError};
use crate::domain::quota::{self, QuotaExceeded, QuotaLimits, Usage};
use crate::domain::upload_sessions::{self, UploadId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jiff::Timestamp;
use presign_core::protocol::metadata::Metadata;
use presign_core::protocol::records::UploadRecord;
use presign_core::UserId;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::sync::Arc;
use tokio::sync::Notify;

mod postgres;

/// Default and largest page of `GET /api/uploads`.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 100;

/// Columns of an [`UploadRecord`], in [`from_row`]'s order.
const COLUMNS: &str = "user_id, object_key, file_type, size, sha256, etag, created_at, metadata";

/// The completed uploads. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Records {
    db: Database,
    /// Whether completions are queued for the webhook.
    webhook: bool,
    /// Wakes the webhook sender when a delivery is queued.
    queued: Arc<Notify>,
}

/// A page of one user's records, and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub uploads: Vec<UploadRecord>,
    pub next_cursor: Option<String>,
}

/// A `cursor` this server did not hand out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursor is not one this server handed out; start again without it")]
pub struct BadCursor;

impl Records {
    /// `webhook`: queue a delivery per new record, and ring `queued`.
    pub fn new(db: Database, webhook: bool, queued: Arc<Notify>) -> Self {
        Self {
            db,
            webhook,
            queued,
        }
    }

    /// Records in a private in-memory database, no webhook.
    pub fn in_memory() -> Result<Self, DbError> {
        Ok(Self::new(
            Database::in_memory()?,
            false,
            Arc::new(Notify::new()),
        ))
    }

    /// Records a verified single-PUT upload; the existing row if its key
    /// was recorded before.
    pub async fn record(&self, new: UploadRecord, at: Timestamp) -> Result<UploadRecord, DbError> {
        let written = self.write(new, at, None, QuotaLimits::default()).await?;
        written.map_err(|e| DbError::Task(format!("refused without a quota: {e}")))
    }

    /// Like [`Records::record`], unless a new record would take its user
    /// past `quota` (see `domain::quota`): then nothing is written. A
    /// key recorded before is answered as recorded, whatever the quota.
    pub async fn record_within(
        &self,
        new: UploadRecord,
        at: Timestamp,
        quota: QuotaLimits,
    ) -> Result<Result<UploadRecord, QuotaExceeded>, DbError> {
        self.write(new, at, None, quota).await
    }

    /// Records a completed multipart upload and forgets its session `id`,
    /// in one transaction; the existing row if it was recorded before.
    /// (Its bytes were counted against the quota from the create on.)
    pub async fn record_multipart(
        &self,
        new: UploadRecord,
        at: Timestamp,
        id: &UploadId,
    ) -> Result<UploadRecord, DbError> {
        let id = Some(id.as_str().to_owned());
        let written = self.write(new, at, id, QuotaLimits::default()).await?;
        written.map_err(|e| DbError::Task(format!("refused without a quota: {e}")))
    }

    /// Writes `new` (and its outbox entry, and forgets its multipart
    /// session) in one transaction, unless its key is new and it would
    /// take its user past `quota`.
    async fn write(
        &self,
        new: UploadRecord,
        at: Timestamp,
        multipart_id: Option<String>,
        quota: QuotaLimits,
    ) -> Result<Result<UploadRecord, QuotaExceeded>, DbError> {
        let webhook = self.webhook;
        let written = match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| write(c, &new, at, multipart_id, &quota, webhook))
                    .await?
            }
            Database::Postgres(db) => {
                postgres::write(db, &new, at, multipart_id, &quota, webhook).await?
            }
        };
        Ok(written.map(|(record, queued)| {
            if queued {
                self.queued.notify_one();
            }
            record
        }))
    }

    /// What `user` holds, in all and of `file_type` (recorded uploads and
    /// open multipart uploads' planned sizes).
    pub async fn usage(&self, user: &UserId, file_type: &str) -> Result<Usage, DbError> {
        let (user, file_type) = (user.as_str().to_owned(), file_type.to_owned());
        match &self.db {
            Database::Sqlite(db) => db.call(move |c| quota::usage(c, &user, &file_type)).await,
            Database::Postgres(db) => {
                let client = db.client().await?;
                quota::postgres::usage(&**client, &user, &file_type).await
            }
        }
    }

    /// The record of the completed multipart upload `id` of `user`.
    pub async fn by_multipart_id(
        &self,
        user: &UserId,
        id: &UploadId,
    ) -> Result<Option<UploadRecord>, DbError> {
        self.find("multipart_id", id.as_str(), user).await
    }

    /// The record of `key`, when `user` confirmed an upload there.
    pub async fn by_key(&self, user: &UserId, key: &str) -> Result<Option<UploadRecord>, DbError> {
        self.find("object_key", key, user).await
    }

    /// The record of `user` whose unique `column` holds `value`.
    async fn find(
        &self,
        column: &'static str,
        value: &str,
        user: &UserId,
    ) -> Result<Option<UploadRecord>, DbError> {
        let (value, user) = (value.to_owned(), user.as_str().to_owned());
        match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| {
                    Ok(c.query_row(
                        &format!(
                            "SELECT {COLUMNS} FROM uploads WHERE {column} = ?1 AND user_id = ?2"
                        ),
                        [&value, &user],
                        |r| from_row(r, 0),
                    )
                    .optional()?)
                })
                .await
            }
            Database::Postgres(db) => postgres::find(db, column, &value, &user).await,
        }
    }

    /// Up to `limit` (1..=100) of `user`'s records, newest first, after
    /// `cursor` (from the previous page).
    pub async fn list(
        &self,
        user: &UserId,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Result<Page, BadCursor>, DbError> {
        let before = match cursor.map(decode_cursor).transpose() {
            Ok(before) => before.unwrap_or(i64::MAX),
            Err(e) => return Ok(Err(e)),
        };
        let limit = limit.clamp(1, MAX_PAGE);
        let user = user.as_str().to_owned();
        let rows = match &self.db {
            Database::Sqlite(db) => db.call(move |c| list(c, &user, limit, before)).await?,
            Database::Postgres(db) => postgres::list(db, &user, limit, before).await?,
        };
        Ok(Ok(page(rows, limit)))
    }
}

/// [`Records::write`] in SQLite: one transaction; the record, and whether
/// a webhook delivery was queued.
fn write(
    c: &mut Connection,
    new: &UploadRecord,
    at: Timestamp,
    multipart_id: Option<String>,
    quota: &QuotaLimits,
    webhook: bool,
) -> Result<Result<(UploadRecord, bool), QuotaExceeded>, DbError> {
    let tx = c.transaction()?;
    if quota.is_set() {
        let recorded: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM uploads WHERE object_key = ?1)",
            [&new.key],
            |r| r.get(0),
        )?;
        if !recorded {
            if let Err(refused) = quota::check_in(&tx, quota, &new.user, &new.file_type, new.size)?
            {
                return Ok(Err(refused));
            }
        }
    }
    let inserted = tx.execute(
        "INSERT INTO uploads (user_id, object_key, file_type, size, sha256, etag,
            multipart_id, created_at, metadata)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (object_key) DO NOTHING",
        params![
            new.user,
            new.key,
            new.file_type,
            new.size,
            new.sha256,
            new.etag,
            multipart_id,
            at.to_string(),
            metadata_to(&new.metadata),
        ],
    )? == 1;
    if let Some(id) = &multipart_id {
        upload_sessions::delete(&tx, id, &new.user)?;
    }
    let (row_id, record) = tx.query_row(
        &format!("SELECT id, {COLUMNS} FROM uploads WHERE object_key = ?1"),
        [&new.key],
        |r| Ok((r.get::<_, i64>(0)?, from_row(r, 1)?)),
    )?;
    let queued = inserted && webhook;
    if queued {
        tx.execute(
            "INSERT INTO webhook_outbox (upload_id, body, next_attempt_ms)
             VALUES (?1, ?2, ?3)",
            params![row_id, delivery_body(row_id, &record)?, at.as_millisecond()],
        )?;
    }
    tx.commit()?;
    Ok(Ok((record, queued)))
}

/// The webhook's body for the record of row `row_id`.
fn delivery_body(row_id: i64, record: &UploadRecord) -> Result<String, DbError> {
    serde_json::to_string(record).map_err(|e| DbError::Corrupt(format!("record {row_id}: {e}")))
}

/// Newest first is the order of the row ids (assigned in insertion order,
/// never reused), which also makes a stable cursor: one more row than a
/// page, to tell whether another page follows.
fn list(
    c: &Connection,
    user: &str,
    limit: u32,
    before: i64,
) -> Result<Vec<(i64, UploadRecord)>, DbError> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT id, {COLUMNS} FROM uploads WHERE user_id = ?1 AND id < ?2
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![user, before, limit + 1], |r| {
        Ok((r.get::<_, i64>(0)?, from_row(r, 1)?))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// A page of `limit` from up to `limit + 1` rows, newest first.
fn page(mut rows: Vec<(i64, UploadRecord)>, limit: u32) -> Page {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|(id, _)| encode_cursor(*id)))
        .flatten();
    Page {
        uploads: rows.into_iter().map(|(_, record)| record).collect(),
        next_cursor,
    }
}

fn from_row(r: &Row<'_>, first: usize) -> rusqlite::Result<UploadRecord> {
    Ok(UploadRecord {
        user: r.get(first)?,
        key: r.get(first + 1)?,
        file_type: r.get(first + 2)?,
        size: r.get(first + 3)?,
        sha256: r.get(first + 4)?,
        etag: r.get(first + 5)?,
        created_at: r.get(first + 6)?,
        metadata: metadata_from(r.get(first + 7)?)?,
    })
}

/// The `metadata` column: JSON, NULL when there is none.
fn metadata_to(metadata: &Metadata) -> Option<String> {
    (!metadata.is_empty()).then(|| serde_json::to_string(metadata).unwrap_or_default())
}

fn metadata_from(column: Option<String>) -> rusqlite::Result<Metadata> {
    metadata_parse(column).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn metadata_parse(column: Option<String>) -> Result<Metadata, serde_json::Error> {
    match column {
        None => Ok(Metadata::default()),
        Some(json) => serde_json::from_str(&json),
    }
}

/// What the store holds at a recorded key now.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub size: u64,
    pub etag: &'a str,
    pub sha256: Option<&'a str>,
}

/// Why the object `stored` at a key is not the one `record` confirmed
/// there (another size, ETag or checksum); `None` when it is the same.
/// Keys are written once: a change means someone wrote the store behind
/// the signer's back.
pub fn changed_since(record: &UploadRecord, stored: &Stored<'_>) -> Option<String> {
    let what = if stored.size != record.size {
        format!("{} bytes, not {}", stored.size, record.size)
    } else if stored.etag != record.etag {
        format!("ETag {}, not {}", stored.etag, record.etag)
    } else if record.sha256.is_some() && stored.sha256 != record.sha256.as_deref() {
        format!(
            "SHA-256 {}, not {}",
            stored.sha256.unwrap_or("none"),
            record.sha256.as_deref().unwrap_or_default()
        )
    } else {
        return None;
    };
    Some(format!(
        "the object at {} changed after its upload was confirmed: the store holds {what}",
        record.key
    ))
}

/// The cursor after row `id`: opaque to clients (base64url of `u1:{id}`).
fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("u1:{id}"))
}

fn decode_cursor(text: &str) -> Result<i64, BadCursor> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| BadCursor)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| BadCursor)?;
    text.strip_prefix("u1:")
        .and_then(|id| id.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or(BadCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(user: &str, n: u32) -> UploadRecord {
        UploadRecord {
            user: user.into(),
            key: format!("users/{user}/ecu/2026-11-28/{n:032x}-f{n}.bin"),
            file_type: "ecu".into(),
            size: u64::from(n),
            sha256: Some(format!("sha{n}")),
            etag: format!("\"e{n}\""),
            created_at: String::new(),
            metadata: Default::default(),
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + second).expect("time")
    }

    #[tokio::test]
    async fn recording_twice_keeps_the_first_row() {
        let records = Records::in_memory().expect("db");
        let first = records.record(record("dev", 1), at(0)).await.expect("db");
        assert_eq!(first.created_at, at(0).to_string());
        let mut changed = record("dev", 1);
        changed.size = 99;
        let again = records.record(changed, at(5)).await.expect("db");
        assert_eq!(again, first);
        let dev = UserId::parse("dev").expect("user");
        let page = records
            .list(&dev, 10, None)
            .await
            .expect("db")
            .expect("page");
        assert_eq!(page.uploads, [first]);
        assert_eq!(page.next_cursor, None);
    }

    #[tokio::test]
    async fn users_see_only_their_own_pages_newest_first() {
        let records = Records::in_memory().expect("db");
        for n in 1..=5 {
            records
                .record(record("alice", n), at(n.into()))
                .await
                .expect("db");
            records
                .record(record("bob", 100 + n), at(n.into()))
                .await
                .expect("db");
        }
        let alice = UserId::parse("alice").expect("user");
        let mut seen = Vec::new();
        let mut cursor = None;
        let mut pages = 0;
        loop {
            let page = records
                .list(&alice, 2, cursor.as_deref())
                .await
                .expect("db")
                .expect("page");
            pages += 1;
            assert!(page.uploads.len() <= 2);
            seen.extend(page.uploads);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        let sizes: Vec<u64> = seen.iter().map(|r| r.size).collect();
        assert_eq!(sizes, [5, 4, 3, 2, 1]);
        assert!(seen.iter().all(|r| r.user == "alice"));
        let nobody = UserId::parse("carol").expect("user");
        let page = records
            .list(&nobody, 50, None)
            .await
            .expect("db")
            .expect("page");
        assert!(page.uploads.is_empty());
    }

    #[test]
    fn a_changed_object_is_told_apart() {
        let r = record("dev", 1);
        let same = Stored {
            size: 1,
            etag: "\"e1\"",
            sha256: Some("sha1"),
        };
        assert_eq!(changed_since(&r, &same), None);
        for other in [
            Stored { size: 2, ..same },
            Stored {
                etag: "\"x\"",
                ..same
            },
            Stored {
                sha256: Some("sha9"),
                ..same
            },
            Stored {
                sha256: None,
                ..same
            },
        ] {
            let change = changed_since(&r, &other).expect("changed");
            assert!(
                change.contains("changed after its upload was confirmed"),
                "{change}"
            );
        }
    }

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Ok(42));
        for bad in [
            "",
            "42",
            "!!",
            &URL_SAFE_NO_PAD.encode("u1:-3"),
            &URL_SAFE_NO_PAD.encode("x:4"),
        ] {
            assert_eq!(decode_cursor(bad), Err(BadCursor), "{bad}");
        }
    }
}
