//! The control API, under `/__`, answered with CORS for any origin so tests
//! in a browser can call it with `fetch`:
//!
//! | request | does |
//! |---|---|
//! | `POST /__faults` | adds rules ([`crate::rules::RuleSpec`]; one or a list): `{"match": "partNumber=3", "status": 503, "times": 2}`, `{"status": 503, "retryAfter": "2", "forMs": 5000}`, `{"delayMs": 3000}`, `{"stall": true}`, `{"corrupt": true}`, `{"reset": true}`, `{"loseAnswer": true}` |
//! | `POST /__chaos` | starts a seeded fault rate ([`crate::chaos::ChaosSpec`]): `{"seed": 7, "rate": 0.1, "kinds": ["500","503","429","expired","reset","stall"]}` |
//! | `POST /__faults/reset` | drops every rule, the chaos run and the log |
//! | `POST /__target` | `{"url": "http://127.0.0.1:9000"}` sets the store |
//! | `GET /__log` | `[{atMs, method, url, status, fault, signature, retryAfter?}]` in order |
//! | `GET /__stats` | `{requests, preflights, faulted, byKind, maxInFlight}` |

use crate::chaos::{Chaos, ChaosSpec};
use crate::proxy::{full, ProxyBody, State};
use crate::rules;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde::Serialize;

pub async fn handle(state: &State, req: Request<Incoming>) -> Response<ProxyBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return answer(StatusCode::BAD_REQUEST, &error(e)),
    };
    match (method, path.as_str()) {
        (Method::OPTIONS, _) => answer(StatusCode::NO_CONTENT, &()),
        (Method::GET, "/__log") => answer(StatusCode::OK, &state.journal().entries()),
        (Method::GET, "/__stats") => answer(StatusCode::OK, state.journal().stats()),
        (Method::POST, "/__faults") => match rules::parse(&body) {
            Ok(list) => {
                let count = list.len();
                let mut rules = state.rules();
                for rule in list {
                    rules.add(rule);
                }
                answer(StatusCode::OK, &serde_json::json!({ "added": count }))
            }
            Err(e) => answer(StatusCode::BAD_REQUEST, &error(e)),
        },
        (Method::POST, "/__chaos") => {
            match serde_json::from_slice::<ChaosSpec>(&body)
                .map_err(|e| e.to_string())
                .and_then(Chaos::new)
            {
                Ok(chaos) => {
                    *state.chaos() = Some(chaos);
                    answer(StatusCode::OK, &serde_json::json!({ "ok": true }))
                }
                Err(e) => answer(StatusCode::BAD_REQUEST, &error(e)),
            }
        }
        (Method::POST, "/__faults/reset") => {
            state.rules().clear();
            *state.chaos() = None;
            state.journal().clear();
            answer(StatusCode::OK, &serde_json::json!({ "ok": true }))
        }
        (Method::POST, "/__target") => match target_of(&body) {
            Ok(url) => {
                let text = url.to_string();
                state.set_target(url);
                answer(StatusCode::OK, &serde_json::json!({ "target": text }))
            }
            Err(e) => answer(StatusCode::BAD_REQUEST, &error(e)),
        },
        _ => answer(StatusCode::NOT_FOUND, &error("unknown control endpoint")),
    }
}

fn target_of(body: &Bytes) -> Result<hyper::Uri, String> {
    #[derive(serde::Deserialize)]
    struct Target {
        url: String,
    }
    let target: Target = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    crate::proxy::parse_target(&target.url)
}

fn error(e: impl ToString) -> serde_json::Value {
    serde_json::json!({ "error": e.to_string() })
}

fn answer(status: StatusCode, body: &impl Serialize) -> Response<ProxyBody> {
    let text = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(full(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("content-type"),
    );
    response
}
