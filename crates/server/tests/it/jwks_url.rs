//! JWT keys from a JWKS URL (`--jwt-jwks-url`) over real HTTP: an identity
//! provider of the test's own on loopback serves key set A, then rotates
//! to B, fails, or never answers, and counts the fetches. The server's
//! clock is a manual one, moved past the cache's minute-long intervals
//! instead of sleeping through them.

use crate::common::tokens::{es256, rs256};
use crate::common::{error_code, start_with, TestServer};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use jiff::{SignedDuration, Timestamp};
use presign_server::{Clock, ManualClock};
use serde_json::{json, Value};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

const AUDIENCE: &str = "uploads-api";

/// What the identity provider answers at `/jwks`.
#[derive(Clone)]
enum Answer {
    /// A JWKS document, with this `Cache-Control` if any, after `delay`.
    Keys {
        body: String,
        cache_control: Option<&'static str>,
        delay: Duration,
    },
    /// This status, no keys.
    Status(u16),
    /// This text, as if it were a JWKS.
    Text(&'static str),
}

/// The test's identity provider: its JWKS URL, what it answers, and how
/// many fetches it got.
struct Idp {
    url: String,
    answer: Arc<Mutex<Answer>>,
    fetches: Arc<AtomicUsize>,
}

impl Idp {
    async fn start(answer: Answer) -> Self {
        let state = (Arc::new(Mutex::new(answer)), Arc::new(AtomicUsize::new(0)));
        let app = Router::new()
            .route("/jwks", get(serve_jwks))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/jwks", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url,
            answer: state.0,
            fetches: state.1,
        }
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().expect("lock") = answer;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

type IdpState = (Arc<Mutex<Answer>>, Arc<AtomicUsize>);

async fn serve_jwks(
    axum::extract::State((answer, fetches)): axum::extract::State<IdpState>,
) -> (StatusCode, HeaderMap, String) {
    fetches.fetch_add(1, Ordering::SeqCst);
    let answer = answer.lock().expect("lock").clone();
    let mut headers = HeaderMap::new();
    match answer {
        Answer::Keys {
            body,
            cache_control,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            if let Some(value) = cache_control {
                headers.insert(header::CACHE_CONTROL, value.parse().expect("header"));
            }
            (StatusCode::OK, headers, body)
        }
        Answer::Status(status) => (
            StatusCode::from_u16(status).expect("status"),
            headers,
            String::new(),
        ),
        Answer::Text(text) => (StatusCode::OK, headers, text.to_owned()),
    }
}

/// A fixture key (`rsa-1` or `ec-1`) of tests/fixtures/jwt_jwks.json under
/// another `kid`.
fn fixture_key(fixture_kid: &str, kid: &str) -> Value {
    let path = crate::common::tokens::fixture("jwt_jwks.json");
    let set: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("JSON");
    let mut key = set["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|key| key["kid"] == fixture_kid)
        .expect("fixture kid")
        .clone();
    key["kid"] = json!(kid);
    key
}

/// Key set A: the RSA fixture as `key-a`. Tokens: [`token_a`].
fn set_a() -> String {
    json!({"keys": [fixture_key("rsa-1", "key-a")]}).to_string()
}

/// Key set B, after a rotation: the EC fixture as `key-b`, A's key gone.
fn set_b() -> String {
    json!({"keys": [fixture_key("ec-1", "key-b")]}).to_string()
}

fn keys(body: String, cache_control: Option<&'static str>) -> Answer {
    Answer::Keys {
        body,
        cache_control,
        delay: Duration::ZERO,
    }
}

fn claims(sub: &str) -> Value {
    let now = Timestamp::now().as_second();
    json!({"sub": sub, "aud": AUDIENCE, "exp": now + 3600, "iat": now})
}

fn token_a(sub: &str) -> String {
    rs256(&claims(sub), Some("key-a"))
}

fn token_b(sub: &str) -> String {
    es256(&claims(sub), Some("key-b"))
}

/// A signer whose keys come from `url`, on a manual clock.
async fn signer(url: &str) -> (TestServer, ManualClock) {
    let clock = ManualClock::new(Timestamp::now());
    let flags = ["--jwt-jwks-url", url, "--jwt-audience", AUDIENCE];
    let t = start_with(&flags, Clock::Manual(clock.clone())).await;
    (t, clock)
}

fn advance(clock: &ManualClock, secs: i64) {
    clock.advance(SignedDuration::from_secs(secs));
}

/// `GET /api/uploads` as the holder of `token`: a request that needs one.
async fn call(t: &TestServer, token: &str) -> reqwest::Response {
    t.http
        .get(t.api("uploads"))
        .bearer_auth(token)
        .send()
        .await
        .expect("API reachable")
}

async fn status(t: &TestServer, token: &str) -> u16 {
    call(t, token).await.status().as_u16()
}

/// Expects 503 `server` with a `Retry-After` of 1 to `max` seconds.
async fn unavailable(t: &TestServer, token: &str, max: u64, what: &str) {
    let resp = call(t, token).await;
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let (status, code, message) = error_code(resp).await;
    assert_eq!(
        (status, code.as_str()),
        (503, "server"),
        "{what}: {message}"
    );
    assert!(
        retry_after.is_some_and(|secs| (1..=max).contains(&secs)),
        "{what}: Retry-After {retry_after:?}"
    );
}

#[tokio::test]
async fn rotated_keys_are_fetched_without_a_restart() {
    let idp = Idp::start(keys(set_a(), None)).await;
    let (t, clock) = signer(&idp.url).await;
    assert_eq!(idp.fetches(), 1, "fetched once at start");
    assert_eq!(status(&t, &token_a("alice")).await, 200, "A's token");

    idp.answer(keys(set_b(), None));
    // Within a minute of the last fetch a new kid waits its turn.
    assert_eq!(
        status(&t, &token_b("alice")).await,
        401,
        "B's kid, too soon"
    );
    assert_eq!(idp.fetches(), 1);
    advance(&clock, 61);
    // Several at once: they share one fetch, and none is refused meanwhile.
    let requests = (0..10).map(|i| {
        let t = &t;
        async move { status(t, &token_b(&format!("user-{i}"))).await }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == 200),
        "B's tokens: {statuses:?}"
    );
    assert_eq!(idp.fetches(), 2, "one fetch for B's kid");
    // A's key is gone from the provider's set, so from the signer's.
    assert_eq!(status(&t, &token_a("alice")).await, 401, "A's token after");
    assert_eq!(idp.fetches(), 2);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_fetches_at_most_once_a_minute() {
    let idp = Idp::start(keys(set_a(), None)).await;
    let (t, clock) = signer(&idp.url).await;
    advance(&clock, 61);
    let flood = (0..50).map(|i| {
        let token = rs256(&claims("mallory"), Some(&format!("made-up-{i}")));
        let t = &t;
        async move { status(t, &token).await }
    });
    let statuses = futures::future::join_all(flood).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(idp.fetches(), 2, "one refetch for 50 unknown kids");
    // More within the minute: none.
    for i in 0..5 {
        let token = rs256(&claims("mallory"), Some(&format!("again-{i}")));
        assert_eq!(status(&t, &token).await, 401);
    }
    assert_eq!(idp.fetches(), 2);
    assert_eq!(status(&t, &token_a("alice")).await, 200, "A still verifies");
}

#[tokio::test]
async fn cache_control_max_age_is_honoured_within_bounds() {
    let idp = Idp::start(keys(set_a(), Some("public, max-age=120"))).await;
    let (t, clock) = signer(&idp.url).await;
    advance(&clock, 100);
    assert_eq!(status(&t, &token_a("alice")).await, 200);
    assert_eq!(idp.fetches(), 1, "fresh for 120 s");
    advance(&clock, 21);
    // Stale: fetched again (without max-age it would be fresh for 5 min).
    idp.answer(keys(set_a(), Some("max-age=5")));
    assert_eq!(status(&t, &token_a("alice")).await, 200);
    assert_eq!(idp.fetches(), 2, "refetched after max-age");
    // max-age=5 is held to the minute.
    advance(&clock, 30);
    assert_eq!(status(&t, &token_a("alice")).await, 200);
    assert_eq!(idp.fetches(), 2, "fresh for at least 60 s");
    advance(&clock, 31);
    idp.answer(keys(set_b(), None));
    // Stale again, and the provider dropped A's key.
    assert_eq!(status(&t, &token_a("alice")).await, 401);
    assert_eq!(idp.fetches(), 3);
}

#[tokio::test]
async fn without_keys_tokens_get_503_until_a_fetch_succeeds() {
    let idp = Idp::start(Answer::Status(500)).await;
    // The provider is down: the signer starts all the same.
    let (t, clock) = signer(&idp.url).await;
    assert_eq!(idp.fetches(), 1);
    unavailable(&t, &token_a("alice"), 10, "provider down").await;

    idp.answer(Answer::Text("{\"keys\": [ not json"));
    advance(&clock, 11);
    unavailable(&t, &token_a("alice"), 10, "malformed JWKS").await;
    assert_eq!(idp.fetches(), 2);

    // Up again, slowly: concurrent requests share one fetch.
    idp.answer(Answer::Keys {
        body: set_a(),
        cache_control: None,
        delay: Duration::from_millis(300),
    });
    unavailable(&t, &token_a("alice"), 10, "before the next try").await;
    assert_eq!(idp.fetches(), 2, "no fetch before its turn");
    advance(&clock, 11);
    let requests = (0..20).map(|i| {
        let t = &t;
        async move { status(t, &token_a(&format!("user-{i}"))).await }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(idp.fetches(), 3, "one fetch for 20 concurrent requests");
}

/// A JWKS URL on a listener that takes connections and never answers; and
/// how many it took.
async fn silent_idp() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/jwks", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn a_jwks_url_that_never_answers_gives_503_not_a_hang() {
    let (url, accepted) = silent_idp().await;
    // Guards against a hang only: each fetch gives up after 5 s.
    let guard = Duration::from_secs(60);
    let started = tokio::time::timeout(guard, signer(&url)).await;
    let (t, clock) = started.expect("the signer starts, not hangs");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let token = token_a("alice");
    let first = tokio::time::timeout(guard, unavailable(&t, &token, 10, "start"));
    first.await.expect("an answer, not a hang");
    advance(&clock, 11);
    // This request waits for a fetch of its own, which times out.
    let second = tokio::time::timeout(guard, unavailable(&t, &token, 10, "fetch"));
    second.await.expect("an answer, not a hang");
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_issuer_entry_takes_a_jwks_url() {
    let idp = Idp::start(keys(set_a(), None)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("presign.toml");
    let toml = format!(
        "[identity]\njwt_audience = \"{AUDIENCE}\"\n\n\
         [[identity.issuers]]\nissuer = \"https://idp.test/\"\nlabel = \"idp\"\njwt_jwks_url = \"{}\"\n",
        idp.url
    );
    std::fs::write(&config, toml).expect("config");
    let config = config.to_string_lossy().into_owned();
    let t = start_with(&["--config", &config], Clock::System).await;
    let mut claims = claims("alice");
    claims["iss"] = json!("https://idp.test/");
    let resp = call(&t, &rs256(&claims, Some("key-a"))).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(idp.fetches(), 1);
}

#[test]
fn a_plain_http_url_to_another_machine_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(["--jwt-jwks-url", "http://idp.example.com/jwks"])
        .args(["--jwt-audience", AUDIENCE])
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--jwt-jwks-url")
            && err.contains("http://idp.example.com/jwks")
            && err.contains("must be https")
            && err.contains("loopback"),
        "{err}"
    );
}
