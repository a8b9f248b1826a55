//! The proxy over real sockets: an upstream that records what reached it, the
//! proxy in front, and a client.

use bytes::Bytes;
use fault_proxy::proxy::{self, State};
use http_body_util::{BodyExt as _, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// What the upstream received: (method, path and query, host, body).
type Seen = Arc<Mutex<Vec<(String, String, String, Vec<u8>)>>>;

async fn upstream() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let log = Arc::clone(&log);
                    async move {
                        let method = req.method().to_string();
                        let path = req
                            .uri()
                            .path_and_query()
                            .map(|p| p.to_string())
                            .unwrap_or_default();
                        let host = req
                            .headers()
                            .get("host")
                            .and_then(|h| h.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let body = req.into_body().collect().await?.to_bytes().to_vec();
                        log.lock().expect("log").push((method, path, host, body));
                        let mut response = Response::new(Full::new(Bytes::from_static(b"stored")));
                        response
                            .headers_mut()
                            .insert("etag", "\"abc\"".parse().expect("etag"));
                        Ok::<_, hyper::Error>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, seen)
}

async fn proxy_to(target: &str, stall_for: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let state = Arc::new(State::new(
        Some(proxy::parse_target(target).expect("target")),
        stall_for,
    ));
    tokio::spawn(proxy::serve(listener, state));
    url
}

/// What a request got: an answer, or no answer in 2 s, or a broken connection.
#[derive(Debug)]
enum Outcome {
    Answer {
        status: u16,
        etag: Option<String>,
        retry_after: Option<String>,
        body: String,
    },
    Timeout,
    Broken,
}

impl Outcome {
    fn status(&self) -> u16 {
        match self {
            Outcome::Answer { status, .. } => *status,
            other => panic!("no answer: {other:?}"),
        }
    }

    fn body(&self) -> &str {
        match self {
            Outcome::Answer { body, .. } => body,
            other => panic!("no answer: {other:?}"),
        }
    }
}

/// One request on a fresh connection (hyper's client: the proxy's own stack,
/// no TLS, nothing the workspace's feature unification can change).
async fn send(method: &str, url: impl AsRef<str>, body: impl Into<Bytes>) -> Outcome {
    let url = url.as_ref();
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    let request = Request::builder()
        .method(method)
        .uri(url)
        .body(Full::new(body.into()))
        .expect("request");
    let answer = async {
        let response = client
            .request(request)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (etag, retry_after) = (header("etag"), header("retry-after"));
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{e:?}"))?
            .to_bytes();
        Ok::<_, String>(Outcome::Answer {
            status,
            etag,
            retry_after,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    };
    match tokio::time::timeout(Duration::from_secs(2), answer).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => Outcome::Broken,
        Err(_) => Outcome::Timeout,
    }
}

async fn control(proxy: &str, path: &str, body: &str) -> u16 {
    send("POST", &format!("{proxy}{path}"), body.to_owned())
        .await
        .status()
}

async fn stats(proxy: &str) -> serde_json::Value {
    let answer = send("GET", &format!("{proxy}/__stats"), Bytes::new()).await;
    serde_json::from_str(answer.body()).expect("json")
}

#[tokio::test]
async fn forwards_requests_unchanged() {
    let (store, seen) = upstream().await;
    let proxy = proxy_to(&store, Duration::from_secs(5)).await;
    let body = vec![7u8; 300_000];
    let url = format!("{proxy}/bucket/key?partNumber=1&X-Amz-Signature=ab");
    let Outcome::Answer {
        status,
        etag,
        body: text,
        ..
    } = send("PUT", &url, body.clone()).await
    else {
        panic!("no answer");
    };
    assert_eq!(status, 200);
    assert_eq!(etag.as_deref(), Some("\"abc\""));
    assert_eq!(text, "stored");
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 1);
    let (method, path, host, got) = &seen[0];
    assert_eq!(method, "PUT");
    assert_eq!(path, "/bucket/key?partNumber=1&X-Amz-Signature=ab");
    // The client's Host reaches the store: the signature covers it.
    assert_eq!(host, proxy.trim_start_matches("http://"));
    assert_eq!(got, &body);
}

#[tokio::test]
async fn rules_answer_errors_corrupt_reset_and_stall() {
    let (store, seen) = upstream().await;
    let proxy = proxy_to(&store, Duration::from_secs(30)).await;
    let rules = r#"[{"match": "n=1", "status": 503, "times": 2, "retryAfter": "2"},
        {"match": "n=2", "status": 403, "code": "AccessDenied", "message": "Request has expired"},
        {"match": "n=3", "corrupt": true},
        {"match": "n=4", "reset": true},
        {"match": "n=5", "stall": true},
        {"match": "n=6", "loseAnswer": true}]"#;
    assert_eq!(control(&proxy, "/__faults", rules).await, 200);
    let put = |n: u32| send("PUT", format!("{proxy}/k?n={n}"), vec![1u8, 2, 3, 4]);
    for _ in 0..2 {
        let refused = put(1).await;
        assert_eq!(refused.status(), 503);
        assert!(
            matches!(&refused, Outcome::Answer { retry_after: Some(v), .. } if v == "2"),
            "{refused:?}"
        );
        assert!(
            refused.body().contains("<Code>SlowDown</Code>"),
            "{refused:?}"
        );
    }
    assert_eq!(put(1).await.status(), 200);
    let expired = put(2).await;
    assert_eq!(expired.status(), 403);
    assert!(expired.body().contains("Request has expired"));
    assert_eq!(put(3).await.status(), 200);
    let reset = put(4).await;
    assert!(
        matches!(reset, Outcome::Broken),
        "the connection is reset: {reset:?}"
    );
    let stalled = put(5).await;
    assert!(
        matches!(stalled, Outcome::Timeout),
        "no answer: {stalled:?}"
    );
    let lost = put(6).await;
    assert!(
        matches!(lost, Outcome::Broken),
        "the answer is lost: {lost:?}"
    );

    // Only the third n=1, the corrupted n=3 and the n=6 whose answer was
    // lost reached the store.
    let seen = seen.lock().expect("seen").clone();
    let bodies: Vec<(&str, &[u8])> = seen.iter().map(|s| (s.1.as_str(), &s.3[..])).collect();
    assert_eq!(
        bodies,
        [
            ("/k?n=1", &[1u8, 2, 3, 4][..]),
            ("/k?n=3", &[!1u8, 2, 3, 4][..]),
            ("/k?n=6", &[1u8, 2, 3, 4][..])
        ]
    );
    let stats = stats(&proxy).await;
    assert_eq!(stats["requests"], 8);
    assert_eq!(stats["faulted"], 7);
    assert_eq!(stats["byKind"]["lose-answer"], 1);
    assert_eq!(stats["byKind"]["503"], 2);
    assert_eq!(stats["byKind"]["403-expired"], 1);
    assert_eq!(stats["byKind"]["reset"], 1);
    assert_eq!(stats["byKind"]["stall"], 1);
    assert_eq!(stats["byKind"]["corrupt"], 1);
}

