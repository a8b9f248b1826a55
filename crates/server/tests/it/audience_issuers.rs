//! Tokens bound to this application and to their issuer, over real HTTP:
//! with public keys (PEM or JWKS) a token for another audience is a 401, and
//! starting without an audience is refused unless `--jwt-any-audience`; a
//! leeway over 300 s is refused at start; with several issuers a token is
//! checked only with the keys of its `iss`, and two issuers' users with the
//! same `sub` live under different prefixes and cannot reach each other's
//! objects.

use crate::common::tokens::{es256, fixture, now, rs256};
use crate::common::{error_code, random_bytes, start_with, TestServer};
use presign_server::Clock;
use serde_json::{json, Value};
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Claims for `sub`, valid for an hour, with `extra` merged in.
fn claims(sub: &str, extra: Value) -> Value {
    let mut c = json!({"sub": sub, "exp": now() + 3600});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    c
}

/// `POST /api/get-upload-url` as the holder of `token`: the key, or the
/// status, code and message of the refusal.
async fn sign_as(t: &mut TestServer, token: &str) -> Result<String, (u16, String, String)> {
    t.set_token(Some(token));
    let resp = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "a.bin", "file_type": "ecu", "size": 3}),
        )
        .await;
    if resp.status() == 200 {
        let body: Value = resp.json().await.expect("JSON");
        return Ok(body["key"].as_str().expect("key").to_owned());
    }
    Err(error_code(resp).await)
}

async fn refused(t: &mut TestServer, token: &str, what: &str) -> String {
    match sign_as(t, token).await {
        Ok(key) => panic!("{what}: accepted, key {key}"),
        Err((status, code, message)) => {
            assert_eq!(
                (status, code.as_str()),
                (401, "unauthorized"),
                "{what}: {message}"
            );
            message
        }
    }
}

#[tokio::test]
async fn public_key_tokens_for_another_audience_are_refused() {
    let pem = fixture("jwt_rsa_public.pem");
    let jwks = fixture("jwt_jwks.json");
    for key in [["--jwt-public-key", &pem], ["--jwt-jwks", &jwks]] {
        let args = [key[0], key[1], "--jwt-audience", "presign"];
        let mut t = start_with(&args, Clock::System).await;
        let token = |aud: Value| rs256(&claims("alice", json!({"aud": aud})), Some("rsa-1"));
        let key = sign_as(&mut t, &token(json!("presign"))).await;
        assert!(key.is_ok_and(|k| k.starts_with("users/alice/")), "{args:?}");
        let key = sign_as(&mut t, &token(json!(["other-app", "presign"]))).await;
        assert!(key.is_ok(), "{args:?}: one of several audiences is ours");
        let message = refused(&mut t, &token(json!("other-app")), "another audience").await;
        assert!(message.contains("audience"), "{message}");
        refused(&mut t, &token(json!(["other-app"])), "other audiences").await;
        let no_aud = rs256(&claims("alice", json!({})), Some("rsa-1"));
        let message = refused(&mut t, &no_aud, "no audience").await;
        assert!(message.contains("aud"), "{message}");
    }
}

