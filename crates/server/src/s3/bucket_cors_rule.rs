//! The bucket CORS rule browsers need to upload straight to the store, as the
//! JSON people paste (`presign-server cors print`) and as the XML of
//! PutBucketCors / GetBucketCors (`presign-server cors apply`). Pure: no IO.
//!
//! The rule allows the configured origins to PUT (single uploads, parts),
//! POST (forms), GET and HEAD, with the request headers a browser script may
//! set on those (Content-Type, the checksum headers, `If-None-Match`, which
//! makes a single PUT write-once, any `x-amz-*`, and each metadata header
//! the signer takes by name, for stores that match no wildcard; never
//! Content-Length or Host, which browsers set themselves), and exposes ETag
//! (without it a script cannot read part ETags, so cannot complete a
//! multipart upload), the SHA-256 checksum and `Retry-After` (how long a
//! store shedding load asks the client to wait). It is identified by the ID
//! [`RULE_ID`], so applying it again replaces it and keeps the bucket's
//! other rules.

use crate::s3::xml::{self, escape, XmlError};
use serde::Serialize;
use std::fmt::Write as _;

/// The `ID` of the rule this server writes.
pub const RULE_ID: &str = "presign-server";
pub const ALLOWED_METHODS: [&str; 4] = ["PUT", "POST", "GET", "HEAD"];
pub const ALLOWED_HEADERS: [&str; 5] = [
    "content-type",
    "x-amz-checksum-sha256",
    "x-amz-checksum-algorithm",
    "if-none-match",
    "x-amz-*",
];
pub const EXPOSE_HEADERS: [&str; 3] = ["ETag", "x-amz-checksum-sha256", "Retry-After"];
/// How long browsers may cache a preflight answer (they cap it: Chrome at 2 h).
pub const MAX_AGE_SECONDS: u32 = 3600;

/// The S3 namespace of CORS documents.
const S3_XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// One CORS rule, with S3's field names (as the AWS CLI's JSON spells them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorsRule {
    #[serde(rename = "ID", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "AllowedOrigins")]
    pub allowed_origins: Vec<String>,
    #[serde(rename = "AllowedMethods")]
    pub allowed_methods: Vec<String>,
    #[serde(rename = "AllowedHeaders", skip_serializing_if = "Vec::is_empty")]
    pub allowed_headers: Vec<String>,
    #[serde(rename = "ExposeHeaders", skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    #[serde(rename = "MaxAgeSeconds", skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<u32>,
}

/// A bucket's whole CORS configuration (PutBucketCors replaces all of it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CorsConfiguration {
    #[serde(rename = "CORSRules")]
    pub rules: Vec<CorsRule>,
}

/// Why there is no rule to make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BucketCorsError {
    #[error("no origin to allow: name the pages' origins with --allow-origin https://app.example.com (repeatable), or use --dev for any origin")]
    NoOrigins,
}

impl CorsRule {
    /// This server's rule for these origins (the API's: `--allow-origin`;
    /// `*` with `--dev`); none is an error.
    pub fn for_origins(origins: Vec<String>) -> Result<Self, BucketCorsError> {
        if origins.is_empty() {
            return Err(BucketCorsError::NoOrigins);
        }
        Ok(Self {
            id: Some(RULE_ID.to_owned()),
            allowed_origins: origins,
            allowed_methods: ALLOWED_METHODS.map(str::to_owned).to_vec(),
            allowed_headers: ALLOWED_HEADERS.map(str::to_owned).to_vec(),
            expose_headers: EXPOSE_HEADERS.map(str::to_owned).to_vec(),
            max_age_seconds: Some(MAX_AGE_SECONDS),
        })
    }

    /// This rule also allowing `x-amz-meta-{name}` for each of `names`:
    /// some stores (Garage) match allowed headers exactly, not `x-amz-*`.
    pub fn with_metadata<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        for name in names {
            let header = format!("x-amz-meta-{name}");
            if !self.allowed_headers.contains(&header) {
                self.allowed_headers.push(header);
            }
        }
        self
    }

    /// Whether `other` grants what this rule does: the same origins and
    /// methods, the same headers (names compared case-insensitively), the
    /// same max age, in any order. (Stores may reorder or recase.)
    pub fn same_as(&self, other: &CorsRule) -> bool {
        fn set(list: &[String], fold: bool) -> Vec<String> {
            let mut v: Vec<String> = list
                .iter()
                .map(|s| {
                    let s = s.trim();
                    if fold {
                        s.to_ascii_lowercase()
                    } else {
                        s.to_owned()
                    }
                })
                .collect();
            v.sort();
            v.dedup();
            v
        }
        set(&self.allowed_origins, false) == set(&other.allowed_origins, false)
            && set(&self.allowed_methods, true) == set(&other.allowed_methods, true)
            && set(&self.allowed_headers, true) == set(&other.allowed_headers, true)
            && set(&self.expose_headers, true) == set(&other.expose_headers, true)
            && self.max_age_seconds == other.max_age_seconds
    }
}

impl CorsConfiguration {
    /// This configuration with `rule` in place of any rule of the same ID
    /// (appended when there was none), the other rules kept in order.
    pub fn with_rule(&self, rule: CorsRule) -> Self {
        let mut rules: Vec<CorsRule> = self
            .rules
            .iter()
            .filter(|r| r.id.is_none() || r.id != rule.id)
            .cloned()
            .collect();
        rules.push(rule);
        Self { rules }
    }

    /// Whether a rule of this configuration grants what `rule` does.
    pub fn contains(&self, rule: &CorsRule) -> bool {
        self.rules.iter().any(|r| r.same_as(rule))
    }

