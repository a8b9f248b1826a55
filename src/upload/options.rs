//! An upload's options as the engine uses them: strict, every value checked
//! when it was read from JavaScript ([`crate::api::options`]), every default
//! here, once.

use presign_core::protocol::metadata::Metadata;
use presign_core::s3::part_plan::{DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE};
use presign_core::upload::resume_state::DEFAULT_RESUME_MAX_AGE_MS;
use presign_core::upload::retry_policy::{RetryPolicy, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_WAIT_MS};
use web_sys::AbortSignal;

/// Most parts in flight at once.
pub const MAX_CONCURRENCY: u32 = 16;
/// Parts in flight by default.
pub const DEFAULT_CONCURRENCY: u32 = 4;
/// A PUT showing no progress for this long is considered stalled.
pub const DEFAULT_STALL_TIMEOUT_MS: u32 = 30_000;
/// Longest `stallTimeoutMs` accepted (one hour).
pub const MAX_STALL_TIMEOUT_MS: u32 = 3_600_000;
/// Longest `maxWaitMs` accepted (one day).
pub const MAX_WAIT_MS: u64 = 86_400_000;
/// Longest `resumeMaxAgeMs` accepted (a year).
pub const MAX_RESUME_AGE_MS: u64 = 365 * 24 * 3_600_000;
/// Most attempts per request.
pub const MAX_ATTEMPTS: u32 = 100;

/// How a file that is not sent in parts is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UploadMethod {
    /// A presigned PUT (the default).
    #[default]
    Put,
    /// A presigned POST form (`method: "post"`).
    Post,
}

/// Options of `uploader.upload(file, options)`.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    /// PUT or form POST, for files below the multipart threshold.
    pub method: UploadMethod,
    /// The signer's `file_type` (the signer validates it).
    pub file_type: String,
    /// Overrides `file.type`; already validated as a media type.
    pub content_type: Option<String>,
    /// Stored with the object as `x-amz-meta-*`; already checked.
    pub metadata: Metadata,
    pub on_progress: Option<js_sys::Function>,
    pub signal: Option<AbortSignal>,
    /// Files larger than this go multipart.
    pub multipart_threshold: u64,
    /// The part size asked of the signer (the plan may grow it).
    pub part_size: u64,
    /// Parts in flight at once, 1..=16.
    pub concurrency: u32,
    /// Attempts per request (a part's PUT, a signer call), the first included.
    pub max_attempts: u32,
    /// Longest the upload may wait on backpressure in all.
    pub max_wait_ms: u64,
    /// Whether a multipart result carries the whole file's SHA-256.
    pub whole_file_sha256: bool,
    /// Whether the file is hashed and its SHA-256 (per part for multipart)
    /// signed for the store to check (`checksum: false` skips both).
    pub checksum: bool,
    /// Whether a multipart upload is saved (IndexedDB) to resume after a
    /// reload or a failure.
    pub resume: bool,
    /// How long a saved upload may be resumed, in milliseconds.
    pub resume_max_age_ms: f64,
    /// Called with the new state's name on every change.
    pub on_state_change: Option<js_sys::Function>,
    /// Whether `pause()` aborts the PUTs in flight (sent again on resume).
    pub abort_in_flight_on_pause: bool,
    /// A PUT with no progress for this long is aborted and retried; `None`
    /// (`stallTimeoutMs: 0`) waits forever.
    pub stall_timeout_ms: Option<u32>,
}

impl Default for UploadOptions {
    /// Every default, with an empty `file_type` (which is required).
    fn default() -> Self {
        Self {
            method: UploadMethod::Put,
            file_type: String::new(),
            content_type: None,
            metadata: Metadata::default(),
            on_progress: None,
            signal: None,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_wait_ms: DEFAULT_MAX_WAIT_MS,
            whole_file_sha256: false,
            checksum: true,
            resume: true,
            resume_max_age_ms: DEFAULT_RESUME_MAX_AGE_MS,
            on_state_change: None,
            abort_in_flight_on_pause: false,
            stall_timeout_ms: Some(DEFAULT_STALL_TIMEOUT_MS),
        }
    }
}

impl UploadOptions {
    /// How every request of the upload is retried: `maxAttempts` attempts,
    /// `maxWaitMs` of waiting on backpressure.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy {
            max_attempts: self.max_attempts,
            max_wait_ms: self.max_wait_ms,
            ..RetryPolicy::default()
        }
    }
}
