//! Bearer JWT identity over real HTTP: HS256, RS256 and ES256 (PEM and
//! JWKS), and every way a token is refused (401 `unauthorized` with
//! `WWW-Authenticate: Bearer`). Keys: tests/fixtures/jwt_* (README-jwt.md).

use crate::common::{error_code, start_with, TestServer};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use presign_server::Clock;
use serde_json::{json, Value};
use std::process::Command;

const SECRET: &str = "a-test-secret-of-at-least-32-bytes!!";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Claims for `sub`, valid for an hour.
fn claims(sub: &str) -> Value {
    json!({"sub": sub, "exp": now() + 3600, "iat": now()})
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 token")
}

fn rs256(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(&fixture_bytes("jwt_rsa_private.pem")).expect("RSA key");
    encode(&header, claims, &key).expect("RS256 token")
}

fn es256(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_ec_pem(&fixture_bytes("jwt_ec_private.pem")).expect("EC key");
    encode(&header, claims, &key).expect("ES256 token")
}

/// `{"alg":"none"}` with the claims and an empty signature.
fn alg_none(claims: &Value) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims.to_string())
    )
}

/// `POST /api/get-upload-url` as the holder of `token`.
async fn sign_as(t: &mut TestServer, token: Option<&str>) -> reqwest::Response {
    t.set_token(token);
    t.post_json(
        "get-upload-url",
        &json!({"filename": "a.bin", "file_type": "ecu"}),
    )
    .await
}

/// Expects success and returns the key, which must be under `users/{sub}/`.
async fn accepted(t: &mut TestServer, token: &str, sub: &str, what: &str) {
    let resp = sign_as(t, Some(token)).await;
    assert_eq!(resp.status(), 200, "{what}");
    let body: Value = resp.json().await.expect("JSON");
    let key = body["key"].as_str().expect("key");
    assert!(
        key.starts_with(&format!("users/{sub}/ecu/")),
        "{what}: {key}"
    );
}

/// Expects 401 `unauthorized` with `WWW-Authenticate: Bearer`.
async fn refused(t: &mut TestServer, token: Option<&str>, what: &str) {
    let resp = sign_as(t, token).await;
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, code, message) = error_code(resp).await;
    assert_eq!(
        (status, code.as_str()),
        (401, "unauthorized"),
        "{what}: {message}"
    );
    assert_eq!(challenge.as_deref(), Some("Bearer"), "{what}");
}

#[tokio::test]
async fn hs256_tokens_and_every_refusal() {
    // --dev with a JWT configured requires tokens.
    let mut t = start_with(&["--jwt-secret", SECRET], Clock::System).await;
    accepted(
        &mut t,
        &hs256(&claims("alice"), SECRET.as_bytes()),
        "alice",
        "valid",
    )
    .await;
    accepted(
        &mut t,
        &hs256(&claims("bob.b-2_x"), SECRET.as_bytes()),
        "bob.b-2_x",
        "valid",
    )
    .await;

    let expired = json!({"sub": "alice", "exp": now() - 3600});
    let no_exp = json!({"sub": "alice"});
    let no_sub = json!({"exp": now() + 3600});
    let not_yet = json!({"sub": "alice", "exp": now() + 7200, "nbf": now() + 3600});
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "no Authorization header"),
        (Some(String::new()), "empty bearer"),
        (Some("garbage".into()), "garbage"),
        (Some("a.b.c".into()), "three garbage parts"),
        (
            Some(hs256(
                &claims("alice"),
                b"another-secret-of-at-least-32-bytes",
            )),
            "forged (other secret)",
        ),
        (Some(hs256(&expired, SECRET.as_bytes())), "expired"),
        (Some(hs256(&no_exp, SECRET.as_bytes())), "no exp"),
        (Some(hs256(&no_sub, SECRET.as_bytes())), "no sub"),
        (
            Some(hs256(&not_yet, SECRET.as_bytes())),
            "nbf in the future",
        ),
        (
            Some(hs256(&claims("../alice"), SECRET.as_bytes())),
            "sub not a user id",
        ),
        (Some(hs256(&claims(""), SECRET.as_bytes())), "empty sub"),
        (Some(alg_none(&claims("alice"))), "alg none"),
        (
            Some(rs256(&claims("alice"), None)),
            "RS256 against an HS256 config",
        ),
    ];
    for (token, what) in &cases {
        refused(&mut t, token.as_deref(), what).await;
    }
    // A token that is not Bearer at all.
    t.set_token(None);
    let resp = t
        .http
        .post(t.api("get-upload-url"))
        .header("authorization", "Basic YWxpY2U6cHc=")
        .json(&json!({"filename": "a.bin", "file_type": "ecu"}))
        .send()
        .await
        .expect("API reachable");
    assert_eq!(error_code(resp).await.1, "unauthorized");
}