/// The binary with `args`, a fresh data folder and no identity variables:
/// its exit code and what it printed on stderr. A server still running
/// after 30 s started: nothing refused its settings (it is killed, and the
/// test fails).
fn run(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(args)
        .env_remove("PRESIGN_CONFIG")
        .env_remove("PRESIGN_JWT_AUDIENCE")
        .env_remove("PRESIGN_JWT_ANY_AUDIENCE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().expect("kill");
            child.wait().expect("wait");
            panic!("the server started with {args:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut err).expect("stderr");
    }
    (status.code(), err)
}

#[test]
fn public_keys_without_an_audience_refuse_to_start() {
    for key in ["--jwt-public-key", "--jwt-jwks"] {
        let file = fixture(if key == "--jwt-jwks" {
            "jwt_jwks.json"
        } else {
            "jwt_ec_public.pem"
        });
        let (code, err) = run(&[key, &file]);
        assert_eq!(code, Some(2), "{key}: {err}");
        assert!(
            err.contains("need an audience")
                && err.contains("--jwt-audience")
                && err.contains("--jwt-any-audience")
                && err.contains("any other application"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn any_audience_is_an_explicit_choice() {
    let jwks = fixture("jwt_jwks.json");
    let mut t = start_with(&["--jwt-jwks", &jwks, "--jwt-any-audience"], Clock::System).await;
    let token = rs256(&claims("alice", json!({"aud": "whatever"})), Some("rsa-1"));
    assert!(sign_as(&mut t, &token).await.is_ok());
}

#[test]
fn a_leeway_over_five_minutes_refuses_to_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("presign.toml");
    let secret = "leeway-secret-0123456789abcdef0123456789";
    std::fs::write(
        &path,
        format!("[identity]\njwt_secret = \"{secret}\"\njwt_leeway = 301\n"),
    )
    .expect("config written");
    let (code, err) = run(&["--config", &path.to_string_lossy()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("jwt_leeway") && err.contains("at most 300 seconds") && err.contains("301"),
        "{err}"
    );
}

const ISSUER_A: &str = "https://id-a.example/";
const ISSUER_B: &str = "https://id-b.example/";

/// A server trusting issuer A (the RSA key, label `a`) and issuer B (the
/// EC key, its label derived: `id-b.example`), both for the audience
/// `presign`.
async fn two_issuers() -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("presign.toml");
    let toml = format!(
        r#"
[identity]
jwt_audience = "presign"

[[identity.issuers]]
issuer = "{ISSUER_A}"
label = "a"
jwt_public_key = "{}"

[[identity.issuers]]
issuer = "{ISSUER_B}"
jwt_public_key = "{}"
"#,
        fixture("jwt_rsa_public.pem"),
        fixture("jwt_ec_public.pem")
    );
    std::fs::write(&path, toml).expect("config written");
    let t = start_with(&["--config", &path.to_string_lossy()], Clock::System).await;
    drop(dir);
    t
}

fn of(iss: &str, sub: &str) -> Value {
    claims(sub, json!({"iss": iss, "aud": "presign"}))
}

#[tokio::test]
async fn a_token_is_verified_only_with_the_keys_of_its_issuer() {
    let mut t = two_issuers().await;
    let a = sign_as(&mut t, &rs256(&of(ISSUER_A, "alice"), None)).await;
    assert!(a.is_ok_and(|k| k.starts_with("users/a/alice/ecu/")));
    let b = sign_as(&mut t, &es256(&of(ISSUER_B, "alice"), None)).await;
    assert!(b.is_ok_and(|k| k.starts_with("users/id-b.example/alice/ecu/")));
    // Each issuer's name on a token signed with the other's key.
    refused(
        &mut t,
        &es256(&of(ISSUER_A, "alice"), None),
        "A's iss, B's key",
    )
    .await;
    refused(
        &mut t,
        &rs256(&of(ISSUER_B, "alice"), None),
        "B's iss, A's key",
    )
    .await;
    let no_iss = claims("alice", json!({"aud": "presign"}));
    let message = refused(&mut t, &rs256(&no_iss, None), "no iss").await;
    assert!(message.contains("iss"), "{message}");
    let message = refused(
        &mut t,
        &rs256(&of("https://id-c.example/", "alice"), None),
        "an unknown issuer",
    )
    .await;
    assert!(message.contains("issuer"), "{message}");
    // The audience holds for every issuer.
    let other_app = claims("alice", json!({"iss": ISSUER_B, "aud": "other-app"}));
    refused(
        &mut t,
        &es256(&other_app, None),
        "B's token for another app",
    )
    .await;
}

#[tokio::test]
async fn the_same_sub_of_two_issuers_is_two_users() {
    let mut t = two_issuers().await;
    let (alice_a, alice_b) = (
        rs256(&of(ISSUER_A, "alice"), None),
        es256(&of(ISSUER_B, "alice"), None),
    );
    // Alice of A uploads and confirms a file.
    t.set_token(Some(&alice_a));
    let data = random_bytes(100, 7);
    let signed = t.upload_url_for("mine.bin", &data).await;
    assert!(signed.key.starts_with("users/a/alice/"), "{}", signed.key);
    assert_eq!(t.put(&signed, data).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);
    assert_eq!(t.download_url(&signed.key).await.status(), 200);
    let listed: Value = t
        .http
        .get(t.api("uploads"))
        .send()
        .await
        .expect("API reachable")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["uploads"][0]["user"], "a/alice");

    // Alice of B reaches none of it: not found, as any other's key.
    t.set_token(Some(&alice_b));
    let (status, code, _) = error_code(t.download_url(&signed.key).await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let (status, code, _) = error_code(t.file_uploaded(&signed.key, "ecu").await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let listed: Value = t
        .http
        .get(t.api("uploads"))
        .send()
        .await
        .expect("API reachable")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["uploads"], json!([]), "{listed}");
    // Nor does a sub that spells A's prefix.
    let forged = es256(&of(ISSUER_B, "a/alice"), None);
    refused(&mut t, &forged, "a sub with a slash").await;
}
