//! Key templates: where a file type's new objects go, as the operator
//! writes it (`users/{user}/{meta.project}/{date}/{uuid}-{filename}`).
//!
//! Placeholders: `{user}` (the caller's id), `{file_type}`, `{date}` (the
//! upload's UTC day, `YYYY-MM-DD`), `{uuid}` (32 random hex digits),
//! `{filename}` (the sanitised name, shortened to fit the key), `{ext}` (its
//! extension, lowercased, without the dot; empty without one) and
//! `{meta.NAME}` (the upload's metadata `NAME`, which it then must carry,
//! made key-safe: characters other than `A-Z a-z 0-9 . _ -` become `_`).
//!
//! What a template must be, checked when the signer starts:
//! - it starts with `users/{user}/`: every key stays under its user's
//!   prefix, which is what the signer checks to tell owners apart;
//! - it holds `{uuid}`: without it two uploads could get the same key, and
//!   a key is written once;
//! - `{filename}` at most once; literal text of `A-Z a-z 0-9 . _ - /`, no
//!   empty, `.` or `..` segment, no `/` at the end, and no segment that
//!   could come out empty (`{ext}` alone).

use crate::keys::file_type::FileType;
use crate::keys::filename;
use crate::keys::object_key::{KeyDate, KeyError, ObjectKey, UserId};
use crate::protocol::metadata::Metadata;
use thiserror::Error;

/// The template of every file type that names none.
pub const DEFAULT_TEMPLATE: &str = "users/{user}/{file_type}/{date}/{uuid}-{filename}";
/// What every template starts with.
pub const REQUIRED_PREFIX: &str = "users/{user}/";
/// The least room a key leaves its filename.
pub const MIN_FILENAME_ROOM: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    User,
    FileType,
    Date,
    Uuid,
    Filename,
    Ext,
    Meta(String),
}

/// A checked key template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    text: String,
    parts: Vec<Part>,
}

/// Why a template is refused; each message says why the rule exists.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyTemplateError {
    #[error("key template {0:?} must start with users/{{user}}/: every key stays under its user's prefix, where the signer tells owners apart")]
    OutsidePrefix(String),
    #[error("key template {0:?} must contain {{uuid}}: without it two uploads could get the same key, and a key is written once")]
    NoUuid(String),
    #[error("key template {0:?} has the unknown placeholder {{{1}}} (known: user, file_type, date, uuid, filename, ext, meta.NAME)")]
    Unknown(String, String),
    #[error("key template {0:?}: {1}")]
    Malformed(String, &'static str),
}

/// Why no key could be made for an upload.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyExpandError {
    #[error("metadata {0:?} is required for this file_type: its key template uses it")]
    MissingMetadata(String),
    #[error("the key would be longer than {0} bytes: shorten the user id, file_type or metadata the key template uses")]
    TooLong(usize),
    #[error("cannot build a key: {0}")]
    Key(#[from] KeyError),
}

/// What a key is made of, for one upload.
#[derive(Debug, Clone, Copy)]
pub struct KeyParts<'a> {
    pub user: &'a UserId,
    pub file_type: &'a FileType,
    pub date: KeyDate,
    /// 32 hex digits (core has no randomness: the caller draws it).
    pub uuid: &'a str,
    /// Already sanitised ([`filename::sanitize`]).
    pub filename: &'a str,
    pub metadata: &'a Metadata,
}

impl Default for KeyTemplate {
    fn default() -> Self {
        Self::parse(DEFAULT_TEMPLATE)
            .unwrap_or_else(|_| unreachable!("the default template is valid"))
    }
}

