//! The upload policy ([`crate::domain::upload_policy`]): the default and
//! POST form maxima and whether PDFs download inline, from flags,
//! environment or the file's `[policy]`, and
//! the per-file-type rules, from the file only.

use super::error::ConfigError;
use super::file::FilePolicy;
use super::sources::Env;
use crate::cli::FileBackedArgs;
use crate::domain::upload_policy::UploadPolicy;
use presign_core::keys::file_type::FileType;
use presign_core::s3::limits::{MAX_OBJECT_SIZE, MAX_PRESIGN_EXPIRY_SECS};
use std::time::Duration;

/// The policy, checked; `default_expires_in` is `--expires-in`.
pub fn resolve(
    args: &FileBackedArgs,
    env: &Env<'_>,
    file: FilePolicy,
    default_expires_in: Duration,
) -> Result<UploadPolicy, ConfigError> {
    const SIZE: &str = "a size in bytes";
    let defaults = UploadPolicy::default();
    let default_max_size = env
        .layer(
            args.max_size,
            "PRESIGN_MAX_SIZE",
            SIZE,
            file.default_max_size,
        )?
        .unwrap_or(defaults.default_max_size);
    let max_post_size = env
        .layer(
            args.max_post_size,
            "PRESIGN_MAX_POST_SIZE",
            SIZE,
            file.max_post_size,
        )?
        .unwrap_or(defaults.max_post_size);
    for (name, value) in [
        ("max_size", default_max_size),
        ("max_post_size", max_post_size),
    ] {
        if !(1..=MAX_OBJECT_SIZE).contains(&value) {
            return Err(ConfigError::BadValue {
                name,
                what: "between 1 byte and S3's 5 TiB limit",
                value: value.to_string(),
            });
        }
    }
    for (name, rule) in &file.file_types {
        if FileType::parse(name).is_err() {
            return Err(ConfigError::BadFileType(name.clone()));
        }
        if rule
            .expires_in
            .is_some_and(|s| !(1..=MAX_PRESIGN_EXPIRY_SECS).contains(&s))
        {
            return Err(ConfigError::BadTypeExpiry(name.clone()));
        }
    }
    let inline_pdf = env
        .layer(
            args.inline_pdf.then_some(true),
            "PRESIGN_INLINE_PDF",
            "true or false",
            file.inline_pdf,
        )?
        .unwrap_or(defaults.inline_pdf);
    Ok(UploadPolicy {
        default_max_size,
        max_post_size,
        default_expires_in,
        file_types: file.file_types,
        inline_pdf,
    })
}
