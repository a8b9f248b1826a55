//! The store's side of a create: the upload it opens, or the one an
//! earlier attempt of the same create left open and this one takes over;
//! and the create's intent, deleted once nothing of it can be left open.

use crate::domain::create_intents::{CreateIntents, IntentId};
use crate::http::state::AppState;
use crate::s3::signer::NewObjectHeaders;
use crate::s3::store_client::list_multipart_uploads::listing_unavailable;
use crate::s3::store_client::StoreError;
use presign_core::ObjectKey;

/// The store's upload of a create.
pub(super) struct Opened {
    pub(super) store_upload_id: String,
    /// Opened by an earlier attempt of the same create, taken over here.
    pub(super) taken_over: bool,
}

/// The store's upload for this create at `key`: after an earlier attempt
/// that registered nothing (`after_earlier`), the upload it left open
/// there, if any; else a new one.
pub(super) async fn open_in_store(
    state: &AppState,
    key: &ObjectKey,
    headers: &NewObjectHeaders<'_>,
    after_earlier: bool,
) -> Result<Opened, StoreError> {
    if after_earlier {
        match state.store.multipart_uploads_at(key).await {
            Ok(open) => {
                if let Some(store_upload_id) = open.into_iter().next() {
                    tracing::info!(
                        key = key.as_str(),
                        "multipart create sent again: the upload an earlier attempt left open taken over"
                    );
                    return Ok(Opened {
                        store_upload_id,
                        taken_over: true,
                    });
                }
            }
            Err(e) if listing_unavailable(&e) => {
                tracing::warn!(
                    error = %e,
                    key = key.as_str(),
                    "the store cannot list multipart uploads: an earlier attempt's upload, if any, is left to the store's lifecycle rule"
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Opened {
        store_upload_id: state.store.create_multipart(key, headers).await?,
        taken_over: false,
    })
}

/// Deletes a create's intent once nothing of it can be left open.
pub(super) async fn forget(intents: &CreateIntents, intent: &IntentId) {
    if let Err(e) = intents.remove(intent).await {
        tracing::warn!(error = %e, %intent, "cannot delete a create's intent; the collector will");
    }
}
