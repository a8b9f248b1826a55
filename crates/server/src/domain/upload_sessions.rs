//! The open multipart uploads: the server's own opaque upload id mapped to
//! who started it, its key, the store's UploadId and the agreed part plan.
//!
//! Kept in the database ([`crate::db`], table `upload_sessions`; SQLite here,
//! PostgreSQL in [`postgres`]), so open uploads survive a restart (a client
//! can go on uploading parts and complete after the server came back), and
//! with PostgreSQL any replica serves any call of an upload. The API is the small one the routes use: `insert`,
//! `get`, `remove`, `open_count`, `by_client_token` (an idempotent create,
//! [`presign_core::protocol::client_token`]); and for operations `total_open` (metrics)
//! and `started_before` and `store_uploads_at` (the stale-upload collector,
//! [`crate::domain::gc`]). A create's intent ([`crate::domain::create_intents`])
//! is settled in the transaction that registers its upload. All are
//! async: the database runs off the runtime.

use crate::db::{Database, DbError};
use crate::domain::create_intents::{self, CreateIntents, IntentId};
use crate::domain::quota::{self, QuotaLimits};
use jiff::Timestamp;
use presign_core::protocol::client_token::ClientToken;
use presign_core::{ObjectKey, UserId};
use rusqlite::{params, Connection, OptionalExtension};

pub(crate) mod postgres;
mod row;
mod session;

pub use session::{Idempotency, SessionError, UploadId, UploadSession};

use row::{Row, COLUMNS};

/// Open uploads one user may hold at once.
pub const DEFAULT_MAX_OPEN_PER_USER: usize = 20;

/// The registry of open uploads. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct UploadSessions {
    db: Database,
    max_per_user: usize,
}

impl UploadSessions {
    pub fn new(db: Database, max_per_user: usize) -> Self {
        Self { db, max_per_user }
    }

    /// A registry in a private in-memory database (tests, `app()` alone).
    pub fn in_memory() -> Result<Self, DbError> {
        Ok(Self::new(Database::in_memory()?, DEFAULT_MAX_OPEN_PER_USER))
    }

    pub fn max_per_user(&self) -> usize {
        self.max_per_user
    }

    /// The database it is kept in.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The intents of creates, in the same database.
    pub fn create_intents(&self) -> CreateIntents {
        CreateIntents::new(self.db.clone())
    }

    /// Open uploads of `user`.
    pub async fn open_count(&self, user: &UserId) -> Result<usize, DbError> {
        let user = user.as_str().to_owned();
        match &self.db {
            Database::Sqlite(db) => db.call(move |c| count(c, &user)).await,
            Database::Postgres(db) => postgres::open_count(db, &user).await,
        }
    }

    /// Open uploads of every user.
    pub async fn total_open(&self) -> Result<u64, DbError> {
        match &self.db {
            Database::Sqlite(db) => {
                db.call(|c| {
                    let n: i64 =
                        c.query_row("SELECT count(*) FROM upload_sessions", [], |r| r.get(0))?;
                    Ok(u64::try_from(n).unwrap_or(0))
                })
                .await
            }
            Database::Postgres(db) => postgres::total_open(db).await,
        }
    }

