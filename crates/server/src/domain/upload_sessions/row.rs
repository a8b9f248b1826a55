//! An open upload's row as the database holds it ([`Row`]), read by either
//! backend and checked into an [`UploadSession`] here.

use super::session::{UploadId, UploadSession};
use crate::db::DbError;
use presign_core::keys::file_type::FileType;
use presign_core::s3::part_plan::PartPlan;
use presign_core::{ObjectKey, UserId};

/// Columns of a session, in [`Row::read`]'s order.
pub(super) const COLUMNS: &str =
    "id, user_id, object_key, store_upload_id, size, part_size, content_type, file_type, created_at, checksums";

/// A session's row as stored, before its values are checked.
pub(super) struct Row {
    pub(super) id: String,
    pub(super) user: String,
    pub(super) key: String,
    pub(super) store_upload_id: String,
    pub(super) size: u64,
    pub(super) part_size: u64,
    pub(super) content_type: String,
    pub(super) file_type: String,
    pub(super) created_at: String,
    pub(super) checksums: bool,
}

impl Row {
    pub(super) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            user: r.get(1)?,
            key: r.get(2)?,
            store_upload_id: r.get(3)?,
            size: r.get(4)?,
            part_size: r.get(5)?,
            content_type: r.get(6)?,
            file_type: r.get(7)?,
            created_at: r.get(8)?,
            checksums: r.get(9)?,
        })
    }

    pub(super) fn upload_id(&self) -> Result<UploadId, DbError> {
        UploadId::parse(&self.id)
            .ok_or_else(|| DbError::Corrupt(format!("upload session id {}", self.id)))
    }

    pub(super) fn session(self) -> Result<UploadSession, DbError> {
        let id = &self.id;
        let corrupt = |what: &str| DbError::Corrupt(format!("{what} in upload session {id}"));
        let user = UserId::from_stored(&self.user).map_err(|_| corrupt("user"))?;
        Ok(UploadSession {
            key: ObjectKey::owned_by(&self.key, &user).map_err(|_| corrupt("key"))?,
            user,
            store_upload_id: self.store_upload_id,
            plan: PartPlan::exact(self.size, self.part_size).map_err(|_| corrupt("part plan"))?,
            content_type: self.content_type,
            file_type: FileType::parse(&self.file_type).map_err(|_| corrupt("file type"))?,
            created_at: self.created_at.parse().map_err(|_| corrupt("created_at"))?,
            checksums: self.checksums,
        })
    }
}
