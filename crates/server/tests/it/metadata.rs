//! Per-upload metadata (`x-amz-meta-*`) and key templates, over real HTTP
//! with the embedded store: names the policy takes are signed into the PUT,
//! the POST form and the multipart create, stored with the object, kept in
//! the record and listed; malformed entries and names the file type does
//! not take are refused, naming the entry; a file type's key template
//! places its objects, and a template that could leave the user's prefix
//! stops the start.

use crate::common::multipart::MIB;
use crate::common::{error_code, random_bytes, start, start_with, TestServer};
use crate::upload_form::post_form;
use crate::webhook::{flags, receiver, wait_for_success};
use clap::Parser as _;
use presign_core::protocol::form::GetUploadFormResponse;
use presign_core::protocol::multipart::{CreateMultipartResponse, PartUrlsResponse};
use presign_core::protocol::records::ListUploadsResponse;
use presign_core::protocol::single::GetUploadUrlResponse;
use presign_core::{ErrorCode, Sha256Digest};
use presign_server::{Cli, Clock, Config};
use serde_json::{json, Value};

const POLICY: &str = r#"
[policy]
metadata = ["project"]

[policy.file_types.ecu]
metadata = ["serial"]
key_template = "users/{user}/{meta.serial}/{date}/{uuid}-{filename}"
"#;

async fn with_policy(policy: &str) -> TestServer {
    with_policy_and(policy, &[]).await
}

async fn with_policy_and(policy: &str, flags: &[&str]) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("presign.toml");
    std::fs::write(&path, policy).expect("config written");
    let path = path.to_string_lossy().into_owned();
    let mut all = vec!["--config", path.as_str()];
    all.extend_from_slice(flags);
    let t = start_with(&all, Clock::System).await;
    drop(dir);
    t
}

#[tokio::test]
async fn metadata_is_refused_naming_the_entry_on_every_route() {
    let t = start().await;
    let bodies: [(&str, Value); 3] = [
        (
            "get-upload-url",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 3}),
        ),
        (
            "get-upload-form",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 3}),
        ),
        (
            "multipart",
            json!({"filename": "a.bin", "file_type": "ecu", "size": 20_000_000}),
        ),
    ];
    let cases: [(Value, &str); 4] = [
        (json!({"Serial": "1"}), "\"Serial\""),
        (json!({"serial": "a\r\nx: y"}), "\"serial\""),
        (json!({"user-id": "eve"}), "reserved"),
        (
            json!({"serial": "ECU-1"}),
            "metadata name \"serial\" is not allowed for file_type ecu; allowed: none",
        ),
    ];
    for (route, body) in &bodies {
        let plain = t.post_json(route, body).await;
        assert_eq!(plain.status(), 200, "{route} without metadata");
        for (metadata, expected) in &cases {
            let mut with = body.clone();
            with["metadata"] = metadata.clone();
            let resp = t.post_json(route, &with).await;
            let (status, code, message) = error_code(resp).await;
            assert_eq!(
                (status, code.as_str()),
                (400, ErrorCode::BadRequest.as_str()),
                "{route} {metadata}"
            );
            assert!(message.contains(expected), "{route} {metadata}: {message}");
        }
    }
}

