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
use presign_core::keys::key_template::KeyTemplate;
use presign_core::protocol::metadata::Metadata;
use presign_core::s3::limits::{MAX_OBJECT_SIZE, MAX_PRESIGN_EXPIRY_SECS};
use std::collections::BTreeMap;
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
    check_sizes(default_max_size, max_post_size)?;
    check_types(&file)?;
    let inline_pdf = env
        .layer(
            args.inline_pdf.then_some(true),
            "PRESIGN_INLINE_PDF",
            "true or false",
            file.inline_pdf,
        )?
        .unwrap_or(defaults.inline_pdf);
    let metadata = metadata_names(args, env, file.metadata)?;
    let key_template = global_template(args, env, file.key_template)?;
    let mut policy = UploadPolicy {
        default_max_size,
        max_post_size,
        default_expires_in,
        user_quota,
        file_types: file.file_types,
        inline_pdf,
        metadata,
        key_template,
        key_templates: Default::default(),
    };
    policy.key_templates = type_templates(&policy)?;
    Ok(policy)
}

fn check_sizes(default_max_size: u64, max_post_size: u64) -> Result<(), ConfigError> {
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
    Ok(())
}

/// Each file type's name and URL lifetime.
fn check_types(file: &FilePolicy) -> Result<(), ConfigError> {
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
    Ok(())
}

/// `--key-template`, else `PRESIGN_KEY_TEMPLATE`, else the file's, else
/// the default; checked.
fn global_template(
    args: &FileBackedArgs,
    env: &Env<'_>,
    file: Option<String>,
) -> Result<KeyTemplate, ConfigError> {
    Ok(env
        .layer_with(args.key_template.clone(), "PRESIGN_KEY_TEMPLATE", Ok, file)?
        .map(|text| {
            template(
                &text,
                "--key-template (PRESIGN_KEY_TEMPLATE, policy.key_template)",
            )
        })
        .transpose()?
        .unwrap_or_default())
}

/// `--allow-metadata`, else `PRESIGN_ALLOW_METADATA` (comma separated),
/// else the file's; each a valid name.
fn metadata_names(
    args: &FileBackedArgs,
    env: &Env<'_>,
    file: Option<Vec<String>>,
) -> Result<Vec<String>, ConfigError> {
    let flag = Some(args.allow_metadata.clone()).filter(|list| !list.is_empty());
    let split = |text: String| Ok(text.split(',').map(|n| n.trim().to_owned()).collect());
    let names: Vec<String> = env
        .layer_with(flag, "PRESIGN_ALLOW_METADATA", split, file)?
        .unwrap_or_default();
    check_names(
        &names,
        "--allow-metadata (PRESIGN_ALLOW_METADATA, policy.metadata)",
    )?;
    Ok(names)
}

fn check_names(names: &[String], at: &str) -> Result<(), ConfigError> {
    for name in names {
        Metadata([(name.clone(), String::new())].into())
            .check()
            .map_err(|e| ConfigError::BadMetadataName {
                at: at.to_owned(),
                why: e.to_string(),
            })?;
    }
    Ok(())
}

fn template(text: &str, at: &str) -> Result<KeyTemplate, ConfigError> {
    KeyTemplate::parse(text).map_err(|e| ConfigError::BadKeyTemplate {
        at: at.to_owned(),
        why: e.to_string(),
    })
}

/// Each file type's own template, checked; and every template uses only
/// metadata its file type takes (else no upload of the type could succeed).
fn type_templates(policy: &UploadPolicy) -> Result<BTreeMap<String, KeyTemplate>, ConfigError> {
    let mut templates = BTreeMap::new();
    for (name, rule) in &policy.file_types {
        let at = format!("config file: [policy.file_types.{name}]");
        check_names(&rule.metadata, &format!("{at} metadata"))?;
        if let Some(text) = &rule.key_template {
            templates.insert(name.clone(), template(text, &format!("{at} key_template"))?);
        }
    }
    let checked = |file_type: &str, template: &KeyTemplate| -> Result<(), ConfigError> {
        let allowed = FileType::parse(file_type)
            .map(|t| policy.metadata_names(&t))
            .unwrap_or_default();
        match template.metadata_names().find(|n| !allowed.iter().any(|a| a == n)) {
            None => Ok(()),
            Some(missing) => Err(ConfigError::BadKeyTemplate {
                at: format!("the key template of file_type {file_type}"),
                why: format!("it uses {{meta.{missing}}}, a metadata name the file type does not take: add {missing:?} to its metadata, or to --allow-metadata"),
            }),
        }
    };
    for (name, template) in &templates {
        checked(name, template)?;
    }
    for name in policy
        .file_types
        .keys()
        .filter(|n| !templates.contains_key(*n))
    {
        checked(name, &policy.key_template)?;
    }
    // File types the config does not name take --allow-metadata's only.
    if let Some(missing) = policy
        .key_template
        .metadata_names()
        .find(|n| !policy.metadata.iter().any(|a| a == n))
    {
        return Err(ConfigError::BadKeyTemplate {
            at: "--key-template (PRESIGN_KEY_TEMPLATE, policy.key_template)".into(),
            why: format!("it uses {{meta.{missing}}}, which not every file type takes: add {missing:?} to --allow-metadata"),
        });
    }
    Ok(templates)
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
