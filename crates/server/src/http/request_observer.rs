//! Every request, observed once it is answered: one structured log line
//! (method, route, path, user, status, latency, and the error code of an
//! error answer) and its [`crate::http::metrics`].
//!
//! The line is written inside a `request` span, so whatever a handler logs
//! carries the same method and route. The user is known only once the
//! [`crate::http::extract::Identity`] extractor has run: it fills the request's
//! [`Caller`] slot, read here after the handler. Headers, query strings and
//! bodies are never logged (they hold bearer tokens and signatures).

use crate::http::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use presign_core::{ErrorCode, UserId};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tracing::Instrument as _;

/// The caller of a request, once authenticated (a request extension).
#[derive(Debug, Clone, Default)]
pub struct Caller(Arc<OnceLock<UserId>>);

impl Caller {
    /// Records the authenticated user (the first one wins).
    pub fn set(&self, user: &UserId) {
        let _ = self.0.set(user.clone());
    }

    pub fn get(&self) -> Option<&UserId> {
        self.0.get()
    }
}

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = route_label(&request);
    let path = request.uri().path().to_owned();
    let caller = Caller::default();
    request.extensions_mut().insert(caller.clone());
    let span = tracing::info_span!("request", method = %method, route = %route);
    let response = next.run(request).instrument(span.clone()).await;
    let latency = start.elapsed();
    let status = response.status();
    let code = response.extensions().get::<ErrorCode>().copied();
    state
        .metrics
        .request(&method, &route, status.as_u16(), latency, code);
    let _entered = span.enter();
    let user = caller.get().map(UserId::as_str);
    let latency_ms = latency.as_secs_f64() * 1000.0;
    let code = code.map(ErrorCode::as_str);
    if quiet(&route) && code.is_none() {
        tracing::debug!(%path, user, status = status.as_u16(), latency_ms, "answered");
    } else {
        tracing::info!(%path, user, status = status.as_u16(), latency_ms, error_code = code, "answered");
    }
    response
}

/// Probes and scrapes, logged at debug level when they succeed.
fn quiet(route: &str) -> bool {
    matches!(route, "/healthz" | "/metrics")
}

/// The route's template; `static` for the files (bounded labels).
fn route_label(request: &Request) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "static".to_owned(), |m| m.as_str().to_owned())
}
