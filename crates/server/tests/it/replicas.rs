//! Stateless replicas: two or three signers on one PostgreSQL database and
//! one store, as behind a load balancer. Any replica serves any call of an
//! upload; one client token opens one upload whichever replicas receive
//! it; each webhook delivery is posted once; each stale upload is aborted
//! once. (On SQLite these tests say they were skipped: a SQLite file
//! belongs to one process.)

use crate::common::multipart::MIB;
use crate::common::replicas::{on_postgres, replica_of};
use crate::common::{random_bytes, start_in, start_with, TestServer};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use jiff::{SignedDuration, Timestamp};
use presign_core::protocol::multipart::{CompleteMultipartResponse, CreateMultipartResponse};
use presign_core::protocol::records::ListUploadsResponse;
use presign_core::UserId;
use presign_server::{Clock, ManualClock, DEV_USER};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_upload_created_on_one_replica_gets_part_urls_on_another_and_completes_on_a_third() {
    if !on_postgres("replicas") {
        return;
    }
    let a = start_with(&[], Clock::System).await;
    let b = replica_of(&a, &[]).await;
    let c = replica_of(&a, &[]).await;
    let data = random_bytes(6 * MIB, 71);
    let created = a.create_multipart(data.len(), 5 * MIB).await;
    let parts: Vec<(u32, &[u8])> = (1..).zip(data.chunks(5 * MIB)).collect();
    let urls = b.part_urls(&created.upload_id, &parts).await;
    let mut done = Vec::new();
    for (url, (number, part)) in urls.iter().zip(&parts) {
        done.push((*number, b.upload_part(url, part.to_vec()).await, *part));
    }
    let resp = c.complete(&created.upload_id, &done).await;
    assert_eq!(resp.status(), 200);
    let completed: CompleteMultipartResponse = resp.json().await.expect("completed");
    assert_eq!(completed.key, created.key);
    // Every replica lists the record, and none knows the upload as open.
    for replica in [&a, &b, &c] {
        let list: ListUploadsResponse = replica
            .http
            .get(replica.api("uploads"))
            .send()
            .await
            .expect("API reachable")
            .json()
            .await
            .expect("list");
        let keys: Vec<&str> = list.uploads.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, [created.key.as_str()]);
        assert_eq!(replica.session(&created.upload_id).await, None);
    }
    assert_eq!(
        a.download(&created.key).await.bytes().await.expect("body"),
        data
    );
}

#[tokio::test]
async fn one_client_token_sent_to_two_replicas_at_once_opens_one_upload() {
    if !on_postgres("replicas") {
        return;
    }
    let a = start_with(&[], Clock::System).await;
    let b = replica_of(&a, &[]).await;
    let tokens: Vec<String> = (0..6).map(|n| format!("replica-token-{n:04}")).collect();
    for token in &tokens {
        let body = json!({
            "filename": "twice.bin", "file_type": "ecu", "size": 6 * MIB,
            "part_size": 5 * MIB, "client_token": token,
        });
        let (on_a, on_b) = tokio::join!(
            a.post_json("multipart", &body),
            b.post_json("multipart", &body)
        );
        assert_eq!(
            (on_a.status().as_u16(), on_b.status().as_u16()),
            (200, 200),
            "{token}"
        );
        let on_a: CreateMultipartResponse = on_a.json().await.expect("created");
        let on_b: CreateMultipartResponse = on_b.json().await.expect("created");
        assert_eq!(on_a, on_b, "the same upload for {token}");
    }
    let dev = UserId::parse(DEV_USER).expect("user");
    let open = a.server.upload_sessions().open_count(&dev).await;
    assert_eq!(open.expect("db"), tokens.len(), "one upload per token");
}

/// Deliveries seen by id, and how many times each.
type Deliveries = Arc<Mutex<BTreeMap<String, usize>>>;

