//! Create intents in PostgreSQL ([`crate::db::postgres`]): the queries of
//! [`super::CreateIntents`] for replicas that share one database, and
//! [`settle`] inside a session insert's transaction.

use super::{CreateIntent, IntentId, Row, COLUMNS};
use crate::db::{DbError, Postgres};
use presign_core::protocol::client_token::ClientToken;

pub(super) async fn record(db: &Postgres, intent: &CreateIntent) -> Result<(), DbError> {
    let client = db.client().await?;
    let (token, request) = match &intent.idempotency {
        Some(i) => (Some(i.token.as_str()), Some(i.request.as_str())),
        None => (None, None),
    };
    client
        .execute(
            "INSERT INTO create_intents (id, user_id, object_key, client_token,
                create_request, started_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &intent.id.as_str(),
                &intent.user.as_str(),
                &intent.key.as_str(),
                &token,
                &request,
                &intent.started_at.to_string(),
            ],
        )
        .await?;
    Ok(())
}

pub(super) async fn by_client_token(
    db: &Postgres,
    user: &str,
    token: &str,
) -> Result<Vec<Row>, DbError> {
    let client = db.client().await?;
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM create_intents WHERE user_id = $1 AND client_token = $2"
            ),
            &[&user, &token],
        )
        .await?;
    rows.iter().map(read).collect()
}

pub(super) async fn all(db: &Postgres) -> Result<Vec<Row>, DbError> {
    let client = db.client().await?;
    let rows = client
        .query(&format!("SELECT {COLUMNS} FROM create_intents"), &[])
        .await?;
    rows.iter().map(read).collect()
}

pub(super) async fn remove(db: &Postgres, id: &str) -> Result<bool, DbError> {
    let client = db.client().await?;
    let n = client
        .execute("DELETE FROM create_intents WHERE id = $1", &[&id])
        .await?;
    Ok(n > 0)
}

/// [`super::settle`] inside a caller's transaction.
pub(crate) async fn settle(
    tx: &tokio_postgres::Transaction<'_>,
    id: &IntentId,
    user: &str,
    token: Option<&ClientToken>,
) -> Result<(), DbError> {
    tx.execute("DELETE FROM create_intents WHERE id = $1", &[&id.as_str()])
        .await?;
    if let Some(token) = token {
        tx.execute(
            "UPDATE create_intents SET client_token = NULL, create_request = NULL
             WHERE user_id = $1 AND client_token = $2",
            &[&user, &token.as_str()],
        )
        .await?;
    }
    Ok(())
}

fn read(r: &tokio_postgres::Row) -> Result<Row, DbError> {
    Ok(Row {
        id: r.try_get(0)?,
        user: r.try_get(1)?,
        key: r.try_get(2)?,
        token: r.try_get(3)?,
        request: r.try_get(4)?,
        started_at: r.try_get(5)?,
    })
}
