//! Conditional writes (`If-None-Match: *`) made atomic: s3s-fs checks
//! whether the object exists before it writes, but two PUTs of one key can
//! both pass that check and both write. Here the writes of one key that
//! carry the condition take turns ([`KeyLocks`]), and each checks, in its
//! turn, that no object is there ([`exists`]); the loser answers S3's 412
//! PreconditionFailed.

use s3s::dto::IfNoneMatch;
use s3s::{s3_error, S3Result};
use std::collections::HashMap;
use std::path::{Component, Path};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OwnedMutexGuard;

/// A bucket and a key.
type ObjectName = (String, String);

/// One lock per key being written; a key's entry lives while someone holds
/// or waits for it.
#[derive(Debug, Default)]
pub struct KeyLocks {
    locks: Mutex<HashMap<ObjectName, Arc<tokio::sync::Mutex<()>>>>,
}

/// The turn of one write; the next writer of the key goes when it drops.
#[derive(Debug)]
pub struct KeyTurn<'a> {
    locks: &'a KeyLocks,
    name: ObjectName,
    guard: Option<OwnedMutexGuard<()>>,
}

impl KeyLocks {
    /// Waits for the turn to write `key` of `bucket`.
    pub async fn turn(&self, bucket: &str, key: &str) -> KeyTurn<'_> {
        let name = (bucket.to_owned(), key.to_owned());
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(name.clone()).or_default())
        };
        let guard = lock.lock_owned().await;
        KeyTurn {
            locks: self,
            name,
            guard: Some(guard),
        }
    }
}

impl Drop for KeyTurn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self
            .locks
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the map holds it: nobody else holds or waits for this key.
        if locks
            .get(&self.name)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            locks.remove(&self.name);
        }
    }
}

/// Whether a write with this `If-None-Match` must wait for its key's turn.
pub fn conditional(if_none_match: Option<&IfNoneMatch>) -> bool {
    if_none_match.is_some_and(IfNoneMatch::is_any)
}

/// 412 PreconditionFailed when `key` of `bucket` already exists under
/// `root`. Keys that are not plain relative paths are left to s3s-fs,
/// which refuses them itself.
pub fn refuse_if_exists(root: &Path, bucket: &str, key: &str) -> S3Result<()> {
    let plain = |p: &str| {
        !p.is_empty()
            && Path::new(p)
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
    };
    if plain(bucket) && plain(key) && root.join(bucket).join(key).is_file() {
        return Err(s3_error!(
            PreconditionFailed,
            "At least one of the pre-conditions you specified did not hold"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn writers_of_one_key_take_turns_and_leave_nothing_behind() {
        let locks = Arc::new(KeyLocks::default());
        let first = locks.turn("b", "k").await;
        let waiting = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move {
                let _turn = locks.turn("b", "k").await;
            })
        };
        // Another key does not wait.
        drop(locks.turn("b", "other").await);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished());
        drop(first);
        waiting.await.expect("second writer ran");
        assert!(locks.locks.lock().expect("map").is_empty());
    }

    #[test]
    fn an_existing_object_fails_the_condition() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir_all(dir.path().join("b/users")).expect("dirs");
        std::fs::write(dir.path().join("b/users/k"), b"x").expect("object");
        let err = refuse_if_exists(dir.path(), "b", "users/k").expect_err("exists");
        assert_eq!(err.code().as_str(), "PreconditionFailed");
        assert!(refuse_if_exists(dir.path(), "b", "users/new").is_ok());
        assert!(refuse_if_exists(dir.path(), "b", "users").is_ok());
        assert!(refuse_if_exists(dir.path(), "b", "../b/users/k").is_ok());
    }
}