    /// Every open upload, of any user, started before `cutoff`, oldest
    /// first. (Timestamps are compared as instants, not as text: their
    /// RFC 3339 forms differ in length.)
    pub async fn started_before(
        &self,
        cutoff: Timestamp,
    ) -> Result<Vec<(UploadId, UploadSession)>, DbError> {
        let rows = match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| {
                    let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM upload_sessions"))?;
                    let rows = stmt.query_map([], Row::read)?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
                .await?
            }
            Database::Postgres(db) => postgres::all(db).await?,
        };
        let mut stale = Vec::new();
        for row in rows {
            let id = row.upload_id()?;
            let session = row.session()?;
            if session.created_at < cutoff {
                stale.push((id, session));
            }
        }
        stale.sort_by_key(|(_, s)| s.created_at);
        Ok(stale)
    }

    /// Registers `session` under `id`, unless its user already holds the
    /// maximum of open uploads, or (with `idempotency`) another open upload
    /// of the user holds the same client token.
    pub async fn insert(
        &self,
        id: UploadId,
        session: UploadSession,
        idempotency: Option<Idempotency>,
    ) -> Result<(), SessionError> {
        self.insert_within(id, session, idempotency, QuotaLimits::default(), None)
            .await
    }

    /// Like [`UploadSessions::insert`], and unless its planned size would
    /// take its user past `quota` (see `domain::quota`); settles the
    /// create's `intent` in the same transaction
    /// ([`create_intents::settle`]).
    pub async fn insert_within(
        &self,
        id: UploadId,
        session: UploadSession,
        idempotency: Option<Idempotency>,
        quota: QuotaLimits,
        intent: Option<IntentId>,
    ) -> Result<(), SessionError> {
        let limit = self.max_per_user;
        let new = New {
            id,
            session,
            idempotency,
            intent,
        };
        match &self.db {
            Database::Sqlite(db) => db.call(move |c| insert(c, new, quota, limit)).await?,
            Database::Postgres(db) => postgres::insert(db, new, quota, limit).await?,
        }
    }

    /// The store's UploadIds of the open uploads at `key`, of any user.
    pub async fn store_uploads_at(&self, key: &ObjectKey) -> Result<Vec<String>, DbError> {
        let key = key.as_str().to_owned();
        match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| {
                    let mut stmt = c.prepare(
                        "SELECT store_upload_id FROM upload_sessions WHERE object_key = ?1",
                    )?;
                    let ids = stmt.query_map([&key], |r| r.get(0))?;
                    Ok(ids.collect::<Result<Vec<String>, _>>()?)
                })
                .await
            }
            Database::Postgres(db) => postgres::store_uploads_at(db, &key).await,
        }
    }

    /// The open upload of `user` created with `token`: its id, its session
    /// and the create request it came with.
    pub async fn by_client_token(
        &self,
        user: &UserId,
        token: &ClientToken,
    ) -> Result<Option<(UploadId, UploadSession, String)>, DbError> {
        let (user, token) = (user.as_str().to_owned(), token.as_str().to_owned());
        let found = match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| {
                    Ok(c.prepare_cached(&format!(
                        "SELECT {COLUMNS}, create_request FROM upload_sessions
                         WHERE user_id = ?1 AND client_token = ?2"
                    ))?
                    .query_row([&user, &token], |r| {
                        Ok((Row::read(r)?, r.get::<_, Option<String>>("create_request")?))
                    })
                    .optional()?)
                })
                .await?
            }
            Database::Postgres(db) => postgres::by_client_token(db, &user, &token).await?,
        };
        let Some((row, request)) = found else {
            return Ok(None);
        };
        let id = row.upload_id()?;
        let request = request
            .ok_or_else(|| DbError::Corrupt(format!("create request of upload session {id}")))?;
        Ok(Some((id, row.session()?, request)))
    }

    /// The session `id` when it belongs to `user`; `None` for an unknown id
    /// and for another user's alike.
    pub async fn get(
        &self,
        id: &UploadId,
        user: &UserId,
    ) -> Result<Option<UploadSession>, DbError> {
        let (id, user) = (id.as_str().to_owned(), user.as_str().to_owned());
        let row = match &self.db {
            Database::Sqlite(db) => db.call(move |c| select(c, &id, &user)).await?,
            Database::Postgres(db) => postgres::get(db, &id, &user).await?,
        };
        row.map(Row::session).transpose()
    }

    /// Removes and returns the session `id` when it belongs to `user`; of
    /// two calls at once, one gets it.
    pub async fn remove(
        &self,
        id: &UploadId,
        user: &UserId,
    ) -> Result<Option<UploadSession>, DbError> {
        let (id, user) = (id.as_str().to_owned(), user.as_str().to_owned());
        let row = match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| {
                    let tx = c.transaction()?;
                    let row = select(&tx, &id, &user)?;
                    delete(&tx, &id, &user)?;
                    tx.commit()?;
                    Ok(row)
                })
                .await?
            }
            Database::Postgres(db) => postgres::remove(db, &id, &user).await?,
        };
        row.map(Row::session).transpose()
    }
}

/// A session to register, with what its create came with.
struct New {
    id: UploadId,
    session: UploadSession,
    idempotency: Option<Idempotency>,
    intent: Option<IntentId>,
}

