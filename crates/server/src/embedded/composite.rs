//! A SHA-256 multipart upload completes on the embedded store as on S3: with
//! the COMPOSITE checksum `base64(sha256(part digests))-N`, not s3s-fs's
//! FULL_OBJECT SHA-256 of the assembled object.
//!
//! Why: a client can check a COMPOSITE checksum against the part digests it
//! already has; a FULL_OBJECT one only by hashing the whole file again after
//! Complete (about a second per 256 MiB in a browser), which S3, Garage and
//! MinIO never make it do. So the embedded store answers what a client meets
//! in production.
//!
//! Why it is sound: s3s-fs computes each part's SHA-256 as it stores the part
//! (the upload was created with the SHA-256 algorithm: that is when it
//! answers a FULL_OBJECT SHA-256 at all), and Complete refuses a part whose
//! listed SHA-256 is not that one (`InvalidPart`). So when every listed part
//! has a SHA-256 and s3s-fs answered one, the listed digests are the stored
//! parts' digests, and their composite describes the stored object.
//!
//! s3s-fs keeps an object's checksums in its internal info file
//! ([`super::s3s_files::internal_info_path`]); the composite replaces the
//! SHA-256 there, so HEAD and GET report what Complete did. If that file
//! cannot be rewritten, Complete keeps s3s-fs's FULL_OBJECT answer (clients
//! accept either) and it is logged.

use super::s3s_files::internal_info_path;
use presign_core::s3::composite_checksum::composite;
use presign_core::Sha256Digest;
use s3s::dto::{ChecksumType, CompleteMultipartUploadOutput, CompletedMultipartUpload};
use std::io;
use std::path::Path;

/// The COMPOSITE checksum of the parts a Complete lists, when each lists a
/// SHA-256 (`None` otherwise: s3s-fs's answer is then kept).
pub fn of_parts(upload: Option<&CompletedMultipartUpload>) -> Option<String> {
    let parts = upload?.parts.as_deref()?;
    if parts.is_empty() {
        return None;
    }
    let digests = parts
        .iter()
        .map(|p| Sha256Digest::from_base64(p.checksum_sha256.as_deref()?).ok())
        .collect::<Option<Vec<_>>>()?;
    Some(composite(&digests))
}

/// s3s-fs's completed `output` with the composite in place of its SHA-256,
/// after the object's record under `root` says the same. Unchanged when
/// s3s-fs computed no SHA-256 (an upload created without the algorithm) or
/// the record cannot be rewritten.
pub async fn answer(
    root: &Path,
    mut output: CompleteMultipartUploadOutput,
    composite: &str,
) -> CompleteMultipartUploadOutput {
    let (Some(bucket), Some(key)) = (output.bucket.as_deref(), output.key.as_deref()) else {
        return output;
    };
    if output.checksum_sha256.is_none() {
        return output;
    }
    let path = internal_info_path(root, bucket, key);
    if let Err(e) = record(&path, composite).await {
        tracing::error!(error = %e, path = %path.display(),
            "embedded store: cannot record the composite checksum; Complete answers the FULL_OBJECT one");
        return output;
    }
    output.checksum_sha256 = Some(composite.to_owned());
    output.checksum_type = Some(ChecksumType::from_static(ChecksumType::COMPOSITE));
    output
}

/// Replaces the SHA-256 in the record at `path` by `composite`, atomically
/// (a new file renamed over the old one). The record must exist and hold a
/// SHA-256: anything else is not the file s3s-fs just wrote.
async fn record(path: &Path, composite: &str) -> io::Result<()> {
    let text = tokio::fs::read(path).await?;
    let mut info: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&text).map_err(io::Error::other)?;
    match info.get_mut("checksum_sha256") {
        Some(value @ serde_json::Value::String(_)) => *value = composite.into(),
        _ => return Err(io::Error::other("the record holds no checksum_sha256")),
    }
    let tmp = path.with_extension("json.composite-tmp");
    tokio::fs::write(&tmp, serde_json::to_vec(&info).map_err(io::Error::other)?).await?;
    tokio::fs::rename(&tmp, path).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::dto::CompletedPart;

    fn upload(digests: &[Option<String>]) -> CompletedMultipartUpload {
        CompletedMultipartUpload {
            parts: Some(
                (1..)
                    .zip(digests)
                    .map(|(n, d)| CompletedPart {
                        part_number: Some(n),
                        checksum_sha256: d.clone(),
                        ..Default::default()
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn composite_of_the_listed_digests() {
        let a = Sha256Digest::of(b"part one");
        let b = Sha256Digest::of(b"part two");
        let listed = upload(&[Some(a.to_base64()), Some(b.to_base64())]);
        assert_eq!(of_parts(Some(&listed)), Some(composite(&[a, b])));
        assert!(of_parts(Some(&listed)).is_some_and(|c| c.ends_with("-2")));
        // A part without a SHA-256, an unreadable one, or none at all: no composite.
        for bad in [
            upload(&[Some(a.to_base64()), None]),
            upload(&[Some("not base64!".into())]),
            upload(&[]),
        ] {
            assert_eq!(of_parts(Some(&bad)), None, "{bad:?}");
        }
        assert_eq!(of_parts(None), None);
    }

    fn output(sha256: Option<&str>) -> CompleteMultipartUploadOutput {
        CompleteMultipartUploadOutput {
            bucket: Some("uploads".into()),
            key: Some("k".into()),
            checksum_sha256: sha256.map(str::to_owned),
            checksum_type: Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT)),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn answer_rewrites_the_record_then_the_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = internal_info_path(dir.path(), "uploads", "k");
        std::fs::write(&path, r#"{"e_tag":"abc-2","checksum_sha256":"full"}"#).expect("write");
        let got = answer(dir.path(), output(Some("full")), "comp-2").await;
        assert_eq!(got.checksum_sha256.as_deref(), Some("comp-2"));
        assert_eq!(
            got.checksum_type.as_ref().map(|t| t.as_str()),
            Some(ChecksumType::COMPOSITE)
        );
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(info["checksum_sha256"], "comp-2");
        assert_eq!(info["e_tag"], "abc-2", "the rest of the record is kept");

        // No SHA-256 computed by s3s-fs: nothing is touched.
        let got = answer(dir.path(), output(None), "other-2").await;
        assert_eq!(got.checksum_sha256, None);
        // No record (or one without a SHA-256): the FULL_OBJECT answer stays.
        let got = answer(
            dir.path(),
            CompleteMultipartUploadOutput {
                key: Some("gone".into()),
                ..output(Some("full"))
            },
            "comp-2",
        )
        .await;
        assert_eq!(got.checksum_sha256.as_deref(), Some("full"));
        assert_eq!(
            got.checksum_type.as_ref().map(|t| t.as_str()),
            Some(ChecksumType::FULL_OBJECT)
        );
    }
}
