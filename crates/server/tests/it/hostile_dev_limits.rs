//! Hostile input against development mode's `Host` check and the API's
//! body limits, table-driven, over raw sockets (an HTTP client will not
//! send two `Host` headers, none, or an absolute-form target): DNS-rebinding
//! names, look-alikes of the loopback names, other loopback addresses,
//! malformed hosts, on every kind of route (API reads and writes, probes,
//! static files, preflights); JSON bodies past 64 KiB (a Complete's past
//! 2 MiB), declared, chunked or lied about. Each must get its 4xx with a
//! JSON error code, never a 5xx; and nothing may reach the store.

use crate::common::raw::raw_request;
use crate::common::start;

/// One hostile request: its head (request line and headers, no blank
/// line), its body, and the answer it must get.
struct Case {
    name: String,
    head: String,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

const UPLOAD_ID: &str = "0123456789abcdef0123456789abcdef";

/// Requests a DNS-rebinding page (or a look-alike) would send: refused.
fn host_cases(port: u16) -> Vec<Case> {
    let refused = |name: &str, head: String| Case {
        name: name.to_owned(),
        head,
        body: Vec::new(),
        status: 403,
        code: "forbidden",
    };
    let get = |host: &str| format!("GET /api/uploads HTTP/1.1\r\nHost: {host}\r\n");
    let good = format!("127.0.0.1:{port}");
    let mut cases: Vec<Case> = [
        ("rebinding domain", "evil.example".to_owned()),
        (
            "rebinding domain with the port",
            format!("evil.example:{port}"),
        ),
        (
            "localhost as a subdomain",
            format!("localhost.evil.example:{port}"),
        ),
        (
            "127.0.0.1 as a subdomain",
            format!("127.0.0.1.nip.io:{port}"),
        ),
        ("a subdomain of localhost", format!("app.localhost:{port}")),
        ("another loopback address", format!("127.0.0.2:{port}")),
        ("the unspecified address", format!("0.0.0.0:{port}")),
        (
            "localhost with a trailing dot",
            format!("localhost.:{port}"),
        ),
        ("userinfo", format!("user@127.0.0.1:{port}")),
        ("bracketed junk", format!("[::1].evil.example:{port}")),
        ("two ports", format!("localhost:{port}:{port}")),
        ("a port that is not a number", "localhost:http".to_owned()),
        ("a port past 65535", "localhost:99999".to_owned()),
        ("a decimal IP of 127.0.0.1", format!("2130706433:{port}")),
    ]
    .into_iter()
    .map(|(name, host)| refused(name, get(&host)))
    .collect();
    cases.extend([
        refused(
            "no Host",
            "GET /api/uploads HTTP/1.1\r\n".to_owned(),
        ),
        refused(
            "an empty Host",
            "GET /api/uploads HTTP/1.1\r\nHost: \r\n".to_owned(),
        ),
        refused(
            "a second Host, not allowed",
            format!("GET /api/uploads HTTP/1.1\r\nHost: {good}\r\nHost: evil.example\r\n"),
        ),
        refused(
            "an absolute-form target on another host",
            format!("GET http://evil.example/api/uploads HTTP/1.1\r\nHost: {good}\r\n"),
        ),
        refused(
            "a write from a rebinding page",
            "POST /api/get-upload-url HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\n".to_owned(),
        ),
        refused(
            "an abort from a rebinding page",
            format!("DELETE /api/multipart/{UPLOAD_ID} HTTP/1.1\r\nHost: evil.example\r\n"),
        ),
        refused(
            "a download URL for a rebinding page",
            "GET /api/download-url?key=users/dev/ecu/a HTTP/1.1\r\nHost: evil.example\r\n".to_owned(),
        ),
        refused(
            "the health probe",
            "GET /healthz HTTP/1.1\r\nHost: evil.example\r\n".to_owned(),
        ),
        refused(
            "the metrics",
            "GET /metrics HTTP/1.1\r\nHost: evil.example\r\n".to_owned(),
        ),
        refused("the demo page", "GET / HTTP/1.1\r\nHost: evil.example\r\n".to_owned()),
        refused(
            "a preflight from a loopback page, on a rebinding host",
            "OPTIONS /api/uploads HTTP/1.1\r\nHost: evil.example\r\nOrigin: http://localhost:5173\r\nAccess-Control-Request-Method: GET\r\n".to_owned(),
        ),
    ]);
    // The refused write above carries a body.
    for case in &mut cases {
        if case.head.starts_with("POST") {
            case.body = b"{}".to_vec();
        }
    }
    cases
}

/// JSON bodies past the limits: a 413.
fn body_cases(port: u16) -> Vec<Case> {
    let host = format!("127.0.0.1:{port}");
    let too_large = |name: &str, path: &str, len: usize| {
        let body = format!(r#"{{"filename":"{}"}}"#, "a".repeat(len - 15)).into_bytes();
        Case {
            name: name.to_owned(),
            head: format!(
                "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ),
            body,
            status: 413,
            code: "too_large",
        }
    };
    let complete = format!("/api/multipart/{UPLOAD_ID}/complete");
    let part_urls = format!("/api/multipart/{UPLOAD_ID}/part-urls");
    let mut cases = vec![
        too_large("one byte past 64 KiB", "/api/get-upload-url", 64 * 1024 + 1),
        too_large("a 100 KiB batch", "/api/get-upload-urls", 100 * 1024),
        too_large("a 1 MiB batch confirm", "/api/files-uploaded", 1 << 20),
        too_large("a 70 KiB confirm", "/api/file-uploaded", 70 * 1024),
        too_large("a 70 KiB form request", "/api/get-upload-form", 70 * 1024),
        too_large("a 70 KiB multipart create", "/api/multipart", 70 * 1024),
        too_large("65 KiB of part URLs", &part_urls, 65 * 1024),
        too_large("a 3 MiB Complete", &complete, 3 << 20),
    ];
    // Chunked, no length declared: refused once 64 KiB have come.
    let chunk = format!(r#"{{"filename":"{}"}}"#, "b".repeat(80 * 1024));
    cases.push(Case {
        name: "80 KiB chunked".to_owned(),
        head: format!(
            "POST /api/get-upload-url HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        ),
        body: format!("{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len()).into_bytes(),
        status: 413,
        code: "too_large",
    });
    // 10 GiB declared, a few bytes sent: refused without waiting for them.
    cases.push(Case {
        name: "10 GiB declared".to_owned(),
        head: format!(
            "POST /api/get-upload-url HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n"
        ),
        body: b"{}".to_vec(),
        status: 413,
        code: "too_large",
    });
    cases
}

#[tokio::test]
async fn hostile_hosts_and_bodies_get_a_json_4xx_and_never_reach_the_store() {
    let t = start().await;
    let addr = t.server.addr();
    let cases: Vec<Case> = host_cases(addr.port())
        .into_iter()
        .chain(body_cases(addr.port()))
        .collect();
    assert!(cases.len() >= 15, "{} cases", cases.len());
    for case in &cases {
        let answer = raw_request(addr, &case.head, &case.body).await;
        let text = String::from_utf8_lossy(&answer.body);
        assert!(
            answer.status < 500,
            "{}: HTTP {} {text}",
            case.name,
            answer.status
        );
        assert_eq!(answer.status, case.status, "{}: {text}", case.name);
        let json: serde_json::Value = serde_json::from_slice(&answer.body)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {text}", case.name));
        assert_eq!(json["error"]["code"], case.code, "{}: {json}", case.name);
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}: {json}",
            case.name
        );
    }
    // Nothing was signed, uploaded or recorded.
    let bucket = t.data_dir().join("data/store/uploads");
    let stored = std::fs::read_dir(&bucket).map_or(0, |dir| dir.count());
    assert_eq!(stored, 0, "{}", bucket.display());
    let uploads = t.http.get(t.api("uploads")).send().await.expect("API");
    let listed: serde_json::Value = uploads.json().await.expect("JSON");
    assert_eq!(listed["uploads"], serde_json::json!([]));
}
