//! The conformance suite (`presign-server conformance`) against our own
//! signer, with two users' tokens: every check passes. And against two
//! broken signers made from ours by a proxy in front of it, each failing
//! the check that names its defect: one that signs part URLs without the
//! parts' checksums, one that serves any user's keys.

use crate::common::garage::{garage_binary, start_garage};
use crate::common::{start_with, TestServer};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use clap::Parser as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use presign_server::{
    run_conformance, Cli, Clock, Config, ConformanceTarget, Outcome, Report, Server,
};
use serde_json::{json, Value};
use std::sync::Arc;

const SECRET: &str = "a-conformance-secret-of-32-bytes!!!";

fn token(user: &str) -> String {
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({"sub": user, "exp": now + 3600, "iat": now});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("HS256 token")
}

fn target(url: &str, tokens: Option<(&str, &str)>) -> ConformanceTarget {
    ConformanceTarget {
        url: url.to_owned(),
        token: tokens.map(|(a, _)| token(a)),
        other_token: tokens.map(|(_, b)| token(b)),
        file_type: "conformance".into(),
        metadata: None,
    }
}

fn outcome<'a>(report: &'a Report, name: &str) -> &'a Outcome {
    &report
        .results
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no check {name}: {report}"))
        .outcome
}

fn failed(report: &Report) -> Vec<&'static str> {
    report.failures().map(|r| r.name).collect()
}

async fn signer_with_tokens() -> TestServer {
    start_with(&["--jwt-secret", SECRET], Clock::System).await
}

#[tokio::test]
async fn our_signer_passes_every_check() {
    let t = signer_with_tokens().await;
    let report = run_conformance(&target(&t.server.url(), Some(("alice", "bob")))).await;
    assert_eq!(failed(&report), Vec::<&str>::new(), "{report}");
    for name in [
        "bad-token",
        "other-users-keys",
        "multipart",
        "batches",
        "post-form",
    ] {
        assert_eq!(outcome(&report, name), &Outcome::Pass, "{name}: {report}");
    }
}

/// What a broken signer does to a request before our signer sees it, and
/// to the answer before the caller does.
#[derive(Clone, Copy)]
enum Defect {
    /// Creates uploads without checksums, so part URLs sign none.
    PartsWithoutChecksums,
    /// A request naming an object or upload that is 404 for the caller is
    /// tried again as the other user: it serves any user's keys.
    AnyUsersKeys,
}

struct Broken {
    upstream: String,
    defect: Defect,
    http: reqwest::Client,
    other: String,
}

async fn forward(
    broken: &Broken,
    method: &http::Method,
    path: &str,
    auth: Option<&str>,
    body: Bytes,
) -> reqwest::Response {
    let mut request = broken
        .http
        .request(method.clone(), format!("{}{path}", broken.upstream))
        .header("content-type", "application/json")
        .body(body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    request.send().await.expect("the real signer answers")
}

fn without_checksums(path: &str, body: &Bytes) -> Bytes {
    let Ok(mut json) = serde_json::from_slice::<Value>(body) else {
        return body.clone();
    };
    if path == "/api/multipart" {
        json["checksum"] = json!(false);
    }
    if let Some(parts) = json.get_mut("parts").and_then(Value::as_array_mut) {
        for part in parts {
            part.as_object_mut().map(|p| p.remove("sha256"));
        }
    }
    Bytes::from(json.to_string())
}

async fn broken_signer(State(broken): State<Arc<Broken>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20).await.expect("body");
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let auth = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match broken.defect {
        Defect::PartsWithoutChecksums => without_checksums(&path, &body),
        Defect::AnyUsersKeys => body,
    };
    let mut answer = forward(&broken, &parts.method, &path, auth.as_deref(), body.clone()).await;
    let names_a_key = path.starts_with("/api/download-url")
        || path.starts_with("/api/file-uploaded")
        || path.starts_with("/api/multipart/");
    if matches!(broken.defect, Defect::AnyUsersKeys) && names_a_key && answer.status() == 404 {
        answer = forward(&broken, &parts.method, &path, Some(&broken.other), body).await;
    }
    let status = answer.status();
    let bytes = answer.bytes().await.expect("answer body");
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(bytes))
        .expect("response")
}

/// A broken signer with `defect`, in front of `upstream`: its URL.
async fn start_broken(upstream: &str, defect: Defect) -> String {
    let broken = Arc::new(Broken {
        upstream: upstream.trim_end_matches('/').to_owned(),
        defect,
        http: reqwest::Client::new(),
        other: format!("Bearer {}", token("bob")),
    });
    let app = axum::Router::new()
        .fallback(broken_signer)
        .with_state(broken);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn a_signer_that_omits_part_checksums_fails_that_check() {
    let t = signer_with_tokens().await;
    let broken = start_broken(&t.server.url(), Defect::PartsWithoutChecksums).await;
    let report = run_conformance(&target(&broken, Some(("alice", "bob")))).await;
    assert!(
        failed(&report).contains(&"part-urls-bind-checksum"),
        "{report}"
    );
    assert_eq!(
        outcome(&report, "put-binds-checksum"),
        &Outcome::Pass,
        "{report}"
    );
    assert!(
        report
            .to_string()
            .contains("part URLs do not sign the part's x-amz-checksum-sha256"),
        "{report}"
    );
}

#[tokio::test]
async fn a_signer_that_serves_any_users_keys_fails_that_check() {
    let t = signer_with_tokens().await;
    let broken = start_broken(&t.server.url(), Defect::AnyUsersKeys).await;
    let report = run_conformance(&target(&broken, Some(("alice", "bob")))).await;
    assert_eq!(failed(&report), ["other-users-keys"], "{report}");
}

#[tokio::test]
async fn our_signer_on_garage_passes_every_check() {
    if garage_binary().is_none() {
        eprintln!("skipped: garage is not installed (scripts/setup installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let garage = start_garage(&dir.path().join("garage"));
    let data_dir = dir.path().join("signer").to_string_lossy().into_owned();
    let cli = Cli::try_parse_from([
        "presign-server",
        "--store",
        "s3",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &data_dir,
        "--jwt-secret",
        SECRET,
    ])
    .expect("flags");
    let env = garage.env.clone();
    let config = Config::resolve(cli, |name| env.get(name).cloned()).expect("config");
    let server = Server::start_with_clock(config, Clock::System)
        .await
        .expect("server on Garage");
    let report = run_conformance(&target(&server.url(), Some(("alice", "bob")))).await;
    assert_eq!(failed(&report), Vec::<&str>::new(), "{report}");
    assert_eq!(
        outcome(&report, "other-users-keys"),
        &Outcome::Pass,
        "{report}"
    );
}
