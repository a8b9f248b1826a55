//! `POST /api/multipart/{upload_id}/complete`: asks the store to assemble the
//! parts (every part's ETag and SHA-256), then checks what it stored: the
//! size must be the plan's, and a COMPOSITE checksum must be the composite of
//! the parts' digests. A FULL_OBJECT checksum (s3s-fs alone gives one; the
//! embedded store answers COMPOSITE) cannot be checked here; it is passed on
//! for the client, which hashed the file, to check.
//! The checksum the store's HEAD reports must also be the one Complete
//! returned. Any of these mismatches (size, composite, HEAD vs Complete) is
//! a 409 `checksum_mismatch`: the request was fine, the stored object is
//! not what was agreed. Nothing is deleted, nothing recorded; it is logged.
//!
//! The Complete carries `If-None-Match: *`: the object is created, never
//! replaces one. A verified upload is recorded ([`crate::domain::records`])
//! and its session forgotten in one transaction. Completing it again
//! answers the same from the record, so a client may retry a Complete whose
//! answer it lost, as long as the store still holds the recorded object
//! (one changed since is a 409 `checksum_mismatch`).

use super::part_urls::check_sha256;
use super::{forget_if_gone, UploadIdPath};
use crate::domain::records::{changed_since, Stored};
use crate::domain::upload_sessions::{UploadId, UploadSession};
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::metrics::CompletionKind;
use crate::http::state::AppState;
use crate::s3::store_client::{Completed, ObjectInfo, PartToComplete, StoreError};
use axum::extract::State;
use axum::Json;
use jiff::Timestamp;
use presign_core::protocol::error::ErrorBody;
use presign_core::protocol::multipart::{
    CompleteMultipartRequest, CompleteMultipartResponse, CompletedPart,
};
use presign_core::protocol::records::UploadRecord;
use presign_core::s3::composite_checksum::{composite, StoreChecksum};
use presign_core::s3::part_plan::PartPlan;
use presign_core::{ObjectKey, Sha256Digest};
use std::time::Duration;

/// Most part numbers named in one error message.
const MAX_NUMBERS_SHOWN: usize = 10;

/// The route.
pub const PATH: &str = "/api/multipart/{upload_id}/complete";

/// How long a Complete may take, whatever `--request-timeout` says: the
/// store may take up to 15 minutes to assemble a large object, and the
/// object is then checked and recorded.
pub const TIMEOUT: Duration = Duration::from_secs(16 * 60);

#[utoipa::path(
    post,
    path = "/api/multipart/{upload_id}/complete",
    operation_id = "complete_multipart",
    tag = "multipart",
    params(("upload_id" = String, Path, description = "The signer's upload id (32 hex digits)")),
    request_body = CompleteMultipartRequest,
    responses(
        (status = 200, description = "The assembled object, verified and recorded (the same answer on a retry)", body = CompleteMultipartResponse),
        (status = 409, description = "The store assembled something else than agreed (code checksum_mismatch)", body = ErrorBody),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    UploadIdPath(id): UploadIdPath,
    ApiJson(req): ApiJson<CompleteMultipartRequest>,
) -> Result<Json<CompleteMultipartResponse>, ApiError> {
    let Some(session) = state.sessions.get(&id, &identity.user).await? else {
        // Completed before (a retry after a lost answer): the same answer.
        return match state.records.by_multipart_id(&identity.user, &id).await? {
            Some(record) => unchanged(&state, &identity, record).await.map(Json),
            None => Err(ApiError::no_such_upload()),
        };
    };
    let parts = in_plan_order(&session.plan, &req.parts).map_err(ApiError::BadRequest)?;
    for p in &parts {
        check_sha256(session.checksums, p.number, p.sha256.is_some())
            .map_err(ApiError::BadRequest)?;
    }
    let completed = assemble(&state, &id, &identity, &session, &parts).await?;
    let info = state
        .store
        .head_object(&session.key)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("{} missing after Complete", session.key)))?;
    let checksum = verified_checksum(&id, &session, &info, completed, &parts)?;
    let record = UploadRecord {
        user: identity.user.as_str().to_owned(),
        key: session.key.as_str().to_owned(),
        file_type: session.file_type.as_str().to_owned(),
        size: info.size,
        sha256: checksum,
        etag: info.etag,
        created_at: String::new(),
    };
    // Records the upload and forgets the session in one transaction.
    let record = state
        .records
        .record_multipart(record, Timestamp::now(), &id)
        .await?;
    state.metrics.completed(CompletionKind::Multipart);
    tracing::info!(upload_id = %id, key = session.key.as_str(), size = info.size, "multipart upload completed and recorded");
    Ok(Json(answer(record)))
}

