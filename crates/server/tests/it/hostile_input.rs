//! Hostile input, table-driven: over 150 requests a hostile or careless
//! client might send — forged and expired tokens, traversal, NUL and
//! 64 KiB filenames, Unicode tricks, absurd sizes, wrong JSON types, extra
//! fields, another user's upload ids and keys, part numbers 0 and 10,001,
//! duplicate parts, completing parts never uploaded — on every endpoint that
//! starts an upload (PUT URL, POST form, multipart). Each must get the
//! expected 4xx (or a 2xx whose key is safe) with a JSON error naming a code,
//! never a 5xx; afterwards the store holds nothing outside each user's prefix.

use crate::common::multipart::MIB;
use crate::common::{start_with, TestServer};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use presign_core::protocol::multipart::MAX_PARTS_PER_REQUEST;
use presign_core::Sha256Digest;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;

const SECRET: &str = "hostile-input-secret-of-32-bytes-or-more";

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn token(claims: Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("token")
}

fn user_token(sub: &str) -> String {
    token(json!({"sub": sub, "exp": now() + 3600}), SECRET)
}

/// What a case may be answered with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// This status, with a JSON error body carrying a code.
    Error(u16),
    /// Any of these statuses: an error with a JSON code, or a 2xx with a safe key.
    OneOf(&'static [u16]),
    /// Success; any key it names must be safe and inside the caller's prefix.
    SafeKey,
}

struct Case {
    name: String,
    method: Method,
    path: String,
    auth: Option<String>,
    body: Option<String>,
    expect: Expect,
}

fn case(
    name: impl Into<String>,
    method: Method,
    path: &str,
    auth: Option<String>,
    body: Option<String>,
    expect: Expect,
) -> Case {
    Case {
        name: name.into(),
        method,
        path: path.to_owned(),
        auth,
        body,
        expect,
    }
}

/// A key is safe: inside `users/{user}/`, no traversal, no control or
/// invisible characters, within S3's 1,024 bytes.
fn assert_safe_key(key: &str, user: &str, context: &str) {
    assert!(
        key.starts_with(&format!("users/{user}/")),
        "{context}: {key:?}"
    );
    assert!(key.len() <= 1024, "{context}: {} bytes", key.len());
    assert!(
        !key.split('/')
            .any(|seg| seg == ".." || seg == "." || seg.is_empty()),
        "{context}: {key:?}"
    );
    assert!(!key.contains('\\'), "{context}: {key:?}");
    assert!(
        !key.chars().any(|c| c.is_control()
            || ('\u{200B}'..='\u{200F}').contains(&c)
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)),
        "{context}: {key:?}"
    );
}

