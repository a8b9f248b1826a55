//! How a download is shown: the `Content-Disposition` and `Content-Type`
//! a presigned GET asks the store to answer with (S3's signed
//! `response-content-disposition` and `response-content-type`).
//!
//! Every object is an attachment, named after its file, unless its type is
//! passive, which a browser only displays: raster images (PNG, JPEG, GIF,
//! WebP, AVIF) inline as their own type, plain text inline as
//! `text/plain; charset=utf-8`, and PDF inline only when the policy says
//! so (`inline_pdf`). Anything else, HTML and SVG above all, is downloaded,
//! never rendered on the store's origin, whatever type it was stored with.
//!
//! The name is written as RFC 6266 asks: `filename="…"` with an ASCII
//! fallback and `filename*=UTF-8''…` (RFC 8187) with the exact name.

use presign_core::protocol::content_type::essence;

/// Raster image types a browser shows without running anything.
const INLINE_IMAGES: [&str; 5] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
];

/// The type plain text is served as, whatever charset it was stored with.
pub const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

/// Name of a download whose key leaves none.
const FALLBACK_NAME: &str = "download";

/// The headers a presigned GET asks the store to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    /// `response-content-disposition`.
    pub content_disposition: String,
    /// `response-content-type`, for inline types (the stored type otherwise).
    pub content_type: Option<String>,
}

/// How to serve an object named `filename`, stored as `stored_type`.
pub fn presentation(filename: &str, stored_type: Option<&str>, inline_pdf: bool) -> Presentation {
    let media = stored_type.map(essence).unwrap_or_default();
    let inline_type = if INLINE_IMAGES.contains(&media.as_str()) {
        Some(media)
    } else if media == "text/plain" {
        Some(PLAIN_TEXT.to_owned())
    } else if media == "application/pdf" && inline_pdf {
        Some(media)
    } else {
        None
    };
    let kind = if inline_type.is_some() {
        "inline"
    } else {
        "attachment"
    };
    Presentation {
        content_disposition: content_disposition(kind, filename),
        content_type: inline_type,
    }
}

/// The file name of an object key: its last segment, without the
/// `{32 hex}-` the signer puts before the sanitised file name.
pub fn filename_of_key(key: &str) -> &str {
    let last = key.rsplit('/').next().unwrap_or_default();
    let name = match last.split_at_checked(33) {
        Some((id, rest))
            if id.ends_with('-') && id[..32].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            rest
        }
        _ => last,
    };
    if name.is_empty() {
        FALLBACK_NAME
    } else {
        name
    }
}

/// `kind; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266).
pub fn content_disposition(kind: &str, filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' && c != '%' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        // RFC 8187's attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~".
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_and_unknown_types_are_attachments() {
        for stored in [
            Some("text/html"),
            Some("text/html; charset=utf-8"),
            Some("image/svg+xml"),
            Some("application/xhtml+xml"),
            Some("application/octet-stream"),
            Some("application/pdf"),
            Some("image/bmp"),
            None,
        ] {
            let p = presentation("a.html", stored, false);
            assert_eq!(p.content_type, None, "{stored:?}");
            assert!(p.content_disposition.starts_with("attachment; "));
        }
    }

    #[test]
    fn passive_types_are_inline_as_themselves() {
        let p = presentation("a.png", Some("IMAGE/PNG"), false);
        assert!(p.content_disposition.starts_with("inline; "));
        assert_eq!(p.content_type.as_deref(), Some("image/png"));
        let p = presentation("a.txt", Some("text/plain; charset=latin1"), false);
        assert_eq!(p.content_type.as_deref(), Some(PLAIN_TEXT));
        let p = presentation("a.pdf", Some("application/pdf"), true);
        assert!(p.content_disposition.starts_with("inline; "));
        assert_eq!(p.content_type.as_deref(), Some("application/pdf"));
    }

    #[test]
    fn names_are_encoded_as_rfc_6266_asks() {
        assert_eq!(
            content_disposition("attachment", "a b.txt"),
            "attachment; filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt"
        );
        assert_eq!(
            content_disposition("attachment", "naïve \"x\";%.html"),
            "attachment; filename=\"na_ve _x_;_.html\"; \
             filename*=UTF-8''na%C3%AFve%20%22x%22%3B%25.html"
        );
    }

    #[test]
    fn file_names_come_from_the_key() {
        let key = "users/dev/ecu/2026-03-07/0123456789abcdef0123456789abcdef-report v2.pdf";
        assert_eq!(filename_of_key(key), "report v2.pdf");
        assert_eq!(filename_of_key("users/dev/ecu/x/plain.bin"), "plain.bin");
        assert_eq!(filename_of_key("users/dev/ecu/x/"), "download");
        let bare = "users/dev/ecu/d/0123456789abcdef0123456789abcdef-";
        assert_eq!(filename_of_key(bare), "download");
        assert_eq!(filename_of_key("users/dev/é"), "é");
    }
}
