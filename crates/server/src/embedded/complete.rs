//! CompleteMultipartUpload on the embedded store, done here instead of by
//! s3s-fs: the parts are joined by the kernel (`std::io::copy` from file to
//! file is `copy_file_range` on Linux) and the ETag comes from the part
//! MD5s s3s-fs recorded as it stored each part.
//!
//! Why: s3s-fs 0.17's Complete reads every part back in 64 KiB `tokio::fs`
//! reads (one blocking-pool round trip each), MD5s the whole object and, for
//! a SHA-256 upload, SHA-256s it again: seconds per GiB, which would make a
//! multipart upload to the demo store much slower than a single PUT. S3
//! itself answers from what it already knows: the ETag `md5(part MD5s)-N`
//! and, for a SHA-256 upload, the COMPOSITE checksum of the part digests
//! ([`super::composite`]). So does this.
//!
//! What it answers is what s3s-fs would answer, plus S3's checks s3s-fs
//! skips (a listed ETag must be the part's), for the requests the signer and
//! browsers send: parts listed 1..N, no conditional write but
//! `If-None-Match: *` (checked before, [`super::write_once`]), no whole-object
//! checksum in the request, an upload created without a checksum algorithm
//! or with SHA-256, a key that is a plain relative path. Anything else
//! [`plan`] leaves to s3s-fs (and its errors), unchanged.
//!
//! s3s-fs's files, all under its root (s3s-fs `=0.17.0`, pinned in
//! Cargo.toml because this reads and writes them; `b64` is base64url without
//! padding; [`super::s3s_files`] names the object's):
//! - `.upload-{id}.json`: the access key that created the upload (JSON);
//! - `.bucket-{b64}.object-{b64}.upload-{id}.metadata.json`: the upload's
//!   attributes (content type, checksum algorithm), which become the
//!   object's `.bucket-{b64}.object-{b64}.metadata.json`;
//! - `.upload_id-{id}.part-{n}` and `.upload_part_info-{id}.part-{n}.json`: a
//!   part's bytes and its ETag and checksums;
//! - `{bucket}/{key}`: the object; `.bucket-{b64}.object-{b64}.internal.json`:
//!   its ETag and checksums, which HEAD and GET report;
//! - `.tmp.*.internal.part`: files being written, removed when s3s-fs starts.

use super::s3s_files::{internal_info_path, object_file};
use super::storage_full::mapped;
use md5::{Digest as _, Md5};
use presign_core::s3::composite_checksum::composite;
use presign_core::s3::limits::MIN_PART_SIZE;
use presign_core::Sha256Digest;
use s3s::dto::{
    ChecksumType, CompleteMultipartUploadInput, CompleteMultipartUploadOutput, CompletedPart, ETag,
};
use s3s::{s3_error, S3Error, S3Result};
use serde_json::{Map, Value};
use std::io;
use std::path::{Component, Path, PathBuf};
use uuid::Uuid;

/// A Complete this module carries out: what the request asked, checked
/// against the upload s3s-fs keeps.
#[derive(Debug)]
pub struct Plan {
    root: PathBuf,
    bucket: String,
    key: String,
    upload_id: Uuid,
    /// The listed parts, in order: part `i` is number `i + 1`.
    parts: Vec<CompletedPart>,
    /// The upload's attributes file, when s3s-fs wrote one.
    attributes: Option<PathBuf>,
    /// The upload was created with the SHA-256 algorithm.
    sha256: bool,
}

