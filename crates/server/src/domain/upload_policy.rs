//! What may be uploaded: per file type, the allowed content types and
//! extensions, the largest size and the URLs' lifetime; a default maximum
//! size for every type; and the maximum of a presigned POST form upload.
//!
//! Every endpoint that starts an upload calls [`UploadPolicy::check_upload`] with
//! the sanitised filename, the checked file type and Content-Type, and the
//! declared size: a refusal is 413 `too_large` or 415 `unsupported_type` with
//! a message naming the limit; an acceptance says how large the object may be
//! and how long its URLs live.
//!
//! The built-in default allows every type and extension up to 5 GiB
//! ([`DEFAULT_MAX_SIZE`], a single PUT's limit; S3 itself takes 5 TiB by
//! multipart, which a deployment opts into with `--max-size`), with 10 MB
//! for POST forms, and no byte quota, except active content: a type a
//! browser runs as a document or script ([`content_type::is_active`]: HTML,
//! XHTML, SVG, XML, JavaScript) is refused unless the file type's rule
//! names it exactly (`text/html`; `text/*` or `*/*` do not count), since
//! such a file, once opened from the store, runs on the store's origin.
//! The quota (in all, and per type) is [`crate::domain::quota`]'s; the
//! policy says which limits apply. A POST form's policy lives at most
//! [`MAX_POST_EXPIRES_IN`] (60 s): S3 cannot make a form write-once, so a
//! form is good for one upload only as long as it lives.

use crate::domain::quota::QuotaLimits;
use presign_core::keys::file_type::FileType;
use presign_core::keys::filename;
use presign_core::protocol::content_type::{self, essence};
use presign_core::s3::limits::{MAX_OBJECT_SIZE, MAX_SINGLE_PUT};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Default largest object of a type without its own `max_size`: 5 GiB.
pub const DEFAULT_MAX_SIZE: u64 = MAX_SINGLE_PUT;

/// Default largest POST form upload: 10 MB.
pub const DEFAULT_MAX_POST_SIZE: u64 = 10 * 1000 * 1000;

/// Longest lifetime of a POST form's policy, whatever the type's
/// `expires_in`: 60 s. S3 has no write-once condition for POST uploads, so
/// a form can write its key again until it expires.
pub const MAX_POST_EXPIRES_IN: Duration = Duration::from_secs(60);

/// The upload policy, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPolicy {
    /// Largest object of a type without its own `max_size`.
    pub default_max_size: u64,
    /// Largest presigned POST form upload, whatever the type.
    pub max_post_size: u64,
    /// Lifetime of URLs of a type without its own `expires_in`.
    pub default_expires_in: Duration,
    /// Bytes one user may hold, every type together (`--user-quota`).
    pub user_quota: Option<u64>,
    pub file_types: BTreeMap<String, FileTypeRule>,
    /// Whether downloads show PDFs in the browser (`inline`) rather than
    /// saving them ([`crate::domain::download`]).
    pub inline_pdf: bool,
}

/// The rules of one file type (a `[policy.file_types.NAME]` table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTypeRule {
    /// Allowed media types (`image/png`, or `image/*`); empty allows any
    /// passive type. Active types (HTML, SVG, XML, JavaScript) only when
    /// listed exactly.
    #[serde(default)]
    pub content_types: Vec<String>,
    /// Allowed filename extensions, without the dot, any case; empty allows any.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Largest object, in bytes.
    pub max_size: Option<u64>,
    /// Bytes of this type one user may hold.
    pub user_quota: Option<u64>,
    /// Lifetime of this type's presigned URLs, in seconds.
    pub expires_in: Option<u64>,
}

/// How the bytes will travel; each has its own ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMethod {
    /// One presigned PUT (at most 5 GiB).
    Put,
    /// A multipart upload.
    Multipart,
    /// A presigned POST form (at most `max_post_size`).
    PostForm,
}

/// What a new upload declares.
#[derive(Debug, Clone, Copy)]
pub struct UploadRequest<'a> {
    pub file_type: &'a FileType,
    /// The sanitised filename (its extension is checked).
    pub filename: &'a str,
    /// The Content-Type the object is stored with (parameters are ignored).
    pub content_type: &'a str,
    /// The declared size, when known.
    pub size: Option<u64>,
    pub method: UploadMethod,
}

/// An accepted upload's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    /// The largest the object may be (sign it into the URL or POST policy).
    pub max_size: u64,
    /// Lifetime of the upload's URLs.
    pub expires_in: Duration,
}

/// Why the policy refuses an upload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("size {size} exceeds {max} bytes, the limit for file_type {file_type}{how}")]
    TooLarge {
        size: u64,
        max: u64,
        file_type: String,
        how: &'static str,
    },
    #[error("size is required: file_type {file_type} is limited to {max} bytes")]
    SizeRequired { max: u64, file_type: String },
    #[error("content type {content_type} is not allowed for file_type {file_type}; allowed: {}", allowed.join(", "))]
    ContentType {
        content_type: String,
        file_type: String,
        allowed: Vec<String>,
    },
    #[error("content_type {content_type} is active content (a browser runs it on the store's origin) and file_type {file_type} does not allow it; list it exactly in the file type's content_types to accept it")]
    ActiveContent {
        content_type: String,
        file_type: String,
    },
    #[error("extension {extension:?} is not allowed for file_type {file_type}; allowed: {}", allowed.join(", "))]
    Extension {
        extension: String,
        file_type: String,
        allowed: Vec<String>,
    },
}