impl KeyTemplate {
    /// Checks `text` (see the module doc).
    pub fn parse(text: &str) -> Result<Self, KeyTemplateError> {
        let malformed = |why| KeyTemplateError::Malformed(text.to_owned(), why);
        let rest = text
            .strip_prefix(REQUIRED_PREFIX)
            .ok_or_else(|| KeyTemplateError::OutsidePrefix(text.to_owned()))?;
        let mut parts = vec![
            Part::Literal("users/".into()),
            Part::User,
            Part::Literal("/".into()),
        ];
        for segment in rest.split('/') {
            if segment.is_empty() {
                return Err(malformed("an empty segment (// or a / at the end)"));
            }
            let segment_parts = parse_segment(text, segment)?;
            let literal: String = segment_parts
                .iter()
                .filter_map(|p| match p {
                    Part::Literal(l) => Some(l.as_str()),
                    _ => None,
                })
                .collect();
            if segment_parts.iter().all(|p| matches!(p, Part::Ext)) {
                return Err(malformed(
                    "a segment of {ext} alone comes out empty for a file without one",
                ));
            }
            if segment_parts.len() == 1 && (literal == "." || literal == "..") {
                return Err(malformed("a . or .. segment"));
            }
            parts.extend(segment_parts);
            parts.push(Part::Literal("/".into()));
        }
        parts.pop();
        let count = |wanted: &Part| parts.iter().filter(|p| *p == wanted).count();
        if count(&Part::Uuid) == 0 {
            return Err(KeyTemplateError::NoUuid(text.to_owned()));
        }
        if count(&Part::Filename) > 1 {
            return Err(malformed("{filename} more than once"));
        }
        Ok(Self {
            text: text.to_owned(),
            parts: merge_literals(parts),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The metadata names the template uses (each upload must carry them).
    pub fn metadata_names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Meta(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// The key of one upload, at most `max_bytes` long: the filename is
    /// shortened to fit, keeping its extension.
    pub fn key(&self, parts: &KeyParts<'_>, max_bytes: usize) -> Result<ObjectKey, KeyExpandError> {
        let without_name = self.expand(parts, "")?;
        let has_name = self.parts.contains(&Part::Filename);
        let room = max_bytes.saturating_sub(without_name.len());
        if without_name.len() > max_bytes || (has_name && room < MIN_FILENAME_ROOM) {
            return Err(KeyExpandError::TooLong(max_bytes));
        }
        let name = filename::shorten(parts.filename, room);
        let key = self.expand(parts, &name)?;
        Ok(ObjectKey::owned_by(&key, parts.user)?)
    }

    fn expand(&self, parts: &KeyParts<'_>, name: &str) -> Result<String, KeyExpandError> {
        let mut key = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => key.push_str(text),
                Part::User => key.push_str(parts.user.as_str()),
                Part::FileType => key.push_str(parts.file_type.as_str()),
                Part::Date => key.push_str(&parts.date.to_string()),
                Part::Uuid => key.push_str(parts.uuid),
                Part::Filename => key.push_str(name),
                Part::Ext => key.push_str(
                    &filename::extension(parts.filename)
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                ),
                Part::Meta(meta) => {
                    let value = parts
                        .metadata
                        .0
                        .get(meta)
                        .ok_or_else(|| KeyExpandError::MissingMetadata(meta.clone()))?;
                    key.push_str(&key_safe(value));
                }
            }
        }
        Ok(key)
    }
}

/// One segment's literals and placeholders.
fn parse_segment(text: &str, segment: &str) -> Result<Vec<Part>, KeyTemplateError> {
    let malformed = |why| KeyTemplateError::Malformed(text.to_owned(), why);
    let mut parts = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let end = after
                .find('}')
                .ok_or_else(|| malformed("a { without its }"))?;
            parts.push(placeholder(text, &after[..end])?);
            rest = &after[end + 1..];
            continue;
        }
        let end = rest.find('{').unwrap_or(rest.len());
        let literal = &rest[..end];
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if !literal.chars().all(allowed) {
            return Err(malformed(
                "literal text other than A-Z a-z 0-9 . _ - / (or a } without its {)",
            ));
        }
        parts.push(Part::Literal(literal.to_owned()));
        rest = &rest[end..];
    }
    Ok(parts)
}

fn placeholder(text: &str, name: &str) -> Result<Part, KeyTemplateError> {
    Ok(match name {
        "user" => Part::User,
        "file_type" => Part::FileType,
        "date" => Part::Date,
        "uuid" => Part::Uuid,
        "filename" => Part::Filename,
        "ext" => Part::Ext,
        _ => match name.strip_prefix("meta.") {
            Some(meta)
                if Metadata([(meta.to_owned(), String::new())].into())
                    .check()
                    .is_ok() =>
            {
                Part::Meta(meta.to_owned())
            }
            _ => return Err(KeyTemplateError::Unknown(text.to_owned(), name.to_owned())),
        },
    })
}

/// Adjacent literals as one.
fn merge_literals(parts: Vec<Part>) -> Vec<Part> {
    let mut merged: Vec<Part> = Vec::new();
    for part in parts {
        match (merged.last_mut(), part) {
            (Some(Part::Literal(last)), Part::Literal(next)) => last.push_str(&next),
            (_, part) => merged.push(part),
        }
    }
    merged
}

