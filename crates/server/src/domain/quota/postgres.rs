//! The quota's queries in PostgreSQL: what a user holds, read inside the
//! transaction that then writes an upload, under the user's lock
//! ([`crate::db::postgres::lock_user`]), so replicas never both spend the
//! same room.

use super::{QuotaExceeded, QuotaLimits, Usage};
use crate::db::postgres::unsigned;
use crate::db::DbError;
use tokio_postgres::GenericClient;

/// What `user` holds, in all and of `file_type`: recorded uploads and open
/// multipart uploads' planned sizes.
pub async fn usage(c: &impl GenericClient, user: &str, file_type: &str) -> Result<Usage, DbError> {
    let row = c
        .query_one(
            "SELECT coalesce(sum(size), 0)::BIGINT,
                    coalesce(sum(CASE WHEN file_type = $2 THEN size END), 0)::BIGINT
             FROM (SELECT size, file_type FROM uploads WHERE user_id = $1
                   UNION ALL
                   SELECT size, file_type FROM upload_sessions WHERE user_id = $1) AS held",
            &[&user, &file_type],
        )
        .await?;
    Ok(Usage {
        total: unsigned(row.try_get(0)?)?,
        of_type: unsigned(row.try_get(1)?)?,
    })
}

/// [`QuotaLimits::check`] against what the database holds; no query
/// without limits.
pub async fn check_in(
    c: &impl GenericClient,
    limits: &QuotaLimits,
    user: &str,
    file_type: &str,
    size: u64,
) -> Result<Result<(), QuotaExceeded>, DbError> {
    if !limits.is_set() {
        return Ok(Ok(()));
    }
    let used = usage(c, user, file_type).await?;
    Ok(limits.check(used, size, file_type))
}
