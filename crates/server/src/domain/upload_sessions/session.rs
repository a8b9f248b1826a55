//! One open multipart upload ([`UploadSession`]) and its id
//! ([`UploadId`]), what makes its create idempotent ([`Idempotency`]), and
//! why one is not registered ([`SessionError`]).

use crate::db::DbError;
use crate::domain::quota::QuotaExceeded;
use jiff::Timestamp;
use presign_core::keys::file_type::FileType;
use presign_core::protocol::client_token::ClientToken;
use presign_core::s3::part_plan::PartPlan;
use presign_core::{ObjectKey, UserId};
use std::fmt;

/// The server's id of an upload: 32 lowercase hex digits (128 random bits),
/// unrelated to the store's UploadId (which clients see only inside the
/// presigned part URLs, and never need to name).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UploadId(String);

impl UploadId {
    /// A fresh random id.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Accepts only the id format; anything else is no upload of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UploadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UploadId({})", self.0)
    }
}

/// One open multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSession {
    pub user: UserId,
    pub key: ObjectKey,
    /// The store's UploadId (S3's): in the server's calls and in part URLs.
    pub store_upload_id: String,
    pub plan: PartPlan,
    pub content_type: String,
    pub file_type: FileType,
    pub created_at: Timestamp,
    /// Whether its parts carry SHA-256 checksums (created with the SHA256
    /// algorithm); `false` for a client's `checksum: false`.
    pub checksums: bool,
}

/// What makes a create request idempotent: the client's token, and the
/// request it came with (canonical JSON, compared as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub token: ClientToken,
    pub request: String,
}

/// Why a session was not registered.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("too many open multipart uploads ({limit}); complete or abort some first")]
    TooMany { limit: usize },
    #[error("upload id {0} is taken")]
    Taken(UploadId),
    /// Another open upload of the same user holds the client token (a
    /// concurrent attempt of the same create won).
    #[error("client_token {0} is taken by another open upload")]
    TokenTaken(ClientToken),
    /// Its planned size would take the user past a byte quota.
    #[error(transparent)]
    OverQuota(#[from] QuotaExceeded),
    #[error(transparent)]
    Db(#[from] DbError),
}
