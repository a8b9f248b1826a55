//! Every request held to [`RequestLimits`]: at most `max_concurrent` are
//! handled at once (the others wait for a slot, in arrival order), and one
//! not answered within `timeout` of its arrival (its wait included) is
//! dropped and answered a 503 JSON error (code `server`). A multipart
//! Complete gets at least [`complete::TIMEOUT`]: the store may take
//! minutes to assemble a large object.

use crate::config::RequestLimits;
use crate::http::error::ApiError;
use crate::http::routes::multipart::complete;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The slots and the time limit, shared by every route.
#[derive(Debug, Clone)]
pub struct Limiter {
    timeout: Duration,
    slots: Arc<Semaphore>,
}

impl Limiter {
    pub fn new(limits: RequestLimits) -> Self {
        Self {
            timeout: limits.timeout,
            slots: Arc::new(Semaphore::new(limits.max_concurrent)),
        }
    }
}

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn enforce(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    let completing = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|route| route.as_str() == complete::PATH);
    let timeout = if completing {
        limiter.timeout.max(complete::TIMEOUT)
    } else {
        limiter.timeout
    };
    let run = async move {
        // Never closed: an error cannot happen, and would only mean no wait.
        let _slot = limiter.slots.acquire_owned().await;
        next.run(request).await
    };
    match tokio::time::timeout(timeout, run).await {
        Ok(response) => response,
        Err(_) => ApiError::TimedOut(timeout).into_response(),
    }
}
