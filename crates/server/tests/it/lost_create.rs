//! A multipart create whose upload the store opened but the signer never
//! registered: the fault proxy forwards CreateMultipartUpload and resets
//! the connection in place of the store's answer (`loseAnswer`), as when
//! the replica that sent it is killed before it registers the upload. On
//! the embedded store and on Garage (skipped, saying so, when `garage` is
//! not installed); on SQLite, and on PostgreSQL with
//! `PRESIGN_TEST_DATABASE_URL`.
//!
//! The same request sent again with its client token takes over the upload
//! left open (one upload in the store, completed, none left open); without
//! a retry, the collector aborts it once its create is older than its age,
//! and leaves alone what a session holds or a create under way may still
//! register.

use crate::common::garage::{garage_binary, start_garage, Garage};
use crate::common::multipart::MIB;
use crate::common::{create_bucket, own_store, random_bytes, TestServer};
use clap::Parser as _;
use fault_proxy::proxy::{self, State};
use jiff::{SignedDuration, Timestamp};
use presign_core::protocol::multipart::CreateMultipartResponse;
use presign_server::{
    Cli, Clock, Config, Credentials, EmbeddedStore, ManualClock, Server, StoreUpload,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const TOKEN: &str = "5c0ffee5c0ffee5c0ffee5c0ffee5c0f";

/// Presigned URLs must outlive the clock set back by 25 h.
const WEEK: &str = "604800";

#[derive(Debug, Clone, Copy)]
enum Target {
    Embedded,
    Garage,
}

/// A `--dev --store s3` signer whose store requests go through the fault
/// proxy, on a clock of the test's.
struct Lossy {
    t: TestServer,
    proxy: Arc<State>,
    clock: ManualClock,
    _proxy_task: tokio::task::JoinHandle<()>,
    _store: Option<EmbeddedStore>,
    _garage: Option<Garage>,
}

/// `None` (said why) when the target cannot run here.
async fn start(target: Target) -> Option<Lossy> {
    presign_server::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut env, store, garage) = match target {
        Target::Embedded => {
            let creds = Credentials::new("LOSTCREATETESTKEY", "lost-create-test-store-secret");
            let (store, url) = own_store(&dir.path().join("store"), &creds).await;
            create_bucket(&url, &creds, "lost").await;
            let env = HashMap::from([
                ("AWS_ENDPOINT_URL".to_owned(), url),
                ("AWS_REGION".to_owned(), "us-east-1".to_owned()),
                ("AWS_ACCESS_KEY_ID".to_owned(), creds.access_key_id.clone()),
                (
                    "AWS_SECRET_ACCESS_KEY".to_owned(),
                    creds.secret_access_key.expose().to_owned(),
                ),
                ("PRESIGN_BUCKET".to_owned(), "lost".to_owned()),
            ]);
            (env, Some(store), None)
        }
        Target::Garage => {
            if garage_binary().is_none() {
                eprintln!("skipped on Garage: garage is not installed (scripts/setup installs it)");
                return None;
            }
            let garage = start_garage(&dir.path().join("garage"));
            (garage.env.clone(), None, Some(garage))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let proxy_url = format!("http://{}", listener.local_addr().expect("addr"));
    let store_url = env
        .insert("AWS_ENDPOINT_URL".to_owned(), proxy_url)
        .expect("store URL");
    let proxy = Arc::new(State::new(
        Some(proxy::parse_target(&store_url).expect("target")),
        Duration::from_secs(120),
    ));
    let serving = Arc::clone(&proxy);
    let proxy_task = tokio::spawn(async move {
        let _ = proxy::serve(listener, serving).await;
    });
    let data = dir.path().join("data").to_string_lossy().into_owned();
    let mut args = vec![
        "presign-server".to_owned(),
        "--dev".to_owned(),
        "--store".to_owned(),
        "s3".to_owned(),
        "--listen".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--data-dir".to_owned(),
        data,
        "--gc-interval".to_owned(),
        "0".to_owned(),
        "--expires-in".to_owned(),
        WEEK.to_owned(),
    ];
    if let Some(url) = crate::common::postgres::database_for(dir.path()).await {
        args.extend(["--database-url".to_owned(), url]);
    }
    let cli = Cli::try_parse_from(args).expect("flags");
    let config = Config::resolve(cli, |name| env.get(name).cloned()).expect("config");
    let clock = ManualClock::new(Timestamp::now());
    let server = Server::start_with_clock(config, Clock::Manual(clock.clone()))
        .await
        .expect("server starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    Some(Lossy {
        t: TestServer { server, http, dir },
        proxy,
        clock,
        _proxy_task: proxy_task,
        _store: store,
        _garage: garage,
    })
}

impl Lossy {
    /// The store's answer to the next CreateMultipartUpload is lost.
    fn lose_next_create(&self) {
        let rules = fault_proxy::rules::parse(
            br#"{"match": "uploads=", "method": "POST", "loseAnswer": true}"#,
        )
        .expect("rule");
        for rule in rules {
            self.proxy.rules().add(rule);
        }
    }

    /// A create whose answer the store never gave the signer: a 503.
    async fn lost_create(&self, body: &Value) {
        self.lose_next_create();
        let resp = self.t.post_json("multipart", body).await;
        assert_eq!(resp.status(), 503, "create {body} with its answer lost");
    }

    /// Every multipart upload open in the store.
    async fn open_uploads(&self) -> Vec<StoreUpload> {
        self.t
            .server
            .store_client()
            .list_multipart_uploads("")
            .await
            .expect("ListMultipartUploads")
    }

    /// The store's UploadIds of the open uploads, sorted.
    async fn open_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .open_uploads()
            .await
            .into_iter()
            .map(|u| u.upload_id)
            .collect();
        ids.sort();
        ids
    }
}

