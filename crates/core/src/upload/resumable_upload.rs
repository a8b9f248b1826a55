//! An unfinished upload as a page is shown it (`uploader.listResumable()`):
//! enough to ask the user for the same file again and to say how much of it
//! the store already holds.

use crate::protocol::metadata::Metadata;
use crate::upload::resume_state::ResumeRecord;
use serde::Serialize;

/// One saved upload that choosing its file again would resume.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResumableUpload {
    /// The saved state's id (`uploader.discardResumable(id)`).
    pub id: String,
    pub name: String,
    pub size: u64,
    /// `File.lastModified` (ms since the epoch).
    pub last_modified: f64,
    pub file_type: String,
    pub key: String,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub part_count: u32,
    pub parts_stored: u32,
    pub bytes_stored: u64,
    /// When a part was last stored (ms since the epoch).
    pub saved_at: f64,
}

impl From<&ResumeRecord> for ResumableUpload {
    fn from(r: &ResumeRecord) -> Self {
        Self {
            id: r.id.clone(),
            name: r.name.clone(),
            size: r.size,
            last_modified: r.last_modified_ms,
            file_type: r.file_type.clone(),
            key: r.key.clone(),
            metadata: r.metadata.clone(),
            part_count: r.part_count,
            parts_stored: r.parts.len() as u32,
            bytes_stored: r.bytes_stored(),
            saved_at: r.saved_at_ms,
        }
    }
}

/// The saved uploads of `scope` a page can offer to resume, most recent
/// first: not expired, and with the file's name (records saved before names
/// were kept resume only when their file is chosen again).
pub fn resumable(
    records: &[ResumeRecord],
    scope: &str,
    now_ms: f64,
    max_age_ms: f64,
) -> Vec<ResumableUpload> {
    let mut found: Vec<ResumableUpload> = records
        .iter()
        .filter(|r| r.scope == scope && !r.name.is_empty() && !r.is_expired(now_ms, max_age_ms))
        .map(ResumableUpload::from)
        .collect();
    found.sort_by(|a, b| b.saved_at.total_cmp(&a.saved_at));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::digest::Sha256Digest;
    use crate::upload::resume_state::RecordedPart;

    fn record(id: &str, scope: &str, name: &str, saved_at_ms: f64) -> ResumeRecord {
        ResumeRecord {
            id: id.into(),
            scope: scope.into(),
            upload_id: format!("upload-{id}"),
            key: format!("users/u/{name}"),
            name: name.into(),
            last_modified_ms: 7.0,
            file_type: "demo".into(),
            metadata: Metadata::default(),
            size: 20,
            part_size: 8,
            part_count: 3,
            parts: vec![RecordedPart {
                number: 3,
                sha256: Sha256Digest::of(b"3"),
            }],
            saved_at_ms,
        }
    }

    #[test]
    fn lists_the_scope_s_named_live_records_newest_first() {
        let records = [
            record("old", "mine", "a.bin", 1_000.0),
            record("new", "mine", "b.bin", 5_000.0),
            record("theirs", "other", "c.bin", 5_000.0),
            record("nameless", "mine", "", 5_000.0),
            record("expired", "mine", "d.bin", 10.0),
        ];
        let listed = resumable(&records, "mine", 6_000.0, 5_500.0);
        let ids: Vec<&str> = listed.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["new", "old"]);
        let first = &listed[0];
        assert_eq!((first.parts_stored, first.bytes_stored), (1, 4));
        assert_eq!((first.name.as_str(), first.last_modified), ("b.bin", 7.0));
        let json = serde_json::to_value(first).expect("encodes");
        assert_eq!(json["lastModified"], 7.0);
        assert_eq!(json["bytesStored"], 4);
        assert!(json.get("metadata").is_none(), "no metadata, no field");
    }
}
