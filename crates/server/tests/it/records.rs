//! Upload records in SQLite over real HTTP with the embedded store: recorded
//! after a single PUT and after a multipart Complete, idempotently, only when
//! the stored object is what was declared; listed per user, newest first,
//! paginated; open multipart uploads survive a restart.

use crate::common::multipart::MIB;
use crate::common::{error_code, random_bytes, start, start_in, TestServer};
use presign_core::protocol::multipart::CompleteMultipartResponse;
use presign_core::protocol::records::{ListUploadsResponse, UploadRecord};
use presign_core::protocol::single::FileUploadedResponse;
use presign_core::Sha256Digest;
use presign_server::Clock;
use serde_json::{json, Value};
use std::collections::HashSet;

impl TestServer {
    /// `GET /api/uploads` with these query pairs.
    async fn uploads_raw(&self, query: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .get(self.api("uploads"))
            .query(query)
            .send()
            .await
            .expect("API reachable")
    }

    async fn uploads(&self, query: &[(&str, &str)]) -> ListUploadsResponse {
        let resp = self.uploads_raw(query).await;
        assert_eq!(resp.status(), 200, "uploads {query:?}");
        resp.json().await.expect("ListUploadsResponse")
    }

    /// Signs and PUTs `data`; returns the key.
    async fn put_file(&self, name: &str, data: &[u8]) -> String {
        let signed = self.upload_url_for(name, data).await;
        assert_eq!(self.put(&signed, data.to_vec()).await.status(), 200);
        signed.key
    }

    /// Uploads `data` in 5 MiB parts and returns (upload id, parts for Complete).
    async fn multipart_parts(&self, data: &[u8]) -> (String, Vec<(u32, String, Vec<u8>)>) {
        let created = self.create_multipart(data.len(), 5 * MIB).await;
        let parts: Vec<(u32, &[u8])> = (1..).zip(data.chunks(5 * MIB)).collect();
        let urls = self.part_urls(&created.upload_id, &parts).await;
        let mut done = Vec::new();
        for (url, (number, part)) in urls.iter().zip(&parts) {
            let etag = self.upload_part(url, part.to_vec()).await;
            done.push((*number, etag, part.to_vec()));
        }
        (created.upload_id, done)
    }
}

fn confirm_body(key: &str, data: &[u8]) -> Value {
    json!({
        "key": key,
        "file_type": "ecu",
        "size": data.len(),
        "sha256": Sha256Digest::of(data).to_base64(),
    })
}

fn borrowed(parts: &[(u32, String, Vec<u8>)]) -> Vec<(u32, String, &[u8])> {
    parts
        .iter()
        .map(|(n, etag, data)| (*n, etag.clone(), data.as_slice()))
        .collect()
}