async fn send(t: &TestServer, c: &Case) -> (u16, Value) {
    let url = format!("{}{}", t.server.url(), c.path);
    let mut req = t.http.request(c.method.clone(), url);
    if let Some(auth) = &c.auth {
        req = req.header("authorization", auth);
    }
    if let Some(body) = &c.body {
        req = req
            .header("content-type", "application/json")
            .body(body.clone());
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert!(status < 500, "{}: HTTP {status} {text}", c.name);
    (status, json)
}

fn check(c: &Case, status: u16, body: &Value, user: &str) {
    let error_code = body.pointer("/error/code").and_then(Value::as_str);
    match c.expect {
        Expect::Error(want) => {
            assert_eq!(status, want, "{}: {body}", c.name);
            assert!(
                error_code.is_some_and(|s| !s.is_empty()),
                "{}: no JSON error code in {body}",
                c.name
            );
        }
        Expect::OneOf(allowed) => {
            assert!(
                allowed.contains(&status),
                "{}: HTTP {status} not in {allowed:?}: {body}",
                c.name
            );
            if (200..300).contains(&status) {
                if let Some(key) = body.get("key").and_then(Value::as_str) {
                    assert_safe_key(key, user, &c.name);
                }
            } else {
                assert!(
                    error_code.is_some_and(|s| !s.is_empty()),
                    "{}: no JSON error code in {body}",
                    c.name
                );
            }
        }
        Expect::SafeKey => {
            assert!(
                (200..300).contains(&status),
                "{}: HTTP {status}: {body}",
                c.name
            );
            if let Some(key) = body.get("key").and_then(Value::as_str) {
                assert_safe_key(key, user, &c.name);
            }
        }
    }
}

/// `c` as a batch of one, for the single-file endpoints that have a batch
/// form and a body that is JSON (`None` otherwise).
fn as_batch(c: &Case) -> Option<Case> {
    let path = match c.path.as_str() {
        "/api/get-upload-url" => "/api/get-upload-urls",
        "/api/file-uploaded" => "/api/files-uploaded",
        _ => return None,
    };
    let file: Value = serde_json::from_str(c.body.as_deref()?).ok()?;
    Some(Case {
        name: format!("{} (batch of one)", c.name),
        method: c.method.clone(),
        path: path.to_owned(),
        auth: c.auth.clone(),
        body: Some(json!({ "files": [file] }).to_string()),
        expect: c.expect,
    })
}

/// Every object file under the embedded store's bucket, as keys.
fn stored_keys(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if let Ok(rel) = path.strip_prefix(base) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

#[tokio::test]
async fn hostile_requests_get_clear_4xx_and_nothing_lands_outside_a_prefix() {
    let t = start_with(
        &[
            "--jwt-secret",
            SECRET,
            "--rate-limit",
            "0",
            "--max-open-uploads",
            "1000",
        ],
        presign_server::Clock::System,
    )
    .await;
    let alice = format!("Bearer {}", user_token("alice"));
    let bob = format!("Bearer {}", user_token("bob"));

    // Alice's own things, which Bob will try to reach.
    let body = |v: Value| Some(v.to_string());
    let created: Value = t
        .http
        .post(t.api("multipart"))
        .header("authorization", &alice)
        .json(&json!({"filename": "alice.bin", "file_type": "demo", "size": 12 * MIB, "part_size": 5 * MIB}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let alice_upload = created["upload_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let signed: Value = t
        .http
        .post(t.api("get-upload-url"))
        .header("authorization", &alice)
        .json(&json!({"filename": "alice.txt", "file_type": "demo", "size": 5}))
        .send()
        .await
        .expect("sign")
        .json()
        .await
        .expect("json");
    let alice_key = signed["key"].as_str().expect("key").to_owned();
    let mut put = reqwest::Client::new().put(signed["upload_url"].as_str().expect("url"));
    for (name, value) in signed["headers"].as_object().expect("headers") {
        put = put.header(name, value.as_str().expect("header value"));
    }
    let stored = put.body("hello").send().await.expect("PUT");
    assert_eq!(stored.status(), 200, "{:?}", stored.text().await);

    let valid_put = json!({"filename": "a.bin", "file_type": "demo", "size": 10});
    let mut cases = Vec::new();

    // 1. Tokens, on every kind of endpoint.
    let bad_tokens: Vec<(&str, Option<String>)> = vec![
        ("no Authorization", None),
        ("empty bearer", Some("Bearer ".into())),
        ("garbage bearer", Some("Bearer not.a.jwt".into())),
        ("basic auth", Some("Basic YWxpY2U6c2VjcmV0".into())),
        (
            "forged (wrong secret)",
            Some(format!(
                "Bearer {}",
                token(
                    json!({"sub": "alice", "exp": now() + 3600}),
                    "another-secret-of-32-bytes-or-more!!"
                )
            )),
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                token(json!({"sub": "alice", "exp": now() - 3600}), SECRET)
            )),
        ),
        (
            "no exp",
            Some(format!("Bearer {}", token(json!({"sub": "alice"}), SECRET))),
        ),
        (
            "no sub",
            Some(format!(
                "Bearer {}",
                token(json!({"exp": now() + 3600}), SECRET)
            )),
        ),
        (
            "traversal sub",
            Some(format!(
                "Bearer {}",
                token(json!({"sub": "../bob", "exp": now() + 3600}), SECRET)
            )),
        ),
        (
            "slash sub",
            Some(format!(
                "Bearer {}",
                token(json!({"sub": "alice/../bob", "exp": now() + 3600}), SECRET)
            )),
        ),
        (
            "huge sub",
            Some(format!(
                "Bearer {}",
                token(json!({"sub": "a".repeat(300), "exp": now() + 3600}), SECRET)
            )),
        ),
        (
            "alg none",
            Some({
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
                format!(
                    "Bearer {}.{}.",
                    b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
                    b64.encode(json!({"sub": "alice", "exp": now() + 3600}).to_string())
                )
            }),
        ),
    ];
    for (what, auth) in &bad_tokens {
        for (method, path, b) in [
            (
                Method::POST,
                "/api/get-upload-url".to_owned(),
                body(valid_put.clone()),
            ),
            (
                Method::POST,
                "/api/multipart".to_owned(),
                body(json!({"filename": "a", "file_type": "demo", "size": 12 * MIB})),
            ),
            (
                Method::POST,
                "/api/get-upload-form".to_owned(),
                body(valid_put.clone()),
            ),
            (
                Method::GET,
                format!("/api/multipart/{alice_upload}/parts"),
                None,
            ),
            (Method::GET, "/api/uploads".to_owned(), None),
        ] {
            cases.push(case(
                format!("token {what} on {method} {path}"),
                method,
                &path,
                auth.clone(),
                b,
                Expect::Error(401),
            ));
        }
    }

    // 2. Filenames: sanitised into a safe key, or refused.
    let long_name = "a".repeat(64 * 1024);
    let names: Vec<(&str, String, Expect)> = vec![
        ("traversal", "../../etc/passwd".into(), Expect::SafeKey),
        (
            "windows traversal",
            "..\\..\\windows\\win.ini".into(),
            Expect::SafeKey,
        ),
        ("absolute", "/etc/shadow".into(), Expect::SafeKey),
        ("inner traversal", "a/../../b.txt".into(), Expect::SafeKey),
        ("dots only", "....".into(), Expect::SafeKey),
        ("dot", ".".into(), Expect::SafeKey),
        ("dotdot", "..".into(), Expect::SafeKey),
        ("NUL inside", "a\u{0}b.txt".into(), Expect::SafeKey),
        ("NUL only", "\u{0}".into(), Expect::SafeKey),
        (
            "control chars",
            "a\u{1}\u{7}\u{1b}[31mb.txt".into(),
            Expect::SafeKey,
        ),
        (
            "newline header injection",
            "a.txt\r\nX-Injected: 1".into(),
            Expect::SafeKey,
        ),
        (
            "RTL override",
            "invoice\u{202E}fdp.exe".into(),
            Expect::SafeKey,
        ),
        (
            "bidi isolates",
            "\u{2066}a\u{2069}.txt".into(),
            Expect::SafeKey,
        ),
        (
            "zero width",
            "a\u{200B}\u{200D}b.txt".into(),
            Expect::SafeKey,
        ),
        (
            "combining",
            "e\u{301}\u{301}\u{301}.txt".into(),
            Expect::SafeKey,
        ),
        ("emoji", "📦🚀.bin".into(), Expect::SafeKey),
        (
            "fullwidth slash",
            "a\u{FF0F}..\u{FF0F}b".into(),
            Expect::SafeKey,
        ),
        (
            "percent encoded",
            "%2e%2e%2fetc%2fpasswd".into(),
            Expect::SafeKey,
        ),
        ("query chars", "a?x=1#frag.txt".into(), Expect::SafeKey),
        ("long 1000", "b".repeat(1000) + ".txt", Expect::SafeKey),
        ("long 4000 unicode", "é".repeat(2000), Expect::SafeKey),
        // A body past the API's 64 KiB is refused before it is read.
        ("64 KiB", long_name.clone(), Expect::Error(413)),
        ("60 KiB", "a".repeat(60 * 1024), Expect::Error(400)),
        ("empty", String::new(), Expect::Error(400)),
        ("blank", "   ".into(), Expect::Error(400)),
        ("tabs", "\t\t".into(), Expect::Error(400)),
    ];
    for (what, name, expect) in &names {
        cases.push(case(
            format!("filename {what} (put)"),
            Method::POST,
            "/api/get-upload-url",
            Some(alice.clone()),
            body(json!({"filename": name, "file_type": "demo", "size": 10})),
            *expect,
        ));
        cases.push(case(
            format!("filename {what} (form)"),
            Method::POST,
            "/api/get-upload-form",
            Some(alice.clone()),
            body(json!({"filename": name, "file_type": "demo", "size": 10})),
            *expect,
        ));
        cases.push(case(
            format!("filename {what} (multipart)"),
            Method::POST,
            "/api/multipart",
            Some(alice.clone()),
            body(json!({"filename": name, "file_type": "demo", "size": 12 * MIB})),
            *expect,
        ));
    }

    // 3. Sizes and types of fields.
    let bodies: Vec<(&str, &str, String, Expect)> = vec![
        (
            "negative size",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","size":-1}"#.into(),
            Expect::Error(400),
        ),
        (
            "fractional size",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","size":1.5}"#.into(),
            Expect::Error(400),
        ),
        (
            "string size",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","size":"10"}"#.into(),
            Expect::Error(400),
        ),
        (
            "1e30 size",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","size":1e30}"#.into(),
            Expect::Error(400),
        ),
        (
            "u64 max size",
            "/api/get-upload-url",
            format!(
                r#"{{"filename":"a","file_type":"demo","size":{}}}"#,
                u64::MAX
            ),
            Expect::Error(413),
        ),
        (
            "5 GiB + 1 single put",
            "/api/get-upload-url",
            format!(
                r#"{{"filename":"a","file_type":"demo","size":{}}}"#,
                5u64 * 1024 * 1024 * 1024 + 1
            ),
            Expect::Error(413),
        ),
        (
            "multipart zero size",
            "/api/multipart",
            r#"{"filename":"a","file_type":"demo","size":0}"#.into(),
            Expect::OneOf(&[400, 413]),
        ),
        (
            "multipart negative",
            "/api/multipart",
            r#"{"filename":"a","file_type":"demo","size":-5}"#.into(),
            Expect::Error(400),
        ),
        (
            "multipart 60 TiB",
            "/api/multipart",
            format!(
                r#"{{"filename":"a","file_type":"demo","size":{}}}"#,
                60u64 << 40
            ),
            Expect::Error(413),
        ),
        (
            "multipart part_size 0",
            "/api/multipart",
            format!(
                r#"{{"filename":"a","file_type":"demo","size":{},"part_size":0}}"#,
                12 * MIB
            ),
            Expect::OneOf(&[200, 400]),
        ),
        (
            "multipart part_size 6 GiB",
            "/api/multipart",
            format!(
                r#"{{"filename":"a","file_type":"demo","size":{},"part_size":{}}}"#,
                12 * MIB,
                6u64 << 30
            ),
            Expect::OneOf(&[200, 400]),
        ),
        (
            "filename number",
            "/api/get-upload-url",
            r#"{"filename":7,"file_type":"demo"}"#.into(),
            Expect::Error(400),
        ),
        (
            "filename array",
            "/api/get-upload-url",
            r#"{"filename":["a"],"file_type":"demo"}"#.into(),
            Expect::Error(400),
        ),
        (
            "filename object",
            "/api/get-upload-url",
            r#"{"filename":{"x":1},"file_type":"demo"}"#.into(),
            Expect::Error(400),
        ),
        (
            "filename null",
            "/api/get-upload-url",
            r#"{"filename":null,"file_type":"demo"}"#.into(),
            Expect::Error(400),
        ),
        (
            "file_type missing",
            "/api/get-upload-url",
            r#"{"filename":"a"}"#.into(),
            Expect::Error(400),
        ),
        (
            "file_type traversal",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"../x"}"#.into(),
            Expect::Error(400),
        ),
        (
            "file_type slash",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"a/b"}"#.into(),
            Expect::Error(400),
        ),
        (
            "file_type huge",
            "/api/get-upload-url",
            format!(r#"{{"filename":"a","file_type":"{}"}}"#, "x".repeat(10_000)),
            Expect::Error(400),
        ),
        (
            "extra field bucket",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","bucket":"other"}"#.into(),
            Expect::Error(400),
        ),
        (
            "extra field key",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","key":"users/bob/x"}"#.into(),
            Expect::Error(400),
        ),
        (
            "content type injection",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","content_type":"text/plain\r\nX-Evil: 1"}"#
                .into(),
            Expect::OneOf(&[400, 415]),
        ),
        (
            "content type garbage",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","content_type":"not a type"}"#.into(),
            Expect::OneOf(&[400, 415]),
        ),
        (
            "sha256 garbage",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","sha256":"zzz"}"#.into(),
            Expect::Error(400),
        ),
        (
            "sha256 short",
            "/api/get-upload-url",
            r#"{"filename":"a","file_type":"demo","sha256":"AAAA"}"#.into(),
            Expect::Error(400),
        ),
        (
            "not JSON",
            "/api/get-upload-url",
            "filename=a&file_type=demo".into(),
            Expect::Error(400),
        ),
        (
            "JSON array",
            "/api/get-upload-url",
            "[1,2,3]".into(),
            Expect::Error(400),
        ),
        (
            "truncated JSON",
            "/api/get-upload-url",
            r#"{"filename":"a","#.into(),
            Expect::Error(400),
        ),
        (
            "deep nesting",
            "/api/get-upload-url",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            Expect::Error(400),
        ),
        (
            "empty body",
            "/api/multipart",
            String::new(),
            Expect::Error(400),
        ),
        (
            "file-uploaded key outside prefix",
            "/api/file-uploaded",
            r#"{"key":"users/bob/demo/x","file_type":"demo"}"#.into(),
            Expect::Error(404),
        ),
        (
            "file-uploaded traversal key",
            "/api/file-uploaded",
            r#"{"key":"users/alice/../bob/x","file_type":"demo"}"#.into(),
            Expect::OneOf(&[400, 404]),
        ),
        (
            "file-uploaded absent key",
            "/api/file-uploaded",
            r#"{"key":"users/alice/demo/none","file_type":"demo"}"#.into(),
            Expect::Error(404),
        ),
        (
            "file-uploaded key number",
            "/api/file-uploaded",
            r#"{"key":5,"file_type":"demo"}"#.into(),
            Expect::Error(400),
        ),
    ];
    // The POST form endpoint: sizes (its ceiling is 10 MB), types, digests, extra fields.
    let form = "/api/get-upload-form";
    let form_bodies: Vec<(&str, String, Expect)> = vec![
        (
            "zero size",
            r#"{"filename":"a","file_type":"demo","size":0}"#.into(),
            Expect::Error(400),
        ),
        (
            "negative size",
            r#"{"filename":"a","file_type":"demo","size":-1}"#.into(),
            Expect::Error(400),
        ),
        (
            "string size",
            r#"{"filename":"a","file_type":"demo","size":"10"}"#.into(),
            Expect::Error(400),
        ),
        (
            "fractional size",
            r#"{"filename":"a","file_type":"demo","size":0.5}"#.into(),
            Expect::Error(400),
        ),
        (
            "10 MB + 1",
            r#"{"filename":"a","file_type":"demo","size":10000001}"#.into(),
            Expect::Error(413),
        ),
        (
            "5 GiB",
            format!(
                r#"{{"filename":"a","file_type":"demo","size":{}}}"#,
                5u64 << 30
            ),
            Expect::Error(413),
        ),
        (
            "u64 max size",
            format!(
                r#"{{"filename":"a","file_type":"demo","size":{}}}"#,
                u64::MAX
            ),
            Expect::Error(413),
        ),
        (
            "10 MB exactly",
            r#"{"filename":"a","file_type":"demo","size":10000000}"#.into(),
            Expect::SafeKey,
        ),
        (
            "no size",
            r#"{"filename":"a","file_type":"demo"}"#.into(),
            Expect::SafeKey,
        ),
        (
            "file_type missing",
            r#"{"filename":"a"}"#.into(),
            Expect::Error(400),
        ),
        (
            "file_type traversal",
            r#"{"filename":"a","file_type":"../x"}"#.into(),
            Expect::Error(400),
        ),
        (
            "file_type uppercase",
            r#"{"filename":"a","file_type":"DEMO"}"#.into(),
            Expect::Error(400),
        ),
        (
            "filename number",
            r#"{"filename":7,"file_type":"demo"}"#.into(),
            Expect::Error(400),
        ),
        (
            "content type injection",
            r#"{"filename":"a","file_type":"demo","content_type":"text/plain\r\nX-Evil: 1"}"#
                .into(),
            Expect::OneOf(&[400, 415]),
        ),
        (
            "content type with quotes",
            r#"{"filename":"a","file_type":"demo","content_type":"text/plain; x=\"}\""}"#.into(),
            Expect::Error(400),
        ),
        (
            "content type garbage",
            r#"{"filename":"a","file_type":"demo","content_type":"not a type"}"#.into(),
            Expect::OneOf(&[400, 415]),
        ),
        (
            "sha256 garbage",
            r#"{"filename":"a","file_type":"demo","sha256":"zzz"}"#.into(),
            Expect::Error(400),
        ),
        (
            "sha256 hex",
            format!(
                r#"{{"filename":"a","file_type":"demo","sha256":"{}"}}"#,
                "ab".repeat(32)
            ),
            Expect::Error(400),
        ),
        (
            "extra field key",
            r#"{"filename":"a","file_type":"demo","key":"users/bob/x"}"#.into(),
            Expect::Error(400),
        ),
        (
            "extra field fields",
            r#"{"filename":"a","file_type":"demo","fields":{"acl":"public-read"}}"#.into(),
            Expect::Error(400),
        ),
        (
            "extra field policy",
            r#"{"filename":"a","file_type":"demo","policy":"e30="}"#.into(),
            Expect::Error(400),
        ),
        ("JSON array", "[1]".into(), Expect::Error(400)),
        ("not JSON", "filename=a".into(), Expect::Error(400)),
        ("empty body", String::new(), Expect::Error(400)),
    ];
    for (what, b, expect) in form_bodies {
        cases.push(case(
            format!("form {what}"),
            Method::POST,
            form,
            Some(alice.clone()),
            Some(b),
            expect,
        ));
    }
    for (what, path, b, expect) in bodies {
        cases.push(case(
            what,
            Method::POST,
            path,
            Some(alice.clone()),
            Some(b),
            expect,
        ));
    }

    // 4. Multipart: part numbers, duplicates, sizes, completing what was never sent.
    let d = Sha256Digest::of(b"x").to_base64();
    let parts_path = format!("/api/multipart/{alice_upload}/part-urls");
    let complete_path = format!("/api/multipart/{alice_upload}/complete");
    let multipart_bodies: Vec<(&str, &str, Value, Expect)> = vec![
        (
            "part 0",
            &parts_path,
            json!({"parts": [{"number": 0, "size": 5 * MIB, "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "part 10001",
            &parts_path,
            json!({"parts": [{"number": 10001, "size": 5 * MIB, "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "part 4 of 3",
            &parts_path,
            json!({"parts": [{"number": 4, "size": 5 * MIB, "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "part negative",
            &parts_path,
            json!({"parts": [{"number": -1, "size": 5 * MIB, "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "duplicate parts",
            &parts_path,
            json!({"parts": [{"number": 1, "size": 5 * MIB, "sha256": d}, {"number": 1, "size": 5 * MIB, "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "wrong part size",
            &parts_path,
            json!({"parts": [{"number": 1, "size": 5, "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "last part wrong size",
            &parts_path,
            json!({"parts": [{"number": 3, "size": 5 * MIB, "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "no parts",
            &parts_path,
            json!({"parts": []}),
            Expect::Error(400),
        ),
        (
            "one part too many",
            &parts_path,
            json!({"parts": (1..=MAX_PARTS_PER_REQUEST + 1).map(|n| json!({"number": n, "size": 5 * MIB, "sha256": d})).collect::<Vec<_>>()}),
            Expect::Error(400),
        ),
        (
            "bad digest",
            &parts_path,
            json!({"parts": [{"number": 1, "size": 5 * MIB, "sha256": "nope"}]}),
            Expect::Error(400),
        ),
        (
            "extra field",
            &parts_path,
            json!({"parts": [{"number": 1, "size": 5 * MIB, "sha256": d, "url": "http://evil"}]}),
            Expect::Error(400),
        ),
        (
            "complete never uploaded",
            &complete_path,
            json!({"parts": [{"number": 1, "etag": "\"abc\"", "sha256": d}, {"number": 2, "etag": "\"abc\"", "sha256": d}, {"number": 3, "etag": "\"abc\"", "sha256": d}]}),
            Expect::OneOf(&[400, 409]),
        ),
        (
            "complete empty",
            &complete_path,
            json!({"parts": []}),
            Expect::Error(400),
        ),
        (
            "complete duplicates",
            &complete_path,
            json!({"parts": [{"number": 1, "etag": "\"a\"", "sha256": d}, {"number": 1, "etag": "\"a\"", "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "complete part 0",
            &complete_path,
            json!({"parts": [{"number": 0, "etag": "\"a\"", "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "complete part 10001",
            &complete_path,
            json!({"parts": [{"number": 10001, "etag": "\"a\"", "sha256": d}]}),
            Expect::Error(400),
        ),
        (
            "complete missing parts",
            &complete_path,
            json!({"parts": [{"number": 1, "etag": "\"a\"", "sha256": d}]}),
            Expect::OneOf(&[400, 409]),
        ),
        (
            "complete etag injection",
            &complete_path,
            json!({"parts": [{"number": 1, "etag": "</ETag><Part>", "sha256": d}, {"number": 2, "etag": "\"a\"", "sha256": d}, {"number": 3, "etag": "\"a\"", "sha256": d}]}),
            Expect::OneOf(&[400, 409]),
        ),
    ];
    for (what, path, b, expect) in multipart_bodies {
        cases.push(case(
            format!("multipart {what}"),
            Method::POST,
            path,
            Some(alice.clone()),
            Some(b.to_string()),
            expect,
        ));
    }
    for (what, id) in [
        ("unknown id", "0123456789abcdef0123456789abcdef".to_owned()),
        ("malformed id", "..%2F..%2Fx".to_owned()),
        ("uppercase id", alice_upload.to_uppercase()),
        ("huge id", "a".repeat(5000)),
    ] {
        cases.push(case(
            format!("{what}: parts"),
            Method::GET,
            &format!("/api/multipart/{id}/parts"),
            Some(alice.clone()),
            None,
            Expect::Error(404),
        ));
        cases.push(case(
            format!("{what}: abort"),
            Method::DELETE,
            &format!("/api/multipart/{id}"),
            Some(alice.clone()),
            None,
            Expect::Error(404),
        ));
        cases.push(case(
            format!("{what}: complete"),
            Method::POST,
            &format!("/api/multipart/{id}/complete"),
            Some(alice.clone()),
            body(json!({"parts": [{"number": 1, "etag": "\"a\"", "sha256": d}]})),
            Expect::Error(404),
        ));
    }

    // 5. Bob reaches for Alice's upload and key: not found, never forbidden.
    let enc = |k: &str| k.replace('/', "%2F");
    for (what, method, path, b) in [
        (
            "part-urls",
            Method::POST,
            parts_path.clone(),
            body(json!({"parts": [{"number": 1, "size": 5 * MIB, "sha256": d}]})),
        ),
        (
            "parts",
            Method::GET,
            format!("/api/multipart/{alice_upload}/parts"),
            None,
        ),
        (
            "complete",
            Method::POST,
            complete_path.clone(),
            body(json!({"parts": [{"number": 1, "etag": "\"a\"", "sha256": d}]})),
        ),
        (
            "abort",
            Method::DELETE,
            format!("/api/multipart/{alice_upload}"),
            None,
        ),
        (
            "download",
            Method::GET,
            format!("/api/download-url?key={}", enc(&alice_key)),
            None,
        ),
        (
            "file-uploaded",
            Method::POST,
            "/api/file-uploaded".to_owned(),
            body(json!({"key": alice_key, "file_type": "demo"})),
        ),
    ] {
        cases.push(case(
            format!("bob on alice's {what}"),
            method,
            &path,
            Some(bob.clone()),
            b,
            Expect::Error(404),
        ));
    }
    // Query strings: missing, empty and traversing keys.
    for (what, query) in [
        ("no key", String::new()),
        ("empty key", "?key=".into()),
        ("traversal", "?key=users%2Falice%2F..%2Fbob%2Fx".into()),
        ("other prefix", "?key=users%2Fbob%2Fx".into()),
        ("NUL", "?key=users%2Falice%2F%00".into()),
    ] {
        cases.push(case(
            format!("download {what}"),
            Method::GET,
            &format!("/api/download-url{query}"),
            Some(alice.clone()),
            None,
            Expect::OneOf(&[400, 404]),
        ));
    }
    // Methods and paths that do not exist.
    for (method, path) in [
        (Method::PUT, "/api/get-upload-url"),
        (Method::GET, "/api/get-upload-url"),
        (Method::GET, "/api/get-upload-form"),
        (Method::PUT, "/api/get-upload-form"),
        (Method::DELETE, "/api/uploads"),
        (Method::GET, "/api/..%2f..%2fetc%2fpasswd"),
        (Method::POST, "/api/nope"),
    ] {
        cases.push(case(
            format!("{method} {path}"),
            method,
            path,
            Some(alice.clone()),
            None,
            Expect::OneOf(&[404, 405]),
        ));
    }

    assert!(cases.len() >= 150, "only {} cases", cases.len());
    for c in &cases {
        let (status, json) = send(&t, c).await;
        check(c, status, &json, "alice");
    }
    // The same single-file requests as batches of one (get-upload-urls,
    // files-uploaded): each file's outcome is what its own request got.
    let mut batched = 0;
    for c in &cases {
        let Some(batch) = as_batch(c) else { continue };
        let (alone, alone_body) = send(&t, c).await;
        let (status, body) = send(&t, &batch).await;
        batched += 1;
        if status != 200 {
            // Refused whole (a bad token, a body that cannot be read), as
            // the file alone was.
            assert_eq!(status, alone, "{}: {body}", batch.name);
            check(&batch, status, &body, "alice");
            continue;
        }
        let outcome = &body["uploads"][0];
        let (got, got_body) = match outcome.get("ok") {
            Some(ok) => (200, ok.clone()),
            None => (
                outcome["status"].as_u64().unwrap_or(0) as u16,
                json!({ "error": outcome["error"] }),
            ),
        };
        assert_eq!(
            got, alone,
            "{}: {outcome} (alone: {alone_body})",
            batch.name
        );
        check(c, got, &got_body, "alice");
    }
    assert!(batched > 40, "only {batched} cases batched");

    // Alice's upload survived Bob; it is still hers.
    let listed = t
        .http
        .get(t.api(&format!("multipart/{alice_upload}/parts")))
        .header("authorization", &alice)
        .send()
        .await
        .expect("parts");
    assert_eq!(listed.status(), 200);

    // Nothing in the store outside a user's prefix (objects and the
    // in-progress parts the embedded store keeps beside them).
    let bucket = t.data_dir().join("data").join("store").join("uploads");
    let keys = stored_keys(&bucket);
    assert!(
        keys.iter().any(|k| k == &alice_key),
        "the store's files ({keys:?}) do not show Alice's object {alice_key}: the check below would prove nothing"
    );
    for key in &keys {
        assert!(
            key.starts_with("users/alice/")
                || key.starts_with("users/bob/")
                || key.starts_with('.'),
            "stored outside a prefix: {key}"
        );
    }
    println!(
        "{} hostile requests answered, {batched} again as batches of one; {} files in the store",
        cases.len(),
        keys.len()
    );
}