/// A metadata value as one key segment.
fn key_safe(value: &str) -> String {
    let safe: String = value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match safe.as_str() {
        "" | "." | ".." => "_".repeat(safe.len().max(1)),
        _ => safe,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::limits::MAX_KEY_BYTES;

    fn parts<'a>(
        user: &'a UserId,
        ft: &'a FileType,
        metadata: &'a Metadata,
        filename: &'a str,
    ) -> KeyParts<'a> {
        KeyParts {
            user,
            file_type: ft,
            date: KeyDate::new(2026, 12, 5).expect("date"),
            uuid: "0123456789abcdef0123456789abcdef",
            filename,
            metadata,
        }
    }

    fn meta(pairs: &[(&str, &str)]) -> Metadata {
        Metadata(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_default_template_makes_todays_keys() {
        let (user, ft) = (
            UserId::parse("u1").expect("user"),
            FileType::parse("images").expect("type"),
        );
        let none = Metadata::default();
        let key = KeyTemplate::default()
            .key(&parts(&user, &ft, &none, "cat.png"), MAX_KEY_BYTES)
            .expect("key");
        assert_eq!(
            key.as_str(),
            "users/u1/images/2026-12-05/0123456789abcdef0123456789abcdef-cat.png"
        );
    }

    #[test]
    fn placeholders_expand() {
        let (user, ft) = (
            UserId::parse("u1").expect("user"),
            FileType::parse("ecu").expect("type"),
        );
        let m = meta(&[("serial", "ECU/42 x"), ("project", "..")]);
        let template = KeyTemplate::parse(
            "users/{user}/{meta.project}/{meta.serial}/{file_type}-{date}/{uuid}.{ext}",
        )
        .expect("valid");
        assert_eq!(
            template.metadata_names().collect::<Vec<_>>(),
            ["project", "serial"]
        );
        let key = template
            .key(&parts(&user, &ft, &m, "Log.TXT"), MAX_KEY_BYTES)
            .expect("key");
        assert_eq!(
            key.as_str(),
            "users/u1/__/ECU_42_x/ecu-2026-12-05/0123456789abcdef0123456789abcdef.txt"
        );
        let missing = template.key(&parts(&user, &ft, &Metadata::default(), "a"), MAX_KEY_BYTES);
        assert_eq!(
            missing,
            Err(KeyExpandError::MissingMetadata("project".into()))
        );
    }

    #[test]
    fn the_filename_is_shortened_to_fit() {
        let (user, ft) = (
            UserId::parse("u1").expect("user"),
            FileType::parse("images").expect("type"),
        );
        let none = Metadata::default();
        let long = format!("{}.png", "n".repeat(300));
        let key = KeyTemplate::default()
            .key(&parts(&user, &ft, &none, &long), 120)
            .expect("key");
        assert_eq!(key.as_str().len(), 120);
        assert!(key.as_str().ends_with(".png"), "{key}");
        let tiny = KeyTemplate::default().key(&parts(&user, &ft, &none, &long), 66);
        assert_eq!(tiny, Err(KeyExpandError::TooLong(66)));
    }

    #[test]
    fn templates_that_could_leave_the_prefix_or_collide_are_refused() {
        type Expected = fn(&KeyTemplateError) -> bool;
        let cases: [(&str, Expected); 12] = [
            ("uploads/{user}/{uuid}", |e| {
                matches!(e, KeyTemplateError::OutsidePrefix(_))
            }),
            ("{user}/{uuid}", |e| {
                matches!(e, KeyTemplateError::OutsidePrefix(_))
            }),
            ("users/{file_type}/{uuid}", |e| {
                matches!(e, KeyTemplateError::OutsidePrefix(_))
            }),
            ("users/{user}/{filename}", |e| {
                matches!(e, KeyTemplateError::NoUuid(_))
            }),
            ("users/{user}/../{uuid}", |e| {
                matches!(e, KeyTemplateError::Malformed(..))
            }),
            ("users/{user}//{uuid}", |e| {
                matches!(e, KeyTemplateError::Malformed(..))
            }),
            ("users/{user}/{uuid}/", |e| {
                matches!(e, KeyTemplateError::Malformed(..))
            }),
            ("users/{user}/a b/{uuid}", |e| {
                matches!(e, KeyTemplateError::Malformed(..))
            }),
            ("users/{user}/{uuid}/{ext}", |e| {
                matches!(e, KeyTemplateError::Malformed(..))
            }),
            ("users/{user}/{uuid}-{filename}-{filename}", |e| {
                matches!(e, KeyTemplateError::Malformed(..))
            }),
            (
                "users/{user}/{uuid}/{owner}",
                |e| matches!(e, KeyTemplateError::Unknown(_, n) if n == "owner"),
            ),
            ("users/{user}/{uuid}/{meta.Bad_Name}", |e| {
                matches!(e, KeyTemplateError::Unknown(..))
            }),
        ];
        for (text, expected) in cases {
            let err = KeyTemplate::parse(text).expect_err(text);
            assert!(expected(&err), "{text}: {err}");
            assert!(err.to_string().contains(text), "{err}");
        }
    }
}