#[tokio::test]
async fn single_put_is_recorded_once_with_the_stored_fields() {
    let t = start().await;
    let data = random_bytes(70_000, 1);
    let key = t.put_file("report.bin", &data).await;
    let before = jiff::Timestamp::now();

    let resp = t
        .post_json("file-uploaded", &confirm_body(&key, &data))
        .await;
    assert_eq!(resp.status(), 200);
    let first: FileUploadedResponse = resp.json().await.expect("FileUploadedResponse");
    let resp = t
        .post_json("file-uploaded", &confirm_body(&key, &data))
        .await;
    assert_eq!(resp.status(), 200, "confirming again is fine");
    let second: FileUploadedResponse = resp.json().await.expect("FileUploadedResponse");
    assert_eq!(first, second, "the same answer");
    // A body without declarations is accepted too, still one record.
    assert_eq!(t.file_uploaded(&key, "ecu").await.status(), 200);

    let list = t.uploads(&[]).await;
    assert_eq!(list.uploads.len(), 1, "{list:?}");
    assert_eq!(list.next_cursor, None);
    let record = &list.uploads[0];
    let sha = Sha256Digest::of(&data).to_base64();
    assert_eq!(
        (
            record.user.as_str(),
            record.key.as_str(),
            record.file_type.as_str()
        ),
        ("dev", key.as_str(), "ecu")
    );
    assert_eq!(record.size, data.len() as u64);
    assert_eq!(record.sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(record.etag, first.etag);
    let created: jiff::Timestamp = record.created_at.parse().expect("RFC 3339");
    let since = created.duration_since(before).as_secs_f64();
    assert!((-1.0..60.0).contains(&since), "created_at {created}");
}

#[tokio::test]
async fn multipart_complete_is_recorded_and_idempotent() {
    let t = start().await;
    let data = random_bytes(11 * MIB + 7, 2);
    let (id, parts) = t.multipart_parts(&data).await;
    let resp = t.complete(&id, &borrowed(&parts)).await;
    assert_eq!(resp.status(), 200);
    let first: CompleteMultipartResponse = resp.json().await.expect("answer");
    // A retry (the answer was lost) gets the same answer, and no new row.
    let resp = t.complete(&id, &borrowed(&parts)).await;
    assert_eq!(
        resp.status(),
        200,
        "completing again answers from the record"
    );
    let second: CompleteMultipartResponse = resp.json().await.expect("answer");
    assert_eq!(first, second);
    assert!(t.session(&id).await.is_none(), "the session is gone");

    let list = t.uploads(&[]).await;
    assert_eq!(list.uploads.len(), 1, "{list:?}");
    let record = &list.uploads[0];
    assert_eq!(record.key, first.key);
    assert_eq!(record.user, "dev");
    assert_eq!(record.file_type, "ecu");
    assert_eq!(record.size, data.len() as u64);
    assert_eq!(record.etag, first.etag);
    assert!(first.checksum_sha256.is_some());
    assert_eq!(record.sha256, first.checksum_sha256);
}

#[tokio::test]
async fn wrong_declarations_are_refused_keep_the_object_and_record_nothing() {
    let t = start().await;
    let data = random_bytes(5_000, 3);
    let key = t.put_file("a.bin", &data).await;

    let mut wrong_sha = confirm_body(&key, &data);
    wrong_sha["sha256"] = json!(Sha256Digest::of(b"something else").to_base64());
    let mut wrong_size = confirm_body(&key, &data);
    wrong_size["size"] = json!(data.len() + 1);
    for body in [wrong_sha, wrong_size] {
        let (status, code, message) = error_code(t.post_json("file-uploaded", &body).await).await;
        assert_eq!(
            (status, code.as_str()),
            (409, "checksum_mismatch"),
            "{body}"
        );
        assert!(message.contains("declared"), "{message}");
    }
    assert!(
        t.server
            .store_client()
            .head_object(
                &presign_core::ObjectKey::owned_by(
                    &key,
                    &presign_core::UserId::parse("dev").expect("user")
                )
                .expect("key")
            )
            .await
            .expect("store")
            .is_some(),
        "the object is still there"
    );
    assert!(t.uploads(&[]).await.uploads.is_empty(), "no record");

    // A malformed declaration is a 400, not a mismatch.
    let mut bad = confirm_body(&key, &data);
    bad["sha256"] = json!("not base64!");
    let (status, code, _) = error_code(t.post_json("file-uploaded", &bad).await).await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
}

#[tokio::test]
async fn pages_of_two_cover_five_uploads_newest_first() {
    let t = start().await;
    let mut keys = Vec::new();
    for n in 0..5u64 {
        let data = random_bytes(100 + n as usize, 10 + n);
        let key = t.put_file(&format!("f{n}.bin"), &data).await;
        let resp = t
            .post_json("file-uploaded", &confirm_body(&key, &data))
            .await;
        assert_eq!(resp.status(), 200);
        keys.push(key);
    }
    let mut seen: Vec<UploadRecord> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c));
        }
        let page = t.uploads(&query).await;
        pages += 1;
        assert!(page.uploads.len() <= 2);
        seen.extend(page.uploads);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let listed: Vec<&str> = seen.iter().map(|r| r.key.as_str()).collect();
    let newest_first: Vec<&str> = keys.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);
    assert_eq!(
        listed.iter().collect::<HashSet<_>>().len(),
        5,
        "no duplicates"
    );
    assert_eq!(t.uploads(&[]).await.uploads.len(), 5, "default limit 50");

    for query in [
        &[("limit", "0")][..],
        &[("limit", "101")],
        &[("limit", "two")],
        &[("cursor", "bogus")],
        &[("color", "red")],
    ] {
        let (status, code, _) = error_code(t.uploads_raw(query).await).await;
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{query:?}");
    }
}

