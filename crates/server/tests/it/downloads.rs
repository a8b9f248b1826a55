//! How downloads are served, read from the store's own answer to the
//! presigned GET: HTML (accepted for a file type that allows it) comes as
//! an attachment named after the file (RFC 6266, with the UTF-8 name),
//! never inline; raster images and plain text inline as their passive type;
//! PDF an attachment unless `--inline-pdf`.

use crate::common::{start_with, TestServer};
use presign_core::protocol::single::DownloadUrlResponse;
use presign_server::Clock;
use serde_json::json;

const CONFIG: &str = r#"
[policy.file_types.pages]
content_types = ["text/html", "text/plain", "image/png", "application/pdf"]
"#;

async fn server(extra: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("presign.toml");
    std::fs::write(&path, CONFIG).expect("config");
    let path = path.to_string_lossy().into_owned();
    let mut args = vec!["--config", path.as_str()];
    args.extend_from_slice(extra);
    let t = start_with(&args, Clock::System).await;
    // The config was read at start.
    drop(dir);
    t
}

/// Uploads `body` as `filename` of `content_type` and confirms it; the key.
async fn uploaded(t: &TestServer, filename: &str, content_type: &str, body: &[u8]) -> String {
    let signed = t
        .upload_url(json!({
            "filename": filename,
            "file_type": "pages",
            "content_type": content_type,
            "size": body.len(),
        }))
        .await;
    assert_eq!(t.put(&signed, body.to_vec()).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "pages").await.status(), 200);
    signed.key
}

/// The store's Content-Disposition and Content-Type for `key`'s download.
async fn served(t: &TestServer, key: &str) -> (String, String) {
    let resp = t.download_url(key).await;
    assert_eq!(resp.status(), 200);
    let dl: DownloadUrlResponse = resp.json().await.expect("DownloadUrlResponse");
    assert!(
        dl.url.contains("response-content-disposition="),
        "{}",
        dl.url
    );
    let got = t.http.get(&dl.url).send().await.expect("store");
    assert_eq!(got.status(), 200, "GET {key}");
    let header = |name: &str| {
        got.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    (header("content-disposition"), header("content-type"))
}

#[tokio::test]
async fn html_is_an_attachment_images_and_text_are_inline() {
    let t = server(&[]).await;
    let html = uploaded(&t, "page.html", "text/html", b"<script>1</script>").await;
    let (disposition, _) = served(&t, &html).await;
    assert_eq!(
        disposition,
        "attachment; filename=\"page.html\"; filename*=UTF-8''page.html"
    );

    let png = uploaded(&t, "pic.png", "image/png", b"\x89PNG\r\n\x1a\n").await;
    let (disposition, content_type) = served(&t, &png).await;
    assert_eq!(
        disposition,
        "inline; filename=\"pic.png\"; filename*=UTF-8''pic.png"
    );
    assert_eq!(content_type, "image/png");

    let text = uploaded(&t, "notes.txt", "text/plain; charset=latin1", b"hi").await;
    let (disposition, content_type) = served(&t, &text).await;
    assert!(disposition.starts_with("inline; "), "{disposition}");
    assert_eq!(content_type, "text/plain; charset=utf-8");

    let pdf = uploaded(&t, "doc.pdf", "application/pdf", b"%PDF-1.4").await;
    let (disposition, _) = served(&t, &pdf).await;
    assert!(disposition.starts_with("attachment; "), "{disposition}");
}

#[tokio::test]
async fn names_travel_in_utf8_and_pdf_is_inline_only_when_asked() {
    let t = server(&["--inline-pdf"]).await;
    let key = uploaded(&t, "Résumé 2026 \"final\".html", "text/html", b"<p>").await;
    let (disposition, _) = served(&t, &key).await;
    let name = key.rsplit('/').next().expect("name").split_at(33).1;
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    let encoded = disposition
        .split("filename*=UTF-8''")
        .nth(1)
        .unwrap_or_else(|| panic!("{disposition}"));
    assert_eq!(percent_decode(encoded), name, "{disposition}");
    assert!(!disposition[..disposition.find("filename*").unwrap_or(0)].contains('é'));

    let pdf = uploaded(&t, "doc.pdf", "application/pdf", b"%PDF-1.4").await;
    let (disposition, content_type) = served(&t, &pdf).await;
    assert!(disposition.starts_with("inline; "), "{disposition}");
    assert_eq!(content_type, "application/pdf");
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}
