//! Hostile input around what a browser would run, table-driven: content
//! types with parameters, lists, quotes, case tricks and header smuggling;
//! active types (HTML, SVG, XML, JavaScript) under the default policy, on
//! every endpoint that starts an upload; and download URLs asked for odd
//! keys. Each must get its 4xx with a JSON error code, never a 5xx; a
//! refused content type's message names `content_type`.

use crate::common::{start, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

struct Case {
    name: String,
    method: Method,
    path: String,
    body: Option<Value>,
    status: u16,
    /// Text the error message must contain.
    names: Option<&'static str>,
}

fn upload_body(path: &str, content_type: &str) -> Value {
    let mut body = json!({
        "filename": "payload.bin",
        "file_type": "ecu",
        "content_type": content_type,
        "size": 6 * 1024 * 1024,
    });
    if path == "/api/multipart" {
        body["part_size"] = json!(5 * 1024 * 1024);
    }
    if path == "/api/get-upload-form" {
        body["size"] = json!(1024);
    }
    body
}

/// Content types refused as malformed (400), on every upload endpoint.
const MALFORMED: [(&str, &str); 12] = [
    ("parameter then a list", "image/png; a=b, text/html"),
    ("a list", "image/png, text/html"),
    ("a list with a space", "image/png , text/html"),
    ("quoted charset", "text/plain; charset=\"utf-8\""),
    ("another parameter", "image/png; boundary=x"),
    ("two charsets", "text/plain; charset=utf-8; charset=latin1"),
    ("empty parameter", "text/plain;"),
    ("NUL", "image/png\u{0}"),
    (
        "header smuggled",
        "image/png\r\nContent-Disposition: inline",
    ),
    ("non-ASCII", "image/pngé"),
    ("backslash", "image/png; charset=a\\b"),
    ("no subtype", "text/"),
];

/// Active types the default policy refuses (415), whatever their case.
const ACTIVE: [&str; 12] = [
    "text/html",
    "TEXT/HTML",
    "Text/Html; charset=utf-8",
    "image/svg+xml",
    "IMAGE/SVG+XML",
    "application/xhtml+xml",
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/javascript",
    "text/javascript",
    "application/ecmascript",
];

const UPLOAD_PATHS: [&str; 3] = [
    "/api/get-upload-url",
    "/api/get-upload-form",
    "/api/multipart",
];

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for path in UPLOAD_PATHS {
        for (what, ct) in MALFORMED {
            cases.push(Case {
                name: format!("{path}: {what}"),
                method: Method::POST,
                path: path.to_owned(),
                body: Some(upload_body(path, ct)),
                status: 400,
                names: Some("content_type"),
            });
        }
        for ct in ACTIVE {
            cases.push(Case {
                name: format!("{path}: active {ct}"),
                method: Method::POST,
                path: path.to_owned(),
                body: Some(upload_body(path, ct)),
                status: 415,
                names: Some("content_type"),
            });
        }
    }
    let long = format!("users/dev/ecu/{}", "a".repeat(2000));
    let odd_keys: [(&str, &str, u16); 10] = [
        ("empty key", "", 400),
        ("traversal", "users/dev/../other/ecu/x", 400),
        ("another user's key", "users/other/ecu/x.bin", 404),
        ("a key never uploaded", "users/dev/ecu/missing.bin", 404),
        ("NUL in key", "users/dev/ecu/a\u{0}b", 400),
        ("CRLF in key", "users/dev/ecu/a\r\nHost: evil", 400),
        ("longer than S3 allows", &long, 400),
        ("the prefix alone", "users/dev/", 400),
        ("leading slash", "/users/dev/ecu/x", 400),
        ("dot segment", "users/dev/./ecu/x", 400),
    ];
    for (what, key, status) in odd_keys {
        let query = url_encode(key);
        cases.push(Case {
            name: format!("download-url: {what}"),
            method: Method::GET,
            path: format!("/api/download-url?key={query}"),
            body: None,
            status,
            names: None,
        });
    }
    cases.push(Case {
        name: "download-url: no key".into(),
        method: Method::GET,
        path: "/api/download-url".into(),
        body: None,
        status: 400,
        names: Some("key"),
    });
    cases.push(Case {
        name: "download-url: key twice".into(),
        method: Method::GET,
        path: "/api/download-url?key=users/dev/a&key=users/dev/b".into(),
        body: None,
        status: 400,
        names: None,
    });
    cases
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn send(t: &TestServer, c: &Case) -> (u16, Value, String) {
    let url = format!("{}{}", t.server.url(), c.path);
    let mut req = t.http.request(c.method.clone(), url);
    if let Some(body) = &c.body {
        req = req.json(body);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", c.name));
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, json, text)
}

#[tokio::test]
async fn hostile_content_types_and_download_keys_get_clear_4xx() {
    let t = start().await;
    let cases = cases();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let (status, body, text) = send(&t, c).await;
        assert!(status < 500, "{}: HTTP {status} {text}", c.name);
        let code = body.pointer("/error/code").and_then(Value::as_str);
        let message = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if status != c.status || code.is_none_or(str::is_empty) {
            failures.push(format!(
                "{}: HTTP {status} (want {}): {text}",
                c.name, c.status
            ));
        } else if let Some(named) = c.names {
            if !message.contains(named) {
                failures.push(format!(
                    "{}: message does not name {named}: {message}",
                    c.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn charset_is_the_one_parameter_allowed() {
    let t = start().await;
    for ct in [
        "text/plain; charset=utf-8",
        "text/plain;charset=UTF-8",
        "image/png",
    ] {
        let resp = t
            .post_json("get-upload-url", &upload_body("/api/get-upload-url", ct))
            .await;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(status, 200, "{ct}: {text}");
    }
}
