//! Multipart uploads through the signer's control plane, against the real
//! embedded store over HTTP: the bytes go from the "browser" (reqwest) to the
//! store, the signer only creates, presigns, lists, completes and aborts.

use crate::common::multipart::MIB;
use crate::common::{error_code, random_bytes, start};
use presign_core::protocol::multipart::{CompleteMultipartResponse, ListPartsResponse};
use presign_core::s3::composite_checksum::composite;
use presign_core::Sha256Digest;

/// 11 MiB + 12,345 bytes in 5 MiB parts: 5 MiB, 5 MiB, 1 MiB + 12,345.
const SIZE: usize = 11 * MIB + 12_345;

fn cut(data: &[u8]) -> Vec<&[u8]> {
    data.chunks(5 * MIB).collect()
}

#[tokio::test]
async fn full_multipart_upload_round_trip() {
    let t = start().await;
    let data = random_bytes(SIZE, 41);
    let created = t.create_multipart(SIZE, 5 * MIB).await;
    assert_eq!(created.upload_id.len(), 32, "{}", created.upload_id);
    assert!(created.key.starts_with("users/dev/ecu/"), "{}", created.key);
    assert!(created.key.ends_with("-big file.bin"), "{}", created.key);
    assert_eq!(
        (created.part_size, created.part_count, created.expires_in),
        (5 * MIB as u64, 3, 900)
    );
    let parts = cut(&data);
    assert_eq!(parts[2].len(), MIB + 12_345);

    let numbered: Vec<(u32, &[u8])> = (1..).zip(parts.iter().copied()).collect();
    let urls = t.part_urls(&created.upload_id, &numbered).await;
    assert_eq!(urls.iter().map(|u| u.number).collect::<Vec<_>>(), [1, 2, 3]);
    for (url, part) in urls.iter().zip(&parts) {
        assert_eq!(url.expires_in, 900);
        assert!(url.url.contains("partNumber="), "{}", url.url);
        assert!(
            !url.url.contains(&created.upload_id),
            "the store's id, not ours"
        );
        assert_eq!(
            url.headers.keys().map(String::as_str).collect::<Vec<_>>(),
            ["content-length", "x-amz-checksum-sha256"]
        );
        assert_eq!(url.headers["content-length"], part.len().to_string());
        assert_eq!(
            url.headers["x-amz-checksum-sha256"],
            Sha256Digest::of(part).to_base64()
        );
    }
    // Uploaded out of order, as concurrent parts finish.
    let mut done = Vec::new();
    for i in [2, 0, 1] {
        let etag = t.upload_part(&urls[i], parts[i].to_vec()).await;
        done.push((urls[i].number, etag, parts[i]));
    }

    let resp = t.complete(&created.upload_id, &done).await;
    assert_eq!(resp.status(), 200);
    let completed: CompleteMultipartResponse =
        resp.json().await.expect("CompleteMultipartResponse");
    assert_eq!(completed.key, created.key);
    assert_eq!(completed.size, SIZE as u64);
    assert!(!completed.etag.is_empty());
    let digests: Vec<Sha256Digest> = parts.iter().map(|p| Sha256Digest::of(p)).collect();
    let whole = Sha256Digest::of(&data).to_base64();
    let checksum = completed.checksum_sha256.expect("a checksum");
    // The COMPOSITE form, as S3 answers (s3s-fs alone answers the
    // FULL_OBJECT digest; the embedded store answers as S3).
    assert_eq!(checksum, composite(&digests), "the whole file's is {whole}");

    // The session is gone: the id is unknown now.
    assert_eq!(t.list_parts(&created.upload_id).await.status(), 404);
    assert!(t.session(&created.upload_id).await.is_none());

    let got = t.download(&created.key).await;
    // The store reports the same checksum for the object (its HEAD did too,
    // or the signer would have answered 409).
    let stored = got.headers().get("x-amz-checksum-sha256").cloned();
    assert_eq!(
        stored.as_ref().map(|v| v.as_bytes()),
        Some(checksum.as_bytes())
    );
    let bytes = got.bytes().await.expect("body");
    assert_eq!(bytes.len(), SIZE);
    assert_eq!(Sha256Digest::of(&bytes), Sha256Digest::of(&data));
}

#[tokio::test]
async fn a_part_cut_off_midway_is_400_incomplete_body_and_not_listed() {
    let t = start().await;
    let data = random_bytes(SIZE, 44);
    let created = t.create_multipart(SIZE, 5 * MIB).await;
    let parts = cut(&data);
    let urls = t.part_urls(&created.upload_id, &[(1, parts[0])]).await;
    let answer =
        crate::common::raw::cut_off_put(&urls[0].url, &urls[0].headers, &parts[0][..MIB]).await;
    let text = String::from_utf8_lossy(&answer.body);
    assert_eq!(answer.status, 400, "{text}");
    assert!(text.contains("<Code>IncompleteBody</Code>"), "{text}");
    let listed: ListPartsResponse = t
        .list_parts(&created.upload_id)
        .await
        .json()
        .await
        .expect("ListPartsResponse");
    assert!(listed.parts.is_empty(), "{listed:?}");
    // The part again, whole.
    t.upload_part(&urls[0], parts[0].to_vec()).await;
}