/// The object's `x-amz-meta-*`, read back from the store.
async fn stored_metadata(t: &TestServer, key: &str) -> Vec<(String, String)> {
    let resp = t.download(key).await;
    assert_eq!(resp.status(), 200, "{key}");
    let mut meta: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(n, _)| {
            n.as_str().starts_with("x-amz-meta-") && n.as_str() != "x-amz-meta-user-id"
        })
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    meta.sort();
    meta
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn metadata_travels_to_the_object_the_record_and_the_webhook() {
    let (hook, seen) = receiver(0).await;
    let t = with_policy_and(POLICY, &flags(&hook)).await;
    let data = random_bytes(2000, 7);
    let metadata = json!({"serial": "ECU-0042", "project": "p7"});
    let expected = pairs(&[
        ("x-amz-meta-project", "p7"),
        ("x-amz-meta-serial", "ECU-0042"),
    ]);

    // A single PUT: the signed headers carry it.
    let signed: GetUploadUrlResponse = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "a.bin", "file_type": "ecu", "size": data.len(),
            "sha256": Sha256Digest::of(&data).to_base64(), "metadata": metadata}),
        )
        .await
        .json()
        .await
        .expect("signed");
    let headers = signed.headers.clone().expect("headers");
    assert_eq!(
        headers.get("x-amz-meta-serial").map(String::as_str),
        Some("ECU-0042")
    );
    assert!(
        signed.key.starts_with("users/dev/ECU-0042/"),
        "the ecu key template: {}",
        signed.key
    );
    // Other metadata than signed is refused by the store.
    let mut forged = signed.clone();
    forged
        .headers
        .as_mut()
        .expect("headers")
        .insert("x-amz-meta-serial".into(), "ECU-9999".into());
    assert_eq!(t.put(&forged, data.clone()).await.status(), 403);
    assert_eq!(t.put(&signed, data.clone()).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);
    assert_eq!(stored_metadata(&t, &signed.key).await, expected);

    // A POST form: its policy pins each field; another value is refused.
    let small = random_bytes(500, 10);
    let form: GetUploadFormResponse = t
        .post_json(
            "get-upload-form",
            &json!({"filename": "f.bin", "file_type": "ecu", "size": small.len(), "metadata": metadata}),
        )
        .await
        .json()
        .await
        .expect("form");
    let mut forged = form.fields.clone();
    forged.insert("x-amz-meta-serial".into(), "ECU-9999".into());
    let (status, text) = post_form(&form.url, &forged, small.clone()).await;
    assert!(
        matches!(status, 400 | 403),
        "a forged field: {status} {text}"
    );
    assert_eq!(post_form(&form.url, &form.fields, small).await.0, 201);
    assert_eq!(t.file_uploaded(&form.key, "ecu").await.status(), 200);
    assert_eq!(stored_metadata(&t, &form.key).await, expected);

    // A multipart upload: the create carries it.
    let big = random_bytes(6 * MIB, 8);
    let key = upload_in_parts(&t, &big, &metadata).await;
    assert_eq!(stored_metadata(&t, &key).await, expected);

    // Records: each upload's metadata, listed.
    let listed: ListUploadsResponse = t
        .http
        .get(t.api("uploads"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("page");
    assert_eq!(listed.uploads.len(), 3);
    for record in &listed.uploads {
        let got: Vec<(String, String)> = record
            .metadata
            .headers()
            .map(|(n, v)| (n, v.to_owned()))
            .collect();
        assert_eq!(got, expected, "{record:?}");
    }

    // The webhook: each delivery's body is the record, metadata included.
    wait_for_success(&seen).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let bodies = loop {
        let bodies: Vec<Value> = seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, _, status)| *status == 200)
            .map(|(_, body, _)| serde_json::from_slice(body).expect("JSON body"))
            .collect();
        if bodies.len() == 3 || std::time::Instant::now() > deadline {
            break bodies;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(bodies.len(), 3, "one delivery per upload");
    for body in &bodies {
        assert_eq!(body["metadata"], metadata, "{body}");
    }
}

#[tokio::test]
async fn the_flags_set_names_and_the_template_of_every_type() {
    let t = start_with(
        &[
            "--allow-metadata",
            "project,serial",
            "--key-template",
            "users/{user}/{meta.project}/{file_type}/{uuid}.{ext}",
        ],
        Clock::System,
    )
    .await;
    let data = random_bytes(300, 9);
    let signed: GetUploadUrlResponse = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "Log.TXT", "file_type": "docs", "size": data.len(),
            "metadata": {"project": "p7", "serial": "S-1"}}),
        )
        .await
        .json()
        .await
        .expect("signed");
    let rest = signed
        .key
        .strip_prefix("users/dev/p7/docs/")
        .unwrap_or_else(|| panic!("the --key-template layout: {}", signed.key));
    assert!(rest.ends_with(".txt") && rest.len() == 36, "{rest}");
    assert_eq!(t.put(&signed, data).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "docs").await.status(), 200);
    // The key says which type it is of: another type's confirmation is refused.
    let (status, _, message) = error_code(t.file_uploaded(&signed.key, "ecu").await).await;
    assert_eq!(status, 400);
    assert!(message.contains("template"), "{message}");
}

