//! The upload policy ([`crate::domain::upload_policy`]): the default and
//! POST form maxima, the user quota and whether PDFs download inline, from
//! flags, environment or the file's `[policy]`, and the per-file-type rules
//! (with their quotas), from the file only.

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
    let user_quota = env.layer(args.user_quota, "PRESIGN_USER_QUOTA", SIZE, file.user_quota)?;
    check_quotas(user_quota, &file)?;
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
        user_quota,
        file_types: file.file_types,
        inline_pdf,
    })
}

/// No quota of 0, in all or of a type: it could be read as "off", as a
/// rate limit's 0 is.
fn check_quotas(user_quota: Option<u64>, file: &FilePolicy) -> Result<(), ConfigError> {
    let of_types = file.file_types.iter().map(|(name, rule)| {
        let at = format!("0 in [policy.file_types.{name}]");
        (rule.user_quota, at)
    });
    for (quota, at) in std::iter::once((user_quota, "0".to_owned())).chain(of_types) {
        if quota == Some(0) {
            return Err(ConfigError::BadValue {
                name: "user_quota",
                what: "at least 1 byte (leave it unset for no quota)",
                value: at,
            });
        }
    }
    Ok(())
}
