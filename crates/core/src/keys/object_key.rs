//! Object keys and the per-user prefix every key must live under.

use crate::keys::file_type::FileType;
use crate::s3::limits::MAX_KEY_BYTES;
use std::fmt;

/// The identity a key prefix is derived from: the user's id (a token's
/// `sub`), 1..=128 of `[A-Za-z0-9._-]`, never `.` or `..`; and, when the
/// signer trusts several issuers, the label of the user's issuer (the same
/// characters, 1..=64), so that two issuers' users with the same id never
/// share a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "user id must be 1 to 128 characters of A-Z, a-z, 0-9, '.', '_' or '-', and not '.' or '..'"
)]
pub struct UserIdError;

/// Longest issuer label.
pub const MAX_ISSUER_LABEL: usize = 64;

/// One key segment of 1..=`max` of `[A-Za-z0-9._-]`, not `.` or `..`.
fn safe_segment(value: &str, max: usize) -> bool {
    (1..=max).contains(&value.len())
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl UserId {
    /// A user id with no issuer label: the prefix `users/{id}/`.
    pub fn parse(value: &str) -> Result<Self, UserIdError> {
        if safe_segment(value, 128) {
            Ok(Self(value.to_owned()))
        } else {
            Err(UserIdError)
        }
    }

    /// The user `sub` of the issuer labelled `issuer`: the prefix
    /// `users/{issuer}/{sub}/`.
    pub fn with_issuer(issuer: &str, sub: &str) -> Result<Self, UserIdError> {
        if Self::is_issuer_label(issuer) && safe_segment(sub, 128) {
            Ok(Self(format!("{issuer}/{sub}")))
        } else {
            Err(UserIdError)
        }
    }

    /// Whether `label` may name an issuer in keys: 1..=64 of
    /// `[A-Za-z0-9._-]`, not `.` or `..`.
    pub fn is_issuer_label(label: &str) -> bool {
        safe_segment(label, MAX_ISSUER_LABEL)
    }

    /// A user id in the form [`UserId::as_str`] gives (`sub`, or
    /// `issuer/sub`), as databases keep it.
    pub fn from_stored(text: &str) -> Result<Self, UserIdError> {
        match text.split_once('/') {
            Some((issuer, sub)) => Self::with_issuer(issuer, sub),
            None => Self::parse(text),
        }
    }

    /// `sub`, or `issuer/sub` for a user of a labelled issuer.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `users/{id}/` (or `users/{issuer}/{id}/`): the only prefix this user
    /// may write, read or sign for.
    pub fn prefix(&self) -> String {
        format!("users/{}/", self.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A calendar day in a key, `YYYY-MM-DD` (UTC by convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyDate {
    year: u16,
    month: u8,
    day: u8,
}

impl KeyDate {
    /// A day of years 1000..=9999; `None` for impossible dates (Feb 30th).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        ((1000..=9999).contains(&year) && (1..=days).contains(&day)).then_some(Self {
            year,
            month,
            day,
        })
    }
}

impl fmt::Display for KeyDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A key known to be well formed and inside its owner's prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key is empty")]
    Empty,
    #[error("key is longer than {MAX_KEY_BYTES} bytes")]
    TooLong,
    #[error("key contains control characters, '\\', empty segments or '.'/'..' segments")]
    Malformed,
    #[error("key is not under the caller's prefix")]
    OutsidePrefix,
}

impl ObjectKey {
    /// `users/{user}/{file_type}/{date}/{id}-{filename}`. `date` is the UTC day
    /// of the upload and `id` is random (the caller injects both: core has no
    /// clock and no randomness); `id` must be 1..=64 of `[A-Za-z0-9_-]` and
    /// `filename` must already be sanitised ([`crate::keys::filename::sanitize`]).
    pub fn for_upload(
        user: &UserId,
        file_type: &FileType,
        date: KeyDate,
        id: &str,
        filename: &str,
    ) -> Result<Self, KeyError> {
        let id_ok = (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok || filename.is_empty() || filename.contains('/') {
            return Err(KeyError::Malformed);
        }
        let key = format!("{}{file_type}/{date}/{id}-{filename}", user.prefix());
        Self::owned_by(&key, user)
    }

    /// Accepts a key from a client only if it is well formed and under `user`'s prefix.
    pub fn owned_by(key: &str, user: &UserId) -> Result<Self, KeyError> {
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLong);
        }
        let malformed = key.chars().any(|c| c.is_control() || c == '\\')
            || key
                .split('/')
                .any(|seg| seg.is_empty() || seg == "." || seg == "..");
        if malformed {
            return Err(KeyError::Malformed);
        }
        if !key.starts_with(&user.prefix()) {
            return Err(KeyError::OutsidePrefix);
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).expect("valid user id")
    }

    #[test]
    fn user_ids() {
        for ok in ["42", "dev", "a.b-c_d", &"x".repeat(128)] {
            assert!(UserId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "ü", &"x".repeat(129)] {
            assert_eq!(UserId::parse(bad), Err(UserIdError), "{bad:?}");
        }
    }

    #[test]
    fn users_of_labelled_issuers() {
        let a = UserId::with_issuer("id-a", "alice").expect("valid");
        let b = UserId::with_issuer("id-b", "alice").expect("valid");
        assert_eq!(a.prefix(), "users/id-a/alice/");
        assert_ne!(a.prefix(), b.prefix());
        assert_ne!(a.prefix(), user("alice").prefix());
        assert_eq!(UserId::from_stored(a.as_str()), Ok(a.clone()));
        assert_eq!(UserId::from_stored("alice"), Ok(user("alice")));
        // Neither half may smuggle a segment or a traversal in.
        for (issuer, sub) in [
            ("", "alice"),
            ("..", "alice"),
            ("a/b", "alice"),
            ("id-a", "a/b"),
            ("id-a", ".."),
            ("id-a", ""),
            (&"x".repeat(65), "alice"),
        ] {
            assert_eq!(
                UserId::with_issuer(issuer, sub),
                Err(UserIdError),
                "{issuer:?} {sub:?}"
            );
        }
        for bad in ["a/b/c", "/alice", "alice/", "../alice"] {
            assert_eq!(UserId::from_stored(bad), Err(UserIdError), "{bad:?}");
        }
        // A labelled user owns only its own prefix.
        let key = "users/id-a/alice/ecu/x/a.bin";
        assert!(ObjectKey::owned_by(key, &a).is_ok());
        assert_eq!(ObjectKey::owned_by(key, &b), Err(KeyError::OutsidePrefix));
    }

    #[test]
    fn builds_upload_keys() {
        let ft = FileType::parse("images").expect("valid");
        let day = KeyDate::new(2026, 3, 7).expect("date");
        let key = ObjectKey::for_upload(&user("42"), &ft, day, "0f3c", "a.png").expect("valid");
        assert_eq!(key.as_str(), "users/42/images/2026-03-07/0f3c-a.png");
        assert!(ObjectKey::owned_by(key.as_str(), &user("42")).is_ok());
        assert_eq!(
            ObjectKey::owned_by(key.as_str(), &user("4")),
            Err(KeyError::OutsidePrefix)
        );
        for (id, name) in [
            ("", "a"),
            ("a/b", "a"),
            ("..", "a"),
            ("x", "a/b"),
            ("x", ""),
        ] {
            assert!(
                ObjectKey::for_upload(&user("42"), &ft, day, id, name).is_err(),
                "{id:?} {name:?}"
            );
        }
    }

    #[test]
    fn key_dates() {
        let d = |y, m, d| KeyDate::new(y, m, d).map(|k| k.to_string());
        assert_eq!(d(2024, 2, 29).as_deref(), Some("2024-02-29"));
        assert_eq!(d(1999, 12, 31).as_deref(), Some("1999-12-31"));
        for (y, m, day) in [
            (2023, 2, 29),
            (1900, 2, 29),
            (2024, 13, 1),
            (2024, 4, 31),
            (2024, 1, 0),
            (999, 1, 1),
        ] {
            assert_eq!(d(y, m, day), None, "{y}-{m}-{day}");
        }
    }

    #[test]
    fn ownership_and_shape() {
        let u = user("42");
        assert!(ObjectKey::owned_by("users/42/images/x/a.png", &u).is_ok());
        let cases = [
            ("", KeyError::Empty),
            ("users/43/images/x/a.png", KeyError::OutsidePrefix),
            ("users/420/images/x/a.png", KeyError::OutsidePrefix),
            ("users/4/images", KeyError::OutsidePrefix),
            ("users/42/../43/a.png", KeyError::Malformed),
            ("users/42//a.png", KeyError::Malformed),
            ("users/42/./a.png", KeyError::Malformed),
            ("users/42/a\nb", KeyError::Malformed),
            ("users/42/a\\b", KeyError::Malformed),
            ("users/42/", KeyError::Malformed),
        ];
        for (key, want) in cases {
            assert_eq!(ObjectKey::owned_by(key, &u), Err(want), "{key:?}");
        }
        let long = format!("users/42/{}", "a".repeat(1100));
        assert_eq!(ObjectKey::owned_by(&long, &u), Err(KeyError::TooLong));
    }
}
