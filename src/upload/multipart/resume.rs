//! Resuming a multipart upload: find the saved state of the same file, ask
//! the signer which parts the store holds, and keep the saved state current
//! as parts are stored ([`presign_core::upload::resume_state`] decides; this is the
//! IO around it).

use crate::error::UploadError;
use crate::hashing::BlobRange;
use crate::upload::attempt::Peer;
use crate::upload::job::Job;
use crate::upload::options::UploadOptions;
use crate::web::abort;
use crate::web::page_lifecycle;
use crate::web::resume_store::ResumeStore;
use presign_core::protocol::multipart::{CreateMultipartResponse, UploadedPart};
use presign_core::upload::resume_state::{already_stored, FileFingerprint, ResumeRecord};
use presign_core::{ErrorCode, Sha256Digest};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, Blob};

/// The saved state of one upload, kept current.
pub struct Resume {
    store: ResumeStore,
    id: String,
    scope: String,
    /// The file's name and `lastModified`, saved to ask for it again.
    name: String,
    last_modified_ms: f64,
    record: RefCell<Option<ResumeRecord>>,
    /// Parts the store held when this upload was resumed.
    listed: HashMap<u32, UploadedPart>,
    /// Whether the page is being left is known while the upload runs.
    _page: page_lifecycle::Watch,
}

impl fmt::Debug for Resume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resume")
            .field("id", &self.id)
            .field("listed", &self.listed.len())
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the epoch.
fn now() -> f64 {
    crate::web::clock::unix_ms()
}

/// `File.lastModified`, or 0 for a plain `Blob`.
fn last_modified(file: &Blob) -> f64 {
    js_sys::Reflect::get(file, &JsValue::from_str("lastModified"))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

impl Resume {
    /// Looks for a saved upload of this file. `Ok(None)` when resuming is
    /// impossible here (no IndexedDB); otherwise the state, with the saved
    /// upload (and the parts the store holds) when there is one to resume.
    pub async fn find(
        job: Job<'_>,
        name: &str,
        part_size: u64,
        signal: &AbortSignal,
    ) -> Result<Option<(Self, Option<CreateMultipartResponse>)>, UploadError> {
        let Job {
            signer,
            hasher,
            file,
            size,
            options,
            retrying,
            resume_scope,
            ..
        } = job;
        let (file_type, max_age_ms) = (options.file_type.as_str(), options.resume_max_age_ms);
        let Some(store) = ResumeStore::open().await else {
            return Ok(None);
        };
        store.prune(now(), max_age_ms).await;
        let first_part = hasher
            .digest(BlobRange::new(file, 0, part_size.min(size)), signal, None)
            .await?;
        let last_modified_ms = last_modified(file);
        let id = FileFingerprint {
            scope: resume_scope,
            name,
            size,
            last_modified_ms,
            first_part,
            part_size,
        }
        .id();
        let saved = store.get(&id).await.filter(|r| {
            r.fits(size, file_type, &options.metadata) && !r.is_expired(now(), max_age_ms)
        });
        let mut resume = Self {
            store,
            id,
            scope: resume_scope.to_owned(),
            name: name.to_owned(),
            last_modified_ms,
            record: RefCell::new(None),
            listed: HashMap::new(),
            _page: page_lifecycle::Watch::start(),
        };
        let Some(record) = saved else {
            return Ok(Some((resume, None)));
        };
        let list = || signer.list_parts(&record.upload_id, Some(signal));
        let what = "listing the stored parts";
        match retrying.call(Peer::Signer, what, Some(signal), list).await {
            Ok(list) => {
                abort::ensure_live(Some(signal))?;
                resume.listed = list.parts.into_iter().map(|p| (p.number, p)).collect();
                let created = CreateMultipartResponse {
                    upload_id: record.upload_id.clone(),
                    key: record.key.clone(),
                    part_size: record.part_size,
                    part_count: record.part_count,
                    expires_in: 0,
                };
                *resume.record.borrow_mut() = Some(record);
                Ok(Some((resume, Some(created))))
            }
            // Completed, aborted or collected meanwhile: start over.
            Err(e) if e.code() == ErrorCode::NotFound => {
                resume.store.delete(&resume.id).await;
                Ok(Some((resume, None)))
            }
            Err(e) => Err(e),
        }
    }

    /// A new upload was created: save it.
    pub async fn started(
        &self,
        created: &CreateMultipartResponse,
        options: &UploadOptions,
        size: u64,
    ) {
        let record = ResumeRecord {
            id: self.id.clone(),
            scope: self.scope.clone(),
            upload_id: created.upload_id.clone(),
            key: created.key.clone(),
            name: self.name.clone(),
            last_modified_ms: self.last_modified_ms,
            file_type: options.file_type.clone(),
            metadata: options.metadata.clone(),
            size,
            part_size: created.part_size,
            part_count: created.part_count,
            parts: Vec::new(),
            saved_at_ms: now(),
        };
        self.store.put(&record).await;
        *self.record.borrow_mut() = Some(record);
    }

    /// The store's copy of part `number`, when it is the part just hashed
    /// (and, if this browser saved a digest for it, that digest too).
    pub fn stored_copy(
        &self,
        number: u32,
        len: u64,
        digest: &Sha256Digest,
    ) -> Option<&UploadedPart> {
        let listed = self.listed.get(&number)?;
        let saved_agrees = self
            .record
            .borrow()
            .as_ref()
            .and_then(|r| r.digest_of(number).copied())
            .is_none_or(|saved| saved == *digest);
        (saved_agrees && already_stored(listed, len, digest)).then_some(listed)
    }

    /// Part `number` is stored: save that.
    pub async fn part_stored(&self, number: u32, digest: Sha256Digest) {
        let record = {
            let mut record = self.record.borrow_mut();
            let Some(record) = record.as_mut() else {
                return;
            };
            record.record_part(number, digest, now());
            record.clone()
        };
        self.store.put(&record).await;
    }

    /// The upload is over (completed, aborted or given up): forget it.
    pub async fn forget(&self) {
        self.store.delete(&self.id).await;
    }
}
