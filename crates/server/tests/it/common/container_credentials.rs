//! A loopback ECS-style container credentials endpoint (what
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` names): it answers `GET /creds`
//! with `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}` for one
//! of its key pairs, taking the next one every `rotate_every`, each answer
//! valid for `validity` from the moment it is given. It checks the
//! `Authorization` header the SDK sends, can be made to answer 500 or be
//! stopped and started again on the same port, and logs which key it
//! handed out.

use super::garage::GarageKey;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use serde_json::json;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What `AWS_CONTAINER_AUTHORIZATION_TOKEN` holds for the endpoint.
pub const AUTHORIZATION: &str = "container-authorization-secret";

/// A key pair with the session token served with it.
#[derive(Debug, Clone)]
pub struct Served {
    pub key: GarageKey,
    pub token: String,
}

#[derive(Debug)]
struct Inner {
    keys: Vec<Served>,
    rotate_every: Duration,
    validity: Duration,
    started: Instant,
    failing: bool,
    /// The key id of every answer (`"500"` for a failure).
    log: Vec<String>,
}

/// The endpoint; stopped when dropped.
pub struct CredentialsEndpoint {
    inner: Arc<Mutex<Inner>>,
    port: u16,
    stop: Option<oneshot::Sender<()>>,
}

impl CredentialsEndpoint {
    /// Serves `keys` in turn on a free loopback port.
    pub async fn start(keys: &[GarageKey], rotate_every: Duration, validity: Duration) -> Self {
        let keys = keys
            .iter()
            .map(|key| Served {
                key: key.clone(),
                token: format!("session-token-{}", uuid::Uuid::new_v4().simple()),
            })
            .collect();
        let inner = Arc::new(Mutex::new(Inner {
            keys,
            rotate_every,
            validity,
            started: Instant::now(),
            failing: false,
            log: Vec::new(),
        }));
        let mut endpoint = Self {
            inner,
            port: 0,
            stop: None,
        };
        endpoint.serve().await;
        endpoint
    }

    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}/creds", self.port)
    }

    /// What it serves, in turn.
    pub fn served(&self) -> Vec<Served> {
        self.lock().keys.clone()
    }

    /// The key ids it answered with, in order (`"500"`: a failure).
    pub fn log(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    /// From now on, every answer is a 500 (or, with `false`, credentials again).
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }

    /// Stops listening: connections are refused.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Listens again, on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        self.serve().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn serve(&mut self) {
        let listener = bind(self.port).await;
        self.port = listener.local_addr().expect("addr").port();
        let app = axum::Router::new()
            .route("/creds", get(answer))
            .with_state(self.inner.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        self.stop = Some(stop);
    }
}

impl Drop for CredentialsEndpoint {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Binds `port` on loopback (0: any), retrying a moment while a previous
/// listener on it closes.
async fn bind(port: u16) -> TcpListener {
    for _ in 0..50 {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot listen on 127.0.0.1:{port} again");
}

async fn answer(State(inner): State<Arc<Mutex<Inner>>>, headers: HeaderMap) -> Response {
    let mut inner = inner.lock().unwrap_or_else(PoisonError::into_inner);
    let authorized = headers
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == AUTHORIZATION.as_bytes());
    if !authorized {
        return (StatusCode::UNAUTHORIZED, "no or wrong Authorization").into_response();
    }
    if inner.failing {
        inner.log.push("500".to_owned());
        return (StatusCode::INTERNAL_SERVER_ERROR, "credentials unavailable").into_response();
    }
    let turn = inner.started.elapsed().as_secs() / inner.rotate_every.as_secs().max(1);
    let index = usize::try_from(turn).unwrap_or(0) % inner.keys.len();
    let served = inner.keys[index].clone();
    let expiration = jiff::Timestamp::now()
        .checked_add(inner.validity)
        .expect("time")
        .round(jiff::Unit::Second)
        .expect("rounded");
    inner.log.push(served.key.id.clone());
    Json(json!({
        "Code": "Success",
        "AccessKeyId": served.key.id,
        "SecretAccessKey": served.key.secret,
        "Token": served.token,
        "Expiration": expiration.to_string(),
    }))
    .into_response()
}
