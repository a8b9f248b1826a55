//! Hostile input against identity and quotas, table-driven: tokens with a
//! wrong, missing or oddly typed `aud` or `iss`, one issuer's name on
//! another's key, algorithm confusion, header tricks (`jku`, a traversing
//! `kid`), `exp` and `nbf` far outside any leeway or of the wrong type, a
//! `sub` that spells another prefix; and sizes around a byte quota on every
//! endpoint that starts an upload. Each gets the expected 4xx with a JSON
//! error code, never a 5xx.

use crate::common::multipart::MIB;
use crate::common::tokens::{es256, fixture, fixture_bytes, hs256, now, raw, rs256};
use crate::common::{start_with, TestServer};
use presign_server::Clock;
use serde_json::{json, Value};

const AUD: &str = "presign";
const ISS: &str = "https://id.example/";
const ISSUER_B: &str = "https://id-b.example/";
const SECRET: &str = "hostile-quota-secret-0123456789abcdef0123";
const QUOTA: u64 = 1000;

struct Case {
    name: &'static str,
    path: &'static str,
    token: String,
    body: Value,
    /// The status and error code expected.
    want: (u16, &'static str),
}

fn case(name: &'static str, token: String, want: (u16, &'static str)) -> Case {
    Case {
        name,
        path: "get-upload-url",
        token,
        body: json!({"filename": "a.bin", "file_type": "ecu", "size": 10}),
        want,
    }
}

const UNAUTHORIZED: (u16, &str) = (401, "unauthorized");

/// Claims of a good token of issuer `ISS`, with `extra` merged in (a `null`
/// removes the claim).
fn claims(extra: Value) -> Value {
    let mut c = json!({"sub": "alice", "exp": now() + 3600, "aud": AUD, "iss": ISS});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        for (name, value) in extra {
            if value.is_null() {
                c.remove(name);
            } else {
                c.insert(name.clone(), value.clone());
            }
        }
    }
    c
}

fn rsa(extra: Value) -> String {
    rs256(&claims(extra), Some("rsa-1"))
}

/// Sends every case as its token's holder and checks the answer.
async fn run(t: &mut TestServer, cases: &[Case]) {
    for c in cases {
        t.set_token(Some(&c.token));
        let resp = t.post_json(c.path, &c.body).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        assert!(status < 500, "{}: HTTP {status} {text}", c.name);
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{}: not JSON: {text}", c.name));
        let code = body.pointer("/error/code").and_then(Value::as_str);
        assert_eq!(
            (status, code),
            (c.want.0, Some(c.want.1)),
            "{}: {text}",
            c.name
        );
        let message = body.pointer("/error/message").and_then(Value::as_str);
        assert!(message.is_some_and(|m| !m.is_empty()), "{}: {text}", c.name);
    }
}