fn create_body(filename: &str, token: Option<&str>) -> Value {
    let mut body = json!({
        "filename": filename,
        "file_type": "ecu",
        "size": 6 * MIB,
        "part_size": 5 * MIB,
    });
    if let Some(token) = token {
        body["client_token"] = token.into();
    }
    body
}

/// Uploads `data` as the upload `created` and completes it.
async fn upload_and_complete(t: &TestServer, created: &CreateMultipartResponse, data: &[u8]) {
    let parts: Vec<(u32, &[u8])> = (1..).zip(data.chunks(5 * MIB)).collect();
    let urls = t.part_urls(&created.upload_id, &parts).await;
    let mut done = Vec::new();
    for (url, (number, bytes)) in urls.iter().zip(&parts) {
        done.push((*number, t.upload_part(url, bytes.to_vec()).await, *bytes));
    }
    let resp = t.complete(&created.upload_id, &done).await;
    assert_eq!(resp.status(), 200, "complete");
    let stored = t
        .download(&created.key)
        .await
        .bytes()
        .await
        .expect("object");
    assert_eq!(stored.as_ref(), data);
}

async fn a_retry_takes_over_the_upload_left_open(target: Target) {
    let Some(l) = start(target).await else {
        return;
    };
    let t = &l.t;
    let body = create_body("big file.bin", Some(TOKEN));
    l.lost_create(&body).await;
    let left = l.open_uploads().await;
    assert_eq!(left.len(), 1, "the store opened the upload: {left:?}");

    let again = t.create_multipart_with(&body).await;
    assert_eq!(again.key, left[0].key, "the earlier attempt's key");
    let session = t.session(&again.upload_id).await.expect("registered");
    assert_eq!(session.store_upload_id, left[0].upload_id, "taken over");
    assert_eq!(l.open_uploads().await, left, "nothing more opened");
    // Sent once more: the registered upload.
    assert_eq!(t.create_multipart_with(&body).await, again);

    upload_and_complete(t, &again, &random_bytes(6 * MIB, 31)).await;
    assert_eq!(l.open_uploads().await, [], "no multipart upload left open");

    // The lost attempt's intent, its token released, waits for the
    // collector, which finds nothing left to abort and forgets it.
    let intents = t.server.upload_sessions().create_intents();
    let kept = intents.all().await.expect("intents");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].idempotency, None);
    l.clock
        .set(Timestamp::now() + SignedDuration::from_hours(2));
    let report = t
        .server
        .collect_stale_uploads(Duration::from_secs(3600))
        .await
        .expect("collected");
    assert_eq!(report.orphans, [], "{report:?}");
    assert_eq!(intents.all().await.expect("intents"), []);
    // The token named an upload that is done: it opens a new one.
    let later = t.create_multipart_with(&body).await;
    assert_ne!(later.key, again.key);
}

#[tokio::test]
async fn a_retry_takes_over_the_upload_a_lost_create_left_open() {
    a_retry_takes_over_the_upload_left_open(Target::Embedded).await;
}

#[tokio::test]
async fn a_retry_takes_over_the_upload_a_lost_create_left_open_on_garage() {
    a_retry_takes_over_the_upload_left_open(Target::Garage).await;
}

