//! Create intents: what a multipart create is about to open in the store,
//! written before the store is asked (table `create_intents`; SQLite here,
//! PostgreSQL in [`postgres`]).
//!
//! A create asks the store for an upload (CreateMultipartUpload) and then
//! registers it ([`crate::domain::upload_sessions`]); a signer that dies in
//! between, or loses the store's answer, leaves an upload no session knows.
//! Its intent (user, key, client token and request, start) says where to
//! look: a retry with the same client token reuses the intent's key and
//! takes over the upload open there, and the collector
//! ([`crate::domain::gc`]) aborts what an intent older than its age left.
//!
//! An intent lives for one attempt: the session insert that registers the
//! attempt's upload deletes it in the same transaction ([`settle`]), and an
//! attempt that fails cleanly (the store refused, or the registry did and
//! the upload was aborted) deletes it. The same insert releases the client
//! token from the user's other intents (attempts of the same create, which
//! found the key through it): a later create with that token is a new
//! upload, while those intents stay for the collector, which finds their
//! uploads, if any, not held by a session.

use crate::db::{Database, DbError};
use crate::domain::upload_sessions::Idempotency;
use jiff::Timestamp;
use presign_core::protocol::client_token::ClientToken;
use presign_core::{ObjectKey, UserId};
use rusqlite::{params, Connection};
use std::fmt;

pub(crate) mod postgres;

/// An intent's id: 32 lowercase hex digits (128 random bits).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IntentId(String);

impl IntentId {
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IntentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IntentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IntentId({})", self.0)
    }
}

/// One create about to ask the store for an upload at `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateIntent {
    pub id: IntentId,
    pub user: UserId,
    pub key: ObjectKey,
    /// The create's client token and request, when it came with a token
    /// (and no later upload took the token since).
    pub idempotency: Option<Idempotency>,
    /// By the server's clock, as a session's `created_at`.
    pub started_at: Timestamp,
}

/// Columns of an intent, in [`Row`]'s order.
const COLUMNS: &str = "id, user_id, object_key, client_token, create_request, started_at";

/// An intent's row as stored, before its values are checked.
struct Row {
    id: String,
    user: String,
    key: String,
    token: Option<String>,
    request: Option<String>,
    started_at: String,
}

impl Row {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            user: r.get(1)?,
            key: r.get(2)?,
            token: r.get(3)?,
            request: r.get(4)?,
            started_at: r.get(5)?,
        })
    }

    fn intent(self) -> Result<CreateIntent, DbError> {
        let id = &self.id;
        let corrupt = |what: &str| DbError::Corrupt(format!("{what} in create intent {id}"));
        let user = UserId::from_stored(&self.user).map_err(|_| corrupt("user"))?;
        let idempotency = match (self.token, self.request) {
            (Some(token), Some(request)) => Some(Idempotency {
                token: ClientToken::parse(&token).map_err(|_| corrupt("client token"))?,
                request,
            }),
            (None, None) => None,
            _ => return Err(corrupt("client token without its request")),
        };
        Ok(CreateIntent {
            key: ObjectKey::owned_by(&self.key, &user).map_err(|_| corrupt("key"))?,
            user,
            idempotency,
            started_at: self.started_at.parse().map_err(|_| corrupt("started_at"))?,
            id: IntentId(self.id),
        })
    }
}

/// The intents of creates under way or cut off. Cheap to clone.
#[derive(Debug, Clone)]
pub struct CreateIntents {
    db: Database,
}

impl CreateIntents {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Writes `intent` down (before the store is asked).
    pub async fn record(&self, intent: &CreateIntent) -> Result<(), DbError> {
        let id = intent.id.as_str().to_owned();
        let user = intent.user.as_str().to_owned();
        let key = intent.key.as_str().to_owned();
        let (token, request) = match &intent.idempotency {
            Some(i) => (Some(i.token.as_str().to_owned()), Some(i.request.clone())),
            None => (None, None),
        };
        let started_at = intent.started_at.to_string();
        match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| {
                    c.execute(
                        "INSERT INTO create_intents (id, user_id, object_key, client_token,
                            create_request, started_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![id, user, key, token, request, started_at],
                    )?;
                    Ok(())
                })
                .await
            }
            Database::Postgres(db) => postgres::record(db, intent).await,
        }
    }

    /// The oldest intent of `user` that still holds `token`: an earlier
    /// attempt of the same create that registered nothing (yet).
    pub async fn by_client_token(
        &self,
        user: &UserId,
        token: &ClientToken,
    ) -> Result<Option<CreateIntent>, DbError> {
        let (user, token) = (user.as_str().to_owned(), token.as_str().to_owned());
        let rows = match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| {
                    let mut stmt = c.prepare(&format!(
                        "SELECT {COLUMNS} FROM create_intents
                         WHERE user_id = ?1 AND client_token = ?2"
                    ))?;
                    let rows = stmt.query_map([&user, &token], Row::read)?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
                .await?
            }
            Database::Postgres(db) => postgres::by_client_token(db, &user, &token).await?,
        };
        Ok(checked(rows)?.into_iter().next())
    }

    /// Every intent, of any user, oldest first. (Timestamps are compared
    /// as instants, not as text: their RFC 3339 forms differ in length.)
    pub async fn all(&self) -> Result<Vec<CreateIntent>, DbError> {
        let rows = match &self.db {
            Database::Sqlite(db) => {
                db.call(|c| {
                    let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM create_intents"))?;
                    let rows = stmt.query_map([], Row::read)?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                })
                .await?
            }
            Database::Postgres(db) => postgres::all(db).await?,
        };
        checked(rows)
    }

    /// Deletes the intent `id`; `false` when there was none.
    pub async fn remove(&self, id: &IntentId) -> Result<bool, DbError> {
        let id = id.as_str().to_owned();
        match &self.db {
            Database::Sqlite(db) => {
                db.call(move |c| {
                    Ok(c.execute("DELETE FROM create_intents WHERE id = ?1", [&id])? > 0)
                })
                .await
            }
            Database::Postgres(db) => postgres::remove(db, &id).await,
        }
    }
}