    /// The JSON of `aws s3api put-bucket-cors --cors-configuration`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The body of PutBucketCors.
    pub fn to_xml(&self) -> String {
        fn tag(out: &mut String, name: &str, value: &str) {
            // Writing to a String cannot fail.
            let _ = write!(out, "<{name}>{}</{name}>", escape(value));
        }
        let mut out = format!(r#"<CORSConfiguration xmlns="{S3_XMLNS}">"#);
        for rule in &self.rules {
            out.push_str("<CORSRule>");
            if let Some(id) = &rule.id {
                tag(&mut out, "ID", id);
            }
            for h in &rule.allowed_headers {
                tag(&mut out, "AllowedHeader", h);
            }
            for m in &rule.allowed_methods {
                tag(&mut out, "AllowedMethod", m);
            }
            for o in &rule.allowed_origins {
                tag(&mut out, "AllowedOrigin", o);
            }
            for h in &rule.expose_headers {
                tag(&mut out, "ExposeHeader", h);
            }
            if let Some(age) = rule.max_age_seconds {
                tag(&mut out, "MaxAgeSeconds", &age.to_string());
            }
            out.push_str("</CORSRule>");
        }
        out.push_str("</CORSConfiguration>");
        out
    }

    /// Reads a GetBucketCors answer (`<CORSConfiguration>`).
    pub fn from_xml(text: &str) -> Result<Self, XmlError> {
        let doc = xml::parse(text)?;
        if doc.name != "CORSConfiguration" {
            return Err(XmlError(format!(
                "expected <CORSConfiguration>, got <{}>",
                doc.name
            )));
        }
        let texts = |el: &xml::Element, name: &str| -> Vec<String> {
            el.children_named(name)
                .map(|c| c.text.trim().to_owned())
                .collect()
        };
        let mut rules = Vec::new();
        for r in doc.children_named("CORSRule") {
            let max_age_seconds = r
                .text_of("MaxAgeSeconds")
                .map(|t| {
                    t.parse::<u32>()
                        .map_err(|_| XmlError(format!("<MaxAgeSeconds> {t:?} is not a number")))
                })
                .transpose()?;
            rules.push(CorsRule {
                id: r.text_of("ID").map(str::to_owned),
                allowed_origins: texts(r, "AllowedOrigin"),
                allowed_methods: texts(r, "AllowedMethod"),
                allowed_headers: texts(r, "AllowedHeader"),
                expose_headers: texts(r, "ExposeHeader"),
                max_age_seconds,
            });
        }
        Ok(Self { rules })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> CorsRule {
        CorsRule::for_origins(vec![
            "https://app.example.com".into(),
            "http://localhost:8080".into(),
        ])
        .expect("a rule")
    }

    #[test]
    fn the_rule_a_browser_needs() {
        let rule = ours();
        assert_eq!(
            serde_json::to_value(CorsConfiguration { rules: vec![rule] }).expect("json"),
            serde_json::json!({"CORSRules": [{
                "ID": "presign-server",
                "AllowedOrigins": ["https://app.example.com", "http://localhost:8080"],
                "AllowedMethods": ["PUT", "POST", "GET", "HEAD"],
                "AllowedHeaders": ["content-type", "x-amz-checksum-sha256", "x-amz-checksum-algorithm", "if-none-match", "x-amz-*"],
                "ExposeHeaders": ["ETag", "x-amz-checksum-sha256", "Retry-After"],
                "MaxAgeSeconds": 3600,
            }]})
        );
        let dev = CorsRule::for_origins(vec!["*".into()]).expect("a rule");
        assert_eq!(dev.allowed_origins, ["*"]);
        assert_eq!(
            CorsRule::for_origins(Vec::new()),
            Err(BucketCorsError::NoOrigins)
        );
    }

    #[test]
    fn xml_round_trips_escaped() {
        let mut odd = ours();
        odd.id = Some("a<b>&\"c\"".into());
        odd.max_age_seconds = None;
        let config = CorsConfiguration {
            rules: vec![ours(), odd],
        };
        let xml = config.to_xml();
        assert!(xml.starts_with(
            r#"<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><ID>presign-server</ID><AllowedHeader>content-type</AllowedHeader>"#
        ), "{xml}");
        assert!(
            xml.contains("<ID>a&lt;b&gt;&amp;&quot;c&quot;</ID>"),
            "{xml}"
        );
        assert_eq!(CorsConfiguration::from_xml(&xml), Ok(config));
        assert!(CorsConfiguration::from_xml("<Error/>").is_err());
        assert!(CorsConfiguration::from_xml(
            "<CORSConfiguration><CORSRule><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule></CORSConfiguration>"
        )
        .is_err());
    }

    #[test]
    fn applying_replaces_our_rule_and_keeps_the_others() {
        let theirs = CorsRule {
            id: None,
            allowed_origins: vec!["https://other.example".into()],
            allowed_methods: vec!["GET".into()],
            allowed_headers: vec![],
            expose_headers: vec![],
            max_age_seconds: None,
        };
        let mut old = ours();
        old.allowed_origins = vec!["https://old.example".into()];
        let before = CorsConfiguration {
            rules: vec![old.clone(), theirs.clone()],
        };
        let after = before.with_rule(ours());
        assert_eq!(after.rules, [theirs, ours()]);
        assert!(after.contains(&ours()));
        assert!(!after.contains(&old));
        // A store may reorder and recase what it keeps.
        let mut stored = ours();
        stored.allowed_methods.reverse();
        stored.allowed_headers = stored
            .allowed_headers
            .iter()
            .map(|h| h.to_ascii_uppercase())
            .collect();
        stored.id = None;
        assert!(stored.same_as(&ours()));
        stored.max_age_seconds = Some(60);
        assert!(!stored.same_as(&ours()));
    }
}
