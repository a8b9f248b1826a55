//! The `Host` check, against DNS rebinding: a page on an attacker's domain
//! that resolves to 127.0.0.1 reaches the server as same-origin, but its
//! requests carry the attacker's name as `Host`. Unless [`AllowedHosts`]
//! allows any, a request whose `Host` (or absolute-form request target) is
//! not a loopback name or an `--allow-host` one is refused with a 403 JSON
//! error, before anything else runs.

use crate::config::AllowedHosts;
use crate::http::error::ApiError;
use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use std::sync::Arc;

/// Longest part of a refused `Host` the error repeats.
const MAX_SHOWN: usize = 100;

/// The middleware (`axum::middleware::from_fn_with_state`).
pub async fn check(
    State(hosts): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    match refusal(&hosts, &request) {
        None => next.run(request).await,
        Some(error) => error.into_response(),
    }
}

/// Why `request` is refused, if it is: every `Host` header it carries and
/// the authority of an absolute-form target must be allowed, and there
/// must be one of them.
fn refusal(hosts: &AllowedHosts, request: &Request) -> Option<ApiError> {
    if *hosts == AllowedHosts::Any {
        return None;
    }
    let headers = request
        .headers()
        .get_all(HOST)
        .iter()
        .map(|v| v.to_str().ok());
    let target = request.uri().authority().map(|a| Some(a.as_str()));
    let mut named = false;
    for host in headers.chain(target) {
        named = true;
        match host {
            Some(host) if hosts.allows(host) => {}
            Some(host) => {
                let shown: String = host.chars().take(MAX_SHOWN).collect();
                return Some(ApiError::Forbidden(format!(
                    "this server does not answer to the host {shown:?}: it answers to localhost, 127.0.0.1, [::1] and the names of --allow-host"
                )));
            }
            None => {
                return Some(ApiError::Forbidden(
                    "the Host header is not valid text".to_owned(),
                ))
            }
        }
    }
    (!named).then(|| ApiError::Forbidden("the request names no Host".to_owned()))
}