/// [`UploadSessions::insert_within`] in SQLite: one transaction. (The
/// database thread runs one closure at a time, so nothing comes between
/// the checks and the insert; the unique index only guards against a bug.)
fn insert(
    c: &mut Connection,
    new: New,
    quota: QuotaLimits,
    limit: usize,
) -> Result<Result<(), SessionError>, DbError> {
    let New {
        id,
        session,
        idempotency,
        intent,
    } = new;
    let tx = c.transaction()?;
    // A token taken first: the upload that holds it is the answer, even
    // when it filled the user's last slot.
    if let Some(i) = &idempotency {
        let taken: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM upload_sessions
             WHERE user_id = ?1 AND client_token = ?2)",
            [session.user.as_str(), i.token.as_str()],
            |r| r.get(0),
        )?;
        if taken {
            return Ok(Err(SessionError::TokenTaken(i.token.clone())));
        }
    }
    if count(&tx, session.user.as_str())? >= limit {
        return Ok(Err(SessionError::TooMany { limit }));
    }
    let (user, file_type) = (session.user.as_str(), session.file_type.as_str());
    if let Err(e) = quota::check_in(&tx, &quota, user, file_type, session.plan.size())? {
        return Ok(Err(e.into()));
    }
    let (token, request) = match &idempotency {
        Some(i) => (Some(i.token.as_str()), Some(i.request.as_str())),
        None => (None, None),
    };
    let inserted = tx.execute(
        "INSERT INTO upload_sessions (id, user_id, object_key, store_upload_id,
            size, part_size, content_type, file_type, created_at, checksums,
            client_token, create_request)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO NOTHING",
        params![
            id.as_str(),
            session.user.as_str(),
            session.key.as_str(),
            session.store_upload_id,
            session.plan.size(),
            session.plan.part_size(),
            session.content_type,
            session.file_type.as_str(),
            session.created_at.to_string(),
            session.checksums,
            token,
            request,
        ],
    )?;
    if inserted == 0 {
        return Ok(Err(SessionError::Taken(id)));
    }
    if let Some(intent) = &intent {
        let token = idempotency.as_ref().map(|i| &i.token);
        create_intents::settle(&tx, intent, session.user.as_str(), token)?;
    }
    tx.commit()?;
    Ok(Ok(()))
}