#[tokio::test]
async fn audience_and_issuer_are_checked_when_configured() {
    let mut t = start_with(
        &[
            "--jwt-secret",
            SECRET,
            "--jwt-audience",
            "presign",
            "--jwt-issuer",
            "https://id.example/",
        ],
        Clock::System,
    )
    .await;
    let with = |aud: Option<&str>, iss: Option<&str>| {
        let mut c = claims("alice");
        if let Some(aud) = aud {
            c["aud"] = json!(aud);
        }
        if let Some(iss) = iss {
            c["iss"] = json!(iss);
        }
        hs256(&c, SECRET.as_bytes())
    };
    accepted(
        &mut t,
        &with(Some("presign"), Some("https://id.example/")),
        "alice",
        "right aud and iss",
    )
    .await;
    for (token, what) in [
        (
            with(Some("other-app"), Some("https://id.example/")),
            "wrong aud",
        ),
        (with(None, Some("https://id.example/")), "missing aud"),
        (
            with(Some("presign"), Some("https://evil.example/")),
            "wrong iss",
        ),
        (with(Some("presign"), None), "missing iss"),
    ] {
        refused(&mut t, Some(&token), what).await;
    }
}

#[tokio::test]
async fn rs256_with_a_pem_public_key() {
    let key = fixture("jwt_rsa_public.pem");
    let mut t = start_with(
        &["--jwt-public-key", &key, "--jwt-any-audience"],
        Clock::System,
    )
    .await;
    accepted(&mut t, &rs256(&claims("carol"), None), "carol", "RS256").await;
    // The classic confusion: HS256 "signed" with the public key's PEM text.
    let confused = hs256(&claims("carol"), &fixture_bytes("jwt_rsa_public.pem"));
    refused(
        &mut t,
        Some(&confused),
        "HS256 token against an RS256 config",
    )
    .await;
    refused(
        &mut t,
        Some(&hs256(&claims("carol"), SECRET.as_bytes())),
        "HS256 token",
    )
    .await;
    refused(&mut t, Some(&es256(&claims("carol"), None)), "ES256 token").await;
    refused(&mut t, Some(&alg_none(&claims("carol"))), "alg none").await;
    let expired = json!({"sub": "carol", "exp": now() - 3600});
    refused(&mut t, Some(&rs256(&expired, None)), "expired RS256").await;
}

#[tokio::test]
async fn es256_with_a_pem_public_key() {
    let key = fixture("jwt_ec_public.pem");
    let mut t = start_with(
        &["--jwt-public-key", &key, "--jwt-any-audience"],
        Clock::System,
    )
    .await;
    accepted(&mut t, &es256(&claims("dave"), None), "dave", "ES256").await;
    refused(&mut t, Some(&rs256(&claims("dave"), None)), "RS256 token").await;
    let confused = hs256(&claims("dave"), &fixture_bytes("jwt_ec_public.pem"));
    refused(
        &mut t,
        Some(&confused),
        "HS256 token against an ES256 config",
    )
    .await;
}

#[tokio::test]
async fn jwks_picks_the_key_by_kid() {
    let jwks = fixture("jwt_jwks.json");
    let mut t = start_with(&["--jwt-jwks", &jwks, "--jwt-any-audience"], Clock::System).await;
    accepted(
        &mut t,
        &rs256(&claims("erin"), Some("rsa-1")),
        "erin",
        "RS256 kid rsa-1",
    )
    .await;
    accepted(
        &mut t,
        &es256(&claims("frank"), Some("ec-1")),
        "frank",
        "ES256 kid ec-1",
    )
    .await;
    for (token, what) in [
        (rs256(&claims("erin"), None), "no kid with two keys"),
        (rs256(&claims("erin"), Some("rsa-2")), "unknown kid"),
        (
            rs256(&claims("erin"), Some("ec-1")),
            "RS256 token naming the EC key",
        ),
        (
            es256(&claims("erin"), Some("rsa-1")),
            "ES256 token naming the RSA key",
        ),
        (hs256(&claims("erin"), SECRET.as_bytes()), "HS256 token"),
        (alg_none(&claims("erin")), "alg none"),
    ] {
        refused(&mut t, Some(&token), what).await;
    }
}

#[test]
fn refuses_to_start_without_identity() {
    let out = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--listen", "127.0.0.1:0"])
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
        .env("PRESIGN_BUCKET", "some-bucket")
        .env_remove("PRESIGN_CONFIG")
        .env_remove("PRESIGN_JWT_SECRET")
        .env_remove("PRESIGN_JWT_PUBLIC_KEY")
        .env_remove("PRESIGN_JWT_JWKS")
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no identity configured")
            && err.contains("--jwt-secret")
            && err.contains("--dev"),
        "{err}"
    );
}

#[test]
fn refuses_to_start_with_an_unreadable_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--jwt-any-audience"])
        .arg("--jwt-public-key")
        .arg(fixture("jwt_jwks.json"))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("binary runs");
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("jwt_jwks.json") && err.contains("PEM"),
        "{err}"
    );
}
