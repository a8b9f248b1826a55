//! Development mode stays on this machine: it answers only requests whose
//! `Host` is a loopback name or one of `--allow-host` (a DNS-rebinding page
//! carries its own domain), with a JSON 403 naming the problem; production
//! checks `Host` only when given `--allow-host`. `--allow-origin` adds to
//! the loopback pages dev mode's CORS allows, on the API and on the
//! embedded store.

use crate::common::raw::{raw_request, RawAnswer};
use crate::common::{start, start_with};
use clap::Parser as _;
use presign_server::{Cli, Clock, Config, Server};
use std::collections::HashMap;
use std::net::SocketAddr;

/// `GET {path}` with this `Host`.
async fn get_with_host(addr: SocketAddr, path: &str, host: &str) -> RawAnswer {
    raw_request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n"),
        b"",
    )
    .await
}

fn assert_refused(answer: &RawAnswer, host: &str) {
    assert_eq!(answer.status, 403, "{host}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let body = answer.json();
    assert_eq!(body["error"]["code"], "forbidden", "{host}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("host") && message.contains("--allow-host"),
        "{host}: {message}"
    );
}

#[tokio::test]
async fn a_host_that_is_not_loopback_is_refused_with_a_json_403() {
    let t = start().await;
    let addr = t.server.addr();
    let port = addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "LocalHost".to_owned(),
    ] {
        let answer = get_with_host(addr, "/api/uploads", &host).await;
        assert_eq!(answer.status, 200, "{host}");
    }
    for host in [format!("evil.example:{port}"), "evil.example".to_owned()] {
        let answer = get_with_host(addr, "/api/uploads", &host).await;
        assert_refused(&answer, &host);
        assert!(answer.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("evil.example")));
    }
}

#[tokio::test]
async fn allow_host_lets_the_names_given_through() {
    let t = start_with(
        &["--allow-host", "uploads.example.test,10.1.2.3:8080"],
        Clock::System,
    )
    .await;
    let addr = t.server.addr();
    for host in [
        "uploads.example.test",
        "uploads.example.test:8443",
        "10.1.2.3:8080",
        "localhost",
    ] {
        let answer = get_with_host(addr, "/api/uploads", host).await;
        assert_eq!(answer.status, 200, "{host}");
    }
    for host in ["evil.example", "10.1.2.3:8081", "a.uploads.example.test"] {
        assert_refused(&get_with_host(addr, "/api/uploads", host).await, host);
    }
}

/// A production signer (JWTs, a store that need not be there) with `extra`.
async fn production(extra: &[&str]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let env: HashMap<&str, &str> = HashMap::from([
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "PRODKEY"),
        ("AWS_SECRET_ACCESS_KEY", "prod-secret"),
        ("PRESIGN_BUCKET", "prod"),
        (
            "PRESIGN_JWT_SECRET",
            "dev-mode-test-secret-0123456789abcdef",
        ),
    ]);
    let data = dir.path().join("data");
    let mut args = vec![
        "presign-server",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).expect("flags");
    let config =
        Config::resolve(cli, |name| env.get(name).map(|v| (*v).to_owned())).expect("config");
    let server = Server::start_with_clock(config, Clock::System)
        .await
        .expect("server starts");
    (server, dir)
}

#[tokio::test]
async fn production_checks_host_only_when_given_names() {
    // Behind a reverse proxy the Host is the site's: no check by default.
    let (server, _dir) = production(&[]).await;
    let answer = get_with_host(server.addr(), "/api/nope", "uploads.example.com").await;
    assert_eq!(answer.status, 404, "not refused, just no such endpoint");
    let (server, _dir) = production(&["--allow-host", "uploads.example.com"]).await;
    let answer = get_with_host(server.addr(), "/api/nope", "uploads.example.com").await;
    assert_eq!(answer.status, 404);
    let answer = get_with_host(server.addr(), "/api/nope", "evil.example").await;
    assert_refused(&answer, "evil.example");
}

#[tokio::test]
async fn allow_origin_adds_to_the_loopback_pages_in_dev() {
    const APP: &str = "https://app.example.com";
    let t = start_with(&["--allow-origin", APP], Clock::System).await;
    let allowed = |resp: &reqwest::Response| {
        resp.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let signed = t
        .upload_url_for("a.bin", &crate::common::random_bytes(10, 1))
        .await;
    for origin in [APP, "http://localhost:3000"] {
        let api = t
            .http
            .get(t.api("uploads"))
            .header("Origin", origin)
            .send()
            .await
            .expect("API reachable");
        assert_eq!(allowed(&api), origin);
        let store = t
            .http
            .request(reqwest::Method::OPTIONS, &signed.upload_url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "PUT")
            .send()
            .await
            .expect("store reachable");
        assert_eq!(allowed(&store), origin);
    }
    let other = t
        .http
        .get(t.api("uploads"))
        .header("Origin", "https://other.example.com")
        .send()
        .await
        .expect("API reachable");
    assert_eq!(allowed(&other), "");
}
