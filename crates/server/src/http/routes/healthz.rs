//! `GET /healthz`: liveness and readiness in one probe. It answers at all
//! (alive), and checks, at the same time and each within 3 s, that the
//! database answers a query and that the store answers HEAD on the bucket.
//! The store's answer is reused for 2 s
//! ([`crate::http::health::StoreCheckCache`]), and probes
//! arriving while it is asked wait for that one answer: however many
//! probes come, the store gets at most one HEAD per 2 s from them.
//! 200 with every check `ok`; 503 naming the failing checks otherwise, with
//! the API's error body added. The messages say what failed, never where
//! (no addresses, no credentials): details go to the log.

pub use crate::http::health::{Check, CheckStatus, STORE_CHECK_REUSED_FOR};

use crate::http::state::AppState;
use crate::s3::store_client::StoreError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use presign_core::protocol::error::ErrorDetail;
use presign_core::ErrorCode;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::time::Duration;
use utoipa::ToSchema;

/// How long one check may take.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The answer of `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` when every check is.
    pub status: CheckStatus,
    pub checks: HealthChecks,
    /// With a 503 only: code `server`, the failing checks named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// One result per dependency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthChecks {
    /// The database (SQLite, or PostgreSQL with `--database-url`) answers a
    /// query.
    pub database: Check,
    /// The store answers HEAD on the bucket, and the bucket exists.
    pub store: Check,
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    responses(
        (status = 200, description = "Alive and ready: the database and the store answer", body = HealthResponse),
        (status = 503, description = "Alive, not ready: the failing checks are named", body = HealthResponse),
    )
)]
pub async fn handler(State(state): State<AppState>) -> Response {
    let database = within(CHECK_TIMEOUT, async {
        match state.sessions.total_open().await {
            Ok(_) => Check::ok(),
            Err(e) => {
                tracing::warn!(error = %e, "healthz: the database check failed");
                Check::failing("the database does not answer")
            }
        }
    });
    let store = state.store_check.reuse_or(within(CHECK_TIMEOUT, async {
        match state.store.bucket_exists().await {
            Ok(true) => Check::ok(),
            Ok(false) => Check::failing("the bucket does not exist"),
            Err(e) => {
                tracing::warn!(error = %e, "healthz: the store check failed");
                Check::failing(store_message(&e))
            }
        }
    }));
    let (database, store) = tokio::join!(database, store);
    let (status, body) = report(HealthChecks { database, store });
    let mut response = (status, Json(body)).into_response();
    if status != StatusCode::OK {
        response.extensions_mut().insert(ErrorCode::Server);
    }
    response
}

/// `check`, or a failing check when it takes longer than `limit`.
async fn within(limit: Duration, check: impl Future<Output = Check>) -> Check {
    tokio::time::timeout(limit, check)
        .await
        .unwrap_or_else(|_| Check::failing(format!("no answer within {} s", limit.as_secs())))
}

fn store_message(e: &StoreError) -> String {
    match e {
        StoreError::Unreachable(_) => "cannot reach the store".to_owned(),
        StoreError::Credentials(_) => "no credentials to sign requests to the store".to_owned(),
        StoreError::Status { status, .. } | StoreError::Rejected { status, .. } => {
            format!(
                "the store answered {} to HEAD on the bucket",
                status.as_u16()
            )
        }
        _ => "the store's answer is not one expected".to_owned(),
    }
}

/// The status and body for these checks.
pub fn report(checks: HealthChecks) -> (StatusCode, HealthResponse) {
    let failing: Vec<&str> = [("database", &checks.database), ("store", &checks.store)]
        .into_iter()
        .filter(|(_, check)| !check.is_ok())
        .map(|(name, _)| name)
        .collect();
    if failing.is_empty() {
        let body = HealthResponse {
            status: CheckStatus::Ok,
            checks,
            error: None,
        };
        return (StatusCode::OK, body);
    }
    let error = ErrorDetail {
        code: ErrorCode::Server,
        message: format!("not ready: {} failing", failing.join(", ")),
    };
    let body = HealthResponse {
        status: CheckStatus::Failing,
        checks,
        error: Some(error),
    };
    (StatusCode::SERVICE_UNAVAILABLE, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failing_check_is_named() {
        let (status, body) = report(HealthChecks {
            database: Check::ok(),
            store: Check::ok(),
        });
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            serde_json::to_value(&body).expect("json"),
            serde_json::json!({"status": "ok", "checks": {"database": {"status": "ok"}, "store": {"status": "ok"}}})
        );
        let (status, body) = report(HealthChecks {
            database: Check::failing("the database does not answer"),
            store: Check::failing("cannot reach the store"),
        });
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body.status, CheckStatus::Failing);
        let error = body.error.expect("an error");
        assert_eq!(error.code, ErrorCode::Server);
        assert_eq!(error.message, "not ready: database, store failing");
    }

    #[tokio::test]
    async fn a_slow_check_fails_when_its_time_is_up() {
        let slow = async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Check::ok()
        };
        let check = within(Duration::from_millis(1), slow).await;
        assert_eq!(check.status, CheckStatus::Failing);
    }
}
