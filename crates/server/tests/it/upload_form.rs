//! Presigned POST forms (`POST /api/get-upload-form`) against the real
//! embedded store, over HTTP: a real `multipart/form-data` POST with the
//! returned fields (file last) stores exactly the bytes; every way of
//! breaking the signed policy is refused by the store and stores nothing;
//! the endpoint applies the same policy, identity and rate limit as
//! get-upload-url, and `file-uploaded` confirms and records the upload.

use crate::common::{error_code, random_bytes, start, start_with, TestServer};
use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use presign_core::protocol::form::GetUploadFormResponse;
use presign_core::protocol::records::{ListUploadsResponse, UploadRecord};
use presign_core::protocol::single::FileUploadedResponse;
use presign_core::Sha256Digest;
use presign_server::Clock;
use serde_json::{json, Value};
use std::collections::BTreeMap;

impl TestServer {
    /// `POST /api/get-upload-form`, expecting success.
    async fn upload_form(&self, body: Value) -> GetUploadFormResponse {
        let resp = self.post_json("get-upload-form", &body).await;
        assert_eq!(resp.status(), 200, "get-upload-form {body}");
        resp.json().await.expect("GetUploadFormResponse")
    }

    /// The caller's records (`GET /api/uploads`, first page).
    async fn listed_uploads(&self) -> Vec<UploadRecord> {
        let resp = self.http.get(self.api("uploads")).send().await;
        let listed: ListUploadsResponse = resp
            .expect("API reachable")
            .json()
            .await
            .expect("ListUploadsResponse");
        listed.uploads
    }
}

/// POSTs `fields` then `file` (last, as S3 requires) as `multipart/form-data`
/// to `url`, the way a browser's FormData does.
pub(crate) async fn post_form(
    url: &str,
    fields: &BTreeMap<String, String>,
    file: Vec<u8>,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name.clone(), value.clone());
    }
    let part = reqwest::multipart::Part::bytes(file).file_name("upload.bin");
    let resp = reqwest::Client::new()
        .post(url)
        .multipart(form.part("file", part))
        .send()
        .await
        .expect("store reachable");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// The `<Code>` of the store's XML error.
fn s3_code(body: &str) -> &str {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(code, _)| code)
}

/// The policy a form carries, decoded.
fn policy_of(form: &GetUploadFormResponse) -> Value {
    let b64 = &form.fields["policy"];
    let json = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("policy is base64");
    serde_json::from_slice(&json).expect("policy is JSON")
}

