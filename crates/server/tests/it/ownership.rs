//! Two users with real tokens: neither can sign for, confirm, download, list,
//! complete or abort the other's keys and uploads (404, never 403).

use crate::common::multipart::MIB;
use crate::common::{error_code, random_bytes, start_with, TestServer};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use presign_core::protocol::single::GetUploadUrlResponse;
use presign_core::Sha256Digest;
use presign_server::Clock;
use serde_json::json;

const SECRET: &str = "ownership-test-secret-0123456789abcdef";

fn token(sub: &str) -> String {
    let exp = jiff::Timestamp::now().as_second() + 3600;
    encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": sub, "exp": exp}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("token")
}

/// PUTs to the store without the API's Authorization header.
async fn put_to_store(signed: &GetUploadUrlResponse, body: Vec<u8>) -> reqwest::Response {
    let mut req = reqwest::Client::new().put(&signed.upload_url).body(body);
    for (name, value) in signed.headers.iter().flatten() {
        if name != "content-length" {
            req = req.header(name, value);
        }
    }
    req.send().await.expect("store reachable")
}

async fn not_found(resp: reqwest::Response, what: &str) {
    let (status, code, message) = error_code(resp).await;
    assert_eq!(
        (status, code.as_str()),
        (404, "not_found"),
        "{what}: {message}"
    );
}

#[tokio::test]
async fn users_cannot_touch_each_others_uploads() {
    let mut t: TestServer = start_with(&["--jwt-secret", SECRET], Clock::System).await;
    let (alice, bob) = (token("alice"), token("bob"));

    // Alice uploads and confirms a file.
    t.set_token(Some(&alice));
    let data = random_bytes(1000, 1);
    let signed = t.upload_url_for("secret.bin", &data).await;
    assert!(signed.key.starts_with("users/alice/ecu/"), "{}", signed.key);
    assert_eq!(put_to_store(&signed, data.clone()).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);
    assert_eq!(t.download_url(&signed.key).await.status(), 200);
    // And starts a multipart upload.
    let created = t.create_multipart(6 * MIB, 5 * MIB).await;
    assert!(created.key.starts_with("users/alice/"), "{}", created.key);

    // Bob can do none of it.
    t.set_token(Some(&bob));
    not_found(t.file_uploaded(&signed.key, "ecu").await, "confirm").await;
    not_found(t.download_url(&signed.key).await, "download").await;
    let part = random_bytes(5 * MIB, 2);
    let body = json!({"parts": [{"number": 1, "size": part.len(), "sha256": Sha256Digest::of(&part).to_base64()}]});
    not_found(
        t.part_urls_raw(&created.upload_id, &body).await,
        "sign parts",
    )
    .await;
    not_found(t.list_parts(&created.upload_id).await, "list parts").await;
    let etag = "\"0123456789abcdef0123456789abcdef\"".to_owned();
    not_found(
        t.complete(&created.upload_id, &[(1, etag, &part)]).await,
        "complete",
    )
    .await;
    not_found(t.abort(&created.upload_id).await, "abort").await;
    // Bob's own uploads land under his prefix whatever he names them.
    let own = t
        .upload_url(json!({"filename": "../alice/ecu/x.bin", "file_type": "ecu"}))
        .await;
    assert!(own.key.starts_with("users/bob/ecu/"), "{}", own.key);
    assert!(own.key.ends_with("-x.bin"), "{}", own.key);
    // A name with nothing usable left gets the fallback name.
    let own = t
        .upload_url(json!({"filename": "../..", "file_type": "ecu"}))
        .await;
    assert!(
        own.key.starts_with("users/bob/ecu/") && own.key.ends_with("-file"),
        "{}",
        own.key
    );

    // Alice's upload is untouched: she can still list and abort it.
    t.set_token(Some(&alice));
    assert_eq!(t.list_parts(&created.upload_id).await.status(), 200);
    assert_eq!(t.abort(&created.upload_id).await.status(), 204);
    assert_eq!(t.download_url(&signed.key).await.status(), 200);
}

/// `users/{sub}/{file_type}/{UTC day of the server's clock}/{uuid}-{name}`.
#[tokio::test]
async fn keys_carry_the_user_type_utc_day_and_a_fresh_uuid() {
    let clock = Clock::Fixed("2026-02-28T23:30:00-05:00".parse().expect("time"));
    let mut t = start_with(&["--jwt-secret", SECRET], clock).await;
    t.set_token(Some(&token("zoe")));
    let body = json!({"filename": "in\u{202E}fdp.exe", "file_type": "ecu"});
    let a = t.upload_url(body.clone()).await;
    let b = t.upload_url(body).await;
    for signed in [&a, &b] {
        let rest = signed
            .key
            .strip_prefix("users/zoe/ecu/2026-03-01/")
            .unwrap_or_else(|| panic!("{}", signed.key));
        let (uuid, name) = rest.split_at(32);
        assert!(
            uuid.bytes().all(|c| c.is_ascii_hexdigit()),
            "{}",
            signed.key
        );
        assert_eq!(name, "-infdp.exe");
    }
    assert_ne!(a.key, b.key);
}
