//! Content-Type values the signer is willing to sign.

/// The type the design note signs when the client names none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// Why a Content-Type was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("content_type must look like 'type/subtype' (RFC 9110 tokens, optional ';param=value'), at most 255 characters")]
pub struct ContentTypeError;

/// Checks a media type (`type/subtype` plus optional parameters) and returns it
/// trimmed. Refuses control characters, so nothing can smuggle a header line.
pub fn validate(value: &str) -> Result<&str, ContentTypeError> {
    let value = value.trim();
    if value.is_empty() || value.len() > 255 {
        return Err(ContentTypeError);
    }
    let (essence, params) = match value.split_once(';') {
        Some((e, p)) => (e.trim(), Some(p)),
        None => (value, None),
    };
    let (kind, sub) = essence.split_once('/').ok_or(ContentTypeError)?;
    if !is_token(kind) || !is_token(sub) {
        return Err(ContentTypeError);
    }
    if let Some(params) = params {
        if params.chars().any(|c| c.is_control() || !c.is_ascii()) {
            return Err(ContentTypeError);
        }
    }
    Ok(value)
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
            assert_eq!(validate(bad), Err(ContentTypeError), "{bad:?}");
        }
        assert!(validate(&format!("a/{}", "b".repeat(300))).is_err());
    }
}
