//! `GET /metrics` over real HTTP: after real requests (a single upload
//! confirmed, a download URL, a multipart upload completed, failures),
//! every counter moved by exactly the number of events.

use crate::common::multipart::MIB;
use crate::common::{error_code, random_bytes, start};
use presign_core::protocol::multipart::CompleteMultipartResponse;
use serde_json::json;

const REQUESTS: &str = "presign_http_requests_total";
const PRESIGNS: &str = "presign_presigned_urls_total";
const COMPLETIONS: &str = "presign_completions_total";
const ERRORS: &str = "presign_errors_total";
const OPEN: &str = "presign_open_multipart_uploads";
const LATENCY: &str = "presign_http_request_duration_seconds_count";

#[tokio::test]
async fn counters_move_by_exactly_the_requests_made() {
    let t = start().await;
    let before = t.scrape().await;
    for kind in ["single", "part", "form", "download"] {
        assert!(
            before.has(PRESIGNS, &[("kind", kind)]),
            "{kind} exported at 0"
        );
    }
    assert_eq!(before.value(OPEN, &[]), 0.0);

    // A single upload, confirmed; a download URL for it.
    let data = random_bytes(1000, 7);
    let signed = t.upload_url_for("m.bin", &data).await;
    assert_eq!(t.put(&signed, data).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);
    assert_eq!(t.download_url(&signed.key).await.status(), 200);
    // Failures: a bad request (twice), an unknown key, an unknown endpoint.
    for _ in 0..2 {
        let resp = t
            .post_json("get-upload-url", &json!({"filename": "x"}))
            .await;
        assert_eq!(error_code(resp).await.0, 400);
    }
    assert_eq!(t.download_url("users/dev/ecu/none.bin").await.status(), 404);
    let resp = t.post_json("no-such-endpoint", &json!({})).await;
    assert_eq!(resp.status(), 404);

    // A multipart upload of two parts, open while the second scrape runs.
    let size = 5 * MIB + 10;
    let created = t.create_multipart(size, 5 * MIB).await;
    let data = random_bytes(size, 8);
    let parts: Vec<(u32, &[u8])> = (1..).zip(data.chunks(5 * MIB)).collect();
    let urls = t.part_urls(&created.upload_id, &parts).await;
    let during = t.scrape().await;
    assert_eq!(during.value(OPEN, &[]), 1.0);
    let mut done = Vec::new();
    for (url, (number, bytes)) in urls.iter().zip(&parts) {
        let etag = t.upload_part(url, bytes.to_vec()).await;
        done.push((*number, etag, *bytes));
    }
    let resp = t.complete(&created.upload_id, &done).await;
    assert_eq!(resp.status(), 200);
    let _: CompleteMultipartResponse = resp.json().await.expect("completed");

    let after = t.scrape().await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    assert_eq!(moved(PRESIGNS, &[("kind", "single")]), 1.0);
    assert_eq!(moved(PRESIGNS, &[("kind", "download")]), 1.0);
    assert_eq!(moved(PRESIGNS, &[("kind", "part")]), 2.0);
    assert_eq!(moved(PRESIGNS, &[("kind", "form")]), 0.0);
    assert_eq!(moved(COMPLETIONS, &[("kind", "single")]), 1.0);
    assert_eq!(moved(COMPLETIONS, &[("kind", "multipart")]), 1.0);
    assert_eq!(moved(ERRORS, &[("code", "bad_request")]), 2.0);
    assert_eq!(moved(ERRORS, &[("code", "not_found")]), 2.0);
    assert_eq!(after.value(OPEN, &[]), 0.0);
    for (method, route, status, count) in [
        ("POST", "/api/get-upload-url", "200", 1.0),
        ("POST", "/api/get-upload-url", "400", 2.0),
        ("POST", "/api/file-uploaded", "200", 1.0),
        ("GET", "/api/download-url", "200", 1.0),
        ("GET", "/api/download-url", "404", 1.0),
        ("POST", "/api/{*rest}", "404", 1.0),
        ("POST", "/api/multipart", "200", 1.0),
        ("POST", "/api/multipart/{upload_id}/complete", "200", 1.0),
        // The scrapes themselves: the first two, each counted once answered.
        ("GET", "/metrics", "200", 2.0),
    ] {
        let labels = [("method", method), ("route", route), ("status", status)];
        assert_eq!(moved(REQUESTS, &labels), count, "{method} {route} {status}");
    }
    // One latency observation per request, by route.
    assert_eq!(moved(LATENCY, &[("route", "/api/get-upload-url")]), 3.0);
    assert_eq!(
        moved(
            LATENCY,
            &[("route", "/api/multipart/{upload_id}/part-urls")]
        ),
        1.0
    );
}

/// The test parser itself reads escapes and braces in label values.
#[test]
fn parses_escapes_and_braces() {
    let m = crate::common::metrics::parse(
        "# HELP x_total X.\n# TYPE x_total counter\nx_total{route=\"/api/{*rest}\",q=\"a\\\"b\\\\c\"} 3\ny 1.5\nz_bucket{le=\"+Inf\"} 2\n",
    );
    assert_eq!(m.value("x_total", &[("route", "/api/{*rest}")]), 3.0);
    assert_eq!(m.value("x_total", &[("q", "a\"b\\c")]), 3.0);
    assert_eq!(m.value("y", &[]), 1.5);
    assert_eq!(m.value("z_bucket", &[("le", "+Inf")]), 2.0);
    assert_eq!(m.value("absent", &[]), 0.0);
}
