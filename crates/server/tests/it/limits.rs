//! Upload policy from a TOML file (413/415 with the limit named), per-user
//! request rate limit and open-multipart cap (429 with Retry-After), over
//! real HTTP with the embedded store.

use crate::common::multipart::MIB;
use crate::common::{error_code, start_with};
use presign_server::Clock;
use serde_json::{json, Value};

const POLICY: &str = r#"
[limits]
rate_limit = 0

[policy]
default_max_size = 5000
max_post_size = 1000

[policy.file_types.images]
content_types = ["image/png", "image/jpeg"]
extensions = ["png", "jpg", "jpeg"]
max_size = 1000
expires_in = 60

[policy.file_types.videos]
content_types = ["video/*"]
"#;

#[tokio::test]
async fn policy_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("presign.toml");
    std::fs::write(&path, POLICY).expect("config written");
    let path = path.to_string_lossy().into_owned();
    // The flag beats the file's default_max_size (5000).
    let t = start_with(&["--config", &path, "--max-size", "2000"], Clock::System).await;

    let img = |name: &str, ct: Option<&str>, size: Option<u64>| {
        let mut body = json!({"filename": name, "file_type": "images"});
        if let Some(ct) = ct {
            body["content_type"] = json!(ct);
        }
        if let Some(size) = size {
            body["size"] = json!(size);
        }
        body
    };
    // (endpoint, body, status, code, words the message must hold)
    let cases: Vec<(&str, Value, u16, &str, &[&str])> = vec![
        (
            "get-upload-url",
            img("a.png", Some("image/png"), Some(1000)),
            200,
            "",
            &[],
        ),
        (
            "get-upload-url",
            img("A.JPG", Some("image/jpeg"), Some(1)),
            200,
            "",
            &[],
        ),
        (
            "get-upload-url",
            img("a.png", Some("image/png"), Some(1001)),
            413,
            "too_large",
            &["1000 bytes", "images"],
        ),
        (
            "get-upload-url",
            img("a.gif", Some("image/png"), Some(10)),
            415,
            "unsupported_type",
            &["gif", "png"],
        ),
        (
            "get-upload-url",
            img("noext", Some("image/png"), Some(10)),
            415,
            "unsupported_type",
            &["extension"],
        ),
        (
            "get-upload-url",
            img("a.png", Some("application/pdf"), Some(10)),
            415,
            "unsupported_type",
            &["application/pdf", "image/png"],
        ),
        (
            "get-upload-url",
            img("a.png", Some("text/html"), Some(10)),
            415,
            "unsupported_type",
            &["text/html", "active content", "images"],
        ),
        (
            "get-upload-url",
            img("a.png", None, Some(10)),
            415,
            "unsupported_type",
            &["application/octet-stream"],
        ),
        (
            "get-upload-url",
            img("a.png", Some("image/png"), None),
            400,
            "bad_request",
            &["size is required", "1000"],
        ),
        (
            "multipart",
            img("a.png", Some("image/png"), Some(6 * MIB as u64)),
            413,
            "too_large",
            &["1000 bytes"],
        ),
        (
            "multipart",
            img("a.exe", Some("image/png"), Some(500)),
            415,
            "unsupported_type",
            &["exe"],
        ),
        (
            "multipart",
            img("a.png", Some("image/png"), Some(500)),
            200,
            "",
            &[],
        ),
        (
            "get-upload-url",
            json!({"filename": "v.mov", "file_type": "videos", "content_type": "video/quicktime", "size": 2000}),
            200,
            "",
            &[],
        ),
        (
            "get-upload-url",
            json!({"filename": "v.mov", "file_type": "videos", "content_type": "audio/mpeg", "size": 10}),
            415,
            "unsupported_type",
            &["video/*"],
        ),
        (
            "get-upload-url",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 2000}),
            200,
            "",
            &[],
        ),
        (
            "get-upload-url",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 2001}),
            413,
            "too_large",
            &["2000 bytes"],
        ),
        (
            "multipart",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 2001}),
            413,
            "too_large",
            &["2000 bytes"],
        ),
    ];
    for (endpoint, body, status, code, words) in cases {
        let resp = t.post_json(endpoint, &body).await;
        if status == 200 {
            assert_eq!(resp.status(), 200, "{endpoint} {body}");
            let answer: Value = resp.json().await.expect("JSON");
            let want_expiry = if body["file_type"] == "images" {
                60
            } else {
                900
            };
            assert_eq!(answer["expires_in"], want_expiry, "{endpoint} {body}");
            continue;
        }
        let (got_status, got_code, message) = error_code(resp).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{endpoint} {body}: {message}"
        );
        for word in words {
            assert!(
                message.contains(word),
                "{endpoint} {body}: {message:?} lacks {word:?}"
            );
        }
    }
}

#[tokio::test]
async fn per_user_rate_limit_answers_429_with_retry_after() {
    let t = start_with(&["--rate-limit", "1", "--rate-burst", "3"], Clock::System).await;
    let body = json!({"filename": "a.bin", "file_type": "ecu"});
    for i in 0..3 {
        assert_eq!(
            t.post_json("get-upload-url", &body).await.status(),
            200,
            "request {i}"
        );
    }
    let resp = t.post_json("get-upload-url", &body).await;
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (status, code, message) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"), "{message}");
    assert_eq!(retry_after, Some(1), "{message}");
    // Every endpoint that knows its caller counts.
    let (status, _, _) = error_code(t.download_url("users/dev/ecu/x/a.bin").await).await;
    assert_eq!(status, 429);
    // The bucket refills: one request per second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(t.post_json("get-upload-url", &body).await.status(), 200);
}

#[tokio::test]
async fn open_multipart_cap_is_configurable_and_says_when_to_retry() {
    let t = start_with(&["--max-open-uploads", "2"], Clock::System).await;
    let first = t.create_multipart(6 * MIB, 5 * MIB).await;
    t.create_multipart(6 * MIB, 5 * MIB).await;
    let body = json!({"filename": "a.bin", "file_type": "ecu", "size": 6 * MIB});
    let resp = t.post_json("multipart", &body).await;
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (status, code, message) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    assert!(message.contains("(2)"), "{message}");
    assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
    assert_eq!(t.abort(&first.upload_id).await.status(), 204);
    assert_eq!(t.post_json("multipart", &body).await.status(), 200);
}
