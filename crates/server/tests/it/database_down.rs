//! PostgreSQL stopped under a running signer: calls answer 503 `server`
//! with `Retry-After`, `/healthz` names the database, and once PostgreSQL
//! is back the signer serves again by itself, its open uploads intact. The
//! test runs a cluster of its own (tests/support/postgres), since it stops
//! it; it runs when the suite runs on PostgreSQL. A webhook delivery
//! posted as the database goes is marked delivered once it is back.

use crate::common::multipart::MIB;
use crate::common::postgres::{server_dir_on, Cluster};
use crate::common::replicas::on_postgres;
use crate::common::{error_code, start_in, TestServer};
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use presign_core::Sha256Digest;
use presign_server::{CheckStatus, Clock, HealthResponse};
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

async fn healthz(t: &TestServer) -> (u16, HealthResponse) {
    let resp = t
        .http
        .get(format!("{}/healthz", t.server.url()))
        .send()
        .await
        .expect("healthz reachable");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("HealthResponse"))
}

fn create_body() -> serde_json::Value {
    json!({"filename": "down.bin", "file_type": "ecu", "size": 6 * MIB, "part_size": 5 * MIB})
}

#[tokio::test]
async fn a_stopped_database_is_a_503_and_the_signer_recovers_when_it_is_back() {
    if !on_postgres("database_down") {
        return;
    }
    let (cluster, cluster_url) = Cluster::new_started();
    let (dir, database) = server_dir_on(&cluster_url).await;
    let t = start_in(dir, &[], Clock::System).await;
    let open = t.create_multipart(6 * MIB, 5 * MIB).await;

    Cluster::stop(cluster.dir.path());
    let resp = t.post_json("multipart", &create_body()).await;
    let retry_after = resp.headers().get("retry-after").cloned();
    let (status, code, message) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (503, "server"), "{message}");
    assert!(message.contains("database"), "{message}");
    assert!(!message.contains(&database), "no address in answers");
    let retry_after = retry_after.expect("Retry-After");
    assert!(
        retry_after
            .to_str()
            .expect("text")
            .parse::<u64>()
            .expect("seconds")
            >= 1
    );
    let part = crate::common::random_bytes(5 * MIB, 1);
    let part_urls = json!({"parts": [{
        "number": 1, "size": part.len(), "sha256": Sha256Digest::of(&part).to_base64(),
    }]});
    let resp = t
        .post_json(
            &format!("multipart/{}/part-urls", open.upload_id),
            &part_urls,
        )
        .await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let (status, health) = healthz(&t).await;
    assert_eq!(status, 503);
    assert_eq!(health.checks.database.status, CheckStatus::Failing);
    assert_eq!(health.checks.store.status, CheckStatus::Ok);
    let error = health.error.expect("the failing checks named");
    assert!(error.message.contains("database"), "{}", error.message);

    // Back on the same port: no restart of the signer.
    Cluster::start(cluster.dir.path());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let resp = t.post_json("multipart", &create_body()).await;
        if resp.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never recovered: {}",
            resp.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(healthz(&t).await.0, 200);
    // The upload opened before the outage goes on.
    let resp = t
        .post_json(
            &format!("multipart/{}/part-urls", open.upload_id),
            &part_urls,
        )
        .await;
    assert_eq!(resp.status(), 200);
}

/// A webhook receiver that stops the cluster in `dir` before answering the
/// first delivery 200; it counts the deliveries it gets.
async fn receiver_stopping(dir: PathBuf) -> (String, Arc<AtomicUsize>) {
    let posts = Arc::new(AtomicUsize::new(0));
    let seen = posts.clone();
    let app = Router::new().route(
        "/hook",
        post(move || {
            let (seen, dir) = (seen.clone(), dir.clone());
            async move {
                if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                    tokio::task::spawn_blocking(move || Cluster::stop(&dir))
                        .await
                        .expect("stopped");
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, posts)
}

#[tokio::test]
async fn a_delivery_posted_as_the_database_goes_is_marked_once_it_is_back() {
    if !on_postgres("database_down") {
        return;
    }
    let (cluster, cluster_url) = Cluster::new_started();
    let (dir, database) = server_dir_on(&cluster_url).await;
    let (url, posts) = receiver_stopping(cluster.dir.path().to_owned()).await;
    let t = start_in(dir, &crate::webhook::flags(&url), Clock::System).await;

    let data = crate::common::random_bytes(700, 7);
    let signed = t.upload_url_for("hooked.bin", &data).await;
    assert_eq!(t.put(&signed, data).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);
    // The receiver has its delivery, and the database went away before the
    // sender could mark it delivered.
    let deadline = Instant::now() + Duration::from_secs(30);
    while posts.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no delivery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    Cluster::start(cluster.dir.path());

    // Marked delivered within seconds of the database's return, not when
    // the claim's lease ends, and never posted again.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let db = crate::common::postgres::connect(&database).await;
        let row = db
            .query_one(
                "SELECT count(*) FILTER (WHERE delivered_ms IS NULL), count(*) FROM webhook_outbox",
                &[],
            )
            .await
            .expect("outbox");
        let (pending, all): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!(all, 1);
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the delivery is still unmarked");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(posts.load(Ordering::SeqCst), 1, "posted once");
}
