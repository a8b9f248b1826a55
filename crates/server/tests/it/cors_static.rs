//! CORS of the store and the API, and the static files. In development
//! mode both allow pages on a loopback name (any port) and no other origin.

use crate::common::{random_bytes, start};

/// A page of a dev server on this machine (Vite's port).
const ORIGIN: &str = "http://localhost:5173";
/// Any other site.
const OTHER: &str = "http://example.test";

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn store_preflight_allows_checksum_header_and_responses_expose_etag() {
    let t = start().await;
    let data = random_bytes(100, 21);
    let signed = t.upload_url_for("a.bin", &data).await;

    let preflight = t
        .http
        .request(reqwest::Method::OPTIONS, &signed.upload_url)
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "content-type,x-amz-checksum-sha256",
        )
        .send()
        .await
        .expect("store reachable");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(header(&preflight, "access-control-allow-origin"), ORIGIN);
    assert!(header(&preflight, "access-control-allow-methods").contains("PUT"));
    let allowed = header(&preflight, "access-control-allow-headers").to_ascii_lowercase();
    assert!(allowed.contains("x-amz-checksum-sha256"), "{allowed}");
    assert!(allowed.contains("content-type"), "{allowed}");

    let mut put = t
        .http
        .put(&signed.upload_url)
        .header("Origin", ORIGIN)
        .body(data);
    for (name, value) in signed.headers.iter().flatten() {
        if name != "content-length" {
            put = put.header(name, value);
        }
    }
    let put = put.send().await.expect("store reachable");
    assert_eq!(put.status(), 200);
    assert_eq!(header(&put, "access-control-allow-origin"), ORIGIN);
    let exposed = header(&put, "access-control-expose-headers").to_ascii_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
    assert!(exposed.contains("x-amz-checksum-sha256"), "{exposed}");
    assert!(exposed.contains("retry-after"), "{exposed}");
    assert!(!header(&put, "etag").is_empty());

    let dl: presign_core::protocol::single::DownloadUrlResponse = t
        .download_url(&signed.key)
        .await
        .json()
        .await
        .expect("DownloadUrlResponse");
    let get = t
        .http
        .get(&dl.url)
        .header("Origin", ORIGIN)
        .send()
        .await
        .expect("store");
    assert_eq!(get.status(), 200);
    assert!(header(&get, "access-control-expose-headers")
        .to_ascii_lowercase()
        .contains("etag"));

    // Another site's page may not read what the store answers.
    let get = t
        .http
        .get(&dl.url)
        .header("Origin", OTHER)
        .send()
        .await
        .expect("store");
    assert_eq!(header(&get, "access-control-allow-origin"), "");
}

#[tokio::test]
async fn api_allows_loopback_pages_in_dev_and_no_other_origin() {
    let t = start().await;
    let preflight = t
        .http
        .request(reqwest::Method::OPTIONS, t.api("get-upload-url"))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,authorization",
        )
        .send()
        .await
        .expect("API reachable");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(header(&preflight, "access-control-allow-origin"), ORIGIN);
    let allowed = header(&preflight, "access-control-allow-headers").to_ascii_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("authorization"),
        "{allowed}"
    );
    for origin in ["https://127.0.0.1", "http://[::1]:8080", "http://localhost"] {
        let uploads = t
            .http
            .get(t.api("uploads"))
            .header("Origin", origin)
            .send()
            .await
            .expect("API reachable");
        assert_eq!(header(&uploads, "access-control-allow-origin"), origin);
    }
    // Another site's page gets no CORS headers: its browser keeps the
    // answers from it.
    for origin in [
        OTHER,
        "http://127.0.0.2:8080",
        "http://localhost.evil.example",
        "null",
    ] {
        let preflight = t
            .http
            .request(reqwest::Method::OPTIONS, t.api("uploads"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .send()
            .await
            .expect("API reachable");
        assert_eq!(
            header(&preflight, "access-control-allow-origin"),
            "",
            "{origin}"
        );
        let uploads = t
            .http
            .get(t.api("uploads"))
            .header("Origin", origin)
            .send()
            .await
            .expect("API reachable");
        assert_eq!(
            header(&uploads, "access-control-allow-origin"),
            "",
            "{origin}"
        );
    }
    // A page reads how long a 429 or 503 asks it to wait.
    let answer = t
        .http
        .post(t.api("get-upload-url"))
        .header("Origin", ORIGIN)
        .json(&serde_json::json!({"filename": "a.bin", "file_type": "demo"}))
        .send()
        .await
        .expect("API reachable");
    let exposed = header(&answer, "access-control-expose-headers").to_ascii_lowercase();
    assert!(exposed.contains("retry-after"), "{exposed}");
    // Aborting a multipart upload is a DELETE from the page.
    let id = "0123456789abcdef0123456789abcdef";
    let preflight = t
        .http
        .request(reqwest::Method::OPTIONS, t.api(&format!("multipart/{id}")))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "DELETE")
        .send()
        .await
        .expect("API reachable");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert!(
        header(&preflight, "access-control-allow-methods").contains("DELETE"),
        "{:?}",
        preflight.headers()
    );
}

#[tokio::test]
async fn static_files_and_missing_folders() {
    let t = start().await;
    // Folders missing: 404s, the API still works.
    let resp = t.http.get(t.server.url()).send().await.expect("reachable");
    assert_eq!(resp.status(), 404);
    let resp = t
        .http
        .get(format!("{}/pkg/x.wasm", t.server.url()))
        .send()
        .await
        .expect("reachable");
    assert_eq!(resp.status(), 404);

    let www = t.data_dir().join("www");
    let pkg = t.data_dir().join("pkg");
    std::fs::create_dir_all(&www).expect("mkdir www");
    std::fs::create_dir_all(&pkg).expect("mkdir pkg");
    std::fs::write(www.join("index.html"), "<!doctype html><title>demo</title>").expect("write");
    std::fs::write(pkg.join("app_bg.wasm"), b"\0asm\x01\0\0\0").expect("write");
    std::fs::write(pkg.join("app.js"), "export {}").expect("write");

    let resp = t
        .http
        .get(format!("{}/", t.server.url()))
        .send()
        .await
        .expect("reachable");
    assert_eq!(resp.status(), 200);
    assert!(header(&resp, "content-type").starts_with("text/html"));
    let resp = t
        .http
        .get(format!("{}/pkg/app_bg.wasm", t.server.url()))
        .send()
        .await
        .expect("reachable");
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-type"), "application/wasm");
    let resp = t
        .http
        .get(format!("{}/pkg/app.js", t.server.url()))
        .send()
        .await
        .expect("reachable");
    assert!(header(&resp, "content-type").contains("javascript"));
}
