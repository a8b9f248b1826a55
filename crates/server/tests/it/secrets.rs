//! Secrets never logged: the binary runs at `RUST_LOG=trace` with a JWT
//! secret, a webhook secret (its webhook failing, so retried) and a store
//! secret key, serves uploads, multipart calls and failures (forged,
//! expired and malformed tokens, bad input, unknown ids), and then neither
//! stdout nor stderr holds any of those secrets nor any bearer token sent.
//! It also checks the request log lines carry user, route, status, latency
//! and the error code. And with the store unreachable, the errors logged
//! hold none of the signed URLs' signatures, credentials or session tokens.

use presign_server::Credentials;
use serde_json::json;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

const JWT_SECRET: &str = "jwt-secret-never-logged-7f3a9c1e5b2d4f60";
const WEBHOOK_SECRET: &str = "webhook-secret-never-logged-2c8e4a6b";
const STORE_SECRET: &str = "store-secret-never-logged-9d1f3b5a7c";
const KEY_ID: &str = "SECRETSTESTKEYID";

fn token(secret: &str, sub: &str, exp_offset: i64) -> String {
    let exp = jiff::Timestamp::now().as_second() + exp_offset;
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": sub, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_nor_token_reaches_the_logs() {
    presign_server::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let creds = Credentials::new(KEY_ID, STORE_SECRET);
    let (store, store_url) = crate::common::own_store(&dir.path().join("store"), &creds).await;
    crate::common::create_bucket(&store_url, &creds, "secrets").await;
    // A webhook nobody answers: every delivery fails and is retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let webhook_url = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);

    let log_path = dir.path().join("stderr.log");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--webhook-retry-ms",
            "20",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "trace")
        .env("AWS_ENDPOINT_URL", &store_url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", STORE_SECRET)
        .env("PRESIGN_BUCKET", "secrets")
        .env("PRESIGN_JWT_SECRET", JWT_SECRET)
        .env("PRESIGN_WEBHOOK_URL", &webhook_url)
        .env("PRESIGN_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env_remove("AWS_SESSION_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("startup line");
    let base = line
        .split_whitespace()
        .nth(3)
        .expect("listening on URL")
        .to_owned();
    let api = |path: &str| format!("{base}/api/{path}");

    let good = token(JWT_SECRET, "secret-test-user", 3600);
    let forged = token(
        "another-secret-of-at-least-32-bytes!!",
        "secret-test-user",
        3600,
    );
    let expired = token(JWT_SECRET, "secret-test-user", -3600);
    let http = reqwest::Client::new();
    // A single upload, confirmed (recorded: a webhook delivery queued).
    let data = vec![42u8; 3000];
    let sha = presign_core::Sha256Digest::of(&data).to_base64();
    let signed: presign_core::protocol::single::GetUploadUrlResponse = http
        .post(api("get-upload-url"))
        .bearer_auth(&good)
        .json(&json!({"filename": "s.bin", "file_type": "ecu", "size": data.len(), "sha256": sha}))
        .send()
        .await
        .expect("API")
        .json()
        .await
        .expect("signed");
    let mut put = http.put(&signed.upload_url).body(data);
    for (name, value) in signed.headers.iter().flatten() {
        if name != "content-length" {
            put = put.header(name, value);
        }
    }
    assert_eq!(put.send().await.expect("store").status(), 200);
    let resp = http
        .post(api("file-uploaded"))
        .bearer_auth(&good)
        .json(&json!({"key": signed.key, "file_type": "ecu"}))
        .send()
        .await
        .expect("API");
    assert_eq!(resp.status(), 200);
    // A multipart upload started and aborted.
    let created: serde_json::Value = http
        .post(api("multipart"))
        .bearer_auth(&good)
        .json(&json!({"filename": "m.bin", "file_type": "ecu", "size": 6 * 1024 * 1024}))
        .send()
        .await
        .expect("API")
        .json()
        .await
        .expect("created");
    let id = created["upload_id"].as_str().expect("id");
    let resp = http
        .delete(api(&format!("multipart/{id}")))
        .bearer_auth(&good)
        .send()
        .await
        .expect("API");
    assert_eq!(resp.status(), 204);
    // Failures: bad tokens, bad input, unknown ids and keys.
    for bad in [&forged, &expired] {
        let resp = http
            .get(api("uploads"))
            .bearer_auth(bad)
            .send()
            .await
            .expect("API");
        assert_eq!(resp.status(), 401);
    }
    let resp = http
        .get(api("uploads"))
        .header("authorization", format!("Basic {good}"))
        .send()
        .await
        .expect("API");
    assert_eq!(resp.status(), 401);
    let resp = http
        .post(api("get-upload-url"))
        .bearer_auth(&good)
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("API");
    assert_eq!(resp.status(), 400);
    let resp = http
        .get(api(&format!("multipart/{id}/parts")))
        .bearer_auth(&good)
        .send()
        .await
        .expect("API");
    assert_eq!(resp.status(), 404);
    let resp = http
        .get(api("download-url"))
        .query(&[("key", "users/secret-test-user/ecu/none")])
        .bearer_auth(&good)
        .send()
        .await
        .expect("API");
    assert_eq!(resp.status(), 404);
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .expect("up")
            .status(),
        200
    );
    assert_eq!(
        http.get(format!("{base}/metrics"))
            .send()
            .await
            .expect("up")
            .status(),
        200
    );

    // Wait (bounded) until the failing webhook has been retried at least once.
    let mut log = String::new();
    for _ in 0..200 {
        log = std::fs::read_to_string(&log_path).expect("log");
        if log.matches("webhook delivery failed").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
    let log = std::fs::read_to_string(&log_path).unwrap_or(log);
    let output = format!("{line}{rest}{log}");
    assert!(
        log.matches("webhook delivery failed").count() >= 2,
        "webhook retried"
    );
    assert!(log.contains("TRACE"), "trace level was on");
    assert!(log.len() > 10_000, "a real trace log: {} bytes", log.len());

    let signature = |t: &str| t.rsplit('.').next().unwrap_or_default().to_owned();
    for (what, secret) in [
        ("JWT secret", JWT_SECRET.to_owned()),
        ("webhook secret", WEBHOOK_SECRET.to_owned()),
        ("store secret key", STORE_SECRET.to_owned()),
        ("bearer token", good.clone()),
        ("bearer token's signature", signature(&good)),
        ("forged token", forged.clone()),
        ("forged token's signature", signature(&forged)),
        ("expired token", expired.clone()),
        ("expired token's signature", signature(&expired)),
    ] {
        assert!(!output.contains(&secret), "the {what} is in the output");
    }

    // Request lines: user, route, status, latency; errors with their code.
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(" answered ")).collect();
    assert!(
        lines.iter().any(|l| l.contains("route=/api/get-upload-url")
            && l.contains("user=\"secret-test-user\"")
            && l.contains("status=200")
            && l.contains("latency_ms=")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("route=/api/uploads")
            && l.contains("status=401")
            && l.contains("error_code=\"unauthorized\"")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("route=/api/multipart/{upload_id}/parts")
                && l.contains("status=404")
                && l.contains("error_code=\"not_found\"")),
        "{lines:#?}"
    );
    drop(store);
}