/// Sends 60 requests, each retried until it gets a 200; the faults seen per
/// request, in order.
async fn chaos_run(proxy: &str) -> Vec<Vec<String>> {
    let spec = r#"{"seed": 11, "rate": 0.4, "kinds": ["500", "503", "429", "expired", "reset"]}"#;
    assert_eq!(control(proxy, "/__chaos", spec).await, 200);
    let mut outcomes = Vec::new();
    for n in 0..60 {
        let mut seen = Vec::new();
        loop {
            match send("PUT", &format!("{proxy}/k?n={n}"), "x").await {
                Outcome::Answer { status: 200, .. } => break,
                Outcome::Answer { status, .. } => seen.push(status.to_string()),
                _ => seen.push("reset".to_owned()),
            }
            assert!(
                seen.len() <= 2,
                "more than maxConsecutive faults in a row: {seen:?}"
            );
        }
        outcomes.push(seen);
    }
    outcomes
}

#[tokio::test]
async fn chaos_is_reproducible_and_always_lets_retries_through() {
    let (store, seen) = upstream().await;
    let first = proxy_to(&store, Duration::from_secs(5)).await;
    let second = proxy_to(&store, Duration::from_secs(5)).await;
    let a = chaos_run(&first).await;
    let b = chaos_run(&second).await;
    assert_eq!(a, b, "the same seed gives the same faults");
    let faults: usize = a.iter().map(Vec::len).sum();
    assert!(faults >= 10, "{faults} faults at rate 0.4 over 60 requests");
    let stats = stats(&first).await;
    assert_eq!(stats["faulted"], faults);
    assert_eq!(stats["requests"], 60 + faults);
    // Every request reached the store exactly once, from each proxy.
    assert_eq!(seen.lock().expect("seen").len(), 120);
    // Reset clears the chaos run.
    assert_eq!(control(&first, "/__faults/reset", "{}").await, 200);
    for n in 0..20 {
        let r = send("PUT", &format!("{first}/k?n={n}"), "x").await;
        assert_eq!(r.status(), 200, "no faults after reset");
    }
}

#[tokio::test]
async fn bad_control_requests_are_refused() {
    let (store, _) = upstream().await;
    let proxy = proxy_to(&store, Duration::from_secs(5)).await;
    assert_eq!(control(&proxy, "/__faults", "{\"match\": 1}").await, 400);
    assert_eq!(
        control(&proxy, "/__chaos", "{\"seed\": 1, \"rate\": 2}").await,
        400
    );
    assert_eq!(
        control(&proxy, "/__target", "{\"url\": \"ftp://x\"}").await,
        400
    );
    assert_eq!(control(&proxy, "/__nope", "{}").await, 404);
}
