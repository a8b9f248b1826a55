//! `GET /healthz` over real HTTP, against a store the test owns: healthy;
//! the bucket missing; the store stopped (connection refused). Each failing
//! answer is a 503 naming the failing check, the others still `ok`. The
//! store's answer is reused for a while: the test waits that long between
//! changes.

use clap::Parser as _;
use presign_server::Credentials;
use presign_server::{CheckStatus, HealthResponse, STORE_CHECK_REUSED_FOR};
use presign_server::{Cli, Clock, Config, Server};
use std::collections::HashMap;

const JWT_SECRET: &str = "healthz-test-secret-0123456789abcdef0123";

async fn healthz(server: &Server) -> (u16, HealthResponse) {
    presign_server::install_crypto_provider();
    let resp = reqwest::get(format!("{}/healthz", server.url()))
        .await
        .expect("server reachable");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("HealthResponse"))
}

#[tokio::test]
async fn healthz_names_the_failing_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let creds = Credentials::new("HEALTHZTESTKEY", "healthz-test-store-secret");
    let (store, store_url) = crate::common::own_store(&dir.path().join("store"), &creds).await;
    let env: HashMap<&str, String> = HashMap::from([
        ("AWS_ENDPOINT_URL", store_url.clone()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            creds.secret_access_key.expose().to_owned(),
        ),
        ("PRESIGN_BUCKET", "health".to_owned()),
        ("PRESIGN_JWT_SECRET", JWT_SECRET.to_owned()),
    ]);
    let data = dir.path().join("data");
    let cli = Cli::try_parse_from([
        "presign-server",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().expect("utf-8 path"),
    ])
    .expect("flags");
    let config = Config::resolve(cli, |name| env.get(name).cloned()).expect("config");
    let server = Server::start_with_clock(config, Clock::System)
        .await
        .expect("server starts");

    // No bucket yet: the store answers, the bucket is missing.
    let (status, body) = healthz(&server).await;
    assert_eq!(status, 503, "{body:?}");
    assert_eq!(body.status, CheckStatus::Failing);
    assert_eq!(body.checks.database.status, CheckStatus::Ok);
    assert_eq!(body.checks.store.status, CheckStatus::Failing);
    assert_eq!(
        body.checks.store.message.as_deref(),
        Some("the bucket does not exist")
    );
    let error = body.error.expect("an error body");
    assert_eq!(error.message, "not ready: store failing");

    // The bucket created: healthy (once the last answer is stale).
    crate::common::create_bucket(&store_url, &creds, "health").await;
    tokio::time::sleep(STORE_CHECK_REUSED_FOR).await;
    let (status, body) = healthz(&server).await;
    assert_eq!(status, 200, "{body:?}");
    assert_eq!(body.status, CheckStatus::Ok);
    assert_eq!(body.checks.store.status, CheckStatus::Ok);
    assert_eq!(body.error, None);

    // The store stopped: connections refused.
    drop(store);
    tokio::time::sleep(STORE_CHECK_REUSED_FOR).await;
    let (status, body) = healthz(&server).await;
    assert_eq!(status, 503, "{body:?}");
    assert_eq!(body.checks.database.status, CheckStatus::Ok);
    assert_eq!(
        body.checks.store.message.as_deref(),
        Some("cannot reach the store")
    );
    let text = serde_json::to_string(&body).expect("json");
    assert!(
        !text.contains(&store_url),
        "no address in the answer: {text}"
    );
    server.shutdown().await.expect("clean shutdown");
}
