//! Content-Type values the signer is willing to sign, and which of them a
//! browser would run as active content.
//!
//! A value is one media type, `type/subtype`, with at most one parameter,
//! `charset=`: anything else (a comma, a quote, another parameter) is
//! refused, because browsers and stores disagree on how to read it (one
//! takes `image/png; a=b, text/html` as `image/png`, another as
//! `text/html`), and a signed type must mean one thing to all of them.

/// The type the design note signs when the client names none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Longest Content-Type accepted.
pub const MAX_LEN: usize = 255;

/// Why a Content-Type was refused. The messages name no field: the signer
/// says `content_type`, the client `options.contentType`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentTypeError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("must be one media type 'type/subtype' made of RFC 9110 token characters")]
    NotAMediaType,
    #[error("must be one media type: a comma lists several, which browsers read differently")]
    List,
    #[error("must not contain quotes, control or non-ASCII characters")]
    BadCharacter,
    #[error("may carry only a charset parameter ('; charset=utf-8'), not {0:?}")]
    Parameter(String),
}

/// Checks a media type (`type/subtype`, optionally `; charset=token`) and
/// returns it trimmed. Refuses control characters, so nothing can smuggle a
/// header line.
pub fn validate(value: &str) -> Result<&str, ContentTypeError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ContentTypeError::Empty);
    }
    if value.len() > MAX_LEN {
        return Err(ContentTypeError::TooLong);
    }
    if value
        .chars()
        .any(|c| c.is_control() || !c.is_ascii() || c == '"' || c == '\\')
    {
        return Err(ContentTypeError::BadCharacter);
    }
    if value.contains(',') {
        return Err(ContentTypeError::List);
    }
    let mut pieces = value.split(';');
    let essence = pieces.next().unwrap_or_default().trim();
    let (kind, sub) = essence
        .split_once('/')
        .ok_or(ContentTypeError::NotAMediaType)?;
    if !is_token(kind) || !is_token(sub) {
        return Err(ContentTypeError::NotAMediaType);
    }
    let mut charset = false;
    for param in pieces {
        let param = param.trim();
        let is_charset = param
            .split_once('=')
            .is_some_and(|(name, val)| name.eq_ignore_ascii_case("charset") && is_token(val));
        if charset || !is_charset {
            return Err(ContentTypeError::Parameter(param.to_owned()));
        }
        charset = true;
    }
    Ok(value)
}

/// `type/subtype` of a Content-Type, lowercased, without parameters.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether a browser would run this type as a document or a script on the
/// origin that serves it: HTML, XHTML, SVG, XML (`*/xml`, `*+xml`) and
/// JavaScript types. Such uploads need a file type that allows the exact
/// type in the signer's configuration.
pub fn is_active(content_type: &str) -> bool {
    let media = essence(content_type);
    let (kind, sub) = media.split_once('/').unwrap_or((media.as_str(), ""));
    matches!(
        media.as_str(),
        "text/html" | "application/xhtml+xml" | "image/svg+xml" | "text/xml"
    ) || sub == "xml"
        || sub.ends_with("+xml")
        || sub.contains("javascript")
        || sub.contains("ecmascript")
        || matches!(sub, "jscript" | "livescript" | "x-js" | "js")
        || (kind == "text" && sub == "xsl")
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_media_types() {
        for ok in [
            "application/octet-stream",
            "image/png",
            "text/plain; charset=utf-8",
            "text/plain;charset=UTF-8",
            "text/plain; CHARSET=utf-8",
            "application/vnd.api+json",
            " video/mp4 ",
        ] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        assert_eq!(validate(" image/png "), Ok("image/png"));
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            "",
            "png",
            "image/",
            "/png",
            "image/png\r\nx-amz-acl: public-read",
            "text/plain; charset=\u{7f}",
            "ima ge/png",
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            validate(&format!("a/{}", "b".repeat(300))),
            Err(ContentTypeError::TooLong)
        );
    }

    #[test]
    fn refuses_lists_quotes_and_other_parameters() {
        assert_eq!(
            validate("image/png; a=b, text/html"),
            Err(ContentTypeError::List)
        );
        assert_eq!(
            validate("image/png, text/html"),
            Err(ContentTypeError::List)
        );
        assert_eq!(
            validate("text/plain; charset=\"utf-8\""),
            Err(ContentTypeError::BadCharacter)
        );
        for bad in [
            "image/png; a=b",
            "text/plain; charset=utf-8; charset=latin1",
            "text/plain; charset=",
            "text/plain; charset",
            "text/plain; charset = utf-8",
            "text/plain;",
            "image/png; boundary=x",
        ] {
            assert!(
                matches!(validate(bad), Err(ContentTypeError::Parameter(_))),
                "{bad:?}: {:?}",
                validate(bad)
            );
        }
        let message = validate("image/png; a=b").expect_err("param").to_string();
        assert!(message.contains("charset"), "{message}");
    }

    #[test]
    fn active_types() {
        for active in [
            "text/html",
            "TEXT/HTML; charset=utf-8",
            "application/xhtml+xml",
            "image/svg+xml",
            "application/xml",
            "text/xml",
            "application/rss+xml",
            "application/javascript",
            "text/javascript",
            "application/x-javascript",
            "text/ecmascript",
        ] {
            assert!(is_active(active), "{active}");
        }
        for passive in [
            "image/png",
            "text/plain",
            "application/pdf",
            "application/json",
            "application/octet-stream",
            "video/mp4",
        ] {
            assert!(!is_active(passive), "{passive}");
        }
    }
}
