//! What every step of one upload works with: the signer, the hasher, the
//! file, its options, its controls (pause, resume, abort, progress, request
//! slots) and how its requests are retried. Copied freely (references).

use crate::attempt::Retrying;
use crate::hashing::Hasher;
use crate::options::UploadOptions;
use crate::signer_client::SignerClient;
use crate::upload_control::UploadControl;
use std::rc::Rc;
use web_sys::Blob;

/// One upload's collaborators.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub signer: &'a Rc<SignerClient>,
    pub hasher: &'a Hasher,
    pub file: &'a Blob,
    pub options: &'a UploadOptions,
    pub control: &'a Rc<UploadControl>,
    pub retrying: &'a Rc<Retrying>,
}