fn count(c: &Connection, user: &str) -> Result<usize, DbError> {
    let n: i64 = c.query_row(
        "SELECT count(*) FROM upload_sessions WHERE user_id = ?1",
        [user],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Deletes the session `id` of `user` (inside a caller's transaction).
pub(crate) fn delete(c: &Connection, id: &str, user: &str) -> Result<bool, DbError> {
    let n = c.execute(
        "DELETE FROM upload_sessions WHERE id = ?1 AND user_id = ?2",
        [id, user],
    )?;
    Ok(n > 0)
}

fn select(c: &Connection, id: &str, user: &str) -> Result<Option<Row>, DbError> {
    // Cached: part-urls reads a session per request, and preparing the
    // statement (parsing the SQL) cost more than running it.
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM upload_sessions WHERE id = ?1 AND user_id = ?2"
    ))?
    .query_row([id, user], Row::read)
    .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::keys::file_type::FileType;
    use presign_core::s3::limits::MIB;
    use presign_core::s3::part_plan::PartPlan;

    fn session(user: &str) -> UploadSession {
        let user = UserId::parse(user).expect("user");
        let file_type = FileType::parse("ecu").expect("file type");
        UploadSession {
            key: ObjectKey::for_upload(
                &user,
                &file_type,
                presign_core::KeyDate::new(2026, 1, 2).expect("date"),
                "0123456789abcdef0123456789abcdef",
                "a.bin",
            )
            .expect("key"),
            user,
            store_upload_id: "store".into(),
            plan: PartPlan::new(20 * MIB, 5 * MIB).expect("plan"),
            content_type: "application/octet-stream".into(),
            file_type,
            created_at: "2026-11-28T04:00:00.123456Z".parse().expect("time"),
            checksums: true,
        }
    }

    #[test]
    fn ids_are_32_hex_and_parse_strictly() {
        let id = UploadId::random();
        assert_eq!(id.as_str().len(), 32);
        assert_eq!(UploadId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(UploadId::random(), id);
        for bad in [
            "",
            "0123456789abcdef0123456789abcde",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcdeg",
            "../../etc/passwd",
        ] {
            assert_eq!(UploadId::parse(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn sessions_belong_to_their_user() {
        let reg = UploadSessions::in_memory().expect("db");
        let dev = UserId::parse("dev").expect("user");
        let other = UserId::parse("other").expect("user");
        let id = UploadId::random();
        let theirs = session("other");
        reg.insert(id.clone(), theirs.clone(), None)
            .await
            .expect("inserted");
        assert_eq!(reg.get(&id, &dev).await.expect("db"), None);
        assert_eq!(reg.remove(&id, &dev).await.expect("db"), None);
        assert_eq!(
            reg.get(&id, &other).await.expect("db"),
            Some(theirs.clone())
        );
        assert!(matches!(
            reg.insert(id.clone(), session("other"), None).await,
            Err(SessionError::Taken(taken)) if taken == id
        ));
        assert_eq!(reg.remove(&id, &other).await.expect("db"), Some(theirs));
        assert_eq!(reg.get(&id, &other).await.expect("db"), None);
    }

    #[tokio::test]
    async fn a_client_token_is_one_open_upload_per_user_and_freed_with_it() {
        let reg = UploadSessions::in_memory().expect("db");
        let (dev, other) = (
            UserId::parse("dev").expect("user"),
            UserId::parse("other").expect("user"),
        );
        let token = ClientToken::parse("0123456789abcdef").expect("token");
        let with = |request: &str| {
            Some(Idempotency {
                token: token.clone(),
                request: request.into(),
            })
        };
        let (first, theirs) = (UploadId::random(), UploadId::random());
        reg.insert(first.clone(), session("dev"), with("{\"a\":1}"))
            .await
            .expect("first");
        // Another user's uploads do not see the dev user's tokens.
        reg.insert(theirs.clone(), session("other"), with("{\"b\":2}"))
            .await
            .expect("another user, the same token");
        assert!(matches!(
            reg.insert(UploadId::random(), session("dev"), with("{\"a\":1}")).await,
            Err(SessionError::TokenTaken(t)) if t == token
        ));
        assert_eq!(reg.open_count(&dev).await.expect("db"), 1);
        assert_eq!(
            reg.by_client_token(&dev, &token).await.expect("db"),
            Some((first.clone(), session("dev"), "{\"a\":1}".into()))
        );
        assert_eq!(
            reg.by_client_token(&other, &token)
                .await
                .expect("db")
                .map(|f| (f.0, f.2)),
            Some((theirs, "{\"b\":2}".into()))
        );
        // At the cap, a taken token is still the answer (not "too many").
        let capped = UploadSessions::new(Database::in_memory().expect("db"), 1);
        capped
            .insert(UploadId::random(), session("dev"), with("{\"a\":1}"))
            .await
            .expect("the only slot");
        assert!(matches!(
            capped
                .insert(UploadId::random(), session("dev"), with("{\"a\":1}"))
                .await,
            Err(SessionError::TokenTaken(_))
        ));
        assert!(matches!(
            capped
                .insert(UploadId::random(), session("dev"), None)
                .await,
            Err(SessionError::TooMany { limit: 1 })
        ));
        // Once the upload is gone, its token names nothing and may open another.
        reg.remove(&first, &dev).await.expect("db");
        assert_eq!(reg.by_client_token(&dev, &token).await.expect("db"), None);
        reg.insert(UploadId::random(), session("dev"), with("{\"c\":3}"))
            .await
            .expect("the token again");
        // Without tokens, nothing is unique but the id.
        reg.insert(UploadId::random(), session("dev"), None)
            .await
            .expect("none");
        reg.insert(UploadId::random(), session("dev"), None)
            .await
            .expect("none");
        assert_eq!(reg.open_count(&dev).await.expect("db"), 3);
    }

    #[tokio::test]
    async fn open_uploads_per_user_are_capped() {
        let reg = UploadSessions::new(Database::in_memory().expect("db"), 2);
        let dev = UserId::parse("dev").expect("user");
        reg.insert(UploadId::random(), session("dev"), None)
            .await
            .expect("1");
        reg.insert(UploadId::random(), session("dev"), None)
            .await
            .expect("2");
        assert!(matches!(
            reg.insert(UploadId::random(), session("dev"), None).await,
            Err(SessionError::TooMany { limit: 2 })
        ));
        reg.insert(UploadId::random(), session("other"), None)
            .await
            .expect("others are counted apart");
        assert_eq!(reg.open_count(&dev).await.expect("db"), 2);
    }

    #[tokio::test]
    async fn started_before_compares_instants_not_text() {
        let reg = UploadSessions::in_memory().expect("db");
        let at = |t: &str| -> Timestamp { t.parse().expect("time") };
        let (old_id, new_id) = (UploadId::random(), UploadId::random());
        let mut old = session("dev");
        old.created_at = at("2026-11-28T04:00:00Z");
        let mut new = session("other");
        new.created_at = at("2026-11-28T04:00:00.5Z");
        reg.insert(new_id.clone(), new.clone(), None)
            .await
            .expect("new");
        reg.insert(old_id.clone(), old.clone(), None)
            .await
            .expect("old");
        assert_eq!(reg.total_open().await.expect("db"), 2);
        // As text, "…00.25Z" sorts before "…00Z"; as instants it is after.
        let stale = reg
            .started_before(at("2026-11-28T04:00:00.25Z"))
            .await
            .expect("db");
        assert_eq!(stale, [(old_id.clone(), old.clone())]);
        let both = reg
            .started_before(at("2026-11-28T04:00:01Z"))
            .await
            .expect("db");
        assert_eq!(both, [(old_id, old), (new_id, new)], "oldest first");
        assert!(reg
            .started_before(at("2026-11-28T04:00:00Z"))
            .await
            .expect("db")
            .is_empty());
    }
}
