//! The embedded store's own CompleteMultipartUpload (`embedded_complete`),
//! over real HTTP with S3 requests signed as the signer signs them: what it
//! answers and stores, what it refuses (changing nothing), and that no file
//! of the upload stays behind.

use crate::common::multipart::MIB;
use crate::common::{create_bucket, own_store, random_bytes};
use jiff::Timestamp;
use md5::{Digest as _, Md5};
use presign_core::protocol::metadata::Metadata;
use presign_core::s3::composite_checksum::composite;
use presign_core::{ObjectKey, Sha256Digest, UserId};
use presign_server::Credentials;
use presign_server::{GetOverrides, NewObjectHeaders, PresignedRequest, Signer};
use std::path::Path;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

struct Store {
    _store: presign_server::EmbeddedStore,
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    signer: Signer,
    http: reqwest::Client,
}

async fn store() -> Store {
    let dir = tempfile::tempdir().expect("tempdir");
    let creds = Credentials::random_dev();
    let (store, url) = own_store(dir.path(), &creds).await;
    create_bucket(&url, &creds, "uploads").await;
    let signer = Signer::new(
        url.parse().expect("url"),
        true,
        "us-east-1",
        "uploads",
        &creds,
    )
    .expect("signer");
    Store {
        root: store.root().canonicalize().expect("root"),
        _store: store,
        _dir: dir,
        signer,
        http: reqwest::Client::new(),
    }
}

fn key(name: &str) -> ObjectKey {
    let user = UserId::parse("dev").expect("user");
    ObjectKey::owned_by(&format!("users/dev/{name}"), &user).expect("key")
}

fn send(
    http: &reqwest::Client,
    method: reqwest::Method,
    req: &PresignedRequest,
) -> reqwest::RequestBuilder {
    let mut b = http.request(method, req.url.as_str());
    for (name, value) in &req.headers {
        if name != "content-length" {
            b = b.header(name, value);
        }
    }
    b
}

/// One uploaded part: its number, bytes and the ETag the store answered.
struct Uploaded<'a> {
    number: u32,
    bytes: &'a [u8],
    etag: String,
}

impl Store {
    async fn create(&self, key: &ObjectKey, checksums: bool) -> String {
        let none = Metadata::default();
        let object = NewObjectHeaders {
            content_type: "video/mp4",
            checksums,
            metadata: &none,
        };
        let req = self
            .signer
            .presign_create_multipart(key, &object, HOUR, Timestamp::now());
        let resp = send(&self.http, reqwest::Method::POST, &req)
            .send()
            .await
            .expect("create");
        assert_eq!(resp.status(), 200);
        let body = resp.text().await.expect("body");
        let start = body.find("<UploadId>").expect("an UploadId") + "<UploadId>".len();
        let end = body.find("</UploadId>").expect("its end");
        body[start..end].to_owned()
    }

    async fn put_part<'a>(
        &self,
        key: &ObjectKey,
        id: &str,
        number: u32,
        bytes: &'a [u8],
        checksums: bool,
    ) -> Uploaded<'a> {
        let sha = checksums.then(|| Sha256Digest::of(bytes));
        let req = self.signer.presign_upload_part(
            key,
            id,
            number,
            bytes.len() as u64,
            sha.as_ref(),
            HOUR,
            Timestamp::now(),
        );
        let resp = send(&self.http, reqwest::Method::PUT, &req)
            .body(bytes.to_vec())
            .send()
            .await
            .expect("part");
        assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
        let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
        Uploaded {
            number,
            bytes,
            etag,
        }
    }

    /// Uploads `chunks` as parts 1..N, in order.
    async fn put_all<'a>(
        &self,
        key: &ObjectKey,
        id: &str,
        chunks: &[&'a [u8]],
        checksums: bool,
    ) -> Vec<Uploaded<'a>> {
        let mut parts = Vec::new();
        for (n, chunk) in (1..).zip(chunks) {
            parts.push(self.put_part(key, id, n, chunk, checksums).await);
        }
        parts
    }

    /// Completes with `xml` as the part list; the status and body.
    async fn complete(&self, key: &ObjectKey, id: &str, xml: String) -> (u16, String) {
        let req = self
            .signer
            .presign_complete_multipart(key, id, HOUR, Timestamp::now());
        let resp = send(&self.http, reqwest::Method::POST, &req)
            .header("content-type", "application/xml")
            .body(format!(
                r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{xml}</CompleteMultipartUpload>"#
            ))
            .send()
            .await
            .expect("complete");
        (resp.status().as_u16(), resp.text().await.expect("body"))
    }

    async fn get(&self, key: &ObjectKey) -> reqwest::Response {
        let url = self
            .signer
            .presign_get(key, &GetOverrides::default(), HOUR, Timestamp::now());
        self.http.get(url.as_str()).send().await.expect("get")
    }

    async fn head(&self, key: &ObjectKey) -> reqwest::Response {
        let req = self.signer.presign_head(key, HOUR, Timestamp::now());
        send(&self.http, reqwest::Method::HEAD, &req)
            .send()
            .await
            .expect("head")
    }

    /// The names of the upload's files left under the root.
    fn upload_files(&self, id: &str) -> Vec<String> {
        names(&self.root)
            .into_iter()
            .filter(|n| n.contains(id) || n.starts_with(".tmp."))
            .collect()
    }
}