#[tokio::test]
async fn form_post_stores_exactly_the_bytes_then_is_confirmed_and_recorded() {
    let now = Timestamp::now();
    let t = start_with(&[], Clock::Fixed(now)).await;
    let data = random_bytes(300_000, 11);
    let digest = Sha256Digest::of(&data).to_base64();
    let form = t
        .upload_form(json!({
            "filename": "notes (v2) é.txt",
            "file_type": "docs",
            "content_type": "text/plain; charset=utf-8",
            "size": data.len(),
            "sha256": digest,
        }))
        .await;
    assert!(form.key.starts_with("users/dev/docs/"), "{}", form.key);
    assert!(form.key.ends_with("-notes (v2) é.txt"), "{}", form.key);
    assert_eq!(form.expires_in, 60, "60 s for forms");
    assert_eq!(
        form.url,
        format!("{}/{}", t.server.public_store_url(), t.server.bucket())
    );

    // The policy, every condition in its order.
    let policy = policy_of(&form);
    let expiration: Timestamp = policy["expiration"]
        .as_str()
        .expect("expiration")
        .parse()
        .expect("a timestamp");
    assert_eq!(expiration.as_second(), now.as_second() + 60);
    let credential = form.fields["x-amz-credential"].clone();
    let date = form.fields["x-amz-date"].clone();
    assert!(
        credential.ends_with(&format!("/{}/us-east-1/s3/aws4_request", &date[..8])),
        "{credential}"
    );
    assert_eq!(
        policy["conditions"],
        json!([
            {"bucket": t.server.bucket()},
            ["starts-with", "$key", "users/dev/"],
            {"key": form.key},
            {"Content-Type": "text/plain; charset=utf-8"},
            ["content-length-range", 1, 10_000_000],
            {"success_action_status": "201"},
            {"x-amz-meta-user-id": "dev"},
            {"x-amz-checksum-algorithm": "SHA256"},
            {"x-amz-checksum-sha256": digest},
            {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
            {"x-amz-credential": credential},
            {"x-amz-date": date},
        ])
    );

    let (status, body) = post_form(&form.url, &form.fields, data.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert!(body.contains(&format!("<Key>{}</Key>", form.key)), "{body}");

    // Confirmed like a PUT: declared size and SHA-256 checked against the store.
    let resp = t
        .post_json(
            "file-uploaded",
            &json!({"key": form.key, "file_type": "docs", "size": data.len(), "sha256": digest}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let info: FileUploadedResponse = resp.json().await.expect("FileUploadedResponse");
    assert_eq!(
        (info.size, info.sha256.as_deref()),
        (300_000, Some(digest.as_str()))
    );
    assert_eq!(
        info.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );

    // Recorded.
    let listed = t.listed_uploads().await;
    let record = listed
        .iter()
        .find(|r| r.key == form.key)
        .expect("the form upload is recorded");
    assert_eq!(
        (record.size, record.sha256.as_deref()),
        (300_000, Some(digest.as_str()))
    );

    // The stored bytes, downloaded, are the file; the user id went along.
    let got = t.download(&form.key).await;
    assert_eq!(
        got.headers()
            .get("x-amz-meta-user-id")
            .and_then(|v| v.to_str().ok()),
        Some("dev")
    );
    let bytes = got.bytes().await.expect("body");
    assert_eq!(Sha256Digest::of(&bytes).to_base64(), digest);
}

/// How a case breaks the form it was given.
type Tamper = fn(&mut BTreeMap<String, String>);

/// (what, declare the SHA-256?, tamper, body, the store's status and code)
type Refusal = (&'static str, bool, Tamper, Vec<u8>, u16, &'static str);

#[tokio::test]
async fn the_store_refuses_every_form_that_breaks_its_policy() {
    let t = start_with(&["--max-post-size", "1000"], Clock::System).await;
    let data = random_bytes(1000, 12);
    let keep: Tamper = |_| {};
    let cases: Vec<Refusal> = vec![
        (
            "a body over the limit",
            false,
            keep,
            random_bytes(1001, 13),
            400,
            "EntityTooLarge",
        ),
        (
            "an empty body",
            false,
            keep,
            Vec::new(),
            400,
            "EntityTooSmall",
        ),
        (
            "another Content-Type",
            false,
            |f| {
                f.insert("Content-Type".into(), "text/html".into());
            },
            data.clone(),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "another key in the prefix",
            false,
            |f| {
                f.insert("key".into(), "users/dev/ecu/2020-01-01/other.bin".into());
            },
            data.clone(),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "another user's key",
            false,
            |f| {
                f.insert("key".into(), "users/bob/ecu/x.bin".into());
            },
            data.clone(),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "a tampered user id",
            false,
            |f| {
                f.insert("x-amz-meta-user-id".into(), "bob".into());
            },
            data.clone(),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "the user id left out",
            false,
            |f| {
                f.remove("x-amz-meta-user-id");
            },
            data.clone(),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "another success_action_status",
            false,
            |f| {
                f.insert("success_action_status".into(), "200".into());
            },
            data.clone(),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "a field the policy does not name",
            false,
            |f| {
                f.insert("acl".into(), "public-read".into());
            },
            data.clone(),
            403,
            "AccessDenied",
        ),
        (
            "a policy rewritten without its signature",
            false,
            |f| {
                let b64 = base64::engine::general_purpose::STANDARD;
                let json = String::from_utf8(b64.decode(&f["policy"]).expect("base64"))
                    .expect("UTF-8")
                    .replace(
                        "[\"content-length-range\",1,1000]",
                        "[\"content-length-range\",1,1000000000]",
                    );
                assert!(json.contains("1000000000"), "{json}");
                f.insert("policy".into(), b64.encode(json));
            },
            data.clone(),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "a tampered signature",
            false,
            |f| {
                let sig = f["x-amz-signature"].clone();
                let flipped = if sig.starts_with('0') { "1" } else { "0" };
                f.insert("x-amz-signature".into(), format!("{flipped}{}", &sig[1..]));
            },
            data.clone(),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "other content than the declared SHA-256",
            true,
            keep,
            random_bytes(1000, 14),
            400,
            "BadDigest",
        ),
        (
            "another declared SHA-256",
            true,
            |f| {
                let other = Sha256Digest::of(b"other").to_base64();
                f.insert("x-amz-checksum-sha256".into(), other);
            },
            data.clone(),
            400,
            "InvalidPolicyDocument",
        ),
    ];
    for (what, declare, tamper, body, status, code) in cases {
        let mut request = json!({"filename": "a.bin", "file_type": "ecu"});
        if declare {
            request["sha256"] = json!(Sha256Digest::of(&data).to_base64());
        }
        let mut form = t.upload_form(request).await;
        tamper(&mut form.fields);
        let (got, text) = post_form(&form.url, &form.fields, body).await;
        assert_eq!((got, s3_code(&text)), (status, code), "{what}: {text}");
        // Nothing was stored, under the form's key or the one tried instead.
        for key in [
            form.key.as_str(),
            form.fields.get("key").map_or("", String::as_str),
        ] {
            if key.starts_with("users/dev/") {
                let (status, code, _) = error_code(t.file_uploaded(key, "ecu").await).await;
                assert_eq!((status, code.as_str()), (404, "not_found"), "{what}: {key}");
            }
        }
    }
    // The untampered form still works (the refusals were not the store's mood).
    let form = t
        .upload_form(json!({"filename": "a.bin", "file_type": "ecu"}))
        .await;
    let (status, text) = post_form(&form.url, &form.fields, data).await;
    assert_eq!(status, 201, "{text}");
}

#[tokio::test]
async fn an_expired_policy_is_refused() {
    // Signed 400 s ago for 60 s: expired 340 s ago, while the signature's
    // date is still within the store's 15 minutes of clock skew.
    let signed_at = Timestamp::now() - SignedDuration::from_secs(400);
    let t = start_with(&[], Clock::Fixed(signed_at)).await;
    let form = t
        .upload_form(json!({"filename": "a.bin", "file_type": "ecu"}))
        .await;
    assert_eq!(form.expires_in, 60);
    let (status, text) = post_form(&form.url, &form.fields, random_bytes(100, 15)).await;
    assert_eq!((status, s3_code(&text)), (403, "AccessDenied"), "{text}");
    assert!(text.contains("expired"), "{text}");
    assert_eq!(t.file_uploaded(&form.key, "ecu").await.status(), 404);
}

const POLICY: &str = r#"
[limits]
rate_limit = 0

[policy.file_types.images]
content_types = ["image/png"]
extensions = ["png"]
max_size = 2000
expires_in = 60
"#;

#[tokio::test]
async fn the_endpoint_applies_the_upload_policy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("presign.toml");
    std::fs::write(&path, POLICY).expect("config written");
    let path = path.to_string_lossy().into_owned();
    let t = start_with(&["--config", &path], Clock::System).await;

    // (body, status, code, words the message must hold)
    let cases: Vec<(Value, u16, &str, &[&str])> = vec![
        (
            json!({"filename": "a.bin", "file_type": "ecu", "size": 10_000_001}),
            413,
            "too_large",
            &["10000000 bytes", "POST form"],
        ),
        (
            json!({"filename": "a.bin", "file_type": "ecu", "size": 0}),
            400,
            "bad_request",
            &["at least 1 byte"],
        ),
        (
            json!({"filename": "a.png", "file_type": "images", "content_type": "image/png", "size": 2001}),
            413,
            "too_large",
            &["2000 bytes", "images"],
        ),
        (
            json!({"filename": "a.png", "file_type": "images", "content_type": "application/pdf"}),
            415,
            "unsupported_type",
            &["application/pdf", "image/png"],
        ),
        (
            json!({"filename": "a.png", "file_type": "images", "content_type": "text/html"}),
            415,
            "unsupported_type",
            &["text/html", "active content"],
        ),
        (
            json!({"filename": "a.gif", "file_type": "images", "content_type": "image/png"}),
            415,
            "unsupported_type",
            &["gif"],
        ),
    ];
    for (body, status, code, words) in cases {
        let (got_status, got_code, message) =
            error_code(t.post_json("get-upload-form", &body).await).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{body}: {message}"
        );
        for word in words {
            assert!(message.contains(word), "{body}: {message:?} lacks {word:?}");
        }
    }

    // At the limits: the POST ceiling, and a type's own size and lifetime.
    let form = t
        .upload_form(json!({"filename": "a.bin", "file_type": "ecu", "size": 10_000_000}))
        .await;
    assert_eq!(form.expires_in, 60);
    assert!(policy_of(&form)["conditions"]
        .as_array()
        .expect("conditions")
        .contains(&json!(["content-length-range", 1, 10_000_000])));
    // Without a size the form is still bounded by its policy.
    let form = t
        .upload_form(
            json!({"filename": "a.png", "file_type": "images", "content_type": "image/png"}),
        )
        .await;
    assert_eq!(form.expires_in, 60);
    let conditions = policy_of(&form)["conditions"].clone();
    assert!(conditions.as_array().expect("conditions").contains(&json!([
        "content-length-range",
        1,
        2000
    ])));
    assert!(!form.fields.contains_key("x-amz-checksum-sha256"));
    let (status, text) = post_form(&form.url, &form.fields, random_bytes(2001, 16)).await;
    assert_eq!((status, s3_code(&text)), (400, "EntityTooLarge"), "{text}");
}

#[tokio::test]
async fn the_endpoint_is_rate_limited_per_user() {
    let t = start_with(&["--rate-limit", "1", "--rate-burst", "1"], Clock::System).await;
    let body = json!({"filename": "a.bin", "file_type": "ecu"});
    assert_eq!(t.post_json("get-upload-form", &body).await.status(), 200);
    let resp = t.post_json("get-upload-form", &body).await;
    assert!(resp.headers().contains_key("retry-after"), "{resp:?}");
    let (status, code, _) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
}

#[tokio::test]
async fn a_form_upload_whose_bytes_differ_from_the_declaration_is_not_recorded() {
    // No checksum in the form: the store takes any bytes within the range,
    // and the confirmation refuses what the client did not declare.
    let t = start().await;
    let form = t
        .upload_form(json!({"filename": "a.bin", "file_type": "ecu", "size": 100}))
        .await;
    let sent = random_bytes(120, 17);
    let (status, text) = post_form(&form.url, &form.fields, sent.clone()).await;
    assert_eq!(status, 201, "{text}");
    let declared = json!({
        "key": form.key, "file_type": "ecu", "size": 100,
        "sha256": Sha256Digest::of(&sent[..100]).to_base64(),
    });
    let (status, code, _) = error_code(t.post_json("file-uploaded", &declared).await).await;
    assert_eq!((status, code.as_str()), (409, "checksum_mismatch"));
    assert!(t.listed_uploads().await.iter().all(|r| r.key != form.key));
}