impl Default for UploadPolicy {
    fn default() -> Self {
        Self {
            default_max_size: DEFAULT_MAX_SIZE,
            max_post_size: DEFAULT_MAX_POST_SIZE,
            default_expires_in: Duration::from_secs(900),
            user_quota: None,
            file_types: BTreeMap::new(),
            inline_pdf: false,
        }
    }
}

impl UploadPolicy {
    /// The rule of `file_type`, if the policy has one.
    pub fn rule(&self, file_type: &FileType) -> Option<&FileTypeRule> {
        self.file_types.get(file_type.as_str())
    }

    /// The byte quotas an upload of `file_type` is held to.
    pub fn quota(&self, file_type: &FileType) -> QuotaLimits {
        QuotaLimits {
            total: self.user_quota,
            of_type: self.rule(file_type).and_then(|r| r.user_quota),
        }
    }

    /// Lifetime of the URLs of `file_type`.
    pub fn expires_in(&self, file_type: &FileType) -> Duration {
        self.rule(file_type)
            .and_then(|r| r.expires_in)
            .map_or(self.default_expires_in, Duration::from_secs)
    }

    /// Lifetime of the POST form policies of `file_type`: the type's URL
    /// lifetime, at most `MAX_POST_EXPIRES_IN` (60 s).
    pub fn form_expires_in(&self, file_type: &FileType) -> Duration {
        self.expires_in(file_type).min(MAX_POST_EXPIRES_IN)
    }

    /// Checks a new upload against the policy: the one function every
    /// upload-starting endpoint calls (get-upload-url, multipart create,
    /// get-upload-form).
    pub fn check_upload(&self, req: &UploadRequest<'_>) -> Result<Allowed, PolicyError> {
        let rule = self.rule(req.file_type);
        let file_type = req.file_type.as_str().to_owned();
        if content_type::is_active(req.content_type)
            && !rule.is_some_and(|r| allows_exactly(&r.content_types, req.content_type))
        {
            return Err(PolicyError::ActiveContent {
                content_type: essence(req.content_type),
                file_type,
            });
        }
        if let Some(rule) = rule {
            if !rule.content_types.is_empty()
                && !content_type_allowed(&rule.content_types, req.content_type)
            {
                return Err(PolicyError::ContentType {
                    content_type: essence(req.content_type),
                    file_type,
                    allowed: rule.content_types.clone(),
                });
            }
            if !rule.extensions.is_empty() {
                let ext = filename::extension(req.filename).unwrap_or_default();
                let ok = rule
                    .extensions
                    .iter()
                    .any(|allowed| allowed.trim_start_matches('.').eq_ignore_ascii_case(&ext));
                if !ok {
                    return Err(PolicyError::Extension {
                        extension: ext,
                        file_type,
                        allowed: rule.extensions.clone(),
                    });
                }
            }
        }
        let type_max = rule
            .and_then(|r| r.max_size)
            .unwrap_or(self.default_max_size);
        let (ceiling, how) = match req.method {
            UploadMethod::Put => (MAX_SINGLE_PUT, " with a single PUT; use a multipart upload"),
            UploadMethod::Multipart => (MAX_OBJECT_SIZE, ""),
            UploadMethod::PostForm => (self.max_post_size, " with a POST form upload"),
        };
        let (max, how) = if type_max <= ceiling {
            (type_max, "")
        } else {
            (ceiling, how)
        };
        match req.size {
            Some(size) if size > max => Err(PolicyError::TooLarge {
                size,
                max,
                file_type,
                how,
            }),
            // Without a declared size a PUT cannot be held to a limit below
            // S3's own.
            None if req.method == UploadMethod::Put && max < MAX_SINGLE_PUT => {
                Err(PolicyError::SizeRequired { max, file_type })
            }
            _ => Ok(Allowed {
                max_size: max,
                expires_in: match req.method {
                    UploadMethod::PostForm => self.form_expires_in(req.file_type),
                    UploadMethod::Put | UploadMethod::Multipart => self.expires_in(req.file_type),
                },
            }),
        }
    }
}

fn content_type_allowed(allowed: &[String], content_type: &str) -> bool {
    let media = essence(content_type);
    allowed.iter().any(|pattern| {
        let pattern = pattern.trim().to_ascii_lowercase();
        match pattern.strip_suffix("/*") {
            Some(top) => media.split_once('/').is_some_and(|(t, _)| t == top),
            None => pattern == media || pattern == "*/*",
        }
    })
}

/// Whether `allowed` names the media type of `content_type` itself, not
/// through a wildcard.
fn allows_exactly(allowed: &[String], content_type: &str) -> bool {
    let media = essence(content_type);
    allowed
        .iter()
        .any(|pattern| pattern.trim().eq_ignore_ascii_case(&media))
}

#[cfg(test)]
mod tests;