async fn the_collector_aborts_what_no_retry_came_for(target: Target) {
    let Some(l) = start(target).await else {
        return;
    };
    let t = &l.t;
    let now = Timestamp::now();
    l.clock.set(now - SignedDuration::from_hours(25));
    // 25 h ago: a create without a token (nothing can retry it), and one
    // with a token, each losing the store's answer.
    l.lost_create(&create_body("orphan.bin", None)).await;
    let orphan = l.open_ids().await;
    let taken_body = create_body("taken over.bin", Some(TOKEN));
    l.lost_create(&taken_body).await;
    l.clock.set(now);
    // Now: the second retried and taken over, a third lost (a create too
    // young to call abandoned), a fourth registered.
    let taken = t.create_multipart_with(&taken_body).await;
    l.lost_create(&create_body("recent.bin", None)).await;
    let fresh = t
        .create_multipart_with(&create_body("fresh.bin", None))
        .await;
    assert_eq!(l.open_ids().await.len(), 4);

    let report = t
        .server
        .collect_stale_uploads(Duration::from_secs(24 * 3600))
        .await
        .expect("collected");
    assert_eq!(
        report
            .orphans
            .iter()
            .map(|o| o.store_upload_id.clone())
            .collect::<Vec<_>>(),
        orphan,
        "{report:?}"
    );
    assert!(report.orphans[0].key.as_str().ends_with("orphan.bin"));
    assert_eq!(report.aborted, []);
    assert_eq!(report.intents_kept, []);
    let open = l.open_uploads().await;
    assert_eq!(open.len(), 3, "{open:?}");
    assert!(!open.iter().any(|u| u.upload_id == orphan[0]));
    // The young create's intent stays; the stale ones are gone.
    let intents = t.server.upload_sessions().create_intents();
    let kept = intents.all().await.expect("intents");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].key.as_str().ends_with("recent.bin"));
    // What sessions hold goes on.
    upload_and_complete(t, &taken, &random_bytes(6 * MIB, 32)).await;
    upload_and_complete(t, &fresh, &random_bytes(6 * MIB, 33)).await;
    assert_eq!(l.open_uploads().await.len(), 1, "the young create's");
}

#[tokio::test]
async fn the_collector_aborts_what_a_lost_create_left_open() {
    the_collector_aborts_what_no_retry_came_for(Target::Embedded).await;
}

#[tokio::test]
async fn the_collector_aborts_what_a_lost_create_left_open_on_garage() {
    the_collector_aborts_what_no_retry_came_for(Target::Garage).await;
}

#[tokio::test]
async fn concurrent_retries_after_a_lost_create_open_nothing_more() {
    let Some(l) = start(Target::Embedded).await else {
        return;
    };
    let t = &l.t;
    let body = create_body("big file.bin", Some(TOKEN));
    l.lost_create(&body).await;
    let left = l.open_ids().await;
    assert_eq!(left.len(), 1);
    let answers = futures::future::join_all((0..6).map(|_| t.post_json("multipart", &body))).await;
    let mut ids = Vec::new();
    for resp in answers {
        assert_eq!(resp.status(), 200);
        let created: CreateMultipartResponse = resp.json().await.expect("answer");
        ids.push(created.upload_id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let session = t.session(&ids[0]).await.expect("registered");
    assert_eq!([session.store_upload_id], left.as_slice());
    assert_eq!(l.open_ids().await, left, "the one upload, still open");
}

/// ListMultipartUploads at an exact key: the uploads at that key, not
/// those of a key it is a prefix of.
#[tokio::test]
async fn uploads_at_a_key_are_listed_exactly() {
    for target in [Target::Embedded, Target::Garage] {
        let Some(l) = start(target).await else {
            continue;
        };
        let t = &l.t;
        let a = t.create_multipart_with(&create_body("a.bin", None)).await;
        let a2 = t.create_multipart_with(&create_body("a.bin", None)).await;
        let b = t.create_multipart_with(&create_body("b.bin", None)).await;
        let (a, a2, b) = (
            t.session(&a.upload_id).await.expect("a"),
            t.session(&a2.upload_id).await.expect("a2"),
            t.session(&b.upload_id).await.expect("b"),
        );
        let client = t.server.store_client();
        assert_eq!(
            client.multipart_uploads_at(&a.key).await.expect("list"),
            std::slice::from_ref(&a.store_upload_id),
            "{target:?}"
        );
        // A key that is a prefix of another's lists only its own.
        let prefix =
            presign_core::ObjectKey::owned_by(a.key.as_str().trim_end_matches(".bin"), &a.user)
                .expect("key");
        assert_eq!(
            client.multipart_uploads_at(&prefix).await.expect("list"),
            Vec::<String>::new()
        );
        assert_eq!(
            client
                .list_multipart_uploads(prefix.as_str())
                .await
                .expect("list")
                .len(),
            1
        );
        assert_eq!(l.open_uploads().await.len(), 3, "{target:?}");
        assert!(client
            .abort_multipart(&a2.key, &a2.store_upload_id)
            .await
            .expect("aborted"));
        assert!(client
            .abort_multipart(&b.key, &b.store_upload_id)
            .await
            .expect("aborted"));
        assert_eq!(
            l.open_ids().await,
            std::slice::from_ref(&a.store_upload_id),
            "{target:?}"
        );
    }
}
