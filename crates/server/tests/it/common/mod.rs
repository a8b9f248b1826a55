//! Starts the real server with its embedded store on ephemeral loopback ports
//! and a temporary data folder, and talks to both over HTTP. With
//! `PRESIGN_TEST_DATABASE_URL` set, each server's database is a PostgreSQL
//! database of its own ([`postgres`]).

pub mod container_credentials;
pub mod direct_store;
pub mod garage;
pub mod metrics;
pub mod multipart;
pub mod postgres;
pub mod proxied;
pub mod raw;
pub mod replicas;
pub mod tokens;

use clap::Parser as _;
use presign_core::protocol::single::GetUploadUrlResponse;
use presign_core::Sha256Digest;
use presign_server::{Cli, Clock, Config, Server};
use serde_json::{json, Value};
use std::path::Path;
use tempfile::TempDir;

pub struct TestServer {
    pub server: Server,
    pub http: reqwest::Client,
    pub dir: TempDir,
}

/// A server on 127.0.0.1:0 with `--dev`, a fresh store, the system clock.
pub async fn start() -> TestServer {
    start_with(&[], Clock::System).await
}

/// Like [`start`], with extra flags and a clock for the clients' URLs.
pub async fn start_with(extra: &[&str], clock: Clock) -> TestServer {
    start_in(tempfile::tempdir().expect("temp dir"), extra, clock).await
}

/// Like [`start_with`], in the folder `dir` (its `data/` kept from a
/// previous server there: a restart).
pub async fn start_in(dir: TempDir, extra: &[&str], clock: Clock) -> TestServer {
    let path = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let (data, www, pkg) = (path("data"), path("www"), path("pkg"));
    let mut args = vec![
        "presign-server",
        "--dev",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--www-dir",
        &www,
        "--pkg-dir",
        &pkg,
    ];
    let database = postgres::database_for(dir.path()).await;
    if let Some(url) = &database {
        args.extend(["--database-url", url]);
    }
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).expect("valid flags");
    let config = Config::resolve(cli, |_| None).expect("valid config");
    let server = Server::start_with_clock(config, clock)
        .await
        .expect("server starts");
    presign_server::install_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    TestServer { server, http, dir }
}

impl TestServer {
    /// From now on, every request of `self.http` carries
    /// `Authorization: Bearer {token}` (`None`: no Authorization header).
    pub fn set_token(&mut self, token: Option<&str>) {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = token {
            let value = format!("Bearer {token}").parse().expect("header value");
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        self.http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("http client");
    }
}

/// Deterministic pseudo-random bytes (xorshift), different per seed.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

impl TestServer {
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/{path}", self.server.url())
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `POST /api/{path}` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.api(path))
            .json(body)
            .send()
            .await
            .expect("API reachable")
    }

    /// `POST /api/get-upload-url`, expecting success.
    pub async fn upload_url(&self, body: Value) -> GetUploadUrlResponse {
        let resp = self.post_json("get-upload-url", &body).await;
        assert_eq!(resp.status(), 200, "get-upload-url {body}");
        resp.json().await.expect("GetUploadUrlResponse")
    }

    /// A signed upload for `data`: size and checksum pinned.
    pub async fn upload_url_for(&self, filename: &str, data: &[u8]) -> GetUploadUrlResponse {
        self.upload_url(json!({
            "filename": filename,
            "file_type": "ecu",
            "size": data.len(),
            "sha256": Sha256Digest::of(data).to_base64(),
        }))
        .await
    }

    /// PUTs `body` to a presigned URL the way a browser does: every returned
    /// header except `content-length`, which the HTTP stack sets from the body.
    pub async fn put(&self, signed: &GetUploadUrlResponse, body: Vec<u8>) -> reqwest::Response {
        self.put_to(&signed.upload_url, signed, body).await
    }

    /// Like [`TestServer::put`], to another URL.
    pub async fn put_to(
        &self,
        url: &str,
        signed: &GetUploadUrlResponse,
        body: Vec<u8>,
    ) -> reqwest::Response {
        assert_eq!(signed.method, "PUT");
        let mut req = self.http.put(url).body(body);
        for (name, value) in signed.headers.iter().flatten() {
            if name != "content-length" {
                req = req.header(name, value);
            }
        }
        req.send().await.expect("store reachable")
    }

    pub async fn file_uploaded(&self, key: &str, file_type: &str) -> reqwest::Response {
        self.post_json(
            "file-uploaded",
            &json!({"key": key, "file_type": file_type}),
        )
        .await
    }

    /// GETs `key` from the store through a presigned download URL.
    pub async fn download(&self, key: &str) -> reqwest::Response {
        let resp = self.download_url(key).await;
        assert_eq!(resp.status(), 200, "download-url {key}");
        let dl: presign_core::protocol::single::DownloadUrlResponse =
            resp.json().await.expect("DownloadUrlResponse");
        let got = self
            .http
            .get(&dl.url)
            .send()
            .await
            .expect("store reachable");
        assert_eq!(got.status(), 200, "GET {key}");
        got
    }

    pub async fn download_url(&self, key: &str) -> reqwest::Response {
        self.http
            .get(self.api("download-url"))
            .query(&[("key", key)])
            .send()
            .await
            .expect("API reachable")
    }
}

/// A store of the test's own, apart from any server: s3s-fs on `root`
/// with `creds`, on a free loopback port; and its base URL.
pub async fn own_store(
    root: &Path,
    creds: &presign_server::Credentials,
) -> (presign_server::EmbeddedStore, String) {
    let store = presign_server::EmbeddedStore::start_with(
        root,
        "127.0.0.1:0".parse().expect("addr"),
        creds.clone(),
    )
    .await
    .expect("store starts");
    let url = format!("http://{}", store.addr());
    (store, url)
}

/// Creates `bucket` in the store at `url`.
pub async fn create_bucket(url: &str, creds: &presign_server::Credentials, bucket: &str) {
    let signer = presign_server::SignerSource::fixed(
        url.parse().expect("url"),
        true,
        "us-east-1",
        bucket,
        creds,
    )
    .expect("signer");
    presign_server::StoreClient::new(std::sync::Arc::new(signer))
        .expect("client")
        .ensure_bucket()
        .await
        .expect("bucket created");
}

/// Reads an error answer and checks its shape: `{"error": {"code", "message"}}`.
pub async fn error_code(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("error body is JSON");
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code in {body}"))
        .to_owned();
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.message in {body}"))
        .to_owned();
    (status, code, message)
}
