//! `GET /api/multipart/{upload_id}/parts`: the parts the store holds, every
//! ListParts page gathered, sorted by number (a client resuming an upload
//! skips these).

use super::{forget_if_gone, open_session, UploadIdPath};
use crate::http::error::{ApiError, ApiErrors};
use crate::http::extract::Identity;
use crate::http::state::AppState;
use axum::extract::State;
use axum::Json;
use presign_core::protocol::multipart::{ListPartsResponse, UploadedPart};

#[utoipa::path(
    get,
    path = "/api/multipart/{upload_id}/parts",
    operation_id = "list_parts",
    tag = "multipart",
    params(("upload_id" = String, Path, description = "The signer's upload id (32 hex digits)")),
    responses(
        (status = 200, description = "The parts the store holds, sorted", body = ListPartsResponse),
        ApiErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handler(
    State(state): State<AppState>,
    identity: Identity,
    UploadIdPath(id): UploadIdPath,
) -> Result<Json<ListPartsResponse>, ApiError> {
    let session = open_session(&state, &id, &identity).await?;
    let parts = match state
        .store
        .list_parts(&session.key, &session.store_upload_id)
        .await
    {
        Ok(parts) => parts,
        Err(e) => return Err(forget_if_gone(&state, &id, &identity, e).await),
    };
    Ok(Json(ListPartsResponse {
        upload_id: id.to_string(),
        key: session.key.as_str().to_owned(),
        parts: parts
            .into_iter()
            .map(|p| UploadedPart {
                number: p.number,
                size: p.size,
                etag: p.etag,
                sha256: p.sha256,
            })
            .collect(),
    }))
}