/// The plan for `input` on the store at `root` when this module covers the
/// request and the upload belongs to `access_key`; `None` leaves it to
/// s3s-fs.
pub async fn plan(
    root: &Path,
    access_key: Option<&str>,
    input: &CompleteMultipartUploadInput,
) -> Option<Plan> {
    if !covered(input) {
        return None;
    }
    let upload_id = Uuid::parse_str(&input.upload_id).ok()?;
    // s3s-fs answers AccessDenied for an unknown upload or another key's.
    let owner = tokio::fs::read(root.join(format!(".upload-{upload_id}.json")))
        .await
        .ok()?;
    let owner: Option<String> = serde_json::from_slice(&owner).ok()?;
    if owner.as_deref() != access_key {
        return None;
    }
    let attributes_path = object_file(
        root,
        &input.bucket,
        &input.key,
        &format!(".upload-{upload_id}.metadata.json"),
    );
    let (attributes, algorithm) = match tokio::fs::read(&attributes_path).await {
        Ok(text) => {
            let attrs: Map<String, Value> = serde_json::from_slice(&text).ok()?;
            // s3s-fs refuses a stored checksum type other than FULL_OBJECT.
            if attrs.get("checksum_type").is_some() {
                return None;
            }
            let algorithm = match attrs.get("checksum_algorithm") {
                None => None,
                Some(Value::String(a)) => Some(a.clone()),
                Some(_) => return None,
            };
            (Some(attributes_path), algorithm)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => (None, None),
        Err(_) => return None,
    };
    let sha256 = match algorithm.as_deref() {
        None => false,
        Some(a) if a.eq_ignore_ascii_case("SHA256") => true,
        Some(_) => return None,
    };
    Some(Plan {
        root: root.to_owned(),
        bucket: input.bucket.clone(),
        key: input.key.clone(),
        upload_id,
        parts: input.multipart_upload.as_ref()?.parts.clone()?,
        attributes,
        sha256,
    })
}

/// The request's shape is one this module answers as s3s-fs would.
fn covered(input: &CompleteMultipartUploadInput) -> bool {
    let whole_object_checksum = input.checksum_crc32.is_some()
        || input.checksum_crc32c.is_some()
        || input.checksum_crc64nvme.is_some()
        || input.checksum_md5.is_some()
        || input.checksum_sha1.is_some()
        || input.checksum_sha256.is_some()
        || input.checksum_sha512.is_some()
        || input.checksum_xxhash128.is_some()
        || input.checksum_xxhash3.is_some()
        || input.checksum_xxhash64.is_some()
        || input.checksum_type.is_some();
    let parts_in_order = input
        .multipart_upload
        .as_ref()
        .and_then(|u| u.parts.as_deref())
        .is_some_and(|parts| {
            !parts.is_empty()
                && (1..)
                    .zip(parts)
                    .all(|(n, p)| p.part_number == Some(n) && lists_sha256_at_most(p))
        });
    // `If-None-Match: *` was checked before (`super::write_once`).
    !whole_object_checksum
        && input.if_match.is_none()
        && input.if_none_match.as_ref().is_none_or(|c| c.is_any())
        && plain(&input.bucket, 1)
        && plain(&input.key, usize::MAX)
        && parts_in_order
}

/// A listed part names no checksum but (perhaps) a SHA-256.
fn lists_sha256_at_most(p: &CompletedPart) -> bool {
    p.checksum_crc32.is_none()
        && p.checksum_crc32c.is_none()
        && p.checksum_crc64nvme.is_none()
        && p.checksum_md5.is_none()
        && p.checksum_sha1.is_none()
        && p.checksum_sha512.is_none()
        && p.checksum_xxhash128.is_none()
        && p.checksum_xxhash3.is_none()
        && p.checksum_xxhash64.is_none()
}

/// `name` is a relative path of 1 to `max` plain components (no `.`, `..`,
/// root or empty segment), so that it names a file under the store's root.
fn plain(name: &str, max: usize) -> bool {
    let path = Path::new(name);
    let mut count = 0;
    for c in path.components() {
        if !matches!(c, Component::Normal(_)) {
            return false;
        }
        count += 1;
    }
    // `components()` skips empty segments and a trailing slash: refuse them.
    let segments = name.split('/').count();
    (1..=max).contains(&count) && segments == count
}

/// One listed part, as s3s-fs stored it.
struct StoredPart {
    path: PathBuf,
    info: PathBuf,
    md5: [u8; 16],
    sha256: Option<Sha256Digest>,
}

impl Plan {
    /// Completes the upload: checks every listed part, joins them into the
    /// object, records its ETag and checksum, removes the upload. A refused
    /// Complete changes nothing.
    pub async fn complete(self) -> S3Result<CompleteMultipartUploadOutput> {
        let stored = self.checked_parts().await?;
        // Both from the parts' records, before anything is written.
        let e_tag = multipart_etag(stored.iter().map(|p| p.md5));
        let checksum = if self.sha256 {
            let digests: Option<Vec<Sha256Digest>> = stored.iter().map(|p| p.sha256).collect();
            Some(composite(&digests.ok_or_else(|| {
                s3_error!(InternalError, "a part of a SHA-256 upload has no SHA-256")
            })?))
        } else {
            None
        };
        let object = self.root.join(&self.bucket).join(&self.key);
        let sources: Vec<PathBuf> = stored.iter().map(|p| p.path.clone()).collect();
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || join(&root, &sources, &object))
            .await
            .map_err(S3Error::internal_error)?
            .map_err(|e| mapped(S3Error::internal_error(e)))?;
        self.record(&e_tag, checksum.as_deref())
            .await
            .map_err(|e| mapped(S3Error::internal_error(e)))?;
        self.clean_up(&stored).await;
        Ok(CompleteMultipartUploadOutput {
            bucket: Some(self.bucket),
            key: Some(self.key),
            e_tag: Some(ETag::Strong(e_tag)),
            checksum_type: checksum
                .is_some()
                .then(|| ChecksumType::from_static(ChecksumType::COMPOSITE)),
            checksum_sha256: checksum,
            ..Default::default()
        })
    }

    /// Every listed part as stored, after S3's checks: it was uploaded, its
    /// listed ETag and SHA-256 are the stored ones, and each but the last
    /// has at least 5 MiB.
    async fn checked_parts(&self) -> S3Result<Vec<StoredPart>> {
        let mut stored = Vec::with_capacity(self.parts.len());
        for (i, part) in self.parts.iter().enumerate() {
            let number = i + 1;
            let path = self
                .root
                .join(format!(".upload_id-{}.part-{number}", self.upload_id));
            let info_path = self.root.join(format!(
                ".upload_part_info-{}.part-{number}.json",
                self.upload_id
            ));
            let (info, size) = match (
                tokio::fs::read(&info_path).await,
                tokio::fs::metadata(&path).await,
            ) {
                (Ok(info), Ok(meta)) => (info, meta.len()),
                _ => return Err(s3_error!(InvalidPart, "part {number} was not uploaded")),
            };
            let info: Map<String, Value> = serde_json::from_slice(&info)
                .map_err(|e| s3_error!(InternalError, "part {number}'s record: {e}"))?;
            let text = |name: &str| info.get(name).and_then(Value::as_str);
            let md5 = text("e_tag")
                .and_then(|e| hex::decode(e).ok())
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .ok_or_else(|| s3_error!(InternalError, "part {number}'s record has no MD5"))?;
            if let Some(listed) = &part.e_tag {
                if !listed.value().eq_ignore_ascii_case(&hex::encode(md5)) {
                    return Err(s3_error!(InvalidPart, "ETag mismatch for part {number}"));
                }
            }
            let saved = text("checksum_sha256");
            if part.checksum_sha256.is_some() && part.checksum_sha256.as_deref() != saved {
                return Err(s3_error!(
                    InvalidPart,
                    "checksum_sha256 mismatch for part {number}"
                ));
            }
            if number < self.parts.len() && size < MIN_PART_SIZE {
                return Err(s3_error!(EntityTooSmall));
            }
            stored.push(StoredPart {
                path,
                info: info_path,
                md5,
                sha256: saved.and_then(|s| Sha256Digest::from_base64(s).ok()),
            });
        }
        Ok(stored)
    }

    /// Records the object's ETag and checksum where s3s-fs's HEAD and GET
    /// read them, and moves the upload's attributes to the object.
    async fn record(&self, e_tag: &str, checksum: Option<&str>) -> io::Result<()> {
        let mut info = Map::new();
        info.insert("e_tag".into(), e_tag.into());
        if let Some(checksum) = checksum {
            info.insert("checksum_sha256".into(), checksum.into());
        }
        let path = internal_info_path(&self.root, &self.bucket, &self.key);
        let tmp = temporary(&self.root);
        tokio::fs::write(&tmp, serde_json::to_vec(&info)?).await?;
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        if let Some(attributes) = &self.attributes {
            let object_attributes =
                object_file(&self.root, &self.bucket, &self.key, ".metadata.json");
            tokio::fs::rename(attributes, object_attributes).await?;
        }
        Ok(())
    }

    /// Removes the parts and then the upload; what cannot be removed is
    /// logged and left (the object is complete either way).
    async fn clean_up(&self, stored: &[StoredPart]) {
        let mut left = 0;
        for part in stored {
            for path in [&part.path, &part.info] {
                if let Err(e) = tokio::fs::remove_file(path).await {
                    left += 1;
                    tracing::warn!(error = %e, path = %path.display(),
                        "embedded store: a completed upload's file stays");
                }
            }
        }
        if left == 0 {
            let upload = self.root.join(format!(".upload-{}.json", self.upload_id));
            if let Err(e) = tokio::fs::remove_file(&upload).await {
                tracing::warn!(error = %e, upload_id = %self.upload_id,
                    "embedded store: a completed upload stays listed");
            }
        }
    }
}

