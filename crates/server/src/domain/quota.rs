//! The per-user byte quota: how many bytes one user may hold, in all
//! (`--user-quota`) and of one file type (its `user_quota`).
//!
//! A user holds the bytes of their recorded uploads (table `uploads`,
//! [`crate::domain::records`]) and the planned sizes of their open
//! multipart uploads (table `upload_sessions`,
//! [`crate::domain::upload_sessions`]): an open upload counts in full from
//! its create, and aborting it frees its bytes. A new upload that would go
//! past a limit is refused with [`QuotaExceeded`], which says how many bytes
//! are left. The checks that must not race run inside the transaction that
//! writes the upload ([`check_in`]); the routes also check before signing.
//!
//! Presigned PUTs and POST forms count once their upload is confirmed
//! (recorded): each is held to what is left when it is signed, and its
//! confirmation is refused if, meanwhile, others used the room.

use crate::db::DbError;
use rusqlite::Connection;

pub mod postgres;

/// The limits one upload of a file type is held to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaLimits {
    /// Bytes of every type together.
    pub total: Option<u64>,
    /// Bytes of this file type.
    pub of_type: Option<u64>,
}

/// What a user holds: in all, and of one file type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub total: u64,
    pub of_type: u64,
}

impl Usage {
    /// This usage with `size` more bytes of the type.
    pub fn plus(self, size: u64) -> Self {
        Self {
            total: self.total.saturating_add(size),
            of_type: self.of_type.saturating_add(size),
        }
    }
}

/// Why an upload is refused: it would pass a quota.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quota exceeded: {} more would pass your quota of {}{}; {} left", bytes(*.size), bytes(*.limit), .file_type.as_ref().map(|t| format!(" for file_type {t}")).unwrap_or_default(), bytes(*.left))]
pub struct QuotaExceeded {
    /// The upload's size (at least 1 for an upload of unknown size).
    pub size: u64,
    pub limit: u64,
    /// Bytes the user may still add under that limit.
    pub left: u64,
    /// The file type whose quota it is; `None` for the quota in all.
    pub file_type: Option<String>,
}

impl QuotaLimits {
    /// Whether any limit applies (without one, nothing is counted).
    pub fn is_set(&self) -> bool {
        self.total.is_some() || self.of_type.is_some()
    }

    /// Bytes left under the tighter limit; `None` without limits.
    pub fn left(&self, used: Usage) -> Option<u64> {
        let total = self.total.map(|limit| limit.saturating_sub(used.total));
        let of_type = self.of_type.map(|limit| limit.saturating_sub(used.of_type));
        match (total, of_type) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `size` more bytes of `file_type` fit beside `used`.
    pub fn check(&self, used: Usage, size: u64, file_type: &str) -> Result<(), QuotaExceeded> {
        let limits = [
            (self.of_type, used.of_type, Some(file_type.to_owned())),
            (self.total, used.total, None),
        ];
        for (limit, used, file_type) in limits {
            let Some(limit) = limit else { continue };
            let left = limit.saturating_sub(used);
            if size > left {
                return Err(QuotaExceeded {
                    size,
                    limit,
                    left,
                    file_type,
                });
            }
        }
        Ok(())
    }
}

/// `1 byte`, `2 bytes`.
fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".to_owned()
    } else {
        format!("{n} bytes")
    }
}

/// What `user` holds, in all and of `file_type`: recorded uploads and open
/// multipart uploads' planned sizes (inside the caller's SQLite
/// transaction; PostgreSQL's is [`postgres::usage`]).
pub fn usage(c: &Connection, user: &str, file_type: &str) -> Result<Usage, DbError> {
    let (total, of_type): (i64, i64) = c
        .prepare_cached(
            "SELECT coalesce(sum(size), 0), coalesce(sum(CASE WHEN file_type = ?2 THEN size END), 0)
             FROM (SELECT size, file_type FROM uploads WHERE user_id = ?1
                   UNION ALL
                   SELECT size, file_type FROM upload_sessions WHERE user_id = ?1)",
        )?
        .query_row([user, file_type], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let bytes = |n: i64| u64::try_from(n).map_err(|_| DbError::Corrupt(format!("size sum {n}")));
    Ok(Usage {
        total: bytes(total)?,
        of_type: bytes(of_type)?,
    })
}

/// [`QuotaLimits::check`] against what the database holds (inside the
/// transaction that then writes the upload); no query without limits.
pub fn check_in(
    c: &Connection,
    limits: &QuotaLimits,
    user: &str,
    file_type: &str,
    size: u64,
) -> Result<Result<(), QuotaExceeded>, DbError> {
    if !limits.is_set() {
        return Ok(Ok(()));
    }
    let used = usage(c, user, file_type)?;
    Ok(limits.check(used, size, file_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tighter_limit_refuses_and_says_what_is_left() {
        let images = "images";
        let limits = QuotaLimits {
            total: Some(1000),
            of_type: Some(300),
        };
        let used = Usage {
            total: 900,
            of_type: 250,
        };
        assert_eq!(limits.left(used), Some(50));
        assert_eq!(limits.check(used, 50, images), Ok(()));
        let err = limits.check(used, 51, images).expect_err("over the type's");
        assert_eq!((err.limit, err.left), (300, 50));
        assert_eq!(
            err.to_string(),
            "quota exceeded: 51 bytes more would pass your quota of 300 bytes for file_type images; 50 bytes left"
        );
        let used = Usage {
            total: 990,
            of_type: 0,
        };
        let err = limits.check(used, 11, images).expect_err("over the total");
        assert_eq!((err.limit, err.left, err.file_type), (1000, 10, None));
        // Past the limit already (the limit was lowered): nothing is left.
        let over = Usage {
            total: 2000,
            of_type: 0,
        };
        assert_eq!(limits.left(over), Some(0));
        assert_eq!(limits.check(over, 1, images).map_err(|e| e.left), Err(0));
        let none = QuotaLimits::default();
        assert!(!none.is_set());
        assert_eq!(none.left(over), None);
        assert_eq!(none.check(over, u64::MAX, images), Ok(()));
    }
}
