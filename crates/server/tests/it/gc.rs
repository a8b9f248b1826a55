//! Stale multipart uploads collected, over real HTTP with the embedded store
//! and an injected clock: an upload started 25 h ago (by the server's clock)
//! is aborted in the store and answers 404; one started now is untouched
//! and completes. Once by the server's periodic collector, once by the
//! `presign-server gc` binary on the same data folder.

use crate::common::multipart::MIB;
use crate::common::{random_bytes, start_in, start_with, TestServer};
use jiff::{SignedDuration, Timestamp};
use presign_core::protocol::multipart::CompleteMultipartResponse;
use presign_core::protocol::single::DownloadUrlResponse;
use presign_core::Sha256Digest;
use presign_server::Clock;
use presign_server::ManualClock;
use presign_server::UploadSession;
use std::process::Command;
use std::time::Duration;

/// Presigned URLs must outlive the 25 h the clock is set back.
const WEEK: &str = "604800";

/// An upload of `size` bytes with its second (last, small) part stored.
struct Open {
    id: String,
    data: Vec<u8>,
    session: UploadSession,
    etag2: String,
}

async fn open_upload(t: &TestServer, size: usize, seed: u64) -> Open {
    let data = random_bytes(size, seed);
    let created = t.create_multipart(size, 5 * MIB).await;
    let tail = &data[5 * MIB..];
    let urls = t.part_urls(&created.upload_id, &[(2, tail)]).await;
    let etag2 = t.upload_part(&urls[0], tail.to_vec()).await;
    let session = t.session(&created.upload_id).await.expect("registered");
    Open {
        id: created.upload_id,
        data,
        session,
        etag2,
    }
}

/// The parts the store holds for `open` (none once aborted: s3s-fs then
/// lists none or refuses; S3 answers NoSuchUpload).
async fn stored_parts(t: &TestServer, open: &Open) -> usize {
    match t
        .server
        .store_client()
        .list_parts(&open.session.key, &open.session.store_upload_id)
        .await
    {
        Ok(parts) => parts.len(),
        Err(e) => {
            assert!(
                matches!(e.s3_code(), Some("NoSuchUpload" | "AccessDenied")),
                "{e}"
            );
            0
        }
    }
}

/// The stale upload is gone everywhere: the store, the API.
async fn assert_gone(t: &TestServer, stale: &Open) {
    assert_eq!(
        stored_parts(t, stale).await,
        0,
        "parts deleted in the store"
    );
    assert!(t.session(&stale.id).await.is_none());
    let (status, code, _) = crate::common::error_code(t.list_parts(&stale.id).await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let tail = &stale.data[5 * MIB..];
    let resp = t
        .complete(&stale.id, &[(2, stale.etag2.clone(), tail)])
        .await;
    assert_eq!(resp.status(), 404);
}

/// The fresh upload was left alone: its part is there, it completes, and
/// the stored bytes are the file's.
async fn assert_completes(t: &TestServer, fresh: &Open) {
    assert_eq!(stored_parts(t, fresh).await, 1, "part kept");
    let head = &fresh.data[..5 * MIB];
    let urls = t.part_urls(&fresh.id, &[(1, head)]).await;
    let etag1 = t.upload_part(&urls[0], head.to_vec()).await;
    let tail = &fresh.data[5 * MIB..];
    let parts = [(1, etag1, head), (2, fresh.etag2.clone(), tail)];
    let resp = t.complete(&fresh.id, &parts).await;
    assert_eq!(resp.status(), 200);
    let done: CompleteMultipartResponse = resp.json().await.expect("completed");
    let link: DownloadUrlResponse = t
        .download_url(&done.key)
        .await
        .json()
        .await
        .expect("download URL");
    let bytes = t
        .http
        .get(&link.url)
        .send()
        .await
        .expect("store reachable")
        .bytes()
        .await
        .expect("body");
    assert_eq!(Sha256Digest::of(&bytes), Sha256Digest::of(&fresh.data));
}

#[tokio::test]
async fn the_periodic_collector_aborts_stale_uploads_only() {
    let now = Timestamp::now();
    let clock = ManualClock::new(now - SignedDuration::from_hours(25));
    let t = start_with(
        &[
            "--expires-in",
            WEEK,
            "--gc-interval",
            "1s",
            "--gc-older-than",
            "24h",
        ],
        Clock::Manual(clock.clone()),
    )
    .await;
    let stale = open_upload(&t, 5 * MIB + 1, 1).await;
    assert_eq!(stored_parts(&t, &stale).await, 1);
    clock.set(now);
    let fresh = open_upload(&t, 5 * MIB + 100, 2).await;

    let mut runs = t.server.gc_runs().expect("the collector runs");
    let stale_id = stale.id.clone();
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        runs.wait_for(|run| {
            run.as_ref()
                .is_some_and(|r| r.aborted.iter().any(|a| a.id.as_str() == stale_id))
        }),
    )
    .await
    .expect("a collection within a minute")
    .expect("collector alive")
    .clone()
    .expect("a report");
    assert_eq!(report.aborted.len(), 1, "{report:?}");
    assert!(report.aborted[0].in_store);
    assert_eq!(report.aborted[0].started, stale.session.created_at);
    assert!(report.failed.is_empty());

    assert_gone(&t, &stale).await;
    assert_completes(&t, &fresh).await;
    let metrics = t.scrape().await;
    assert_eq!(metrics.value("presign_gc_aborted_uploads_total", &[]), 1.0);
}

#[tokio::test]
async fn presign_server_gc_aborts_stale_uploads_only() {
    let now = Timestamp::now();
    let clock = ManualClock::new(now - SignedDuration::from_hours(25));
    let dir = tempfile::tempdir().expect("temp dir");
    let t = start_in(
        dir,
        &["--expires-in", WEEK, "--gc-interval", "0"],
        Clock::Manual(clock.clone()),
    )
    .await;
    assert!(
        t.server.gc_runs().is_none(),
        "--gc-interval 0: no collector"
    );
    let stale = open_upload(&t, 5 * MIB + 1, 3).await;
    clock.set(now);
    let fresh = open_upload(&t, 5 * MIB + 100, 4).await;

    // The binary, on the running server's data folder and store files.
    let out = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["gc", "--older-than", "24h", "--dev", "--data-dir"])
        .arg(t.data_dir().join("data"))
        .args(crate::common::postgres::flags(t.data_dir()))
        .output()
        .expect("binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(&format!(
            "aborted {} (user dev, key {}",
            stale.id,
            stale.session.key.as_str()
        )),
        "{stdout}"
    );
    assert_eq!(
        lines[1],
        "gc: 1 stale multipart upload(s) aborted, 0 kept (started more than 24h ago)"
    );
    assert!(!stdout.contains(&fresh.id));

    assert_gone(&t, &stale).await;
    assert_completes(&t, &fresh).await;
}
