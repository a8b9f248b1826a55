//! An upload the store opened for a create but the registry refused
//! ([`Unregistered`]): cleaned up, and the refusal answered.

use super::client_token::created_before;
use super::open_uploads_cap::too_many;
use super::store_upload::{forget, Opened};
use crate::domain::create_intents::{CreateIntents, IntentId};
use crate::domain::upload_sessions::{Idempotency, SessionError};
use crate::http::error::ApiError;
use crate::http::extract::Identity;
use crate::http::routes::quota_budget;
use crate::http::state::AppState;
use presign_core::protocol::multipart::CreateMultipartResponse;
use presign_core::ObjectKey;

/// An upload the store opened but the registry refused: another request
/// took the user's last slot, or the client token, meanwhile.
pub(super) struct Unregistered<'a> {
    pub(super) key: &'a ObjectKey,
    pub(super) opened: &'a Opened,
    pub(super) intents: &'a CreateIntents,
    pub(super) intent: &'a IntentId,
    pub(super) idempotency: Option<&'a Idempotency>,
    pub(super) expires_in: u64,
}

impl Unregistered<'_> {
    /// Cleans up ([`Unregistered::clean_up`]) and answers as the
    /// registry's refusal says: 429 at the cap, 413 over the quota; and
    /// when a concurrent attempt of this same request took the token, its
    /// upload.
    pub(super) async fn answer(
        &self,
        state: &AppState,
        identity: &Identity,
        refused: SessionError,
    ) -> Result<CreateMultipartResponse, ApiError> {
        if !matches!(refused, SessionError::Db(_)) {
            self.clean_up(state).await;
        }
        match refused {
            SessionError::TooMany { limit } => Err(too_many(limit)),
            SessionError::OverQuota(e) => Err(quota_budget::refused(e)),
            SessionError::TokenTaken(_) => {
                let i = self
                    .idempotency
                    .ok_or_else(|| ApiError::Internal(refused.to_string()))?;
                created_before(state, identity, i, self.expires_in)
                    .await?
                    .ok_or_else(|| ApiError::Internal(format!("{refused}, then gone")))
            }
            SessionError::Taken(_) => Err(ApiError::Internal(refused.to_string())),
            SessionError::Db(e) => Err(e.into()),
        }
    }

    /// Aborts the store's upload, so nothing is left open, and deletes the
    /// intent; but an upload taken over from an earlier attempt stays for
    /// that attempt's intent, and one a session holds (a concurrent
    /// attempt of this create took it over and registered it) stays open.
    /// When that cannot be known, or the abort fails, the intent stays
    /// too, for the collector. (After a database error nothing is cleaned
    /// up: the session may have been registered.)
    async fn clean_up(&self, state: &AppState) {
        let id = &self.opened.store_upload_id;
        if !self.opened.taken_over {
            match state.sessions.store_uploads_at(self.key).await {
                Ok(held) if held.contains(id) => {}
                Ok(_) => {
                    if let Err(e) = state.store.abort_multipart(self.key, id).await {
                        tracing::warn!(error = %e, key = self.key.as_str(), "cannot abort an unregistered upload; left to the collector");
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, key = self.key.as_str(), "cannot tell whether an unregistered upload was taken over; left to the collector");
                    return;
                }
            }
        }
        forget(self.intents, self.intent).await;
    }
}