#[tokio::test]
async fn listing_after_two_of_three_parts_is_sorted() {
    let t = start().await;
    let data = random_bytes(SIZE, 42);
    let parts = cut(&data);
    let created = t.create_multipart(SIZE, 5 * MIB).await;
    let urls = t
        .part_urls(&created.upload_id, &[(3, parts[2]), (1, parts[0])])
        .await;
    let mut etags = Vec::new();
    for url in &urls {
        let i = (url.number - 1) as usize;
        etags.push((url.number, t.upload_part(url, parts[i].to_vec()).await));
    }

    let resp = t.list_parts(&created.upload_id).await;
    assert_eq!(resp.status(), 200);
    let listed: ListPartsResponse = resp.json().await.expect("ListPartsResponse");
    assert_eq!(listed.upload_id, created.upload_id);
    assert_eq!(listed.key, created.key);
    assert_eq!(
        listed
            .parts
            .iter()
            .map(|p| (p.number, p.size))
            .collect::<Vec<_>>(),
        [(1, 5 * MIB as u64), (3, (MIB + 12_345) as u64)]
    );
    for p in &listed.parts {
        let i = (p.number - 1) as usize;
        if let Some(sha) = &p.sha256 {
            assert_eq!(sha, &Sha256Digest::of(parts[i]).to_base64());
        }
        let (_, etag) = etags.iter().find(|(n, _)| *n == p.number).expect("etag");
        assert_eq!(p.etag.trim_matches('"'), etag.trim_matches('"'));
    }

    // Completing without part 2 names it.
    let (n1, e1) = etags.iter().find(|(n, _)| *n == 1).cloned().expect("1");
    let (n3, e3) = etags.iter().find(|(n, _)| *n == 3).cloned().expect("3");
    let (status, code, message) = error_code(
        t.complete(
            &created.upload_id,
            &[(n1, e1, parts[0]), (n3, e3, parts[2])],
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    assert!(message.contains("missing part(s) 2"), "{message}");
    assert!(t.session(&created.upload_id).await.is_some(), "still open");
}

#[tokio::test]
async fn wrong_bytes_wrong_sizes_and_wrong_checksums_are_refused() {
    let t = start().await;
    let data = random_bytes(SIZE, 43);
    let parts = cut(&data);
    let created = t.create_multipart(SIZE, 5 * MIB).await;
    let id = created.upload_id.as_str();

    // A body other than the one hashed: the store refuses it.
    let urls = t.part_urls(id, &[(1, parts[0])]).await;
    let resp = t.put_part(&urls[0], parts[1].to_vec()).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());

    // Sizes and numbers outside the plan.
    for (body, words) in [
        (
            serde_json::json!({"parts": [{"number": 1, "size": 5, "sha256": Sha256Digest::of(b"").to_base64()}]}),
            "part 1 must be 5242880 bytes",
        ),
        (
            serde_json::json!({"parts": [{"number": 0, "size": 5 * MIB, "sha256": Sha256Digest::of(b"").to_base64()}]}),
            "part 0",
        ),
        (
            serde_json::json!({"parts": [{"number": 4, "size": 5 * MIB, "sha256": Sha256Digest::of(b"").to_base64()}]}),
            "part 4",
        ),
    ] {
        let (status, code, message) = error_code(t.part_urls_raw(id, &body).await).await;
        assert_eq!((status, code.as_str()), (400, "bad_request"), "{body}");
        assert!(message.contains(words), "{message}");
    }

    // Upload all three properly, then complete with a wrong sha256 for one.
    let numbered: Vec<(u32, &[u8])> = (1..).zip(parts.iter().copied()).collect();
    let urls = t.part_urls(id, &numbered).await;
    let mut done = Vec::new();
    for (url, part) in urls.iter().zip(&parts) {
        done.push((url.number, t.upload_part(url, part.to_vec()).await, *part));
    }
    let mut wrong = done.clone();
    wrong[1].2 = parts[0];
    let resp = t.complete(id, &wrong).await;
    let (status, code, message) = error_code(resp).await;
    // s3s-fs: 400 InvalidPart "checksum_sha256 mismatch for part 2".
    assert_eq!(
        (status, code.as_str()),
        (400, "checksum_mismatch"),
        "{message}"
    );
    assert!(message.contains("InvalidPart"), "{message}");
    assert!(
        t.session(id).await.is_some(),
        "a refused Complete keeps the upload"
    );

    // The right list still completes.
    let resp = t.complete(id, &done).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn abort_removes_the_upload_everywhere() {
    let t = start().await;
    let data = random_bytes(6 * MIB, 44);
    let parts = cut(&data);
    let created = t.create_multipart(data.len(), 5 * MIB).await;
    let id = created.upload_id.as_str();
    let urls = t.part_urls(id, &[(1, parts[0]), (2, parts[1])]).await;
    let etag = t.upload_part(&urls[0], parts[0].to_vec()).await;
    let session = t.session(id).await.expect("registered");

    assert_eq!(t.abort(id).await.status(), 204);
    assert!(t.session(id).await.is_none());

    let (status, code, message) = error_code(t.list_parts(id).await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let (status, _, m2) = error_code(t.complete(id, &[(1, etag, parts[0])]).await).await;
    assert_eq!((status, m2.as_str()), (404, message.as_str()));
    let (status, _, _) =
        error_code(t.part_urls_raw(id, &serde_json::json!({"parts": []})).await).await;
    assert_eq!(status, 404);
    let (status, _, _) = error_code(t.abort(id).await).await;
    assert_eq!(status, 404, "aborting twice");

    // The store no longer has the upload: no parts, and a URL signed
    // before the abort no longer takes a part.
    let store = t.server.store_client();
    match store
        .list_parts(&session.key, &session.store_upload_id)
        .await
    {
        Ok(parts) => assert!(parts.is_empty(), "{parts:?}"),
        Err(e) => eprintln!("ListParts after abort: {e}"),
    }
    let late = t.put_part(&urls[1], parts[1].to_vec()).await;
    assert!(!late.status().is_success(), "{}", late.status());
}
