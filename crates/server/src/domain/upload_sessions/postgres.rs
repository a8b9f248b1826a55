//! The open multipart uploads in PostgreSQL ([`crate::db::postgres`]): the
//! queries of [`super::UploadSessions`] for replicas that share one
//! database. A create takes its user's lock ([`lock_user`]) so the cap and
//! the quota hold across replicas, and the unique index on
//! `(user_id, client_token)` makes one client token one open upload even
//! when two replicas insert at once.

use super::row::{Row, COLUMNS};
use super::session::SessionError;
use super::New;
use crate::db::migrations::CLIENT_TOKEN_INDEX;
use crate::db::postgres::{bigint, is_unique_violation, lock_user, unsigned};
use crate::db::{DbError, Postgres};
use crate::domain::create_intents;
use crate::domain::quota::{self, QuotaLimits};

pub(super) async fn open_count(db: &Postgres, user: &str) -> Result<usize, DbError> {
    let client = db.client().await?;
    count(&**client, user).await
}

async fn count(c: &impl tokio_postgres::GenericClient, user: &str) -> Result<usize, DbError> {
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM upload_sessions WHERE user_id = $1",
            &[&user],
        )
        .await?
        .get(0);
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

pub(super) async fn total_open(db: &Postgres) -> Result<u64, DbError> {
    let client = db.client().await?;
    let n: i64 = client
        .query_one("SELECT count(*) FROM upload_sessions", &[])
        .await?
        .get(0);
    unsigned(n)
}

/// Every open upload, unordered and unchecked.
pub(super) async fn all(db: &Postgres) -> Result<Vec<Row>, DbError> {
    let client = db.client().await?;
    let rows = client
        .query(&format!("SELECT {COLUMNS} FROM upload_sessions"), &[])
        .await?;
    rows.iter().map(read).collect()
}

/// The store's UploadIds of the open uploads at `key`.
pub(super) async fn store_uploads_at(db: &Postgres, key: &str) -> Result<Vec<String>, DbError> {
    let client = db.client().await?;
    let rows = client
        .query(
            "SELECT store_upload_id FROM upload_sessions WHERE object_key = $1",
            &[&key],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// [`super::UploadSessions::insert_within`], in one transaction under the
/// user's lock.
pub(super) async fn insert(
    db: &Postgres,
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
    let mut client = db.client().await?;
    let tx = client.transaction().await?;
    let user = session.user.as_str();
    lock_user(&tx, user).await?;
    if let Some(i) = &idempotency {
        let taken: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM upload_sessions
                 WHERE user_id = $1 AND client_token = $2)",
                &[&user, &i.token.as_str()],
            )
            .await?
            .get(0);
        if taken {
            return Ok(Err(SessionError::TokenTaken(i.token.clone())));
        }
    }
    if count(&*tx, user).await? >= limit {
        return Ok(Err(SessionError::TooMany { limit }));
    }
    let (file_type, size) = (session.file_type.as_str(), session.plan.size());
    if let Err(e) = quota::postgres::check_in(&*tx, &quota, user, file_type, size).await? {
        return Ok(Err(e.into()));
    }
    let (token, request) = match &idempotency {
        Some(i) => (Some(i.token.as_str()), Some(i.request.as_str())),
        None => (None, None),
    };
    let inserted = tx
        .execute(
            "INSERT INTO upload_sessions (id, user_id, object_key, store_upload_id,
                size, part_size, content_type, file_type, created_at, checksums,
                client_token, create_request)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (id) DO NOTHING",
            &[
                &id.as_str(),
                &user,
                &session.key.as_str(),
                &session.store_upload_id,
                &bigint(size)?,
                &bigint(session.plan.part_size())?,
                &session.content_type,
                &file_type,
                &session.created_at.to_string(),
                &session.checksums,
                &token,
                &request,
            ],
        )
        .await;
    match inserted {
        Ok(0) => Ok(Err(SessionError::Taken(id))),
        Ok(_) => {
            if let Some(intent) = &intent {
                let token = idempotency.as_ref().map(|i| &i.token);
                create_intents::postgres::settle(&tx, intent, user, token).await?;
            }
            tx.commit().await?;
            Ok(Ok(()))
        }
        // Another replica's insert of the same token won meanwhile.
        Err(e) if is_unique_violation(&e, CLIENT_TOKEN_INDEX) => match idempotency {
            Some(i) => Ok(Err(SessionError::TokenTaken(i.token))),
            None => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// The open upload of `user` with `token`, and its create request.
pub(super) async fn by_client_token(
    db: &Postgres,
    user: &str,
    token: &str,
) -> Result<Option<(Row, Option<String>)>, DbError> {
    let client = db.client().await?;
    let row = client
        .query_opt(
            &format!(
                "SELECT {COLUMNS}, create_request FROM upload_sessions
                 WHERE user_id = $1 AND client_token = $2"
            ),
            &[&user, &token],
        )
        .await?;
    row.map(|r| Ok((read(&r)?, r.try_get("create_request")?)))
        .transpose()
}

pub(super) async fn get(db: &Postgres, id: &str, user: &str) -> Result<Option<Row>, DbError> {
    let client = db.client().await?;
    let statement = client
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM upload_sessions WHERE id = $1 AND user_id = $2"
        ))
        .await?;
    let row = client.query_opt(&statement, &[&id, &user]).await?;
    row.as_ref().map(read).transpose()
}

/// Deletes the session and returns it: of two replicas removing it at
/// once, one gets it.
pub(super) async fn remove(db: &Postgres, id: &str, user: &str) -> Result<Option<Row>, DbError> {
    let client = db.client().await?;
    let row = client
        .query_opt(
            &format!(
                "DELETE FROM upload_sessions WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
            ),
            &[&id, &user],
        )
        .await?;
    row.as_ref().map(read).transpose()
}

/// Deletes the session `id` of `user` inside a caller's transaction.
pub(crate) async fn delete(
    tx: &tokio_postgres::Transaction<'_>,
    id: &str,
    user: &str,
) -> Result<bool, DbError> {
    let n = tx
        .execute(
            "DELETE FROM upload_sessions WHERE id = $1 AND user_id = $2",
            &[&id, &user],
        )
        .await?;
    Ok(n > 0)
}

fn read(r: &tokio_postgres::Row) -> Result<Row, DbError> {
    Ok(Row {
        id: r.try_get(0)?,
        user: r.try_get(1)?,
        key: r.try_get(2)?,
        store_upload_id: r.try_get(3)?,
        size: unsigned(r.try_get(4)?)?,
        part_size: unsigned(r.try_get(5)?)?,
        content_type: r.try_get(6)?,
        file_type: r.try_get(7)?,
        created_at: r.try_get(8)?,
        checksums: r.try_get(9)?,
    })
}
