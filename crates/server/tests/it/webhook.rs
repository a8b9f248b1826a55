//! The completion webhook over real HTTP: an in-test receiver that fails,
//! then accepts; a receiver that is down; deliveries that survive a restart.
//! The record never waits for, nor depends on, the webhook.

use crate::common::{random_bytes, start_in, start_with, TestServer};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use presign_core::protocol::records::{ListUploadsResponse, UploadRecord};
use presign_core::Sha256Digest;
use presign_server::Clock;
use serde_json::json;
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

const SECRET: &str = "whsec_test_3f9a";

/// What the receiver got: (headers, body, status it answered).
pub(crate) type Seen = Arc<Mutex<Vec<(HeaderMap, Bytes, u16)>>>;

/// A receiver on 127.0.0.1 that answers 500 to the first `failures`
/// deliveries, then 200.
pub(crate) async fn receiver(failures: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                move |State(seen): State<Seen>, headers: HeaderMap, body: Bytes| async move {
                    let mut seen = seen.lock().expect("lock");
                    let status = if seen.len() < failures { 500 } else { 200 };
                    seen.push((headers, body, status));
                    StatusCode::from_u16(status).expect("status")
                },
            ),
        )
        .with_state(seen.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// A URL where nothing listens.
fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/hook")
}

pub(crate) fn flags(url: &str) -> Vec<&str> {
    vec![
        "--webhook-url",
        url,
        "--webhook-secret",
        SECRET,
        "--webhook-retry-ms",
        "50",
    ]
}

/// Uploads and confirms a small file; returns the listed record.
async fn upload_one(t: &TestServer, seed: u64) -> UploadRecord {
    let data = random_bytes(1_000, seed);
    let signed = t.upload_url_for("hooked.bin", &data).await;
    assert_eq!(t.put(&signed, data.clone()).await.status(), 200);
    let started = Instant::now();
    let body = json!({
        "key": signed.key,
        "file_type": "ecu",
        "sha256": Sha256Digest::of(&data).to_base64(),
    });
    assert_eq!(t.post_json("file-uploaded", &body).await.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the webhook never delays the answer"
    );
    let list: ListUploadsResponse = t
        .http
        .get(t.api("uploads"))
        .send()
        .await
        .expect("API")
        .json()
        .await
        .expect("list");
    list.uploads
        .into_iter()
        .find(|r| r.key == signed.key)
        .expect("recorded whatever the webhook does")
}

/// Waits until `seen` holds a 200, or panics after 10 s.
pub(crate) async fn wait_for_success(seen: &Seen) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.lock().expect("lock").iter().any(|(_, _, s)| *s == 200) {
        assert!(Instant::now() < deadline, "no successful delivery");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Checks `X-Presign-Signature` independently of the server's code.
fn signature_is_valid(headers: &HeaderMap, body: &[u8]) -> bool {
    let header = headers["x-presign-signature"].to_str().expect("ascii");
    let (t, v1) = header.split_once(',').expect("t=..,v1=..");
    let t = t.strip_prefix("t=").expect("t=");
    let v1 = v1.strip_prefix("v1=").expect("v1=");
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let age = jiff::Timestamp::now().as_second() - t.parse::<i64>().expect("unix seconds");
    hex::encode(mac.finalize().into_bytes()) == v1 && (0..60).contains(&age)
}

#[tokio::test]
async fn failed_deliveries_are_retried_until_one_succeeds() {
    let (url, seen) = receiver(2).await;
    let t = start_with(&flags(&url), Clock::System).await;
    let record = upload_one(&t, 1).await;
    wait_for_success(&seen).await;
    // Give a wrong extra delivery the time to show up.
    tokio::time::sleep(Duration::from_millis(400)).await;

    let seen = seen.lock().expect("lock").clone();
    let statuses: Vec<u16> = seen.iter().map(|(_, _, s)| *s).collect();
    assert_eq!(statuses, [500, 500, 200], "retried, then delivered once");
    let delivery = &seen[0].0["x-presign-delivery"];
    for (headers, body, _) in &seen {
        assert_eq!(&headers["x-presign-delivery"], delivery, "one delivery id");
        assert_eq!(headers["content-type"], "application/json");
        assert!(signature_is_valid(headers, body), "HMAC of {headers:?}");
        let posted: UploadRecord = serde_json::from_slice(body).expect("the record");
        assert_eq!(posted, record);
    }
    let (headers, body, _) = &seen[2];
    let mut forged = body.to_vec();
    forged[0] = b' ';
    assert!(!signature_is_valid(headers, &forged), "the body is covered");
}

#[tokio::test]
async fn a_dead_webhook_loses_nothing_and_delivers_after_a_restart() {
    let dead = closed_url();
    let t = start_with(&flags(&dead), Clock::System).await;
    let record = upload_one(&t, 2).await;

    // Attempts fail and are counted in the outbox; the record is listed.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (attempts, delivered) = outbox_row(t.data_dir()).await;
        assert_eq!(delivered, None);
        if attempts >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no attempts made");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Restarted with a live receiver: the pending delivery goes out.
    let TestServer { server, dir, .. } = t;
    server.shutdown().await.expect("shutdown");
    let (url, seen) = receiver(0).await;
    let t = start_in(dir, &flags(&url), Clock::System).await;
    wait_for_success(&seen).await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    let (headers, body, _) = &seen[0];
    assert!(signature_is_valid(headers, body));
    let posted: UploadRecord = serde_json::from_slice(body).expect("the record");
    assert_eq!(posted, record);
    drop(t);
}

/// The attempts and delivery time of the one outbox row of the server in
/// `dir`, from its SQLite file or its PostgreSQL database.
async fn outbox_row(dir: &std::path::Path) -> (i64, Option<i64>) {
    const SQL: &str = "SELECT attempts, delivered_ms FROM webhook_outbox";
    if let Some(url) = crate::common::postgres::url_of(dir) {
        let row = crate::common::postgres::connect(&url)
            .await
            .query_one(SQL, &[])
            .await
            .expect("one outbox row");
        return (i64::from(row.get::<_, i32>(0)), row.get(1));
    }
    let db = rusqlite::Connection::open(dir.join("data/presign.sqlite3")).expect("db");
    db.query_row(SQL, [], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("one outbox row")
}