/// The recorded upload, once the store is seen to hold it still: an object
/// changed since it was recorded (or gone) is a 409.
async fn unchanged(
    state: &AppState,
    identity: &Identity,
    record: UploadRecord,
) -> Result<CompleteMultipartResponse, ApiError> {
    let key = ObjectKey::owned_by(&record.key, &identity.user)?;
    let change = match state.store.head_object(&key).await? {
        Some(info) => changed_since(
            &record,
            &Stored {
                size: info.size,
                etag: &info.etag,
                sha256: info.sha256.as_deref(),
            },
        ),
        None => Some(format!(
            "the object at {} is gone since its upload was confirmed",
            record.key
        )),
    };
    match change {
        Some(change) => {
            tracing::warn!(key = record.key.as_str(), %change, "Complete refused: the object changed after it was recorded");
            Err(ApiError::Conflict(change))
        }
        None => Ok(answer(record)),
    }
}

/// Asks the store to assemble `parts` (in plan order). A Complete the store
/// had done before (the server stopped before recording it) is taken as
/// done, to be verified like a fresh one; any other refusal is the API's
/// answer ([`refusal`]).
async fn assemble(
    state: &AppState,
    id: &UploadId,
    identity: &Identity,
    session: &UploadSession,
    parts: &[&CompletedPart],
) -> Result<Completed, ApiError> {
    let to_complete: Vec<PartToComplete<'_>> = parts
        .iter()
        .map(|p| PartToComplete {
            number: p.number,
            etag: &p.etag,
            sha256: p.sha256.as_ref(),
        })
        .collect();
    match state
        .store
        .complete_multipart(&session.key, &session.store_upload_id, &to_complete)
        .await
    {
        Ok(completed) => Ok(completed),
        Err(e) if completed_before(state, session, &e).await => {
            tracing::warn!(upload_id = %id, key = session.key.as_str(), error = %e,
                "the store completed this upload before (the server stopped before recording it); verifying and recording it now");
            Ok(Completed {
                etag: None,
                checksum_sha256: None,
            })
        }
        Err(e) => Err(refusal(state, id, identity, e).await),
    }
}

/// The stored object's checksum, once the object is what was agreed: the
/// planned size, the checksum Complete returned (when the store reports
/// both), and a COMPOSITE checksum that is the composite of the parts'
/// digests. Anything else is a 409, logged; the object is kept.
fn verified_checksum(
    id: &UploadId,
    session: &UploadSession,
    info: &ObjectInfo,
    completed: Completed,
    parts: &[&CompletedPart],
) -> Result<Option<String>, ApiError> {
    if info.size != session.plan.size() {
        tracing::error!(
            upload_id = %id,
            key = session.key.as_str(),
            stored = info.size,
            planned = session.plan.size(),
            "the store assembled another size than planned; upload kept"
        );
        return Err(ApiError::Conflict(format!(
            "the store assembled {} bytes but the upload was planned for {} bytes",
            info.size,
            session.plan.size()
        )));
    }
    if let (Some(stored), Some(returned)) = (&info.sha256, &completed.checksum_sha256) {
        if stored != returned {
            tracing::error!(
                upload_id = %id,
                key = session.key.as_str(),
                stored,
                returned,
                "the stored object's checksum is not the one Complete returned; upload kept, not recorded"
            );
            return Err(ApiError::Conflict(format!(
                "the stored object's checksum {stored} is not the {returned} that Complete returned"
            )));
        }
    }
    let checksum = info.sha256.clone().or(completed.checksum_sha256);
    if let Some(text) = &checksum {
        let digests: Vec<Sha256Digest> = parts.iter().filter_map(|p| p.sha256).collect();
        check_checksum(text, &digests).map_err(|message| {
            tracing::error!(upload_id = %id, key = session.key.as_str(), %message, "checksum mismatch after Complete; upload kept, not recorded");
            ApiError::Conflict(message)
        })?;
    }
    Ok(checksum)
}

