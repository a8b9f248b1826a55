//! `POST /api/multipart/{upload_id}/part-urls`: presigned UploadPart URLs for
//! parts the client has hashed, each pinning its size and SHA-256 as signed
//! headers, so the store takes no other bytes under that part number (an
//! upload created with `checksum: false` pins only the size).

use super::{open_session, UploadIdPath};
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::{ApiJson, Identity};
use crate::http::metrics::PresignKind;
use crate::http::state::AppState;
use axum::extract::State;
use axum::Json;
use presign_core::protocol::multipart::{
    PartToSign, PartUrl, PartUrlsRequest, PartUrlsResponse, MAX_PARTS_PER_REQUEST,
};
use presign_core::s3::part_plan::PartPlan;
use std::collections::HashSet;

#[utoipa::path(
    post,
    path = "/api/multipart/{upload_id}/part-urls",
    operation_id = "part_urls",
    tag = "multipart",
    params(("upload_id" = String, Path, description = "The signer's upload id (32 hex digits)")),
    request_body = PartUrlsRequest,
    responses(
        (status = 200, description = "One presigned UploadPart URL per part, size and SHA-256 signed", body = PartUrlsResponse),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    UploadIdPath(id): UploadIdPath,
    ApiJson(req): ApiJson<PartUrlsRequest>,
) -> Result<Json<PartUrlsResponse>, ApiError> {
    let session = open_session(&state, &id, &identity).await?;
    check_parts(&session.plan, session.checksums, &req.parts).map_err(ApiError::BadRequest)?;
    let signer = state.signer.current().await?;
    let now = state.clock.now();
    let expires_in = signer.lifetime(state.policy.expires_in(&session.file_type), now);
    let urls: Vec<PartUrl> = req
        .parts
        .iter()
        .map(|p| {
            let signed = signer.presign_upload_part(
                &session.key,
                &session.store_upload_id,
                p.number,
                p.size,
                p.sha256.as_ref(),
                expires_in,
                now,
            );
            PartUrl {
                number: p.number,
                url: signed.url.into(),
                headers: signed.headers,
                expires_in: expires_in.as_secs(),
            }
        })
        .collect();
    let count = u64::try_from(urls.len()).unwrap_or(u64::MAX);
    state.metrics.presigned(PresignKind::Part, count);
    Ok(Json(PartUrlsResponse { urls }))
}

/// 1 to [`MAX_PARTS_PER_REQUEST`] parts, each in the plan with its planned size, none twice, each
/// with a SHA-256 exactly when the upload has `checksums`.
fn check_parts(plan: &PartPlan, checksums: bool, parts: &[PartToSign]) -> Result<(), String> {
    if parts.is_empty() || parts.len() > MAX_PARTS_PER_REQUEST {
        return Err(format!(
            "parts must list 1 to {MAX_PARTS_PER_REQUEST} parts, got {}",
            parts.len()
        ));
    }
    let mut seen = HashSet::new();
    for p in parts {
        let want = plan.part_len(p.number).map_err(|e| format!("parts: {e}"))?;
        if p.size != want {
            return Err(format!(
                "part {} must be {want} bytes (the plan's), got size {}",
                p.number, p.size
            ));
        }
        if !seen.insert(p.number) {
            return Err(format!("part {} is listed twice", p.number));
        }
        check_sha256(checksums, p.number, p.sha256.is_some())?;
    }
    Ok(())
}

/// A part's `sha256` must be given exactly when the upload has checksums.
pub fn check_sha256(checksums: bool, number: u32, given: bool) -> Result<(), String> {
    match (checksums, given) {
        (true, false) => Err(format!(
            "part {number} has no sha256 (this upload has SHA-256 checksums; create it with \"checksum\": false to send none)"
        )),
        (false, true) => Err(format!(
            "part {number} has a sha256, but this upload was created with \"checksum\": false"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::s3::limits::MIB;
    use presign_core::Sha256Digest;

    fn part(number: u32, size: u64) -> PartToSign {
        PartToSign {
            number,
            size,
            sha256: Some(Sha256Digest::of(b"")),
        }
    }

    #[test]
    fn checks_numbers_sizes_and_duplicates() {
        let plan = PartPlan::new(11 * MIB, 5 * MIB).expect("plan");
        assert_eq!(
            check_parts(&plan, true, &[part(3, MIB), part(1, 5 * MIB)]),
            Ok(())
        );
        let err = |parts: &[PartToSign]| check_parts(&plan, true, parts).expect_err("refused");
        assert!(err(&[]).contains("1 to 100"));
        assert!(err(&vec![part(1, 5 * MIB); 101]).contains("got 101"));
        assert!(err(&[part(0, 5 * MIB)]).contains("part 0"));
        assert!(err(&[part(4, MIB)]).contains("part 4"));
        assert!(err(&[part(2, MIB)]).contains("part 2 must be 5242880 bytes"));
        assert!(err(&[part(3, 5 * MIB)]).contains("part 3 must be 1048576 bytes"));
        assert!(err(&[part(1, 5 * MIB), part(1, 5 * MIB)]).contains("twice"));
        // Checksums: exactly when the upload has them.
        let bare = PartToSign {
            sha256: None,
            ..part(1, 5 * MIB)
        };
        assert!(err(std::slice::from_ref(&bare)).contains("part 1 has no sha256"));
        assert_eq!(check_parts(&plan, false, &[bare]), Ok(()));
        assert!(check_parts(&plan, false, &[part(1, 5 * MIB)])
            .expect_err("refused")
            .contains("created with \"checksum\": false"));
    }
}
