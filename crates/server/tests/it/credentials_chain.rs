//! Credentials from the AWS default chain, for real: the server binary runs
//! with `--store s3` on a Garage of the test's own and no static keys, and
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` names a loopback ECS-style endpoint
//! ([`CredentialsEndpoint`]) that hands out one of two Garage keys, each
//! with a session token. Garage 2.5.0 accepts an `X-Amz-Security-Token` it
//! did not issue as long as it is signed, so the token is served, and every
//! URL must carry it: a signature without it signed would be refused.
//! Skipped, saying so, when `garage` is not installed. IMDS is switched off
//! (`AWS_EC2_METADATA_DISABLED`): nothing leaves loopback.

use crate::common::container_credentials::{CredentialsEndpoint, Served, AUTHORIZATION};
use crate::common::garage::{garage_binary, start_garage, Garage, GarageKey};
use crate::common::multipart::MIB;
use crate::common::random_bytes;
use crate::upload_form::post_form;
use presign_core::protocol::form::GetUploadFormResponse;
use presign_core::protocol::multipart::{CreateMultipartResponse, PartUrl, PartUrlsResponse};
use presign_core::protocol::single::{DownloadUrlResponse, GetUploadUrlResponse};
use presign_core::Sha256Digest;
use serde_json::{json, Value};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// The server binary, signing with the chain; killed when dropped.
struct ChainSigner {
    child: Child,
    base: String,
    log: PathBuf,
    http: reqwest::Client,
}

impl Drop for ChainSigner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChainSigner {
    /// `presign-server --dev --store s3` on `garage`, with nothing but the
    /// container endpoint to get credentials from.
    fn start(garage: &Garage, endpoint: &CredentialsEndpoint, dir: &Path) -> Self {
        let log = dir.join("signer.log");
        let home = dir.join("home");
        std::fs::create_dir_all(&home).expect("home");
        let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
            .args(["--dev", "--store", "s3", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env_clear()
            .env("RUST_LOG", "trace")
            .env("HOME", &home)
            .env("AWS_ENDPOINT_URL", &garage.env["AWS_ENDPOINT_URL"])
            .env("AWS_REGION", &garage.env["AWS_REGION"])
            .env("PRESIGN_BUCKET", &garage.env["PRESIGN_BUCKET"])
            .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.uri())
            .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTHORIZATION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(std::fs::File::create(&log).expect("log")))
            .spawn()
            .expect("binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("startup line");
        let base = line
            .split_whitespace()
            .nth(3)
            .unwrap_or_default()
            .to_owned();
        assert!(
            base.starts_with("http://"),
            "no startup line: {line:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        presign_server::install_crypto_provider();
        Self {
            child,
            base,
            log,
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}/api/{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("signer reachable")
    }

    /// `path` answered 200 with a `T`.
    async fn ok<T: serde::de::DeserializeOwned>(&self, path: &str, body: &Value) -> T {
        let resp = self.post(path, body).await;
        assert_eq!(resp.status(), 200, "{path} {body}");
        resp.json().await.expect("JSON answer")
    }

    async fn upload_url(&self, data: &[u8]) -> reqwest::Response {
        let body = json!({
            "filename": "rotated.bin",
            "file_type": "ecu",
            "size": data.len(),
            "sha256": Sha256Digest::of(data).to_base64(),
        });
        self.post("get-upload-url", &body).await
    }

    async fn download_url(&self, key: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/api/download-url", self.base))
            .query(&[("key", key)])
            .send()
            .await
            .expect("signer reachable")
    }

    async fn healthz(&self) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .expect("signer reachable");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON"))
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).expect("log")
    }
}

/// A presigned PUT, sent with its headers (`content-length` excepted).
async fn put(signed: &GetUploadUrlResponse, data: Vec<u8>) -> u16 {
    send(&signed.upload_url, signed.headers.iter().flatten(), data).await
}

async fn put_part(url: &PartUrl, data: Vec<u8>) -> String {
    let resp = reqwest::Client::new()
        .put(&url.url)
        .headers(headers(url.headers.iter()))
        .body(data)
        .send()
        .await
        .expect("store reachable");
    assert_eq!(resp.status(), 200, "part {}", url.number);
    resp.headers()["etag"].to_str().expect("ETag").to_owned()
}

async fn send<'a>(
    url: &str,
    with: impl Iterator<Item = (&'a String, &'a String)>,
    data: Vec<u8>,
) -> u16 {
    let resp = reqwest::Client::new()
        .put(url)
        .headers(headers(with))
        .body(data)
        .send()
        .await
        .expect("store reachable");
    resp.status().as_u16()
}

fn headers<'a>(with: impl Iterator<Item = (&'a String, &'a String)>) -> reqwest::header::HeaderMap {
    with.filter(|(name, _)| *name != "content-length")
        .map(|(name, value)| {
            (
                name.parse().expect("header name"),
                value.parse().expect("header value"),
            )
        })
        .collect()
}

/// The key id and session token a presigned URL was signed with.
fn signed_with(url: &str) -> (String, String) {
    let url = url::Url::parse(url).expect("URL");
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {url}"))
    };
    let credential = query("X-Amz-Credential");
    let id = credential.split('/').next().unwrap_or_default().to_owned();
    (id, query("X-Amz-Security-Token"))
}

/// `url` was signed with `served`'s key and token.
fn assert_signed_by(url: &str, served: &Served) {
    assert_eq!(
        signed_with(url),
        (served.key.id.clone(), served.token.clone()),
        "{url}"
    );
}

/// A Garage with two keys for the bucket, or `None` (skip) without garage.
fn garage_with_two_keys(dir: &TempDir) -> Option<(Garage, [GarageKey; 2])> {
    if garage_binary().is_none() {
        eprintln!("skipped: garage is not installed (scripts/setup installs it)");
        return None;
    }
    let garage = start_garage(&dir.path().join("garage"));
    let first = GarageKey {
        id: garage.env["AWS_ACCESS_KEY_ID"].clone(),
        secret: garage.env["AWS_SECRET_ACCESS_KEY"].clone(),
    };
    let second = garage.add_key("presign-rotated");
    Some((garage, [first, second]))
}

/// The log names where the credentials came from, and holds none of them.
fn assert_log_is_clean(signer: &ChainSigner, served: &[Served]) {
    let log = signer.log_text();
    assert!(log.contains("AWS default credentials chain"), "{log}");
    for s in served {
        assert!(!log.contains(&s.key.secret), "a secret key in the log");
        assert!(!log.contains(&s.token), "a session token in the log");
    }
    assert!(
        !log.contains(AUTHORIZATION),
        "the endpoint's token in the log"
    );
}

#[tokio::test]
async fn uploads_go_on_across_a_rotation_of_the_container_credentials() {
    let dir = tempfile::tempdir().expect("dir");
    let Some((garage, keys)) = garage_with_two_keys(&dir) else {
        return;
    };
    let endpoint =
        CredentialsEndpoint::start(&keys, Duration::from_secs(60), Duration::from_secs(120)).await;
    let started = Instant::now();
    let served = endpoint.served();
    let signer = ChainSigner::start(&garage, &endpoint, dir.path());

    // Before the rotation: the first key signs, its token with it.
    let early = random_bytes(3000, 1);
    let resp = signer.upload_url(&early).await;
    assert_eq!(resp.status(), 200);
    let single: GetUploadUrlResponse = resp.json().await.expect("URL");
    assert_signed_by(&single.upload_url, &served[0]);
    assert_eq!(put(&single, early.clone()).await, 200);
    let form_data = random_bytes(2000, 2);
    let form: GetUploadFormResponse = signer
        .ok(
            "get-upload-form",
            &json!({"filename": "form.bin", "file_type": "ecu", "size": form_data.len()}),
        )
        .await;
    assert_eq!(form.fields["x-amz-security-token"], served[0].token);
    let (status, body) = post_form(&form.url, &form.fields, form_data).await;
    assert_eq!(status, 201, "{body}");
    let whole = random_bytes(5 * MIB + 1000, 3);
    let (first_part, last_part) = whole.split_at(5 * MIB);
    let mp: CreateMultipartResponse = signer
        .ok(
            "multipart",
            &json!({"filename": "big.bin", "file_type": "ecu", "size": whole.len(), "part_size": 5 * MIB}),
        )
        .await;
    let urls = part_urls(&signer, &mp.upload_id, 1, first_part).await;
    assert_signed_by(&urls.url, &served[0]);
    let first_etag = put_part(&urls, first_part.to_vec()).await;

    // The rotation: the signer picks the second key up by itself.
    let rotated = wait_for_key(&signer, &single.key, &served[1], started).await;
    assert!(rotated, "the second key never signed: {:?}", endpoint.log());

    // After it: the uploads begun before go on, new ones work.
    let ok = signer
        .post(
            "file-uploaded",
            &json!({"key": single.key, "file_type": "ecu"}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let ok = signer
        .post(
            "file-uploaded",
            &json!({"key": form.key, "file_type": "ecu"}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let urls = part_urls(&signer, &mp.upload_id, 2, last_part).await;
    assert_signed_by(&urls.url, &served[1]);
    let last_etag = put_part(&urls, last_part.to_vec()).await;
    let complete = signer
        .post(
            &format!("multipart/{}/complete", mp.upload_id),
            &json!({"parts": [
                {"number": 1, "etag": first_etag, "sha256": Sha256Digest::of(first_part).to_base64()},
                {"number": 2, "etag": last_etag, "sha256": Sha256Digest::of(last_part).to_base64()},
            ]}),
        )
        .await;
    assert_eq!(complete.status(), 200);
    let late = random_bytes(4000, 4);
    let resp = signer.upload_url(&late).await;
    let second: GetUploadUrlResponse = resp.json().await.expect("URL");
    assert_signed_by(&second.upload_url, &served[1]);
    assert_eq!(put(&second, late).await, 200);
    let ok = signer
        .post(
            "file-uploaded",
            &json!({"key": second.key, "file_type": "ecu"}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let got = download(&signer, &single.key).await;
    assert_eq!(Sha256Digest::of(&got), Sha256Digest::of(&early));

    let log = endpoint.log();
    for s in &served {
        assert!(
            log.contains(&s.key.id),
            "{} never served: {log:?}",
            s.key.id
        );
    }
    assert!(signer.log_text().contains("container credentials endpoint"));
    assert_log_is_clean(&signer, &served);
}

/// The URL of one part.
async fn part_urls(signer: &ChainSigner, id: &str, number: u32, data: &[u8]) -> PartUrl {
    let body = json!({"parts": [{
        "number": number,
        "size": data.len(),
        "sha256": Sha256Digest::of(data).to_base64(),
    }]});
    let mut urls: PartUrlsResponse = signer.ok(&format!("multipart/{id}/part-urls"), &body).await;
    urls.urls.remove(0)
}

/// Asks for download URLs of `key` until `served`'s key signs one (the
/// rotation is at 60 s; the signer refreshes at least every 10 s within
/// 5 minutes of the expiry).
async fn wait_for_key(signer: &ChainSigner, key: &str, served: &Served, since: Instant) -> bool {
    while since.elapsed() < Duration::from_secs(100) {
        let resp = signer.download_url(key).await;
        assert_eq!(resp.status(), 200);
        let dl: DownloadUrlResponse = resp.json().await.expect("URL");
        let (id, token) = signed_with(&dl.url);
        if id == served.key.id {
            assert_eq!(token, served.token);
            return true;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    false
}

async fn download(signer: &ChainSigner, key: &str) -> Vec<u8> {
    let resp = signer.download_url(key).await;
    assert_eq!(resp.status(), 200);
    let dl: DownloadUrlResponse = resp.json().await.expect("URL");
    let got = reqwest::get(&dl.url).await.expect("store reachable");
    assert_eq!(got.status(), 200);
    got.bytes().await.expect("body").to_vec()
}

/// Asks for an upload URL every second until the answer's status is
/// `want`, for at most `limit`; the last answer.
async fn until_status(signer: &ChainSigner, want: u16, limit: Duration) -> reqwest::Response {
    let since = Instant::now();
    loop {
        let resp = signer.upload_url(b"abc").await;
        if resp.status() == want || since.elapsed() > limit {
            return resp;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A 503 `server` JSON error with `Retry-After`.
async fn assert_unavailable(resp: reqwest::Response, what: &str) {
    assert_eq!(resp.status(), 503, "{what}");
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=10).contains(&retry_after), "{what}: {retry_after}");
    let body: Value = resp.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], "server", "{what}: {body}");
}

#[tokio::test]
async fn without_credentials_signing_is_a_503_until_the_endpoint_is_back() {
    let dir = tempfile::tempdir().expect("dir");
    let Some((garage, keys)) = garage_with_two_keys(&dir) else {
        return;
    };
    // Valid 45 s: usable for 15 s (30 s are kept in hand), then refreshed.
    let mut endpoint = CredentialsEndpoint::start(
        &keys[..1],
        Duration::from_secs(3600),
        Duration::from_secs(45),
    )
    .await;
    let served = endpoint.served();
    let signer = ChainSigner::start(&garage, &endpoint, dir.path());
    let data = random_bytes(1000, 5);
    let signed: GetUploadUrlResponse = signer.upload_url(&data).await.json().await.expect("URL");
    assert_signed_by(&signed.upload_url, &served[0]);
    assert_eq!(put(&signed, data).await, 200);
    assert_eq!(signer.healthz().await.0, 200);

    // The endpoint answers 500: once the held credentials are too near
    // their end, nothing is signed.
    endpoint.set_failing(true);
    let resp = until_status(&signer, 503, Duration::from_secs(40)).await;
    assert_unavailable(resp, "get-upload-url").await;
    assert_unavailable(signer.download_url(&signed.key).await, "download-url").await;
    let create =
        json!({"filename": "b.bin", "file_type": "ecu", "size": 6 * MIB, "part_size": 5 * MIB});
    assert_unavailable(signer.post("multipart", &create).await, "multipart").await;
    let confirm = json!({"key": signed.key, "file_type": "ecu"});
    assert_unavailable(
        signer.post("file-uploaded", &confirm).await,
        "file-uploaded",
    )
    .await;
    let (status, health) = signer.healthz().await;
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["checks"]["store"]["status"], "failing", "{health}");
    assert_eq!(health["checks"]["database"]["status"], "ok", "{health}");

    // The endpoint is down altogether: still 503.
    endpoint.stop();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_unavailable(signer.upload_url(b"abc").await, "endpoint down").await;

    // Back: signing works again, without a restart.
    endpoint.set_failing(false);
    endpoint.restart().await;
    let resp = until_status(&signer, 200, Duration::from_secs(20)).await;
    assert_eq!(resp.status(), 200);
    let signed: GetUploadUrlResponse = resp.json().await.expect("URL");
    assert_signed_by(&signed.upload_url, &served[0]);
    assert_eq!(put(&signed, b"abc".to_vec()).await, 200);
    let ok = signer
        .post(
            "file-uploaded",
            &json!({"key": signed.key, "file_type": "ecu"}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(signer.healthz().await.0, 200);

    let log = signer.log_text();
    assert!(log.contains("no credentials"), "the cause is logged: {log}");
    assert!(endpoint.log().iter().any(|answer| answer == "500"));
    assert_log_is_clean(&signer, &served);
}
