//! What a store's refusal of the presigned PUT means, from the HTTP status and
//! the S3 XML error body (`<Error><Code>…</Code><Message>…</Message></Error>`).

use crate::error::UploadError;
use presign_core::ErrorCode;

/// Classifies a PUT answered with `status` (0 = no HTTP answer at all).
pub fn classify(status: u16, body: &str) -> UploadError {
    let code = xml_element(body, "Code").unwrap_or_default();
    let message = xml_element(body, "Message").unwrap_or_default();
    let detail = match (code.is_empty(), message.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!(" {code}"),
        (true, false) => format!(": {message}"),
        (false, false) => format!(" {code}: {message}"),
    };
    // S3: 403 AccessDenied "Request has expired"; Garage: 400 InvalidRequest
    // "Bad request: Date is too old" (a presigned URL past X-Amz-Expires).
    let lower = message.to_ascii_lowercase();
    let expired = lower.contains("request has expired")
        || lower.contains("date is too old")
        || matches!(code.as_str(), "ExpiredToken" | "TokenRefreshRequired");
    let kind = match (status, code.as_str()) {
        (0, _) => {
            return UploadError::network(
                "the upload to the store failed before any answer (connection refused or reset, or blocked by CORS)",
            )
        }
        (400 | 403, _) if expired => ErrorCode::Expired,
        (400, "BadDigest" | "XAmzContentChecksumMismatch" | "InvalidDigest") => {
            ErrorCode::ChecksumMismatch
        }
        // Bytes lost on the way (the body arrived short, or too slowly):
        // the file is intact, so sending it again can succeed.
        (400, "IncompleteBody" | "RequestTimeout") => ErrorCode::Network,
        (_, "EntityTooLarge") | (413, _) => ErrorCode::TooLarge,
        (403, _) => ErrorCode::Forbidden,
        (_, "SlowDown") | (429, _) => ErrorCode::RateLimited,
        // 507 Insufficient Storage: MinIO's code for a full disk, which the
        // embedded store answers too.
        (_, "XMinioStorageFull") | (507, _) => ErrorCode::StorageFull,
        (status, _) => ErrorCode::from_http_status(status),
    };
    let what = match kind {
        ErrorCode::Expired => "the presigned URL expired before the upload",
        ErrorCode::ChecksumMismatch => {
            "the store received bytes whose SHA-256 differs from the file's"
        }
        ErrorCode::StorageFull => "the store has no space left for the upload",
        ErrorCode::Network => "the store did not receive the whole upload",
        _ => "the store refused the upload",
    };
    UploadError::new(kind, format!("{what} (HTTP {status}{detail})")).with_status(status)
}

/// The text of the first `<name>…</name>` element, trimmed; no entity decoding
/// beyond the five XML ones (enough for S3 error codes and messages).
fn xml_element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&close)?;
    let text = body[start..start + len]
        .trim()
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(code: &str, message: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>1</RequestId></Error>"#
        )
    }

    #[test]
    fn table() {
        let cases: &[(u16, String, ErrorCode)] = &[
            (0, String::new(), ErrorCode::Network),
            (
                403,
                s3("AccessDenied", "Request has expired"),
                ErrorCode::Expired,
            ),
            (
                400,
                s3("InvalidRequest", "Bad request: Date is too old"),
                ErrorCode::Expired,
            ),
            (
                400,
                s3("ExpiredToken", "The provided token has expired."),
                ErrorCode::Expired,
            ),
            (
                403,
                s3("AccessDenied", "Access Denied"),
                ErrorCode::Forbidden,
            ),
            (
                403,
                s3(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match",
                ),
                ErrorCode::Forbidden,
            ),
            (403, String::new(), ErrorCode::Forbidden),
            (
                400,
                s3(
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                ),
                ErrorCode::ChecksumMismatch,
            ),
            (
                400,
                s3(
                    "XAmzContentChecksumMismatch",
                    "The provided 'x-amz-checksum' header does not match what was computed.",
                ),
                ErrorCode::ChecksumMismatch,
            ),
            (
                400,
                s3(
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                ),
                ErrorCode::TooLarge,
            ),
            (400, s3("InvalidArgument", "x"), ErrorCode::BadRequest),
            (
                400,
                s3(
                    "IncompleteBody",
                    "You did not provide the number of bytes specified by the Content-Length HTTP header.",
                ),
                ErrorCode::Network,
            ),
            (
                400,
                s3(
                    "RequestTimeout",
                    "Your socket connection to the server was not read from or written to within the timeout period.",
                ),
                ErrorCode::Network,
            ),
            (
                404,
                s3("NoSuchBucket", "The specified bucket does not exist"),
                ErrorCode::NotFound,
            ),
            (
                503,
                s3("SlowDown", "Please reduce your request rate."),
                ErrorCode::RateLimited,
            ),
            (
                500,
                s3("InternalError", "We encountered an internal error."),
                ErrorCode::Server,
            ),
            (
                502,
                "<html>Bad Gateway</html>".to_owned(),
                ErrorCode::Server,
            ),
            (
                507,
                s3(
                    "XMinioStorageFull",
                    "Storage backend has reached its minimum free drive threshold.",
                ),
                ErrorCode::StorageFull,
            ),
            (507, String::new(), ErrorCode::StorageFull),
        ];
        for (status, body, want) in cases {
            let err = classify(*status, body);
            assert_eq!(err.code(), *want, "{status} {body}");
            if *status != 0 {
                assert_eq!(err.status(), Some(*status));
            }
        }
    }

    #[test]
    fn message_carries_store_code_and_text() {
        let err = classify(403, &s3("AccessDenied", "Request has expired"));
        assert_eq!(
            err.message(),
            "the presigned URL expired before the upload (HTTP 403 AccessDenied: Request has expired)"
        );
        let err = classify(403, "");
        assert_eq!(err.message(), "the store refused the upload (HTTP 403)");
        let err = classify(400, &s3("IncompleteBody", "short"));
        assert_eq!(
            err.message(),
            "the store did not receive the whole upload (HTTP 400 IncompleteBody: short)"
        );
    }

    #[test]
    fn xml_entities() {
        assert_eq!(
            xml_element("<Message>a &amp; b &lt;c&gt;</Message>", "Message").as_deref(),
            Some("a & b <c>")
        );
        assert_eq!(xml_element("<Message>unclosed", "Message"), None);
    }
}
