//! The open multipart uploads: the server's own opaque upload id mapped to
//! who started it, its key, the store's UploadId and the agreed part plan.
//!
//! In memory for now (a `Mutex<HashMap>`): a restart forgets open uploads
//! (their parts stay in the store until a lifecycle rule or an abort removes
//! them). Issue #4 replaces the map with SQLite behind this same small API
//! (`insert`, `get`, `remove`, `open_count`), so the routes do not change.

use jiff::Timestamp;
use presign_core::file_type::FileType;
use presign_core::part_plan::PartPlan;
use presign_core::{ObjectKey, UserId};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Open uploads one user may hold at once (bounds the registry's memory).
pub const DEFAULT_MAX_OPEN_PER_USER: usize = 20;

/// The server's id of an upload: 32 lowercase hex digits (128 random bits),
/// unrelated to the store's UploadId (which clients see only inside the
/// presigned part URLs, and never need to name).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UploadId(String);

impl UploadId {
    /// A fresh random id.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Accepts only the id format; anything else is no upload of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UploadId({})", self.0)
    }
}

/// One open multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSession {
    pub user: UserId,
    pub key: ObjectKey,
    /// The store's UploadId (S3's): in the server's calls and in part URLs.
    pub store_upload_id: String,
    pub plan: PartPlan,
    pub content_type: String,
    pub file_type: FileType,
    pub created_at: Timestamp,
}

/// Why a session was not registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("too many open multipart uploads ({limit}); complete or abort some first")]
    TooMany { limit: usize },
    #[error("upload id {0} is taken")]
    Taken(UploadId),
}

/// The registry of open uploads. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct UploadSessions {
    open: Mutex<HashMap<UploadId, UploadSession>>,
    max_per_user: usize,
}

impl Default for UploadSessions {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_OPEN_PER_USER)
    }
}

impl UploadSessions {
    pub fn new(max_per_user: usize) -> Self {
        Self {
            open: Mutex::new(HashMap::new()),
            max_per_user,
        }
    }

    pub fn max_per_user(&self) -> usize {
        self.max_per_user
    }

    /// Open uploads of `user`.
    pub fn open_count(&self, user: &UserId) -> usize {
        self.lock().values().filter(|s| &s.user == user).count()
    }

    /// Registers `session` under `id`, unless its user already holds the
    /// maximum of open uploads.
    pub fn insert(&self, id: UploadId, session: UploadSession) -> Result<(), SessionError> {
        let mut open = self.lock();
        if open.values().filter(|s| s.user == session.user).count() >= self.max_per_user {
            return Err(SessionError::TooMany {
                limit: self.max_per_user,
            });
        }
        if open.contains_key(&id) {
            return Err(SessionError::Taken(id));
        }
        open.insert(id, session);
        Ok(())
    }

    /// The session `id` when it belongs to `user`; `None` for an unknown id
    /// and for another user's alike.
    pub fn get(&self, id: &UploadId, user: &UserId) -> Option<UploadSession> {
        self.lock().get(id).filter(|s| &s.user == user).cloned()
    }

    /// Removes and returns the session `id` when it belongs to `user`.
    pub fn remove(&self, id: &UploadId, user: &UserId) -> Option<UploadSession> {
        let mut open = self.lock();
        if open.get(id).is_some_and(|s| &s.user == user) {
            open.remove(id)
        } else {
            None
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<UploadId, UploadSession>> {
        // No code path panics while holding the lock; if one ever did, the
        // map is still consistent (every change is a single insert/remove).
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::limits::MIB;

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
            created_at: Timestamp::UNIX_EPOCH,
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

    #[test]
    fn sessions_belong_to_their_user() {
        let reg = UploadSessions::default();
        let dev = UserId::parse("dev").expect("user");
        let other = UserId::parse("other").expect("user");
        let id = UploadId::random();
        reg.insert(id.clone(), session("other")).expect("inserted");
        assert_eq!(reg.get(&id, &dev), None);
        assert_eq!(reg.remove(&id, &dev), None);
        assert!(reg.get(&id, &other).is_some());
        assert_eq!(
            reg.insert(id.clone(), session("other")),
            Err(SessionError::Taken(id.clone()))
        );
        assert!(reg.remove(&id, &other).is_some());
        assert_eq!(reg.get(&id, &other), None);
    }

    #[test]
    fn open_uploads_per_user_are_capped() {
        let reg = UploadSessions::new(2);
        let dev = UserId::parse("dev").expect("user");
        reg.insert(UploadId::random(), session("dev")).expect("1");
        reg.insert(UploadId::random(), session("dev")).expect("2");
        assert_eq!(
            reg.insert(UploadId::random(), session("dev")),
            Err(SessionError::TooMany { limit: 2 })
        );
        reg.insert(UploadId::random(), session("other"))
            .expect("others are counted apart");
        assert_eq!(reg.open_count(&dev), 2);
    }
}