async fn upload_in_parts(t: &TestServer, data: &[u8], metadata: &Value) -> String {
    let created: CreateMultipartResponse = t
        .post_json(
            "multipart",
            &json!({"filename": "big.bin", "file_type": "ecu", "size": data.len(),
            "part_size": 5 * MIB, "metadata": metadata}),
        )
        .await
        .json()
        .await
        .expect("created");
    let parts: Vec<(u32, &[u8])> = data.chunks(5 * MIB).zip(1..).map(|(c, n)| (n, c)).collect();
    let urls: PartUrlsResponse = t.part_urls_raw(&created.upload_id, &json!({"parts": parts.iter().map(|(n, c)|
        json!({"number": n, "size": c.len(), "sha256": Sha256Digest::of(c).to_base64()})).collect::<Vec<_>>()}))
        .await
        .json()
        .await
        .expect("urls");
    let mut done = Vec::new();
    for ((n, chunk), url) in parts.iter().zip(&urls.urls) {
        done.push((*n, t.upload_part(url, chunk.to_vec()).await, *chunk));
    }
    let resp = t.complete(&created.upload_id, &done).await;
    assert_eq!(resp.status(), 200, "complete");
    created.key
}

#[tokio::test]
async fn a_key_template_needs_the_metadata_it_uses() {
    let t = with_policy(POLICY).await;
    let resp = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "a.bin", "file_type": "ecu", "size": 3}),
        )
        .await;
    let (status, _, message) = error_code(resp).await;
    assert_eq!(status, 400);
    assert!(
        message.contains("metadata \"serial\" is required"),
        "{message}"
    );
    // A value that is not a key segment is made one.
    let signed: GetUploadUrlResponse = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "a.bin", "file_type": "ecu", "size": 3,
            "metadata": {"serial": "../x y"}}),
        )
        .await
        .json()
        .await
        .expect("signed");
    assert!(
        signed.key.starts_with("users/dev/.._x_y/"),
        "{}",
        signed.key
    );
    // Other types keep the default layout, and take [policy]'s names only.
    let other = t
        .post_json(
            "get-upload-url",
            &json!({"filename": "a.bin", "file_type": "docs", "size": 3,
        "metadata": {"serial": "1"}}),
        )
        .await;
    assert_eq!(error_code(other).await.0, 400);
}

#[test]
fn templates_and_names_that_could_misplace_objects_stop_the_start() {
    let cases = [
        (
            "[policy]\nkey_template = \"uploads/{uuid}\"",
            "must start with users/{user}/",
        ),
        (
            "[policy]\nkey_template = \"users/{user}/{filename}\"",
            "must contain {uuid}",
        ),
        (
            "[policy]\nkey_template = \"users/{user}/{meta.serial}/{uuid}\"",
            "add \"serial\" to --allow-metadata",
        ),
        (
            "[policy.file_types.ecu]\nkey_template = \"users/{user}/{meta.serial}/{uuid}\"",
            "add \"serial\" to its metadata",
        ),
        (
            "[policy.file_types.ecu]\nkey_template = \"users/{user}/../{uuid}\"",
            "[policy.file_types.ecu] key_template",
        ),
        (
            "[policy.file_types.ecu]\nmetadata = [\"Serial\"]",
            "[policy.file_types.ecu] metadata",
        ),
        ("[policy]\nmetadata = [\"user-id\"]", "reserved"),
    ];
    for (toml, expected) in cases {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("presign.toml");
        std::fs::write(&path, toml).expect("written");
        let path = path.to_string_lossy().into_owned();
        let cli =
            Cli::try_parse_from(["presign-server", "--dev", "--config", &path]).expect("flags");
        let err = Config::resolve(cli, |_| None).expect_err(toml);
        assert!(err.to_string().contains(expected), "{toml}: {err}");
    }
}
