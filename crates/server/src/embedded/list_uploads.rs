//! ListMultipartUploads on the embedded store, which s3s-fs 0.17 does not
//! implement: answered from the files s3s-fs keeps per open upload (see
//! [`super::complete`] for all of them). An upload is open while both of
//! these exist under the root:
//! - `.upload-{id}.json`: the access key that created it;
//! - `.bucket-{b64}.object-{b64}.upload-{id}.metadata.json`: its attributes,
//!   the only file that names its bucket and key (`b64`: base64url without
//!   padding, [`super::s3s_files`]).
//!
//! Complete and Abort remove the attributes first and the access key file
//! last, so an upload they are removing is no longer listed. As s3s-fs
//! lets only the key that created an upload act on it, only the caller's
//! own uploads are listed. `Initiated` is the attributes file's time.
//!
//! The page is ordered by key, then upload id, and continues after
//! `key-marker` (and `upload-id-marker`, within that key) as S3's does;
//! `max-uploads` (default and most 1,000) cuts it. A `delimiter` (grouping
//! keys into common prefixes) is not implemented.

use super::s3s_files::object_file;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use s3s::dto::{ListMultipartUploadsInput, ListMultipartUploadsOutput, MultipartUpload};
use s3s::{s3_error, S3Result};
use std::path::Path;
use uuid::Uuid;

/// S3's page size, and the most a page holds.
const MAX_UPLOADS: usize = 1000;

/// An open upload found in s3s-fs's files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    key: String,
    upload_id: String,
    initiated: Option<std::time::SystemTime>,
}

/// The page `input` asks for, of the uploads `access_key` opened in the
/// store at `root`.
pub async fn list(
    root: &Path,
    access_key: Option<&str>,
    input: &ListMultipartUploadsInput,
) -> S3Result<ListMultipartUploadsOutput> {
    if input.delimiter.as_deref().is_some_and(|d| !d.is_empty()) {
        return Err(s3_error!(
            NotImplemented,
            "the embedded store lists multipart uploads without a delimiter"
        ));
    }
    if !tokio::fs::metadata(root.join(&input.bucket))
        .await
        .is_ok_and(|m| m.is_dir())
    {
        return Err(s3_error!(NoSuchBucket));
    }
    let prefix = input.prefix.as_deref().unwrap_or("");
    let mut found = Vec::new();
    let mut entries = tokio::fs::read_dir(root)
        .await
        .map_err(|e| s3_error!(e, InternalError))?;
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|e| s3_error!(e, InternalError))?
    {
        let name = entry.file_name();
        let Some((key, upload_id)) = name.to_str().and_then(|n| upload_named(&input.bucket, n))
        else {
            continue;
        };
        if !key.starts_with(prefix) || !owned_by(root, upload_id, access_key).await {
            continue;
        }
        let initiated = entry.metadata().await.ok().and_then(|m| m.modified().ok());
        found.push(Found {
            key,
            upload_id: upload_id.to_string(),
            initiated,
        });
    }
    Ok(page(found, input))
}

/// The key and upload id of an upload's attributes file of `bucket`.
fn upload_named(bucket: &str, name: &str) -> Option<(String, Uuid)> {
    let lead = object_file(Path::new(""), bucket, "", "");
    let lead = lead.to_str()?;
    let rest = name.strip_prefix(lead)?.strip_suffix(".metadata.json")?;
    let (key, upload_id) = rest.split_once(".upload-")?;
    let key = String::from_utf8(URL_SAFE_NO_PAD.decode(key).ok()?).ok()?;
    Some((key, Uuid::parse_str(upload_id).ok()?))
}

/// Whether the upload `id` is still open and was opened by `access_key`.
async fn owned_by(root: &Path, id: Uuid, access_key: Option<&str>) -> bool {
    let Ok(text) = tokio::fs::read(root.join(format!(".upload-{id}.json"))).await else {
        return false;
    };
    serde_json::from_slice::<Option<String>>(&text)
        .is_ok_and(|owner| owner.as_deref() == access_key)
}

