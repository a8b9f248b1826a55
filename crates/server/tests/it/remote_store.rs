//! The non-dev path: a server configured from AWS_* variables, pointed at a
//! custom endpoint (here another server's embedded store, path-style).

use clap::Parser as _;
use presign_core::protocol::single::FileUploadedResponse;
use presign_server::StoreConfig;
use presign_server::{Cli, Clock, Config, Server};
use std::collections::HashMap;

const JWT_SECRET: &str = "remote-store-test-secret-0123456789abcdef";

#[tokio::test]
async fn remote_store_from_environment_round_trip() {
    let dev = crate::common::start().await;
    let store = dev.server.embedded_store().expect("dev has a store");
    let creds = store.credentials();
    let env: HashMap<&str, String> = HashMap::from([
        ("AWS_ENDPOINT_URL", dev.server.store_url().to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            creds.secret_access_key.expose().to_owned(),
        ),
        ("PRESIGN_BUCKET", "uploads".to_owned()),
        ("PRESIGN_JWT_SECRET", JWT_SECRET.to_owned()),
    ]);
    // Its own data folder: the default (./.data) would land in the source tree.
    let data_folder = tempfile::tempdir().expect("temp dir");
    let data_dir = data_folder.path().to_str().expect("utf-8 temp path");
    let cli = Cli::try_parse_from([
        "presign-server",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir,
    ])
    .expect("flags");
    let config = Config::resolve(cli, |name| env.get(name).cloned()).expect("config");
    assert!(matches!(config.store, StoreConfig::Remote(_)));
    let remote = Server::start_with_clock(config, Clock::System)
        .await
        .expect("remote-mode server starts");
    assert_eq!(remote.store_url(), dev.server.store_url());
    assert!(remote.embedded_store().is_none());

    let api = |path: &str| format!("{}/api/{path}", remote.url());
    let data = crate::common::random_bytes(4_096, 31);
    // Without --dev the API wants a bearer token.
    let exp = jiff::Timestamp::now().as_second() + 3600;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"sub": "remote-user", "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("token");
    let refused = dev
        .http
        .post(api("get-upload-url"))
        .json(&serde_json::json!({"filename": "r.bin", "file_type": "ecu"}))
        .send()
        .await
        .expect("API reachable");
    assert_eq!(refused.status(), 401);
    let signed: presign_core::protocol::single::GetUploadUrlResponse = dev
        .http
        .post(api("get-upload-url"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "filename": "r.bin",
            "file_type": "ecu",
            "size": data.len(),
            "sha256": presign_core::Sha256Digest::of(&data).to_base64(),
        }))
        .send()
        .await
        .expect("API reachable")
        .json()
        .await
        .expect("GetUploadUrlResponse");
    assert!(
        signed.key.starts_with("users/remote-user/ecu/"),
        "{}",
        signed.key
    );
    assert_eq!(dev.put(&signed, data).await.status(), 200);
    let info: FileUploadedResponse = dev
        .http
        .post(api("file-uploaded"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"key": signed.key, "file_type": "ecu"}))
        .send()
        .await
        .expect("API reachable")
        .json()
        .await
        .expect("FileUploadedResponse");
    assert_eq!(info.size, 4_096);
    remote.shutdown().await.expect("clean shutdown");
}