/// A webhook receiver that takes `delay` to answer each delivery (so two
/// senders' looks at the outbox overlap) and counts them by delivery id.
async fn slow_receiver(delay: Duration) -> (String, Deliveries) {
    let seen: Deliveries = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                move |State(seen): State<Deliveries>, headers: HeaderMap| async move {
                    let id = headers
                        .get("x-presign-delivery")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    *seen.lock().expect("lock").entry(id).or_default() += 1;
                    tokio::time::sleep(delay).await;
                    StatusCode::OK
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

/// Uploads and confirms a small file through `t`.
async fn upload_small(t: &TestServer, seed: u64) {
    let data = random_bytes(500, seed);
    let signed = t.upload_url_for(&format!("hook-{seed}.bin"), &data).await;
    assert_eq!(t.put(&signed, data).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);
}

#[tokio::test]
async fn two_replicas_deliver_each_webhook_once() {
    if !on_postgres("replicas") {
        return;
    }
    let (url, seen) = slow_receiver(Duration::from_millis(150)).await;
    let hook = crate::webhook::flags(&url);
    let a = start_with(&hook, Clock::System).await;
    let b = replica_of(&a, &hook).await;
    const UPLOADS: u64 = 8;
    for seed in 0..UPLOADS {
        // Both replicas record, so both senders wake and look at the outbox.
        let (on_a, on_b) = tokio::join!(upload_small(&a, seed), upload_small(&b, 100 + seed));
        let ((), ()) = (on_a, on_b);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().expect("lock").len() < 2 * UPLOADS as usize {
        assert!(Instant::now() < deadline, "deliveries missing: {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Time for a duplicate to arrive, if a sender were to post one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2 * UPLOADS as usize, "{seen:?}");
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "posted more than once: {twice:?}");
}

#[tokio::test]
async fn two_replicas_collecting_at_once_abort_each_stale_upload_once() {
    if !on_postgres("replicas") {
        return;
    }
    let now = Timestamp::now();
    let clock = ManualClock::new(now - SignedDuration::from_hours(25));
    let no_gc = ["--expires-in", "604800", "--gc-interval", "0"];
    let a = start_in(
        tempfile::tempdir().expect("temp dir"),
        &no_gc,
        Clock::Manual(clock.clone()),
    )
    .await;
    let b = replica_of(&a, &no_gc).await;
    let mut stale = BTreeSet::new();
    for n in 0..4 {
        let created = a.create_multipart(6 * MIB + n, 5 * MIB).await;
        stale.insert(created.upload_id);
    }
    clock.set(now);
    let fresh = b.create_multipart(6 * MIB, 5 * MIB).await;

    let day = Duration::from_secs(24 * 3600);
    let (on_a, on_b) = tokio::join!(
        a.server.collect_stale_uploads(day),
        b.server.collect_stale_uploads(day)
    );
    let (on_a, on_b) = (on_a.expect("gc on a"), on_b.expect("gc on b"));
    let aborted: Vec<String> = on_a
        .aborted
        .iter()
        .chain(&on_b.aborted)
        .map(|x| x.id.to_string())
        .collect();
    let once: BTreeSet<String> = aborted.iter().cloned().collect();
    assert_eq!(aborted.len(), once.len(), "aborted twice: {aborted:?}");
    assert_eq!(once, stale);
    let in_store = on_a.aborted.iter().chain(&on_b.aborted);
    assert!(
        in_store.into_iter().all(|x| x.in_store),
        "each found in the store once"
    );
    assert!(on_a.failed.is_empty() && on_b.failed.is_empty());
    // The fresh upload is untouched, on either replica.
    assert!(a.session(&fresh.upload_id).await.is_some());
    for id in &stale {
        assert_eq!(b.session(id).await, None);
    }
}

/// The advisory lock itself: while one collection runs, another replica's
/// is skipped rather than run beside it.
#[tokio::test]
async fn a_collection_is_skipped_while_another_replica_holds_the_lock() {
    if !on_postgres("replicas") {
        return;
    }
    let no_gc = ["--gc-interval", "0"];
    let a = start_with(&no_gc, Clock::System).await;
    let b = replica_of(&a, &no_gc).await;
    let url = crate::common::postgres::url_of(a.data_dir()).expect("PostgreSQL");
    let holder = crate::common::postgres::connect(&url).await;
    let locked: bool = holder
        .query_one("SELECT pg_try_advisory_lock($1)", &[&GC_LOCK])
        .await
        .expect("lock")
        .get(0);
    assert!(locked);
    let day = Duration::from_secs(24 * 3600);
    let report = b.server.collect_stale_uploads(day).await.expect("gc");
    assert!(report.skipped, "{report:?}");
    holder
        .query_one("SELECT pg_advisory_unlock($1)", &[&GC_LOCK])
        .await
        .expect("unlock");
    let report = b.server.collect_stale_uploads(day).await.expect("gc");
    assert!(!report.skipped, "{report:?}");
}

/// The collector's advisory lock key (presign_server::db::GC_LOCK).
const GC_LOCK: i64 = 0x7072_6573_6967_6e01;