#[tokio::test]
async fn hostile_tokens_against_public_keys_are_401() {
    let jwks = fixture("jwt_jwks.json");
    let args = [
        "--jwt-jwks",
        &jwks,
        "--jwt-audience",
        AUD,
        "--jwt-issuer",
        ISS,
    ];
    let mut t = start_with(&args, Clock::System).await;
    // The baseline is accepted.
    t.set_token(Some(&rsa(json!({}))));
    let ok = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "a.bin", "file_type": "ecu"}),
        )
        .await;
    assert_eq!(ok.status(), 200);

    let rsa_pem = fixture_bytes("jwt_rsa_public.pem");
    let hs_with_kid = |secret: &[u8]| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("rsa-1".into());
        jsonwebtoken::encode(
            &header,
            &claims(json!({})),
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .expect("token")
    };
    let payload = claims(json!({})).to_string();
    let cases = vec![
        case(
            "aud of another app",
            rsa(json!({"aud": "other-app"})),
            UNAUTHORIZED,
        ),
        case("aud missing", rsa(json!({"aud": null})), UNAUTHORIZED),
        case("aud empty", rsa(json!({"aud": ""})), UNAUTHORIZED),
        case(
            "aud list without ours",
            rsa(json!({"aud": ["a", "b"]})),
            UNAUTHORIZED,
        ),
        case("aud a number", rsa(json!({"aud": 7})), UNAUTHORIZED),
        case(
            "aud an object",
            rsa(json!({"aud": {"presign": true}})),
            UNAUTHORIZED,
        ),
        case(
            "aud ours in other case",
            rsa(json!({"aud": "PRESIGN"})),
            UNAUTHORIZED,
        ),
        case(
            "iss of another issuer",
            rsa(json!({"iss": "https://evil.example/"})),
            UNAUTHORIZED,
        ),
        case("iss missing", rsa(json!({"iss": null})), UNAUTHORIZED),
        case("iss a list", rsa(json!({"iss": [ISS]})), UNAUTHORIZED),
        case(
            "iss without its slash",
            rsa(json!({"iss": "https://id.example"})),
            UNAUTHORIZED,
        ),
        case(
            "alg none",
            raw(r#"{"alg":"none","typ":"JWT"}"#, &payload, b""),
            UNAUTHORIZED,
        ),
        case(
            "alg None",
            raw(r#"{"alg":"None","kid":"rsa-1"}"#, &payload, b""),
            UNAUTHORIZED,
        ),
        case(
            "HS256 keyed with the RSA public PEM",
            hs_with_kid(&rsa_pem),
            UNAUTHORIZED,
        ),
        case(
            "HS256 keyed with the JWKS text",
            hs_with_kid(&fixture_bytes("jwt_jwks.json")),
            UNAUTHORIZED,
        ),
        case(
            "ES256 naming the RSA key",
            es256(&claims(json!({})), Some("rsa-1")),
            UNAUTHORIZED,
        ),
        case(
            "kid traversing",
            rs256(&claims(json!({})), Some("../../etc/passwd")),
            UNAUTHORIZED,
        ),
        case(
            "kid 2 KiB",
            rs256(&claims(json!({})), Some(&"k".repeat(2048))),
            UNAUTHORIZED,
        ),
        case(
            "jku to the attacker's keys, signed with theirs",
            raw(
                r#"{"alg":"RS256","kid":"rsa-1","jku":"https://evil.example/jwks.json"}"#,
                &payload,
                &[7; 256],
            ),
            UNAUTHORIZED,
        ),
        case(
            "exp 10 minutes ago (leeway 30 s)",
            rsa(json!({"exp": now() - 600})),
            UNAUTHORIZED,
        ),
        case(
            "exp a day ago",
            rsa(json!({"exp": now() - 86_400})),
            UNAUTHORIZED,
        ),
        case("exp 0", rsa(json!({"exp": 0})), UNAUTHORIZED),
        case("exp negative", rsa(json!({"exp": -1})), UNAUTHORIZED),
        case(
            "exp a string",
            rsa(json!({"exp": "99999999999"})),
            UNAUTHORIZED,
        ),
        case("exp missing", rsa(json!({"exp": null})), UNAUTHORIZED),
        case("exp i64 min", rsa(json!({"exp": i64::MIN})), UNAUTHORIZED),
        case(
            "nbf 10 minutes ahead",
            rsa(json!({"nbf": now() + 600})),
            UNAUTHORIZED,
        ),
        case("nbf a string", rsa(json!({"nbf": "soon"})), UNAUTHORIZED),
        case(
            "sub spelling a labelled prefix",
            rsa(json!({"sub": "a/alice"})),
            UNAUTHORIZED,
        ),
        case("sub traversing", rsa(json!({"sub": ".."})), UNAUTHORIZED),
        case("sub a number", rsa(json!({"sub": 42})), UNAUTHORIZED),
        case(
            "payload not base64",
            format!("{}.!!!.{}", "eyJhbGciOiJSUzI1NiJ9", "AA"),
            UNAUTHORIZED,
        ),
        case(
            "payload not JSON",
            raw(r#"{"alg":"RS256","kid":"rsa-1"}"#, "not json", &[1; 256]),
            UNAUTHORIZED,
        ),
    ];
    run(&mut t, &cases).await;
}

/// Two issuers: `ISS` (the RSA key) and `ISSUER_B` (the EC key).
async fn two_issuers() -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("presign.toml");
    let toml = format!(
        "[identity]\njwt_audience = \"{AUD}\"\n\n[[identity.issuers]]\nissuer = \"{ISS}\"\nlabel = \"a\"\njwt_public_key = \"{}\"\n\n[[identity.issuers]]\nissuer = \"{ISSUER_B}\"\nlabel = \"b\"\njwt_public_key = \"{}\"\n",
        fixture("jwt_rsa_public.pem"),
        fixture("jwt_ec_public.pem"),
    );
    std::fs::write(&path, toml).expect("config written");
    start_with(&["--config", &path.to_string_lossy()], Clock::System).await
}

#[tokio::test]
async fn hostile_tokens_against_several_issuers_are_401() {
    let mut t = two_issuers().await;
    let b = |extra: Value| {
        let mut c = claims(extra);
        c["iss"] = json!(ISSUER_B);
        c
    };
    let payload = claims(json!({"iss": 7})).to_string();
    let cases = vec![
        case(
            "A's iss on B's key",
            es256(&claims(json!({})), None),
            UNAUTHORIZED,
        ),
        case(
            "B's iss on A's key",
            rs256(&b(json!({})), None),
            UNAUTHORIZED,
        ),
        case(
            "no iss",
            rs256(&claims(json!({"iss": null})), None),
            UNAUTHORIZED,
        ),
        case(
            "an unknown iss",
            rs256(&claims(json!({"iss": "https://c/"})), None),
            UNAUTHORIZED,
        ),
        case(
            "iss a number",
            raw(r#"{"alg":"RS256"}"#, &payload, &[1; 256]),
            UNAUTHORIZED,
        ),
        case(
            "iss empty",
            rs256(&claims(json!({"iss": ""})), None),
            UNAUTHORIZED,
        ),
        case(
            "B's iss, another aud",
            es256(&b(json!({"aud": "other"})), None),
            UNAUTHORIZED,
        ),
        case(
            "B's iss, sub spelling A's prefix",
            es256(&b(json!({"sub": "a/alice"})), None),
            UNAUTHORIZED,
        ),
        case(
            "B's iss, expired",
            es256(&b(json!({"exp": now() - 600})), None),
            UNAUTHORIZED,
        ),
        case(
            "HS256 with B's iss keyed with B's PEM",
            hs256(&b(json!({})), &fixture_bytes("jwt_ec_public.pem")),
            UNAUTHORIZED,
        ),
    ];
    run(&mut t, &cases).await;
}

fn sized(path: &'static str, name: &'static str, size: Value, want: (u16, &'static str)) -> Case {
    Case {
        name,
        path,
        token: hs256(&json!({"sub": "q", "exp": now() + 3600}), SECRET.as_bytes()),
        body: json!({"filename": "a.bin", "file_type": "ecu", "size": size}),
        want,
    }
}

#[tokio::test]
async fn sizes_around_the_quota_are_clear_4xx() {
    let quota = QUOTA.to_string();
    let mut t = start_with(
        &[
            "--jwt-secret",
            SECRET,
            "--user-quota",
            &quota,
            "--rate-limit",
            "0",
        ],
        Clock::System,
    )
    .await;
    const OVER: (u16, &str) = (413, "quota_exceeded");
    const BAD: (u16, &str) = (400, "bad_request");
    let cases = vec![
        sized("get-upload-url", "PUT quota + 1", json!(QUOTA + 1), OVER),
        sized("get-upload-url", "PUT 5 GiB", json!(5u64 << 30), OVER),
        sized(
            "get-upload-url",
            "PUT u64 max",
            json!(u64::MAX),
            (413, "too_large"),
        ),
        sized("get-upload-url", "PUT size missing", Value::Null, BAD),
        sized("get-upload-url", "PUT size -1", json!(-1), BAD),
        sized("get-upload-url", "PUT size a string", json!("1000"), BAD),
        sized("get-upload-url", "PUT size 1e3", json!(1e3), BAD),
        sized("get-upload-form", "form quota + 1", json!(QUOTA + 1), OVER),
        sized("get-upload-form", "form size -1", json!(-1), BAD),
        sized("multipart", "multipart 6 MiB", json!(6 * MIB), OVER),
        sized("multipart", "multipart quota + 1", json!(QUOTA + 1), OVER),
        sized(
            "multipart",
            "multipart u64 max",
            json!(u64::MAX),
            (413, "too_large"),
        ),
    ];
    run(&mut t, &cases).await;
    // A batch: the file that would pass the quota beside others, alone refused.
    let file = |n: u64| json!({"filename": "a.bin", "file_type": "ecu", "size": n});
    let resp = t
        .post_json(
            "get-upload-urls",
            &json!({"files": [file(QUOTA), file(1), file(QUOTA + 1)]}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let batch: Value = resp.json().await.expect("JSON");
    let codes: Vec<Option<&str>> = batch["uploads"]
        .as_array()
        .expect("uploads")
        .iter()
        .map(|o| o.pointer("/error/code").and_then(Value::as_str))
        .collect();
    assert_eq!(
        codes,
        [None, Some("quota_exceeded"), Some("quota_exceeded")],
        "{batch}"
    );
    // The exact quota is still signed alone: nothing above was counted.
    let resp = t.post_json("get-upload-url", &file(QUOTA)).await;
    assert_eq!(resp.status(), 200);
}