fn names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("root")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// A part list, each part with its ETag and, when `sha256`, its digest.
fn listed(parts: &[Uploaded<'_>], sha256: bool) -> String {
    parts
        .iter()
        .map(|p| {
            let sha = if sha256 {
                format!(
                    "<ChecksumSHA256>{}</ChecksumSHA256>",
                    Sha256Digest::of(p.bytes).to_base64()
                )
            } else {
                String::new()
            };
            format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag>{sha}</Part>",
                p.number, p.etag
            )
        })
        .collect()
}

/// S3's multipart ETag of these parts, computed here from their bytes.
fn expected_etag(parts: &[&[u8]]) -> String {
    let mut all = Vec::new();
    for p in parts {
        all.extend(Md5::digest(p));
    }
    format!("\"{}-{}\"", hex::encode(Md5::digest(&all)), parts.len())
}

#[tokio::test]
async fn a_sha256_upload_completes_with_s3s_etag_and_composite_checksum() {
    let s = store().await;
    let k = key("ecu/joined.bin");
    let data = random_bytes(10 * MIB + 4321, 7);
    let chunks: Vec<&[u8]> = data.chunks(5 * MIB).collect();
    let id = s.create(&k, true).await;
    let mut parts = Vec::new();
    // Out of order, as a browser's parallel parts arrive.
    for i in [2, 0, 1] {
        parts.push(s.put_part(&k, &id, i as u32 + 1, chunks[i], true).await);
    }
    parts.sort_by_key(|p| p.number);
    let (status, body) = s.complete(&k, &id, listed(&parts, true)).await;
    assert_eq!(status, 200, "{body}");
    let etag = expected_etag(&chunks);
    let digests: Vec<Sha256Digest> = chunks.iter().map(|c| Sha256Digest::of(c)).collect();
    let checksum = composite(&digests);
    assert!(body.contains(&format!("<ETag>{etag}</ETag>")), "{body}");
    assert!(
        body.contains(&format!("<ChecksumSHA256>{checksum}</ChecksumSHA256>")),
        "{body}"
    );
    assert!(
        body.contains("<ChecksumType>COMPOSITE</ChecksumType>"),
        "{body}"
    );

    let got = s.get(&k).await;
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers()["content-type"],
        "video/mp4",
        "the upload's attributes moved to the object"
    );
    assert_eq!(got.headers()["etag"], etag.as_str());
    let bytes = got.bytes().await.expect("body");
    assert_eq!(Sha256Digest::of(&bytes), Sha256Digest::of(&data));
    let head = s.head(&k).await;
    assert_eq!(head.headers()["etag"], etag.as_str());
    assert_eq!(head.headers()["x-amz-checksum-sha256"], checksum.as_str());
    assert_eq!(
        head.headers()["content-length"],
        data.len().to_string().as_str()
    );

    assert_eq!(
        s.upload_files(&id),
        Vec::<String>::new(),
        "parts, records and the upload are removed"
    );
    // The upload is gone: completing again is refused.
    let (status, _) = s.complete(&k, &id, listed(&parts, true)).await;
    assert!((400..500).contains(&status), "{status}");
}

