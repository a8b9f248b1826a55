//! What runs one `Uploader`'s uploads: its signer, its hash workers and its
//! queue. An upload waits for its turn, then goes in one request or in
//! parts, by size; its end (stored, failed, aborted) is what its controls
//! show. Shared by the uploader and its batches.

use crate::error::UploadError;
use crate::hashing::{Hashing, Purpose};
use crate::transport::signer::client::SignerClient;
use crate::upload::attempt::{Peer, Retrying};
use crate::upload::control::{ControlOptions, Turn, UploadControl};
use crate::upload::job::Job;
use crate::upload::multipart::{self, MultipartResult};
use crate::upload::options::UploadOptions;
use crate::upload::queue::UploadQueue;
use crate::upload::single::{self, SingleResult};
use crate::web::blob_reader::blob_size;
use crate::web::clock::unix_ms;
use crate::web::resume_store::ResumeStore;
use presign_core::s3::limits::MAX_SINGLE_PUT;
use presign_core::upload::resumable_upload::{resumable, ResumableUpload};
use presign_core::upload::retry_policy::RetryPolicy;
use presign_core::upload::state::UploadState;
use presign_core::ErrorCode;
use serde::Serialize;
use std::future::Future;
use std::rc::Rc;
use web_sys::Blob;

/// A stored upload's result, as `upload()` resolves with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Stored {
    Single(SingleResult),
    Multipart(MultipartResult),
}

impl Stored {
    /// The object's key.
    pub fn key(&self) -> &str {
        match self {
            Stored::Single(r) => &r.key,
            Stored::Multipart(r) => &r.key,
        }
    }
}

/// One uploader's signer, hash workers and queue.
#[derive(Debug)]
pub struct Engine {
    pub signer: Rc<SignerClient>,
    pub hashing: Rc<Hashing>,
    pub queue: Rc<UploadQueue>,
    /// Whose saved uploads this uploader's uploads may resume.
    pub resume_scope: Rc<str>,
}

impl Engine {
    /// Controls of one more upload in this uploader's queue.
    pub fn control(&self, options: ControlOptions) -> Result<UploadControl, UploadError> {
        UploadControl::new(&self.queue, options)
    }

    /// Forgets every upload this uploader saved to resume (its signer, its
    /// `resumeScope`); returns how many.
    pub async fn forget_resumable(&self) -> u32 {
        match ResumeStore::open().await {
            Some(store) => store.forget_scope(&self.resume_scope).await,
            None => 0,
        }
    }

    /// The uploads saved to resume in this uploader's scope that a page
    /// can offer again, most recent first.
    pub async fn resumable(&self, max_age_ms: f64) -> Vec<ResumableUpload> {
        let Some(store) = ResumeStore::open().await else {
            return Vec::new();
        };
        resumable(
            &store.records().await,
            &self.resume_scope,
            unix_ms(),
            max_age_ms,
        )
    }

    /// Gives up the saved upload `id` of this uploader's scope: aborted at
    /// the signer (gone already is fine), then forgotten. `false` when
    /// there is no such upload.
    pub async fn discard_resumable(&self, id: &str) -> Result<bool, UploadError> {
        let Some(store) = ResumeStore::open().await else {
            return Ok(false);
        };
        let Some(record) = store
            .get(id)
            .await
            .filter(|r| *r.scope == *self.resume_scope)
        else {
            return Ok(false);
        };
        let retrying = Retrying::standalone(RetryPolicy::default());
        let abort = || self.signer.abort_multipart(&record.upload_id);
        let what = "aborting a saved upload";
        match retrying.call(Peer::Signer, what, None, abort).await {
            Ok(()) => {}
            Err(e) if e.code() == ErrorCode::NotFound => {}
            Err(e) => return Err(e),
        }
        store.delete(id).await;
        Ok(true)
    }

    /// Runs one upload under `control` to its end, which `control` then
    /// shows.
    pub fn launch(
        &self,
        prepared: Result<(Blob, UploadOptions), UploadError>,
        control: Rc<UploadControl>,
    ) -> impl Future<Output = Result<Stored, UploadError>> + 'static {
        let signer = Rc::clone(&self.signer);
        let hashing = Rc::clone(&self.hashing);
        let scope = Rc::clone(&self.resume_scope);
        async move {
            let outcome = match prepared {
                Ok(prepared) => run(&signer, &hashing, &scope, prepared, &control).await,
                Err(e) => Err(e),
            };
            control.end(match &outcome {
                Ok(_) => UploadState::Done,
                Err(e) if e.code() == ErrorCode::Aborted => UploadState::Aborted,
                Err(_) => UploadState::Failed,
            });
            outcome
        }
    }
}

/// Uploads in one request or in parts, by size (in one request when the
/// signer signs no parts), each waiting for its turn.
async fn run(
    signer: &Rc<SignerClient>,
    hashing: &Hashing,
    resume_scope: &str,
    (blob, options): (Blob, UploadOptions),
    control: &Rc<UploadControl>,
) -> Result<Stored, UploadError> {
    let size = blob_size(&blob);
    let in_parts = size > options.multipart_threshold && signer.backend().signs_multipart();
    control
        .wait_for(if in_parts { Turn::Running } else { Turn::Ahead })
        .await?;
    let hasher = hashing.hasher(Purpose::Uploads).await;
    let retrying = Rc::new(Retrying::for_upload(options.retry_policy(), control));
    let job = Job {
        signer,
        hasher: &hasher,
        file: &blob,
        size,
        options: &options,
        control,
        retrying: &retrying,
        resume_scope,
    };
    if in_parts {
        Ok(Stored::Multipart(multipart::upload(job).await?))
    } else if size > MAX_SINGLE_PUT {
        Err(UploadError::new(
            ErrorCode::TooLarge,
            format!(
                "{size} bytes is more than one PUT may carry ({MAX_SINGLE_PUT}), and the page's signer signs no multipart uploads"
            ),
        ))
    } else {
        Ok(Stored::Single(single::upload(job).await?))
    }
}
