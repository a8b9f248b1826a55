//! `POST /api/file-uploaded`: the client says an upload finished; the server
//! asks the store what it holds (size, ETag, SHA-256), checks it against what
//! the client declares, records the upload ([`crate::domain::records`]) and answers
//! what the store holds.
//!
//! The body is core's `FileUploadedRequest` (`key`, `file_type`) plus two
//! optional declarations: `size` (bytes) and `sha256` (base64, the value the
//! client signed its PUT with). A declared value the store's object does not
//! match is refused with 409 `checksum_mismatch`: the request is well-formed
//! but conflicts with what is stored. Nothing is deleted (the object may be
//! someone's evidence), nothing is recorded, and the mismatch is logged.
//! Confirming the same key again is idempotent: one record, the same answer,
//! as long as the store still holds the object recorded the first time; an
//! object changed since (another size, ETag or SHA-256: written behind the
//! signer's back, since every upload's key is written once) is a 409
//! `checksum_mismatch`.
//!
//! Under a byte quota ([`crate::domain::quota`]) a new record must fit what
//! the user has left (others may have used the room since the URL was
//! signed): if not, 413 `quota_exceeded`, and nothing is recorded (the
//! object is kept, as above, and does not count).

use crate::domain::records::{changed_since, Stored};
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::metrics::CompletionKind;
use crate::http::routes::quota_budget;
use crate::http::state::AppState;
use crate::s3::store_client::ObjectInfo;
use axum::extract::State;
use axum::Json;
use jiff::Timestamp;
use presign_core::keys::file_type::FileType;
use presign_core::protocol::error::ErrorBody;
use presign_core::protocol::records::UploadRecord;
use presign_core::protocol::single::FileUploadedResponse;
use presign_core::s3::composite_checksum::StoreChecksum;
use presign_core::ObjectKey;

/// The request: core's `FileUploadedRequest` (key, file type, and the
/// optional declared size and SHA-256).
pub use presign_core::protocol::single::FileUploadedRequest as ConfirmUploadRequest;

#[utoipa::path(
    post,
    path = "/api/file-uploaded",
    operation_id = "file_uploaded",
    tag = "uploads",
    request_body = ConfirmUploadRequest,
    responses(
        (status = 200, description = "The stored object, verified and recorded", body = FileUploadedResponse),
        (status = 409, description = "The stored object's size or SHA-256 is not the one declared, or it changed since it was confirmed (code checksum_mismatch)", body = ErrorBody),
        (status = 413, description = "Recording the object would pass the caller's byte quota (code quota_exceeded)", body = ErrorBody),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(req): ApiJson<ConfirmUploadRequest>,
) -> Result<Json<FileUploadedResponse>, ApiError> {
    confirm(&state, &identity, &req).await.map(Json)
}

/// One upload checked and recorded, or why not (also each file of
/// `POST /api/files-uploaded`).
pub(crate) async fn confirm(
    state: &AppState,
    identity: &Identity,
    req: &ConfirmUploadRequest,
) -> Result<FileUploadedResponse, ApiError> {
    let key = ObjectKey::owned_by(&req.key, &identity.user)?;
    let file_type =
        FileType::parse(&req.file_type).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let type_prefix = format!("{}{}/", identity.user.prefix(), file_type);
    if !key.as_str().starts_with(&type_prefix) {
        return Err(ApiError::BadRequest(format!(
            "file_type {file_type:?} does not match the key (expected it to start with {type_prefix:?})"
        )));
    }
    let info = state
        .store
        .head_object(&key)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if let Err(message) = check_declared(req, &info) {
        tracing::warn!(
            key = key.as_str(),
            stored_size = info.size,
            stored_sha256 = info.sha256.as_deref(),
            %message,
            "upload refused: the stored object is not what the client declared; kept, not recorded"
        );
        return Err(ApiError::Conflict(message));
    }
    let record = UploadRecord {
        user: identity.user.as_str().to_owned(),
        key: key.as_str().to_owned(),
        file_type: file_type.as_str().to_owned(),
        size: info.size,
        sha256: info.sha256.clone(),
        etag: info.etag.clone(),
        created_at: String::new(),
    };
    let quota = state.policy.quota(&file_type);
    let recorded = state
        .records
        .record_within(record, Timestamp::now(), quota)
        .await?
        .map_err(|e| {
            tracing::warn!(
                key = key.as_str(),
                size = info.size,
                "upload not recorded: over quota; kept, not counted"
            );
            quota_budget::refused(e)
        })?;
    let stored = Stored {
        size: info.size,
        etag: &info.etag,
        sha256: info.sha256.as_deref(),
    };
    if let Some(change) = changed_since(&recorded, &stored) {
        tracing::warn!(key = key.as_str(), %change, "confirmation refused: the object changed after its upload was confirmed");
        return Err(ApiError::Conflict(change));
    }
    state.metrics.completed(CompletionKind::Single);
    tracing::info!(
        key = key.as_str(),
        size = info.size,
        "upload confirmed and recorded"
    );
    Ok(FileUploadedResponse {
        key: key.as_str().to_owned(),
        size: info.size,
        etag: info.etag,
        sha256: info.sha256,
        content_type: info.content_type,
    })
}

/// The declared size and SHA-256 against the stored object's. A declared
/// digest needs a plain (FULL_OBJECT) stored checksum equal to it: a store
/// that kept none, or a composite one, cannot vouch for it.
fn check_declared(req: &ConfirmUploadRequest, info: &ObjectInfo) -> Result<(), String> {
    if let Some(size) = req.size {
        if size != info.size {
            return Err(format!(
                "the stored object has {} bytes, not the {size} declared",
                info.size
            ));
        }
    }
    if let Some(declared) = req.sha256 {
        let stored = info.sha256.as_deref().and_then(StoreChecksum::parse);
        match stored {
            Some(StoreChecksum::FullObject(digest)) if digest == declared => {}
            _ => {
                return Err(format!(
                    "the stored object's SHA-256 is {}, not the {} declared",
                    info.sha256.as_deref().unwrap_or("unknown"),
                    declared.to_base64()
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::Sha256Digest;

    fn req(size: Option<u64>, sha256: Option<Sha256Digest>) -> ConfirmUploadRequest {
        ConfirmUploadRequest {
            key: "users/dev/ecu/k".into(),
            file_type: "ecu".into(),
            size,
            sha256,
        }
    }

    fn info(size: u64, sha256: Option<String>) -> ObjectInfo {
        ObjectInfo {
            size,
            etag: "\"e\"".into(),
            sha256,
            content_type: None,
        }
    }

    #[test]
    fn declarations_must_match_the_stored_object() {
        let digest = Sha256Digest::of(b"hello");
        let stored = info(5, Some(digest.to_base64()));
        assert_eq!(check_declared(&req(None, None), &stored), Ok(()));
        assert_eq!(check_declared(&req(Some(5), Some(digest)), &stored), Ok(()));
        let err = check_declared(&req(Some(6), None), &stored).expect_err("size");
        assert!(err.contains("5 bytes, not the 6"), "{err}");
        let other = Sha256Digest::of(b"other");
        let err = check_declared(&req(None, Some(other)), &stored).expect_err("sha");
        assert!(err.contains(&other.to_base64()), "{err}");
        // Nothing stored to vouch for a declared digest, or only a composite.
        assert!(check_declared(&req(None, Some(digest)), &info(5, None)).is_err());
        let composite = format!("{}-2", digest.to_base64());
        assert!(check_declared(&req(None, Some(digest)), &info(5, Some(composite))).is_err());
    }
}