#[tokio::test]
async fn an_upload_without_checksums_completes_with_its_etag_only() {
    let s = store().await;
    let k = key("ecu/plain.bin");
    let data = random_bytes(5 * MIB + 1, 8);
    let chunks: Vec<&[u8]> = data.chunks(5 * MIB).collect();
    let id = s.create(&k, false).await;
    let parts = s.put_all(&k, &id, &chunks, false).await;
    let (status, body) = s.complete(&k, &id, listed(&parts, false)).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("ChecksumSHA256"), "{body}");
    let got = s.get(&k).await;
    assert_eq!(got.headers()["etag"], expected_etag(&chunks).as_str());
    assert!(got.headers().get("x-amz-checksum-sha256").is_none());
    assert_eq!(
        Sha256Digest::of(&got.bytes().await.expect("body")),
        Sha256Digest::of(&data)
    );
    assert_eq!(s.upload_files(&id), Vec::<String>::new());
}

#[tokio::test]
async fn a_refused_complete_changes_nothing_and_the_right_one_then_completes() {
    let s = store().await;
    let k = key("ecu/refused.bin");
    let data = random_bytes(10 * MIB + 99, 9);
    let chunks: Vec<&[u8]> = data.chunks(5 * MIB).collect();
    let id = s.create(&k, true).await;
    let parts = s.put_all(&k, &id, &chunks, true).await;
    let right = listed(&parts, true);
    let files = {
        let mut f = s.upload_files(&id);
        f.sort();
        f
    };
    assert_eq!(
        files.len(),
        2 * 3 + 2,
        "3 parts and their records, the upload and its attributes: {files:?}"
    );

    let wrong_etag = right.replacen(&parts[1].etag, "\"0123456789abcdef0123456789abcdef\"", 1);
    let wrong_sha = right.replacen(
        &Sha256Digest::of(chunks[2]).to_base64(),
        &Sha256Digest::of(b"other").to_base64(),
        1,
    );
    for (xml, code, words) in [
        (wrong_etag, "InvalidPart", "ETag mismatch for part 2"),
        (
            wrong_sha,
            "InvalidPart",
            "checksum_sha256 mismatch for part 3",
        ),
    ] {
        let (status, body) = s.complete(&k, &id, xml).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
        assert!(body.contains(words), "{body}");
        assert_eq!(
            s.get(&k).await.status(),
            404,
            "no object after a refused Complete"
        );
        let mut now = s.upload_files(&id);
        now.sort();
        assert_eq!(now, files, "the upload's files are untouched");
    }

    let (status, body) = s.complete(&k, &id, right).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        Sha256Digest::of(&s.get(&k).await.bytes().await.expect("body")),
        Sha256Digest::of(&data)
    );
}

#[tokio::test]
async fn a_small_part_but_the_last_is_entity_too_small() {
    let s = store().await;
    let k = key("ecu/small.bin");
    let small = random_bytes(MIB, 10);
    let big = random_bytes(5 * MIB, 11);
    let id = s.create(&k, true).await;
    let parts = vec![
        s.put_part(&k, &id, 1, &small, true).await,
        s.put_part(&k, &id, 2, &big, true).await,
    ];
    let (status, body) = s.complete(&k, &id, listed(&parts, true)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>EntityTooSmall</Code>"), "{body}");
    assert_eq!(s.get(&k).await.status(), 404);
}

#[tokio::test]
async fn parts_out_of_order_get_s3s_fs_s_own_refusal() {
    let s = store().await;
    let k = key("ecu/order.bin");
    let data = random_bytes(10 * MIB, 12);
    let chunks: Vec<&[u8]> = data.chunks(5 * MIB).collect();
    let id = s.create(&k, true).await;
    let mut parts = s.put_all(&k, &id, &chunks, true).await;
    parts.reverse();
    let (status, body) = s.complete(&k, &id, listed(&parts, true)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid part order"), "{body}");
    assert_eq!(s.get(&k).await.status(), 404);
}

#[tokio::test]
async fn a_part_never_uploaded_is_invalid_part() {
    let s = store().await;
    let k = key("ecu/missing.bin");
    let data = random_bytes(5 * MIB, 13);
    let id = s.create(&k, true).await;
    let first = s.put_part(&k, &id, 1, &data, true).await;
    let xml = format!(
        "{}<Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part>",
        listed(&[first], true),
        expected_etag(&[&data])
    );
    let (status, body) = s.complete(&k, &id, xml).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Code>InvalidPart</Code>"), "{body}");
    assert!(body.contains("part 2 was not uploaded"), "{body}");
    assert_eq!(s.get(&k).await.status(), 404);
}
