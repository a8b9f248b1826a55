//! Multipart uploads created with `"checksum": false` (the client's
//! `checksum: false`), against the real embedded store over HTTP: parts are
//! signed and completed without SHA-256, the object holds the right bytes,
//! and a request that mixes the two kinds is refused with a clear 400.

use crate::common::multipart::MIB;
use crate::common::{error_code, random_bytes, start, TestServer};
use presign_core::protocol::multipart::{CompleteMultipartResponse, PartUrl, PartUrlsResponse};
use presign_core::Sha256Digest;
use serde_json::{json, Value};

/// 11 MiB + 12,345 bytes in 5 MiB parts: 5 MiB, 5 MiB, 1 MiB + 12,345.
const SIZE: usize = 11 * MIB + 12_345;

async fn create_unchecked(t: &TestServer) -> String {
    let body = json!({
        "filename": "plain.bin",
        "file_type": "ecu",
        "size": SIZE,
        "part_size": 5 * MIB,
        "checksum": false,
    });
    let resp = t.post_json("multipart", &body).await;
    assert_eq!(resp.status(), 200, "create {body}");
    let created: Value = resp.json().await.expect("JSON");
    created["upload_id"].as_str().expect("upload_id").to_owned()
}

/// `{ number, size }` parts, no `sha256`.
fn bare(parts: &[(u32, &[u8])]) -> Value {
    json!({ "parts": parts.iter().map(|(n, d)| json!({ "number": n, "size": d.len() })).collect::<Vec<_>>() })
}

#[tokio::test]
async fn parts_go_unhashed_and_the_object_is_the_file() {
    let t = start().await;
    let data = random_bytes(SIZE, 51);
    let id = create_unchecked(&t).await;
    assert!(!t.session(&id).await.expect("open").checksums);
    let parts: Vec<(u32, &[u8])> = (1..).zip(data.chunks(5 * MIB)).collect();

    let resp = t.part_urls_raw(&id, &bare(&parts)).await;
    assert_eq!(resp.status(), 200);
    let urls: Vec<PartUrl> = resp.json::<PartUrlsResponse>().await.expect("urls").urls;
    let mut done = Vec::new();
    for (url, (number, bytes)) in urls.iter().zip(&parts) {
        assert_eq!(url.number, *number);
        // Only the size is pinned.
        assert_eq!(
            url.headers.keys().map(String::as_str).collect::<Vec<_>>(),
            ["content-length"]
        );
        assert!(!url.url.contains("x-amz-checksum"), "{}", url.url);
        done.push(json!({ "number": number, "etag": t.upload_part(url, bytes.to_vec()).await }));
    }

    let resp = t
        .post_json(
            &format!("multipart/{id}/complete"),
            &json!({ "parts": done }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let completed: CompleteMultipartResponse = resp.json().await.expect("completed");
    assert_eq!(completed.size, SIZE as u64);
    assert!(t.session(&id).await.is_none(), "closed");
    let stored = t
        .download(&completed.key)
        .await
        .bytes()
        .await
        .expect("body");
    assert_eq!(Sha256Digest::of(&stored), Sha256Digest::of(&data));
}

#[tokio::test]
async fn a_part_with_the_other_kind_of_checksum_is_refused() {
    let t = start().await;
    let data = random_bytes(SIZE, 52);
    let first: &[u8] = &data[..5 * MIB];

    // Unchecked upload: a part with a sha256 is refused, to sign or complete.
    let id = create_unchecked(&t).await;
    let (status, code, message) = error_code(
        t.part_urls_raw(
            &id,
            &json!({ "parts": [{ "number": 1, "size": first.len(), "sha256": Sha256Digest::of(first).to_base64() }] }),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    assert!(
        message.contains("created with \"checksum\": false"),
        "{message}"
    );
    let urls: PartUrlsResponse = t
        .part_urls_raw(&id, &bare(&[(1, first)]))
        .await
        .json()
        .await
        .expect("urls");
    let etag = t.upload_part(&urls.urls[0], first.to_vec()).await;
    let (status, _, message) = error_code(
        t.post_json(
            &format!("multipart/{id}/complete"),
            &json!({ "parts": [
                { "number": 1, "etag": etag, "sha256": Sha256Digest::of(first).to_base64() },
                { "number": 2, "etag": "e2" },
                { "number": 3, "etag": "e3" },
            ] }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message.contains("part 1 has a sha256"), "{message}");
    assert!(t.session(&id).await.is_some(), "still open");

    // Checksummed upload (the default): a part without one is refused.
    let created = t.create_multipart(SIZE, 5 * MIB).await;
    assert!(t.session(&created.upload_id).await.expect("open").checksums);
    let (status, code, message) = error_code(
        t.part_urls_raw(&created.upload_id, &bare(&[(1, first)]))
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    assert!(message.contains("part 1 has no sha256"), "{message}");

    // Anything but a boolean is a clear 400 too.
    let resp = t
        .post_json(
            "multipart",
            &json!({ "filename": "x.bin", "file_type": "ecu", "size": SIZE, "checksum": "no" }),
        )
        .await;
    let (status, code, _) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
}