/// A fresh temporary file name under `root`, of the kind s3s-fs removes when
/// it starts.
fn temporary(root: &Path) -> PathBuf {
    root.join(format!(".tmp.complete-{}.internal.part", Uuid::new_v4()))
}

/// Writes `parts`, in order, into a temporary file, then renames it to
/// `object` (its folders created). The temporary file is removed on failure.
fn join(root: &Path, parts: &[PathBuf], object: &Path) -> io::Result<()> {
    let tmp = temporary(root);
    let result = (|| {
        let mut out = std::fs::File::create(&tmp)?;
        for part in parts {
            io::copy(&mut std::fs::File::open(part)?, &mut out)?;
        }
        drop(out);
        if let Some(folder) = object.parent() {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::rename(&tmp, object)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// S3's multipart ETag: the MD5 of the parts' MD5s, then `-` and their count.
pub fn multipart_etag(part_md5s: impl IntoIterator<Item = [u8; 16]>) -> String {
    let mut hash = Md5::new();
    let mut count = 0;
    for md5 in part_md5s {
        hash.update(md5);
        count += 1;
    }
    format!("{}-{count}", hex::encode(hash.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::CompletedMultipartUpload;

    #[test]
    fn the_etag_is_md5_of_the_part_md5s() {
        // Two parts "a" and "b": md5(md5("a") ++ md5("b")) with "-2", as S3.
        let md5 = |b: &[u8]| <[u8; 16]>::from(Md5::digest(b));
        let etag = multipart_etag([md5(b"a"), md5(b"b")]);
        let mut both = md5(b"a").to_vec();
        both.extend(md5(b"b"));
        assert_eq!(etag, format!("{}-2", hex::encode(Md5::digest(&both))));
        assert_eq!(
            multipart_etag([md5(b"")]),
            format!("{}-1", hex::encode(Md5::digest(md5(b""))))
        );
    }

    /// The files in `root` whose names start with `.tmp.`.
    fn temporaries(root: &Path) -> Vec<String> {
        std::fs::read_dir(root)
            .expect("root")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".tmp."))
            .collect()
    }

    #[test]
    fn a_join_writes_the_parts_in_order_and_a_failed_one_leaves_no_file() {
        let root = tempfile::tempdir().expect("tempdir");
        let root = root.path();
        let (a, b) = (root.join("part-a"), root.join("part-b"));
        std::fs::write(&a, b"first ").expect("a");
        std::fs::write(&b, b"second").expect("b");
        let object = root.join("uploads/users/dev/joined.bin");
        join(root, &[a.clone(), b.clone()], &object).expect("join");
        assert_eq!(std::fs::read(&object).expect("object"), b"first second");
        assert!(temporaries(root).is_empty());

        // A part gone after the first was copied: an error, no object, no
        // temporary file.
        let missing = root.join("uploads/users/dev/missing.bin");
        let gone = root.join("part-gone");
        assert!(join(root, &[a.clone(), gone], &missing).is_err());
        assert!(!missing.exists());
        assert!(temporaries(root).is_empty(), "{:?}", temporaries(root));

        // Every part copied, then the object's folder cannot be made (a file
        // holds its name): the same.
        std::fs::write(root.join("blocked"), b"a file").expect("file");
        let blocked = root.join("blocked/joined.bin");
        assert!(join(root, &[a, b], &blocked).is_err());
        assert!(temporaries(root).is_empty(), "{:?}", temporaries(root));
        assert_eq!(
            std::fs::read(root.join("blocked")).expect("file"),
            b"a file"
        );
    }

    #[test]
    fn only_plain_relative_names_are_covered() {
        for ok in ["uploads", "a/b/c.bin", "users/dev/a b.bin"] {
            assert!(plain(ok, usize::MAX), "{ok}");
        }
        for bad in ["", "/abs", "a/../b", "./a", "a//b", "a/", "..", "a/./b"] {
            assert!(!plain(bad, usize::MAX), "{bad:?}");
        }
        assert!(plain("uploads", 1));
        assert!(!plain("up/loads", 1));
    }

    fn input(parts: Vec<CompletedPart>) -> CompleteMultipartUploadInput {
        let mut b = CompleteMultipartUploadInput::builder();
        b.set_bucket("uploads".into());
        b.set_key("users/dev/k".into());
        b.set_upload_id(Uuid::new_v4().to_string());
        b.set_multipart_upload(Some(CompletedMultipartUpload { parts: Some(parts) }));
        b.build().expect("input")
    }

    fn part(n: i32) -> CompletedPart {
        CompletedPart {
            part_number: Some(n),
            checksum_sha256: Some("x".into()),
            ..Default::default()
        }
    }

    #[test]
    fn what_the_signer_sends_is_covered_and_the_rest_is_left_to_s3s_fs() {
        assert!(covered(&input(vec![part(1), part(2), part(3)])));
        // Out of order, a gap, none, another checksum: s3s-fs's answer.
        assert!(!covered(&input(vec![part(2), part(1)])));
        assert!(!covered(&input(vec![part(1), part(3)])));
        assert!(!covered(&input(vec![])));
        let mut crc = part(1);
        crc.checksum_crc32 = Some("AAAAAA==".into());
        assert!(!covered(&input(vec![crc])));
        // A whole-object checksum, a conditional write other than the
        // signer's `If-None-Match: *` (checked before), an odd key.
        let mut whole = input(vec![part(1)]);
        whole.checksum_sha256 = Some("x".into());
        assert!(!covered(&whole));
        let mut typed = input(vec![part(1)]);
        typed.checksum_type = Some(ChecksumType::from_static(ChecksumType::COMPOSITE));
        assert!(!covered(&typed));
        let mut write_once = input(vec![part(1)]);
        write_once.if_none_match = Some(s3s::dto::IfNoneMatch::Any);
        assert!(covered(&write_once));
        let mut conditional = input(vec![part(1)]);
        conditional.if_match = Some(s3s::dto::IfMatch::Any);
        assert!(!covered(&conditional));
        let mut odd = input(vec![part(1)]);
        odd.key = "a/../../etc".into();
        assert!(!covered(&odd));
    }
}
