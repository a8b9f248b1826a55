//! Malformed requests get a JSON 4xx naming the problem; never a 500.

use crate::common::{error_code, start};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use presign_server::Authenticator;
use presign_server::Clock;
use presign_server::Credentials;
use presign_server::Records;
use presign_server::SignerSource;
use presign_server::StoreClient;
use presign_server::UploadPolicy;
use presign_server::UploadSessions;
use presign_server::{AllowedHosts, ApiCors, RequestLimits};
use presign_server::{AppState, WebConfig};
use presign_server::{RateLimit, UserRateLimiter};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt as _;

/// (path, JSON body text, expected status, expected code, words the message must contain)
const JSON_CASES: &[(&str, &str, u16, &str, &[&str])] = &[
    ("get-upload-url", "{", 400, "bad_request", &["JSON"]),
    ("get-upload-url", "", 400, "bad_request", &["JSON"]),
    ("get-upload-url", "[]", 400, "bad_request", &[]),
    (
        "get-upload-url",
        r#"{"filename":"a.bin"}"#,
        400,
        "bad_request",
        &["file_type"],
    ),
    (
        "get-upload-url",
        r#"{"file_type":"ecu"}"#,
        400,
        "bad_request",
        &["filename"],
    ),
    (
        "get-upload-url",
        r#"{"filename":7,"file_type":"ecu"}"#,
        400,
        "bad_request",
        &["filename"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","contentType":"x/y"}"#,
        400,
        "bad_request",
        &["contentType"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"","file_type":"ecu"}"#,
        400,
        "bad_request",
        &["filename"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"  ","file_type":"ecu"}"#,
        400,
        "bad_request",
        &["filename"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ECU"}"#,
        400,
        "bad_request",
        &["file_type"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"../x"}"#,
        400,
        "bad_request",
        &["file_type"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","content_type":"png"}"#,
        400,
        "bad_request",
        &["content_type"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","content_type":"a/b\r\nx-amz-acl: public-read"}"#,
        400,
        "bad_request",
        &["content_type"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","size":-1}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","size":"10"}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","size":1.5}"#,
        400,
        "bad_request",
        &["size"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","size":5368709121}"#,
        413,
        "too_large",
        &["5368709120 bytes"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","sha256":"nope"}"#,
        400,
        "bad_request",
        &["sha256"],
    ),
    (
        "get-upload-url",
        r#"{"filename":"a","file_type":"ecu","sha256":"AAAA"}"#,
        400,
        "bad_request",
        &["sha256"],
    ),
    (
        "file-uploaded",
        r#"{"key":"users/dev/ecu/x/a.bin"}"#,
        400,
        "bad_request",
        &["file_type"],
    ),
    (
        "file-uploaded",
        r#"{"key":"users/dev/ecu/x/a.bin","file_type":"ecu","x":1}"#,
        400,
        "bad_request",
        &["x"],
    ),
    (
        "file-uploaded",
        r#"{"key":"","file_type":"ecu"}"#,
        400,
        "bad_request",
        &["key"],
    ),
    (
        "file-uploaded",
        r#"{"key":"users/dev/../other/a","file_type":"ecu"}"#,
        400,
        "bad_request",
        &["key"],
    ),
    (
        "file-uploaded",
        r#"{"key":"users/dev/ecu/x/a.bin","file_type":"Bad Type"}"#,
        400,
        "bad_request",
        &["file_type"],
    ),
];

#[tokio::test]
async fn malformed_json_requests_get_json_4xx() {
    let t = start().await;
    for &(path, body, status, code, words) in JSON_CASES {
        let resp = t
            .http
            .post(t.api(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("API reachable");
        let (got_status, got_code, message) = error_code(resp).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{path} {body}: {message}"
        );
        for word in words {
            assert!(
                message.contains(word),
                "{path} {body}: {message:?} lacks {word:?}"
            );
        }
    }
}

#[tokio::test]
async fn other_malformed_requests_get_json_4xx() {
    let t = start().await;
    let no_json_type = t
        .http
        .post(t.api("get-upload-url"))
        .body(r#"{"filename":"a","file_type":"ecu"}"#)
        .send()
        .await
        .expect("API reachable");
    assert_eq!(error_code(no_json_type).await.0, 415);

    let huge = format!(
        r#"{{"filename":"{}","file_type":"ecu"}}"#,
        "a".repeat(3 << 20)
    );
    let too_big = t
        .http
        .post(t.api("get-upload-url"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("API reachable");
    assert_eq!(error_code(too_big).await.0, 413);

    let long_name = format!(r#"{{"filename":"{}","file_type":"ecu"}}"#, "a".repeat(5000));
    let resp = t
        .http
        .post(t.api("get-upload-url"))
        .header("content-type", "application/json")
        .body(long_name)
        .send()
        .await
        .expect("API reachable");
    let (status, code, message) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    assert!(message.contains("filename"), "{message}");

    let no_key = t
        .http
        .get(t.api("download-url"))
        .send()
        .await
        .expect("API reachable");
    let (status, _, message) = error_code(no_key).await;
    assert_eq!(status, 400);
    assert!(message.contains("key"), "{message}");

    let get_on_post = t
        .http
        .get(t.api("get-upload-url"))
        .send()
        .await
        .expect("API reachable");
    assert_eq!(error_code(get_on_post).await.0, 405);

    for path in ["nope", "", "get-upload-url/extra"] {
        let resp = t.http.get(t.api(path)).send().await.expect("API reachable");
        let (status, code, _) = error_code(resp).await;
        assert_eq!((status, code.as_str()), (404, "not_found"), "/api/{path}");
    }
}

/// `app()` is testable without a socket: here its store is unreachable (a
/// store that is down), and every request that needs it answers promptly a
/// JSON 503 that says so and nothing about the store's address.
#[tokio::test]
async fn unreachable_store_is_a_json_503_without_details() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let endpoint = format!("http://127.0.0.1:{port}").parse().expect("url");
    let signer = Arc::new(
        SignerSource::fixed(
            endpoint,
            true,
            "us-east-1",
            "uploads",
            &Credentials::new("AK", "SK"),
        )
        .expect("signer"),
    );
    let state = AppState {
        store: StoreClient::new(signer.clone()).expect("client"),
        signer,
        sessions: Arc::new(UploadSessions::in_memory().expect("db")),
        records: Arc::new(Records::in_memory().expect("db")),
        expires_in: Duration::from_secs(900),
        clock: Clock::System,
        web: WebConfig {
            www_dir: "/nonexistent/www".into(),
            pkg_dir: "/nonexistent/pkg".into(),
            cors: ApiCors::SameOrigin,
            hosts: AllowedHosts::Any,
            limits: RequestLimits::default(),
        },
        auth: Arc::new(Authenticator::DevUser),
        policy: Arc::new(UploadPolicy::default()),
        rate_limiter: Arc::new(UserRateLimiter::new(RateLimit::default())),
        max_key_bytes: 1024,
        metrics: Arc::new(presign_server::Metrics::new()),
        store_check: Arc::default(),
    };
    let app = presign_server::app(state);
    for (path, json) in [
        (
            "/api/file-uploaded",
            r#"{"key":"users/dev/ecu/x/a.bin","file_type":"ecu"}"#,
        ),
        (
            "/api/multipart",
            r#"{"filename":"b.bin","file_type":"ecu","size":6291456}"#,
        ),
    ] {
        let req = Request::post(path)
            .header("content-type", "application/json")
            .body(Body::from(json))
            .expect("request");
        let resp = app.clone().oneshot(req).await.expect("infallible");
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .expect("body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["error"]["code"], "server");
        assert_eq!(
            body["error"]["message"],
            "the storage service cannot be reached; try again later"
        );
        let text = body.to_string();
        assert!(
            !text.contains(&port.to_string()) && !text.contains("127.0.0.1"),
            "{text}"
        );
    }

    // Signing alone needs no store.
    let req = Request::post("/api/get-upload-url")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"filename":"a.bin","file_type":"ecu"}"#))
        .expect("request");
    assert_eq!(
        app.oneshot(req).await.expect("infallible").status(),
        StatusCode::OK
    );
}
