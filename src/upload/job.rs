//! What every step of one upload works with: the signer, the hasher, the
//! file, its options, its controls (pause, resume, abort, progress, request
//! slots) and how its requests are retried. Copied freely (references).

use crate::hashing::Hasher;
use crate::transport::signer::client::SignerClient;
use crate::upload::attempt::Retrying;
use crate::upload::control::UploadControl;
use crate::upload::options::UploadOptions;
use std::rc::Rc;
use web_sys::Blob;

/// One upload's collaborators.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub signer: &'a Rc<SignerClient>,
    pub hasher: &'a Hasher,
    pub file: &'a Blob,
    /// The file's size, read once: for a `File`, reading `size` can cost a
    /// call into the browser each time.
    pub size: u64,
    pub options: &'a UploadOptions,
    pub control: &'a Rc<UploadControl>,
    pub retrying: &'a Rc<Retrying>,
    /// Whose saved uploads this one may resume
    /// ([`presign_core::upload::resume_state::scope`]).
    pub resume_scope: &'a str,
}