/// Whether a Complete the store refuses as an unknown upload was done
/// before: S3 answers NoSuchUpload (s3s-fs AccessDenied) once an upload is
/// completed, or PreconditionFailed since the object now exists, so when
/// the server stopped between the store's Complete and the record, a retry
/// finds the object already there with the planned size. It is then
/// verified like a fresh one and recorded.
async fn completed_before(state: &AppState, session: &UploadSession, err: &StoreError) -> bool {
    if !matches!(
        err.s3_code(),
        Some("NoSuchUpload" | "AccessDenied" | "PreconditionFailed")
    ) {
        return false;
    }
    matches!(
        state.store.head_object(&session.key).await,
        Ok(Some(info)) if info.size == session.plan.size()
    )
}

/// The answer to Complete, from the upload's record (so a retry gets the same).
fn answer(record: UploadRecord) -> CompleteMultipartResponse {
    CompleteMultipartResponse {
        key: record.key,
        size: record.size,
        etag: record.etag,
        checksum_sha256: record.sha256,
    }
}

/// The parts sorted by number, when they are exactly 1..=part_count once each.
fn in_plan_order<'a>(
    plan: &PartPlan,
    parts: &'a [CompletedPart],
) -> Result<Vec<&'a CompletedPart>, String> {
    let count = plan.part_count();
    let mut sorted: Vec<&CompletedPart> = parts.iter().collect();
    sorted.sort_by_key(|p| p.number);
    let extra: Vec<u32> = sorted
        .iter()
        .map(|p| p.number)
        .filter(|&n| n == 0 || n > count)
        .collect();
    let twice: Vec<u32> = sorted
        .windows(2)
        .filter(|w| w[0].number == w[1].number)
        .map(|w| w[0].number)
        .collect();
    let missing: Vec<u32> = (1..=count)
        .filter(|n| sorted.binary_search_by_key(n, |p| p.number).is_err())
        .collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing part(s) {}", numbers(&missing)));
    }
    if !extra.is_empty() {
        problems.push(format!(
            "part(s) {} not in the plan (1..={count})",
            numbers(&extra)
        ));
    }
    if !twice.is_empty() {
        problems.push(format!("part(s) {} listed more than once", numbers(&twice)));
    }
    if problems.is_empty() {
        Ok(sorted)
    } else {
        Err(format!(
            "parts must list parts 1 to {count} once each: {}",
            problems.join("; ")
        ))
    }
}

fn numbers(list: &[u32]) -> String {
    let mut text: Vec<String> = list
        .iter()
        .take(MAX_NUMBERS_SHOWN)
        .map(u32::to_string)
        .collect();
    if list.len() > MAX_NUMBERS_SHOWN {
        text.push(format!("and {} more", list.len() - MAX_NUMBERS_SHOWN));
    }
    text.join(", ")
}

/// A COMPOSITE checksum must be the composite of `digests`; a FULL_OBJECT
/// one (or a form this server does not know) passes.
fn check_checksum(stored: &str, digests: &[Sha256Digest]) -> Result<(), String> {
    match StoreChecksum::parse(stored) {
        Some(c @ StoreChecksum::Composite { .. }) => {
            if c.matches(digests, None) == Some(true) {
                Ok(())
            } else {
                Err(format!(
                    "the store's checksum {stored} is not the composite of the parts' SHA-256 ({})",
                    composite(digests)
                ))
            }
        }
        Some(StoreChecksum::FullObject(_)) => Ok(()),
        None => {
            tracing::warn!(stored, "unrecognised checksum from the store; passed on");
            Ok(())
        }
    }
}

/// The API error for a store refusing Complete: the upload is gone (404),
/// the caller's parts were wrong (400), or the store failed (502).
async fn refusal(
    state: &AppState,
    id: &UploadId,
    identity: &Identity,
    err: StoreError,
) -> ApiError {
    if err.s3_code() == Some("NoSuchUpload") {
        return forget_if_gone(state, id, identity, err).await;
    }
    client_error(&err).unwrap_or(ApiError::Store(err))
}

