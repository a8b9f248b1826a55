//! Several JWT issuers (`[[identity.issuers]]` in the config file), each
//! with its own keys, audience and label: a token is verified only with the
//! keys of the issuer its `iss` names, and its user's keys live under
//! `users/{label}/{sub}/`, so two issuers' users with the same `sub` never
//! share a prefix.
//!
//! A label is configured per issuer or derived from its `issuer` (scheme
//! dropped, lowercased, every character outside `a-z 0-9 . _ -` a `-`, at
//! most 64); either way it must be a safe key segment, and no two issuers
//! may share one (or an `issuer`). With a single entry the label applies
//! only when configured, so a deployment can name its first issuer before
//! adding a second.

use super::error::ConfigError;
use super::file::FileIssuer;
use super::jwt_issuer::{list, IssuerConfig, JwtKeySource};
use crate::secret::Secret;
use presign_core::keys::object_key::MAX_ISSUER_LABEL;
use presign_core::UserId;
use std::path::Path;

/// The file's issuers, checked; `audience`: the default of those without
/// their own `jwt_audience`. `base`: the file's folder.
pub fn resolve(
    entries: Vec<FileIssuer>,
    audience: &[String],
    base: &Path,
) -> Result<Vec<IssuerConfig>, ConfigError> {
    let labelled = entries.len() > 1;
    let mut issuers: Vec<IssuerConfig> = Vec::with_capacity(entries.len());
    for entry in entries {
        let issuer = entry.issuer.trim().to_owned();
        let bad = |reason: String| ConfigError::BadIssuer {
            issuer: issuer.clone(),
            reason,
        };
        if issuer.is_empty() {
            return Err(bad("`issuer` is empty".into()));
        }
        let key = JwtKeySource::one_of(
            entry.jwt_secret.map(Secret::new),
            entry.jwt_public_key.map(|p| base.join(p)),
            entry.jwt_jwks.map(|p| base.join(p)),
            entry.jwt_jwks_url,
        )
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| {
            bad("needs one of jwt_secret, jwt_public_key, jwt_jwks and jwt_jwks_url".into())
        })?;
        let label = match entry.label {
            Some(label) if UserId::is_issuer_label(&label) => Some(label),
            Some(label) => return Err(bad(format!(
                "label {label:?} must be 1 to {MAX_ISSUER_LABEL} of A-Z, a-z, 0-9, '.', '_', '-', and not '.' or '..'"
            ))),
            None if labelled => Some(derive_label(&issuer).ok_or_else(|| {
                bad("no safe label can be derived from it; set `label`".into())
            })?),
            None => None,
        };
        if issuers.iter().any(|i| i.issuer.as_deref() == Some(&issuer)) {
            return Err(bad("appears twice".into()));
        }
        if let Some(same) = issuers.iter().find(|i| label.is_some() && i.label == label) {
            return Err(bad(format!(
                "its label {:?} is also the label of {:?}; set a `label` of its own",
                label.unwrap_or_default(),
                same.issuer.as_deref().unwrap_or_default()
            )));
        }
        let own_audience = list(entry.jwt_audience);
        issuers.push(IssuerConfig {
            key,
            audience: if own_audience.is_empty() {
                audience.to_vec()
            } else {
                own_audience
            },
            issuer: Some(issuer),
            label,
        });
    }
    Ok(issuers)
}

/// A key segment from an issuer: `https://Login.Example.com/tenant/v2.0/`
/// gives `login.example.com-tenant-v2.0`; `None` when nothing safe is left.
pub fn derive_label(issuer: &str) -> Option<String> {
    let rest = issuer.trim();
    let rest = rest
        .strip_prefix("https://")
        .or_else(|| rest.strip_prefix("http://"))
        .unwrap_or(rest);
    let mut label = String::new();
    for c in rest.chars() {
        let safe = c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let c = if safe { c.to_ascii_lowercase() } else { '-' };
        if !(c == '-' && label.ends_with('-')) {
            label.push(c);
        }
    }
    let trim = |s: &str| s.trim_matches(|c| c == '-' || c == '.').to_owned();
    let mut label = trim(&label);
    // ASCII only: any byte is a character boundary.
    label.truncate(MAX_ISSUER_LABEL);
    let label = trim(&label);
    UserId::is_issuer_label(&label).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_derived_from_issuers_are_safe_segments() {
        for (issuer, want) in [
            (
                "https://Login.Example.com/tenant/v2.0/",
                Some("login.example.com-tenant-v2.0"),
            ),
            ("https://id-a.example.com/", Some("id-a.example.com")),
            ("http://localhost:8080", Some("localhost-8080")),
            ("urn:example:issuer", Some("urn-example-issuer")),
            ("https://ü.example/../x", Some("example-..-x")),
            ("https://../", None),
            ("https:///", None),
            ("ü", None),
            ("", None),
        ] {
            assert_eq!(derive_label(issuer).as_deref(), want, "{issuer:?}");
        }
        let long = format!("https://{}.example.com/", "a".repeat(100));
        let label = derive_label(&long).expect("label");
        assert_eq!(label.len(), MAX_ISSUER_LABEL);
        assert!(UserId::is_issuer_label(&label));
    }
}