#[tokio::test]
async fn open_uploads_survive_a_restart_and_the_database_is_wal() {
    let t = start().await;
    let data = random_bytes(6 * MIB, 4);
    let created = t.create_multipart(data.len(), 5 * MIB).await;
    let TestServer { server, dir, .. } = t;
    server.shutdown().await.expect("clean shutdown");

    // A new server on the same data folder: migrations run again (no-op).
    let t = start_in(dir, &[], Clock::System).await;
    let parts: Vec<(u32, &[u8])> = (1..).zip(data.chunks(5 * MIB)).collect();
    let urls = t.part_urls(&created.upload_id, &parts).await;
    let mut done = Vec::new();
    for (url, (number, part)) in urls.iter().zip(&parts) {
        let etag = t.upload_part(url, part.to_vec()).await;
        done.push((*number, etag, *part));
    }
    let resp = t.complete(&created.upload_id, &done).await;
    assert_eq!(resp.status(), 200);
    let list = t.uploads(&[]).await;
    assert_eq!(list.uploads.len(), 1);
    assert_eq!(list.uploads[0].key, created.key);

    if let Some(url) = crate::common::postgres::url_of(t.data_dir()) {
        let db = crate::common::postgres::connect(&url).await;
        let version: i32 = db
            .query_one("SELECT max(version) FROM presign_schema", &[])
            .await
            .expect("schema version")
            .get(0);
        assert_eq!(version, 5, "the same five migrations as SQLite's");
        return;
    }
    let db = rusqlite::Connection::open(t.data_dir().join("data/presign.sqlite3")).expect("db");
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(mode, "wal");
    let version: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(
        version, 5,
        "five migrations: the schema, the checksums column, the client token, metadata, create intents"
    );
}

#[tokio::test]
async fn other_users_records_are_never_listed() {
    let t = start().await;
    let data = random_bytes(300, 5);
    let key = t.put_file("mine.bin", &data).await;
    assert_eq!(
        t.post_json("file-uploaded", &confirm_body(&key, &data))
            .await
            .status(),
        200
    );
    // Records of another user, written the way the routes write them.
    for n in 0..3 {
        let theirs = UploadRecord {
            user: "other".into(),
            key: format!("users/other/ecu/2026-11-28/{n:032x}-theirs.bin"),
            file_type: "ecu".into(),
            size: 10,
            sha256: None,
            etag: "\"e\"".into(),
            created_at: String::new(),
            metadata: Default::default(),
        };
        t.server
            .records()
            .record(theirs, jiff::Timestamp::now())
            .await
            .expect("recorded");
    }
    let list = t.uploads(&[("limit", "100")]).await;
    let keys: Vec<&str> = list.uploads.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, [key.as_str()]);
    assert_eq!(list.next_cursor, None);
}

/// The store completed the upload but the server never recorded it (it
/// stopped in between): the client's retry verifies and records it.
#[tokio::test]
async fn a_completion_the_server_missed_is_recorded_on_retry() {
    let t = start().await;
    let data = random_bytes(6 * MIB, 6);
    let (id, parts) = t.multipart_parts(&data).await;
    let session = t.session(&id).await.expect("open");
    let digests: Vec<Sha256Digest> = parts.iter().map(|(_, _, p)| Sha256Digest::of(p)).collect();
    let to_complete: Vec<_> = parts
        .iter()
        .zip(&digests)
        .map(
            |((number, etag, _), sha256)| presign_server::PartToComplete {
                number: *number,
                etag,
                sha256: Some(sha256),
            },
        )
        .collect();
    t.server
        .store_client()
        .complete_multipart(&session.key, &session.store_upload_id, &to_complete)
        .await
        .expect("completed behind the server's back");
    assert!(t.uploads(&[]).await.uploads.is_empty());

    let resp = t.complete(&id, &borrowed(&parts)).await;
    assert_eq!(resp.status(), 200);
    let answer: CompleteMultipartResponse = resp.json().await.expect("answer");
    assert_eq!(answer.size, data.len() as u64);
    let list = t.uploads(&[]).await;
    assert_eq!(list.uploads.len(), 1);
    assert_eq!(list.uploads[0].key, session.key.as_str());
    assert_eq!(list.uploads[0].sha256, answer.checksum_sha256);
    assert!(t.session(&id).await.is_none());
}
