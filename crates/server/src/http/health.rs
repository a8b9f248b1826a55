//! What `GET /healthz` ([`super::routes::healthz`]) reports of each
//! dependency ([`Check`]), and its store check reused for a while
//! ([`StoreCheckCache`], shared by every probe through the state).

use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;
use utoipa::ToSchema;

/// One dependency's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Check {
    pub status: CheckStatus,
    /// Why it fails (absent when `ok`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Failing,
}

impl Check {
    pub fn ok() -> Self {
        Self {
            status: CheckStatus::Ok,
            message: None,
        }
    }

    pub fn failing(message: impl Into<String>) -> Self {
        Self {
            status: CheckStatus::Failing,
            message: Some(message.into()),
        }
    }

    pub fn is_ok(&self) -> bool {
        self.status == CheckStatus::Ok
    }
}

/// How long a store check's result is reused.
pub const STORE_CHECK_REUSED_FOR: Duration = Duration::from_secs(2);

/// The last store check and when it ended, shared by every probe. Probes
/// queue on its lock while one of them asks the store, then reuse its
/// answer.
#[derive(Debug, Default)]
pub struct StoreCheckCache {
    last: Mutex<Option<(Instant, Check)>>,
}

impl StoreCheckCache {
    /// The last check if it ended less than [`STORE_CHECK_REUSED_FOR`]
    /// ago, else `check`'s answer (kept for the next probes).
    pub async fn reuse_or(&self, check: impl Future<Output = Check>) -> Check {
        let mut last = self.last.lock().await;
        if let Some((ended, result)) = last.as_ref() {
            if ended.elapsed() < STORE_CHECK_REUSED_FOR {
                return result.clone();
            }
        }
        let result = check.await;
        *last = Some((Instant::now(), result.clone()));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_store_check_is_reused_for_two_seconds() {
        let cache = StoreCheckCache::default();
        let asked = std::sync::atomic::AtomicU32::new(0);
        let check = || async {
            asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(500)).await;
            Check::ok()
        };
        // Ten probes at once: one check, which the others wait for.
        let probes = (0..10).map(|_| cache.reuse_or(check()));
        let answers = futures::future::join_all(probes).await;
        assert!(answers.iter().all(|c| c.is_ok()));
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_millis(1900)).await;
        cache.reuse_or(check()).await;
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_millis(200)).await;
        cache.reuse_or(check()).await;
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
