//! What a multipart upload keeps to survive a page reload or a crash, and
//! how a resumed upload decides which parts the store already has.
//!
//! The browser stores a [`ResumeRecord`] (in IndexedDB) under the
//! [`FileFingerprint`] of the file: its name, size, `lastModified` and the
//! SHA-256 of its first part, within a [`scope`]: the signer it went to and
//! the user the app says it was (`resumeScope`), so that another user of the
//! same browser, or another signer, never finds it. When the same file is
//! chosen again, the client asks the signer for the parts the store holds and
//! keeps a part only if [`already_stored`] says the store's copy is the part
//! it just hashed.

use crate::protocol::metadata::Metadata;
use crate::protocol::multipart::UploadedPart;
use crate::s3::digest::{Sha256Digest, Sha256Hasher};
use serde::{Deserialize, Serialize};

/// How long a saved upload may be resumed, by default (one day).
pub const DEFAULT_RESUME_MAX_AGE_MS: f64 = 24.0 * 3600.0 * 1000.0;

/// The scope of saved uploads: hex SHA-256 of the signer's endpoint and the
/// app's `resumeScope` (its user id, say; `None`: one scope per signer). The
/// user id itself is never stored.
pub fn scope(endpoint: &str, resume_scope: Option<&str>) -> String {
    let mut h = Sha256Hasher::new();
    let text = format!(
        "presigned-upload/resume-scope/v1\n{endpoint}\n{}\n{}",
        resume_scope.is_some(),
        resume_scope.unwrap_or_default()
    );
    h.update(text.as_bytes());
    h.finish().to_hex()
}

/// What identifies "the same file" across page loads, within a scope.
#[derive(Debug, Clone, PartialEq)]
pub struct FileFingerprint<'a> {
    /// [`scope`].
    pub scope: &'a str,
    pub name: &'a str,
    pub size: u64,
    /// `File.lastModified` (ms since the epoch; 0 for a plain `Blob`).
    pub last_modified_ms: f64,
    /// SHA-256 of the file's first part (as the local plan cuts it).
    pub first_part: Sha256Digest,
    /// The part size that first part was cut with.
    pub part_size: u64,
}

impl FileFingerprint<'_> {
    /// A stable id: hex SHA-256 over every field, versioned.
    pub fn id(&self) -> String {
        let mut h = Sha256Hasher::new();
        let text = format!(
            "presigned-upload/resume/v2\n{}\n{}\n{}\n{}\n{}\n{}",
            self.scope,
            self.size,
            self.last_modified_ms,
            self.part_size,
            self.first_part.to_base64(),
            self.name
        );
        h.update(text.as_bytes());
        h.finish().to_hex()
    }
}

/// A part known to be stored, with the digest it was sent with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedPart {
    pub number: u32,
    pub sha256: Sha256Digest,
}

/// The state of one unfinished multipart upload, as saved in the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResumeRecord {
    /// [`FileFingerprint::id`].
    pub id: String,
    /// [`scope`]: whose upload this is.
    #[serde(default)]
    pub scope: String,
    /// The signer's upload id.
    pub upload_id: String,
    pub key: String,
    /// The file's name and `lastModified`, to ask the user for it again
    /// (empty and 0 in records saved before they were kept).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub last_modified_ms: f64,
    pub file_type: String,
    /// The metadata the upload was created with (none in records saved by
    /// versions before metadata).
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub size: u64,
    pub part_size: u64,
    pub part_count: u32,
    /// Parts stored so far, with their digests.
    pub parts: Vec<RecordedPart>,
    /// When it was last written (ms since the epoch).
    pub saved_at_ms: f64,
}

impl ResumeRecord {
    /// Too old to resume (the signer's garbage collector may have aborted it).
    pub fn is_expired(&self, now_ms: f64, max_age_ms: f64) -> bool {
        now_ms - self.saved_at_ms > max_age_ms || now_ms < self.saved_at_ms - 60_000.0
    }

    /// Whether this record is for an upload of `size` bytes of `file_type`
    /// with `metadata` (an upload keeps what it was created with).
    pub fn fits(&self, size: u64, file_type: &str, metadata: &Metadata) -> bool {
        self.size == size && self.file_type == file_type && &self.metadata == metadata
    }

    /// Notes part `number` as stored with `sha256`.
    pub fn record_part(&mut self, number: u32, sha256: Sha256Digest, now_ms: f64) {
        match self.parts.iter_mut().find(|p| p.number == number) {
            Some(p) => p.sha256 = sha256,
            None => self.parts.push(RecordedPart { number, sha256 }),
        }
        self.saved_at_ms = now_ms;
    }

    /// Bytes of the parts stored so far (the last part may be shorter).
    pub fn bytes_stored(&self) -> u64 {
        self.parts
            .iter()
            .filter(|p| p.number >= 1 && p.number <= self.part_count)
            .map(|p| {
                let start = u64::from(p.number - 1).saturating_mul(self.part_size);
                self.part_size.min(self.size.saturating_sub(start))
            })
            .sum()
    }

    /// The digest this record holds for part `number`, if any.
    pub fn digest_of(&self, number: u32) -> Option<&Sha256Digest> {
        self.parts
            .iter()
            .find(|p| p.number == number)
            .map(|p| &p.sha256)
    }
}

