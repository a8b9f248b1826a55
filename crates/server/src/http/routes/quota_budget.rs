//! Holding new uploads to the caller's byte quota before they are signed
//! ([`crate::domain::quota`]): what the caller holds is read once per file
//! type per request, and what the request has signed already is added to
//! it, so that the files of one batch share one budget. Without a quota
//! nothing is read.

use crate::domain::quota::{QuotaExceeded, QuotaLimits, Usage};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use presign_core::keys::file_type::FileType;
use presign_core::UserId;
use std::collections::BTreeMap;

/// One request's view of its caller's quota.
#[derive(Debug)]
pub(crate) struct QuotaBudget<'a> {
    state: &'a AppState,
    user: &'a UserId,
    /// What the database held when first asked, per file type.
    held: BTreeMap<String, Usage>,
    /// Bytes this request has signed, in all and per file type.
    signed_total: u64,
    signed: BTreeMap<String, u64>,
}

impl<'a> QuotaBudget<'a> {
    pub(crate) fn new(state: &'a AppState, user: &'a UserId) -> Self {
        Self {
            state,
            user,
            held: BTreeMap::new(),
            signed_total: 0,
            signed: BTreeMap::new(),
        }
    }

    /// The limits uploads of `file_type` are held to.
    pub(crate) fn limits(&self, file_type: &FileType) -> QuotaLimits {
        self.state.policy.quota(file_type)
    }

    /// What the caller holds of `file_type` and in all, with what this
    /// request has signed.
    async fn used(&mut self, file_type: &FileType) -> Result<Usage, ApiError> {
        let name = file_type.as_str();
        let held = match self.held.get(name) {
            Some(held) => *held,
            None => {
                let held = self.state.records.usage(self.user, name).await?;
                self.held.insert(name.to_owned(), held);
                held
            }
        };
        let of_type = self.signed.get(name).copied().unwrap_or(0);
        Ok(Usage {
            total: held.total.saturating_add(self.signed_total),
            of_type: held.of_type.saturating_add(of_type),
        })
    }

    /// Bytes of `file_type` the caller may still add; `None` without a
    /// quota.
    pub(crate) async fn left(&mut self, file_type: &FileType) -> Result<Option<u64>, ApiError> {
        let limits = self.limits(file_type);
        if !limits.is_set() {
            return Ok(None);
        }
        Ok(limits.left(self.used(file_type).await?))
    }

    /// Counts `size` bytes of `file_type` as signed by this request, or
    /// refuses them with 413 `quota_exceeded` when they do not fit.
    pub(crate) async fn take(&mut self, file_type: &FileType, size: u64) -> Result<(), ApiError> {
        let limits = self.limits(file_type);
        if !limits.is_set() {
            return Ok(());
        }
        let used = self.used(file_type).await?;
        limits
            .check(used, size, file_type.as_str())
            .map_err(refused)?;
        self.signed_total = self.signed_total.saturating_add(size);
        let signed = self
            .signed
            .entry(file_type.as_str().to_owned())
            .or_default();
        *signed = signed.saturating_add(size);
        Ok(())
    }
}

/// A refusal, logged at the level of a client error.
pub(crate) fn refused(e: QuotaExceeded) -> ApiError {
    tracing::info!(
        limit = e.limit,
        left = e.left,
        size = e.size,
        file_type = e.file_type.as_deref(),
        "upload refused: over quota"
    );
    e.into()
}