/// `found` ordered and cut to the page `input` asks for.
fn page(mut found: Vec<Found>, input: &ListMultipartUploadsInput) -> ListMultipartUploadsOutput {
    found.sort();
    let key_marker = input.key_marker.as_deref().filter(|m| !m.is_empty());
    let id_marker = input.upload_id_marker.as_deref().filter(|m| !m.is_empty());
    let after = |f: &Found| match (key_marker, id_marker) {
        (None, _) => true,
        (Some(key), None) => f.key.as_str() > key,
        (Some(key), Some(id)) => (f.key.as_str(), f.upload_id.as_str()) > (key, id),
    };
    let max = input
        .max_uploads
        .and_then(|m| usize::try_from(m).ok())
        .map_or(MAX_UPLOADS, |m| m.min(MAX_UPLOADS));
    let mut listed: Vec<Found> = found.into_iter().filter(after).collect();
    let truncated = listed.len() > max;
    listed.truncate(max);
    let next = truncated.then(|| listed.last().cloned()).flatten();
    ListMultipartUploadsOutput {
        bucket: Some(input.bucket.clone()),
        prefix: input.prefix.clone(),
        key_marker: input.key_marker.clone(),
        upload_id_marker: input.upload_id_marker.clone(),
        max_uploads: i32::try_from(max).ok(),
        is_truncated: Some(truncated),
        next_key_marker: next.as_ref().map(|f| f.key.clone()),
        next_upload_id_marker: next.map(|f| f.upload_id),
        uploads: Some(
            listed
                .into_iter()
                .map(|f| MultipartUpload {
                    key: Some(f.key),
                    upload_id: Some(f.upload_id),
                    initiated: f.initiated.map(Into::into),
                    ..MultipartUpload::default()
                })
                .collect(),
        ),
        ..ListMultipartUploadsOutput::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(
        prefix: &str,
        marker: Option<(&str, &str)>,
        max: Option<i32>,
    ) -> ListMultipartUploadsInput {
        let mut input = ListMultipartUploadsInput::builder()
            .bucket("uploads".into())
            .build()
            .expect("input");
        input.prefix = Some(prefix.into());
        input.key_marker = marker.map(|(k, _)| k.into());
        input.upload_id_marker = marker
            .map(|(_, u)| u.into())
            .filter(|u: &String| !u.is_empty());
        input.max_uploads = max;
        input
    }

    fn found(key: &str, id: &str) -> Found {
        Found {
            key: key.into(),
            upload_id: id.into(),
            initiated: None,
        }
    }

    fn listed(out: &ListMultipartUploadsOutput) -> Vec<(String, String)> {
        out.uploads
            .iter()
            .flatten()
            .map(|u| {
                (
                    u.key.clone().unwrap_or_default(),
                    u.upload_id.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn names_are_s3s_fs_upload_attributes_of_the_bucket() {
        let id = Uuid::new_v4();
        let name = object_file(
            Path::new(""),
            "uploads",
            "users/dev/a b.bin",
            &format!(".upload-{id}.metadata.json"),
        );
        let name = name.to_str().expect("utf-8");
        assert_eq!(
            upload_named("uploads", name),
            Some(("users/dev/a b.bin".into(), id))
        );
        assert_eq!(upload_named("other", name), None);
        let object = object_file(
            Path::new(""),
            "uploads",
            "users/dev/a b.bin",
            ".metadata.json",
        );
        assert_eq!(
            upload_named("uploads", object.to_str().expect("utf-8")),
            None
        );
        assert_eq!(upload_named("uploads", &format!(".upload-{id}.json")), None);
    }

    #[test]
    fn pages_in_key_then_id_order_after_the_markers() {
        let all = || {
            vec![
                found("b", "2"),
                found("a", "9"),
                found("b", "1"),
                found("c", "1"),
            ]
        };
        let first = page(all(), &input("", None, Some(2)));
        assert_eq!(
            listed(&first),
            [("a".into(), "9".into()), ("b".into(), "1".into())]
        );
        assert_eq!(first.is_truncated, Some(true));
        assert_eq!(first.next_key_marker.as_deref(), Some("b"));
        assert_eq!(first.next_upload_id_marker.as_deref(), Some("1"));
        let rest = page(all(), &input("", Some(("b", "1")), Some(2)));
        assert_eq!(
            listed(&rest),
            [("b".into(), "2".into()), ("c".into(), "1".into())]
        );
        assert_eq!(rest.is_truncated, Some(false));
        assert_eq!(rest.next_key_marker, None);
        // A key marker alone: the keys after it.
        let after_b = page(all(), &input("", Some(("b", "")), None));
        assert_eq!(listed(&after_b), [("c".into(), "1".into())]);
    }
}
