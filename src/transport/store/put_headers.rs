//! Which headers the browser sends with the presigned PUT.
//!
//! Our signer answers with exactly the signed headers (`Content-Type`,
//! `content-length`, `x-amz-checksum-sha256`, `if-none-match: *`, which makes
//! the PUT write-once). Some of them are "forbidden
//! request headers" that a page may not set (the browser sends `Content-Length`
//! itself, with the right value): those are skipped. A signer written like the
//! design note's signer sends no `headers` and signs `Content-Type: application/octet-stream`,
//! which is then what we send, as the design note's frontend does.

use presign_core::protocol::content_type::DEFAULT_CONTENT_TYPE;
use std::collections::BTreeMap;

/// The headers to pass to `setRequestHeader`, in a stable order.
pub fn for_put(signed: Option<&BTreeMap<String, String>>) -> Vec<(String, String)> {
    match signed {
        None => vec![("Content-Type".to_owned(), DEFAULT_CONTENT_TYPE.to_owned())],
        Some(headers) => headers
            .iter()
            .filter(|(name, _)| !is_forbidden(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    }
}

/// The Fetch standard's forbidden request-header names (case-insensitive):
/// `setRequestHeader` ignores or rejects them, the browser owns them.
pub fn is_forbidden(name: &str) -> bool {
    const FORBIDDEN: &[&str] = &[
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    ];
    let lower = name.trim().to_ascii_lowercase();
    FORBIDDEN.contains(&lower.as_str()) || lower.starts_with("proxy-") || lower.starts_with("sec-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_signer_gets_octet_stream() {
        assert_eq!(
            for_put(None),
            vec![(
                "Content-Type".to_owned(),
                "application/octet-stream".to_owned()
            )]
        );
    }

    #[test]
    fn signed_headers_minus_forbidden_ones() {
        let signed: BTreeMap<String, String> = [
            ("Content-Type", "image/png"),
            ("content-length", "3145728"),
            ("Host", "127.0.0.1:9000"),
            ("if-none-match", "*"),
            (
                "x-amz-checksum-sha256",
                "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let names: Vec<String> = for_put(Some(&signed)).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["Content-Type", "if-none-match", "x-amz-checksum-sha256"]
        );
    }

    #[test]
    fn forbidden_names() {
        for name in [
            "Content-Length",
            "HOST",
            "Sec-Fetch-Mode",
            "proxy-authorization",
            " te ",
        ] {
            assert!(is_forbidden(name), "{name}");
        }
        for name in [
            "content-type",
            "x-amz-checksum-sha256",
            "x-amz-meta-user",
            "authorization",
            "if-none-match",
        ] {
            assert!(!is_forbidden(name), "{name}");
        }
    }
}