/// Whether the store's copy of a part is the part just hashed: same size,
/// and a SHA-256 checksum equal to `digest` (a part the store reports
/// without a checksum cannot be verified, so it is sent again).
pub fn already_stored(listed: &UploadedPart, expected_len: u64, digest: &Sha256Digest) -> bool {
    listed.size == expected_len
        && !listed.etag.is_empty()
        && listed
            .sha256
            .as_deref()
            .and_then(|c| Sha256Digest::from_base64(c).ok())
            .as_ref()
            == Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(name: &str, size: u64, modified: f64, first: &[u8]) -> String {
        FileFingerprint {
            scope: "s",
            name,
            size,
            last_modified_ms: modified,
            first_part: Sha256Digest::of(first),
            part_size: 8,
        }
        .id()
    }

    #[test]
    fn fingerprint_changes_with_every_field() {
        let base = fp("a.bin", 10, 1.0, b"x");
        assert_eq!(base, fp("a.bin", 10, 1.0, b"x"));
        assert_eq!(base.len(), 64);
        for other in [
            fp("b.bin", 10, 1.0, b"x"),
            fp("a.bin", 11, 1.0, b"x"),
            fp("a.bin", 10, 2.0, b"x"),
            fp("a.bin", 10, 1.0, b"y"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn scopes_part_signers_and_users() {
        let a = scope("https://signer.example", Some("alice"));
        assert_eq!(a, scope("https://signer.example", Some("alice")));
        assert_eq!(a.len(), 64);
        assert!(!a.contains("alice"), "the user id is not kept");
        for other in [
            scope("https://signer.example", Some("bob")),
            scope("https://other.example", Some("alice")),
            scope("https://signer.example", None),
            scope("https://signer.example", Some("")),
        ] {
            assert_ne!(a, other);
        }
        let fingerprint = |scope: &str| {
            FileFingerprint {
                scope,
                name: "a.bin",
                size: 1,
                last_modified_ms: 0.0,
                first_part: Sha256Digest::of(b"x"),
                part_size: 8,
            }
            .id()
        };
        assert_ne!(fingerprint("one"), fingerprint("two"));
    }

    fn listed(size: u64, sha: Option<&[u8]>) -> UploadedPart {
        UploadedPart {
            number: 1,
            size,
            etag: "\"e\"".into(),
            sha256: sha.map(|b| Sha256Digest::of(b).to_base64()),
        }
    }

    #[test]
    fn a_part_counts_only_when_size_and_checksum_match() {
        let d = Sha256Digest::of(b"part");
        assert!(already_stored(&listed(4, Some(b"part")), 4, &d));
        assert!(!already_stored(&listed(5, Some(b"part")), 4, &d));
        assert!(!already_stored(&listed(4, Some(b"other")), 4, &d));
        assert!(!already_stored(&listed(4, None), 4, &d));
        let mut no_etag = listed(4, Some(b"part"));
        no_etag.etag.clear();
        assert!(!already_stored(&no_etag, 4, &d));
        let mut garbage = listed(4, None);
        garbage.sha256 = Some("not base64!".into());
        assert!(!already_stored(&garbage, 4, &d));
    }

    #[test]
    fn records_parts_and_expires() {
        let mut r = ResumeRecord {
            id: "i".into(),
            scope: "s".into(),
            upload_id: "u".into(),
            key: "k".into(),
            name: "a.bin".into(),
            last_modified_ms: 5.0,
            file_type: "demo".into(),
            metadata: Metadata::default(),
            size: 20,
            part_size: 8,
            part_count: 3,
            parts: vec![],
            saved_at_ms: 1000.0,
        };
        r.record_part(2, Sha256Digest::of(b"2"), 2000.0);
        r.record_part(2, Sha256Digest::of(b"two"), 3000.0);
        r.record_part(1, Sha256Digest::of(b"1"), 4000.0);
        assert_eq!(r.parts.len(), 2);
        assert_eq!(r.digest_of(2), Some(&Sha256Digest::of(b"two")));
        assert_eq!(r.digest_of(3), None);
        let none = Metadata::default();
        assert!(r.fits(20, "demo", &none));
        assert!(!r.fits(21, "demo", &none) && !r.fits(20, "docs", &none));
        let serial = Metadata([("serial".to_owned(), "1".to_owned())].into());
        assert!(!r.fits(20, "demo", &serial), "created without metadata");
        assert!(!r.is_expired(4000.0 + 10.0, 100.0));
        assert!(r.is_expired(4000.0 + 101.0, 100.0));
        // A clock far behind the record's: not trusted either.
        assert!(r.is_expired(4000.0 - 70_000.0, 1e9));
        assert!(!r.is_expired(4000.0 - 50_000.0, 1e9));
        assert_eq!(r.bytes_stored(), 16);
        r.record_part(3, Sha256Digest::of(b"3"), 4000.0);
        assert_eq!(r.bytes_stored(), 20, "the last part holds 4 bytes");
        let json = serde_json::to_string(&r).expect("encodes");
        assert!(json.contains("\"uploadId\":\"u\"") && json.contains("\"savedAtMs\""));
        assert!(json.contains("\"name\":\"a.bin\"") && json.contains("\"lastModifiedMs\":5.0"));
        assert_eq!(
            serde_json::from_str::<ResumeRecord>(&json).expect("decodes"),
            r
        );
    }

    #[test]
    fn a_record_saved_without_the_file_name_still_reads() {
        let json = r#"{"id":"i","scope":"s","uploadId":"u","key":"k","fileType":"demo",
            "size":20,"partSize":8,"partCount":3,"parts":[],"savedAtMs":1.0}"#;
        let r: ResumeRecord = serde_json::from_str(json).expect("decodes");
        assert_eq!((r.name.as_str(), r.last_modified_ms), ("", 0.0));
    }
}