/// The URLs the signer presigns for its own calls carry their signature,
/// credential and session token; when the store cannot be reached, the
/// errors logged (at `trace`, everything on) name none of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_urls_stay_out_of_the_logs_when_the_store_is_unreachable() {
    const SESSION_TOKEN: &str = "session-token-never-logged-5e7a1c3d";
    presign_server::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let store_url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let log_path = dir.path().join("stderr.log");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--dev", "--store", "s3", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "trace")
        .env("AWS_ENDPOINT_URL", &store_url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", STORE_SECRET)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
        .env("PRESIGN_BUCKET", "unreachable")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("startup line");
    let base = line.split_whitespace().nth(3).expect("URL").to_owned();
    let http = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{base}/api/{path}")).json(&body).send()
    };
    let key = "users/dev/ecu/x/a.bin";
    let store_bound = [
        post("file-uploaded", json!({"key": key, "file_type": "ecu"})).await,
        post(
            "multipart",
            json!({"filename": "m.bin", "file_type": "ecu", "size": 6 << 20}),
        )
        .await,
        http.get(format!("{base}/healthz")).send().await,
    ];
    for resp in store_bound {
        assert_eq!(resp.expect("answered").status(), 503);
    }
    let batch = json!({"files": [{"key": key, "file_type": "ecu"}]});
    let resp = post("files-uploaded", batch).await.expect("answered");
    assert!(resp.text().await.expect("body").contains("503"));

    let mut log = String::new();
    for _ in 0..200 {
        log = std::fs::read_to_string(&log_path).expect("log");
        if log.contains("cannot check the bucket") && log.contains("a file of a batch failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap_or(log);
    assert!(log.contains("TRACE"), "trace level was on");
    assert!(
        log.matches("cannot reach the store").count() >= 4,
        "the failures are logged: {log}"
    );
    let lower = log.to_ascii_lowercase();
    for secret in [
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Amz-Security-Token",
        SESSION_TOKEN,
        STORE_SECRET,
    ] {
        assert!(
            !lower.contains(&secret.to_ascii_lowercase()),
            "{secret} is in the log"
        );
    }
}

/// The embedded store logs every request it serves (s3s-fs, at debug
/// level): with `--dev` at `trace`, uploads, downloads and multipart calls
/// leave no presigned URL's signature or credential in the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_logs_no_signed_url() {
    presign_server::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("stderr.log");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("startup line");
    let base = line.split_whitespace().nth(3).expect("URL").to_owned();
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{base}/api/{path}");
    let data = b"logged nowhere".to_vec();
    let signed: presign_core::protocol::single::GetUploadUrlResponse = http
        .post(api("get-upload-url"))
        .json(&json!({"filename": "s.bin", "file_type": "ecu", "size": data.len()}))
        .send()
        .await
        .expect("API")
        .json()
        .await
        .expect("signed");
    let mut put = http.put(&signed.upload_url).body(data);
    for (name, value) in signed.headers.iter().flatten() {
        if name != "content-length" {
            put = put.header(name, value);
        }
    }
    assert_eq!(put.send().await.expect("store").status(), 200);
    let confirm = json!({"key": signed.key, "file_type": "ecu"});
    let resp = http.post(api("file-uploaded")).json(&confirm).send().await;
    assert_eq!(resp.expect("API").status(), 200);
    let download: serde_json::Value = http
        .get(api("download-url"))
        .query(&[("key", &signed.key)])
        .send()
        .await
        .expect("API")
        .json()
        .await
        .expect("download URL");
    let url = download["url"].as_str().expect("url");
    assert_eq!(http.get(url).send().await.expect("store").status(), 200);
    let created: serde_json::Value = http
        .post(api("multipart"))
        .json(&json!({"filename": "m.bin", "file_type": "ecu", "size": 6 << 20}))
        .send()
        .await
        .expect("API")
        .json()
        .await
        .expect("created");
    let id = created["upload_id"].as_str().expect("id");
    let resp = http.delete(api(&format!("multipart/{id}"))).send().await;
    assert_eq!(resp.expect("API").status(), 204);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).expect("log");
    assert!(log.contains("put_object"), "s3s-fs logged the PUT");
    for secret in ["x-amz-signature", "x-amz-credential"] {
        assert!(
            !log.to_ascii_lowercase().contains(secret),
            "{secret} is in the log"
        );
    }
}
