//! The server's multipart calls: CreateMultipartUpload (SHA-256 checksums),
//! CompleteMultipartUpload (every part's ETag and ChecksumSHA256, in XML built
//! here and escaped; a `200 OK` carrying an `<Error>` is an error), and
//! AbortMultipartUpload. ListParts lives in [`super::list_parts`].

use super::{
    error_from, exchange, Completed, PartToComplete, StoreClient, StoreError, OWN_REQUEST_EXPIRY,
};
use crate::s3::signer::NewObjectHeaders;
use crate::s3::xml::{self, escape};
use jiff::Timestamp;
use presign_core::ObjectKey;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::StatusCode;
use std::fmt::Write as _;
use std::time::Duration;

/// CompleteMultipartUpload copies every part into the object: S3 may take
/// minutes for big objects (it keeps the connection alive meanwhile).
const COMPLETE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

impl StoreClient {
    /// Starts a multipart upload of `key` (with SHA-256 part checksums when
    /// `checksums`); returns the store's UploadId.
    pub async fn create_multipart(
        &self,
        key: &ObjectKey,
        object: &NewObjectHeaders<'_>,
    ) -> Result<String, StoreError> {
        const OP: &str = "CreateMultipartUpload";
        let req = self.signer().await?.presign_create_multipart(
            key,
            object,
            OWN_REQUEST_EXPIRY,
            Timestamp::now(),
        );
        let mut builder = self.http.post(req.url).header(CONTENT_LENGTH, "0");
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let (status, body) = exchange(OP, builder.body(Vec::new())).await?;
        if !status.is_success() {
            return Err(error_from(OP, status, &body));
        }
        let doc = parse(OP, &body)?;
        if doc.name == "Error" {
            return Err(error_from(OP, status, &body));
        }
        doc.require("UploadId")
            .map(str::to_owned)
            .map_err(|e| bad_xml(OP, e.0))
    }

    /// Completes the upload with `parts` (listed in part order), on
    /// condition that no object exists at `key` (`If-None-Match: *`: a
    /// store that honours it answers 412 PreconditionFailed otherwise).
    pub async fn complete_multipart(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        parts: &[PartToComplete<'_>],
    ) -> Result<Completed, StoreError> {
        const OP: &str = "CompleteMultipartUpload";
        let req = self.signer().await?.presign_complete_multipart(
            key,
            upload_id,
            OWN_REQUEST_EXPIRY,
            Timestamp::now(),
        );
        let mut builder = self.http.post(req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let (status, body) = exchange(
            OP,
            builder
                .header(CONTENT_TYPE, "application/xml")
                .body(complete_body(parts))
                .timeout(COMPLETE_TIMEOUT),
        )
        .await?;
        if !status.is_success() {
            return Err(error_from(OP, status, &body));
        }
        parse_complete(status, &body)
    }

    /// Aborts the upload. `Ok(false)`: the store has no such upload (any more).
    pub async fn abort_multipart(
        &self,
        key: &ObjectKey,
        upload_id: &str,
    ) -> Result<bool, StoreError> {
        const OP: &str = "AbortMultipartUpload";
        let url = self.signer().await?.presign_abort_multipart(
            key,
            upload_id,
            OWN_REQUEST_EXPIRY,
            Timestamp::now(),
        );
        let (status, body) = exchange(OP, self.http.delete(url)).await?;
        if status.is_success() {
            return Ok(true);
        }
        let err = error_from(OP, status, &body);
        if status == StatusCode::NOT_FOUND || err.s3_code() == Some("NoSuchUpload") {
            return Ok(false);
        }
        Err(err)
    }
}

/// The CompleteMultipartUpload request body.
pub fn complete_body(parts: &[PartToComplete<'_>]) -> String {
    let mut body = String::from(
        r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">"#,
    );
    for p in parts {
        // Writing to a String cannot fail.
        let _ = write!(
            body,
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag>",
            p.number,
            escape(p.etag),
        );
        if let Some(sha256) = p.sha256 {
            let _ = write!(
                body,
                "<ChecksumSHA256>{}</ChecksumSHA256>",
                escape(&sha256.to_base64())
            );
        }
        body.push_str("</Part>");
    }
    body.push_str("</CompleteMultipartUpload>");
    body
}

/// Reads a CompleteMultipartUpload answer that came with a 2xx status: S3
/// may still report failure in an `<Error>` document.
pub fn parse_complete(status: StatusCode, body: &str) -> Result<Completed, StoreError> {
    const OP: &str = "CompleteMultipartUpload";
    let doc = parse(OP, body)?;
    match doc.name.as_str() {
        "Error" => Err(error_from(OP, status, body)),
        "CompleteMultipartUploadResult" => Ok(Completed {
            etag: doc.text_of("ETag").map(str::to_owned),
            checksum_sha256: doc.text_of("ChecksumSHA256").map(str::to_owned),
        }),
        other => Err(bad_xml(OP, format!("unexpected <{other}>"))),
    }
}

fn parse(operation: &'static str, body: &str) -> Result<xml::Element, StoreError> {
    xml::parse(body).map_err(|e| bad_xml(operation, e.0))
}

fn bad_xml(operation: &'static str, detail: String) -> StoreError {
    StoreError::BadXml { operation, detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::Sha256Digest;

    #[test]
    fn complete_body_lists_every_part_escaped() {
        let d = Sha256Digest::of(b"");
        let body = complete_body(&[
            PartToComplete {
                number: 1,
                etag: "\"a<b>&\"",
                sha256: Some(&d),
            },
            PartToComplete {
                number: 2,
                etag: "e2",
                sha256: None,
            },
        ]);
        let doc = xml::parse(&body).expect("well-formed");
        let parts: Vec<_> = doc.children_named("Part").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].text_of("PartNumber"), Some("1"));
        assert_eq!(parts[0].text_of("ETag"), Some("\"a<b>&\""));
        assert_eq!(
            parts[0].text_of("ChecksumSHA256"),
            Some(d.to_base64().as_str())
        );
        // An upload without checksums lists none.
        assert_eq!(parts[1].text_of("ChecksumSHA256"), None);
        assert!(body.contains("&quot;a&lt;b&gt;&amp;&quot;"), "{body}");
    }

    #[test]
    fn a_200_with_an_error_body_is_an_error() {
        let err = parse_complete(
            StatusCode::OK,
            "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>",
        )
        .expect_err("an error");
        assert_eq!(err.s3_code(), Some("InternalError"));
        let ok = parse_complete(
            StatusCode::OK,
            r#"<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Key>k</Key><ETag>"x-3"</ETag><ChecksumSHA256>abc=-3</ChecksumSHA256></CompleteMultipartUploadResult>"#,
        )
        .expect("a result");
        assert_eq!(ok.etag.as_deref(), Some("\"x-3\""));
        assert_eq!(ok.checksum_sha256.as_deref(), Some("abc=-3"));
        assert!(parse_complete(StatusCode::OK, "").is_err());
        assert!(parse_complete(StatusCode::OK, "<Other/>").is_err());
    }
}