/// A refusal caused by the parts the caller listed: 400 `checksum_mismatch`
/// for a digest the store did not match, else 400 `bad_request`, with the
/// store's code and message. `None` for the store's own failures.
fn client_error(err: &StoreError) -> Option<ApiError> {
    let StoreError::Rejected {
        status,
        code,
        message,
        ..
    } = err
    else {
        return None;
    };
    if !status.is_client_error() && !status.is_success() {
        return None;
    }
    let text = format!("the store refused to complete the upload: {code}: {message}");
    match code.as_str() {
        "BadDigest" | "InvalidDigest" => Some(ApiError::ChecksumMismatch(text)),
        "InvalidPart" if message.to_ascii_lowercase().contains("checksum") => {
            Some(ApiError::ChecksumMismatch(text))
        }
        "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall" | "MalformedXML"
        | "InvalidRequest" | "InvalidArgument" => Some(ApiError::BadRequest(text)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::s3::limits::MIB;

    fn part(number: u32) -> CompletedPart {
        CompletedPart {
            number,
            etag: format!("\"e{number}\""),
            sha256: Some(Sha256Digest::of(&number.to_be_bytes())),
        }
    }

    #[test]
    fn parts_must_be_exactly_the_plans() {
        let plan = PartPlan::new(11 * MIB, 5 * MIB).expect("plan");
        let ok = [part(3), part(1), part(2)];
        let sorted = in_plan_order(&plan, &ok).expect("complete");
        assert_eq!(
            sorted.iter().map(|p| p.number).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let err = |parts: &[CompletedPart]| in_plan_order(&plan, parts).expect_err("refused");
        assert!(err(&[part(1), part(3)]).contains("missing part(s) 2"));
        assert!(err(&[]).contains("missing part(s) 1, 2, 3"));
        assert!(err(&[part(1), part(2), part(3), part(4)]).contains("part(s) 4 not in the plan"));
        assert!(err(&[part(0), part(1), part(2), part(3)]).contains("part(s) 0 not in the plan"));
        assert!(err(&[part(1), part(2), part(2), part(3)]).contains("part(s) 2 listed more"));
    }

    #[test]
    fn long_lists_are_cut() {
        let list: Vec<u32> = (1..=25).collect();
        assert_eq!(numbers(&list), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, and 15 more");
    }

    #[test]
    fn composite_checksums_are_checked_full_object_passes() {
        let digests = [Sha256Digest::of(b"a"), Sha256Digest::of(b"b")];
        assert_eq!(check_checksum(&composite(&digests), &digests), Ok(()));
        let wrong = composite(&digests[..1]);
        assert!(check_checksum(&wrong, &digests).is_err());
        let other = format!("{}-2", Sha256Digest::of(b"x"));
        assert!(check_checksum(&other, &digests).is_err());
        assert_eq!(
            check_checksum(&Sha256Digest::of(b"ab").to_base64(), &digests),
            Ok(())
        );
        assert_eq!(check_checksum("garbage", &digests), Ok(()));
    }

    #[test]
    fn store_refusals_map_to_client_errors_or_not() {
        use reqwest::StatusCode;
        let rejected = |status: StatusCode, code: &str, message: &str| StoreError::Rejected {
            operation: "CompleteMultipartUpload",
            status,
            code: code.into(),
            message: message.into(),
        };
        let bad = StatusCode::BAD_REQUEST;
        assert!(matches!(
            client_error(&rejected(bad, "InvalidPart", "checksum_sha256 mismatch for part 2")),
            Some(ApiError::ChecksumMismatch(m)) if m.contains("part 2")
        ));
        assert!(matches!(
            client_error(&rejected(bad, "BadDigest", "")),
            Some(ApiError::ChecksumMismatch(_))
        ));
        assert!(matches!(
            client_error(&rejected(bad, "InvalidPart", "One or more of the specified parts could not be found")),
            Some(ApiError::BadRequest(m)) if m.contains("could not be found")
        ));
        assert!(matches!(
            client_error(&rejected(bad, "EntityTooSmall", "")),
            Some(ApiError::BadRequest(_))
        ));
        // The store's own failures stay 502s, even in a 200 OK.
        for (status, code) in [
            (StatusCode::FORBIDDEN, "AccessDenied"),
            (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
            (StatusCode::OK, "InternalError"),
            (StatusCode::SERVICE_UNAVAILABLE, "SlowDown"),
        ] {
            assert!(
                client_error(&rejected(status, code, "")).is_none(),
                "{code}"
            );
        }
    }
}
