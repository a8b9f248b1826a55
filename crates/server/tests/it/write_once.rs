//! Write-once keys on the embedded store: a presigned PUT carries a signed
//! `If-None-Match: *`, so the same URL replayed after the upload was
//! confirmed gets 412 and the confirmed bytes stay; two PUTs racing for one
//! key store one body; and an object changed behind the signer's back (the
//! store written directly) is refused on a second confirmation and on
//! download with a 409.

use crate::common::direct_store::DirectStore;
use crate::common::multipart::MIB;
use crate::common::{error_code, random_bytes, start, TestServer};
use presign_core::protocol::single::GetUploadUrlResponse;
use presign_core::Sha256Digest;
use serde_json::json;

/// A URL that pins only the type: the body is whatever the sender sends.
async fn unpinned_url(t: &TestServer, filename: &str) -> GetUploadUrlResponse {
    t.upload_url(json!({"filename": filename, "file_type": "ecu"}))
        .await
}

async fn downloaded_sha256(t: &TestServer, key: &str) -> Sha256Digest {
    let got = t.download(key).await;
    Sha256Digest::of(&got.bytes().await.expect("body"))
}

#[tokio::test]
async fn a_replayed_put_after_confirmation_gets_412_and_the_confirmed_bytes_stay() {
    let t = start().await;
    let signed = unpinned_url(&t, "report.bin").await;
    let headers = signed.headers.clone().unwrap_or_default();
    assert_eq!(
        headers.get("if-none-match").map(String::as_str),
        Some("*"),
        "{headers:?}"
    );
    let confirmed = random_bytes(3000, 1);
    assert_eq!(t.put(&signed, confirmed.clone()).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);

    // The attacker kept the URL and sends other bytes with it.
    let swapped = t.put(&signed, b"<script>evil()</script>".to_vec()).await;
    assert_eq!(swapped.status(), 412);
    let body = swapped.text().await.expect("body");
    assert!(body.contains("PreconditionFailed"), "{body}");
    assert_eq!(
        downloaded_sha256(&t, &signed.key).await,
        Sha256Digest::of(&confirmed)
    );
    // A second confirmation still sees the confirmed object.
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);

    // A URL pinned to the file's size and SHA-256 cannot be replayed either.
    let data = random_bytes(2048, 2);
    let pinned = t.upload_url_for("pinned.bin", &data).await;
    assert_eq!(t.put(&pinned, data.clone()).await.status(), 200);
    assert_eq!(t.put(&pinned, data).await.status(), 412);
}

#[tokio::test]
async fn puts_racing_for_one_key_store_exactly_one_body() {
    let t = start().await;
    let signed = unpinned_url(&t, "race.bin").await;
    let bodies: Vec<Vec<u8>> = (0..6).map(|i| random_bytes(256 * 1024, 10 + i)).collect();
    let mut puts = tokio::task::JoinSet::new();
    for (i, body) in bodies.iter().enumerate() {
        let mut req = t.http.put(&signed.upload_url).body(body.clone());
        for (name, value) in signed.headers.iter().flatten() {
            req = req.header(name, value);
        }
        puts.spawn(async move { (i, req.send().await.expect("store").status().as_u16()) });
    }
    let mut statuses = vec![0; bodies.len()];
    while let Some(done) = puts.join_next().await {
        let (i, status) = done.expect("PUT task");
        statuses[i] = status;
    }
    let winners: Vec<usize> = (0..statuses.len())
        .filter(|&i| statuses[i] == 200)
        .collect();
    assert_eq!(winners.len(), 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 412),
        "{statuses:?}"
    );
    assert_eq!(
        downloaded_sha256(&t, &signed.key).await,
        Sha256Digest::of(&bodies[winners[0]])
    );
}

#[tokio::test]
async fn an_object_changed_behind_the_signers_back_answers_409() {
    let t = start().await;
    let data = random_bytes(4096, 3);
    let signed = t.upload_url_for("kept.bin", &data).await;
    assert_eq!(t.put(&signed, data.clone()).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);

    // Someone with the store's own key overwrites it, same size.
    let direct = DirectStore::of_dev(&t.server);
    assert_eq!(direct.put(&signed.key, random_bytes(4096, 4)).await, 200);

    let (status, code, message) = error_code(t.file_uploaded(&signed.key, "ecu").await).await;
    assert_eq!((status, code.as_str()), (409, "checksum_mismatch"));
    assert!(
        message.contains("changed after its upload was confirmed"),
        "{message}"
    );
    let (status, code, _) = error_code(t.download_url(&signed.key).await).await;
    assert_eq!((status, code.as_str()), (409, "checksum_mismatch"));
    let batch = t
        .post_json(
            "files-uploaded",
            &json!({"files": [{"key": signed.key, "file_type": "ecu"}]}),
        )
        .await;
    let text = batch.text().await.expect("body");
    assert!(
        text.contains("changed after its upload was confirmed"),
        "{text}"
    );
}

#[tokio::test]
async fn a_completed_multipart_upload_changed_later_answers_409_on_complete_again() {
    let t = start().await;
    let data = random_bytes(6 * MIB, 5);
    let created = t.create_multipart(data.len(), 5 * MIB).await;
    let (first, second) = data.split_at(5 * MIB);
    let urls = t
        .part_urls(&created.upload_id, &[(1, first), (2, second)])
        .await;
    let etag1 = t.upload_part(&urls[0], first.to_vec()).await;
    let etag2 = t.upload_part(&urls[1], second.to_vec()).await;
    let parts = [(1, etag1, first), (2, etag2, second)];
    assert_eq!(t.complete(&created.upload_id, &parts).await.status(), 200);
    assert_eq!(t.complete(&created.upload_id, &parts).await.status(), 200);

    let direct = DirectStore::of_dev(&t.server);
    assert_eq!(direct.put(&created.key, b"swapped".to_vec()).await, 200);
    let (status, code, message) = error_code(t.complete(&created.upload_id, &parts).await).await;
    assert_eq!((status, code.as_str()), (409, "checksum_mismatch"));
    assert!(message.contains("changed after"), "{message}");
}