/// The rows checked into intents, oldest first.
fn checked(rows: Vec<Row>) -> Result<Vec<CreateIntent>, DbError> {
    let mut intents = rows
        .into_iter()
        .map(Row::intent)
        .collect::<Result<Vec<_>, _>>()?;
    intents.sort_by_key(|i| i.started_at);
    Ok(intents)
}

/// Settles the intent `id` inside the caller's transaction (the insert of
/// the session it led to): deletes it, and releases `token` from the other
/// intents of `user`.
pub(crate) fn settle(
    c: &Connection,
    id: &IntentId,
    user: &str,
    token: Option<&ClientToken>,
) -> Result<(), DbError> {
    c.execute("DELETE FROM create_intents WHERE id = ?1", [id.as_str()])?;
    if let Some(token) = token {
        c.execute(
            "UPDATE create_intents SET client_token = NULL, create_request = NULL
             WHERE user_id = ?1 AND client_token = ?2",
            [user, token.as_str()],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(user: &str, token: Option<&str>, started_at: &str) -> CreateIntent {
        let user = UserId::parse(user).expect("user");
        CreateIntent {
            id: IntentId::random(),
            key: ObjectKey::owned_by(&format!("users/{}/ecu/x/a.bin", user.as_str()), &user)
                .expect("key"),
            user,
            idempotency: token.map(|t| Idempotency {
                token: ClientToken::parse(t).expect("token"),
                request: "{\"a\":1}".into(),
            }),
            started_at: started_at.parse().expect("time"),
        }
    }

    const TOKEN: &str = "0123456789abcdef";

    #[tokio::test]
    async fn intents_are_found_by_token_oldest_first_and_removed() {
        let intents = CreateIntents::new(Database::in_memory().expect("db"));
        let later = intent("dev", Some(TOKEN), "2026-11-28T04:00:00.5Z");
        let first = intent("dev", Some(TOKEN), "2026-11-28T04:00:00Z");
        let theirs = intent("other", Some(TOKEN), "2026-11-28T03:00:00Z");
        let plain = intent("dev", None, "2026-11-28T05:00:00Z");
        for i in [&later, &first, &theirs, &plain] {
            intents.record(i).await.expect("recorded");
        }
        let token = ClientToken::parse(TOKEN).expect("token");
        let dev = UserId::parse("dev").expect("user");
        assert_eq!(
            intents.by_client_token(&dev, &token).await.expect("db"),
            Some(first.clone())
        );
        assert_eq!(
            intents.all().await.expect("db"),
            [theirs.clone(), first.clone(), later.clone(), plain.clone()]
        );
        assert!(intents.remove(&first.id).await.expect("db"));
        assert!(!intents.remove(&first.id).await.expect("db"));
        assert_eq!(
            intents.by_client_token(&dev, &token).await.expect("db"),
            Some(later)
        );
    }

    #[tokio::test]
    async fn settling_deletes_the_intent_and_frees_the_token() {
        let db = Database::in_memory().expect("db");
        let intents = CreateIntents::new(db.clone());
        let (a, b) = (
            intent("dev", Some(TOKEN), "2026-11-28T04:00:00Z"),
            intent("dev", Some(TOKEN), "2026-11-28T04:00:01Z"),
        );
        let theirs = intent("other", Some(TOKEN), "2026-11-28T04:00:02Z");
        for i in [&a, &b, &theirs] {
            intents.record(i).await.expect("recorded");
        }
        let Database::Sqlite(sqlite) = &db else {
            unreachable!("in memory is SQLite")
        };
        let id = b.id.clone();
        sqlite
            .call(move |c| {
                let token = ClientToken::parse(TOKEN).expect("token");
                settle(c, &id, "dev", Some(&token))
            })
            .await
            .expect("settled");
        let mut released = a.clone();
        released.idempotency = None;
        assert_eq!(intents.all().await.expect("db"), [released, theirs]);
        let dev = UserId::parse("dev").expect("user");
        let token = ClientToken::parse(TOKEN).expect("token");
        assert_eq!(
            intents.by_client_token(&dev, &token).await.expect("db"),
            None
        );
    }
}
