//! ListMultipartUploads: the uploads a store holds open, whoever started
//! them. One page's XML read, and every page gathered: S3 pages hold at
//! most 1,000 uploads (`IsTruncated`, then `NextKeyMarker` and
//! `NextUploadIdMarker`, continued with `key-marker` and
//! `upload-id-marker`). The signer asks with the exact key of one upload as
//! the prefix ([`StoreClient::multipart_uploads_at`]): what a create that
//! never registered its upload may have left there.
//!
//! s3s-fs 0.17 does not implement the action; the embedded store answers it
//! from s3s-fs's files (`crate::embedded`). A store that does not implement
//! it (`NotImplemented`), or a key pair not allowed it (`AccessDenied`; on
//! AWS it takes `s3:ListBucketMultipartUploads` on the bucket), is told
//! apart by [`listing_unavailable`]: the signer then does without.

use super::{error_from, exchange, StoreClient, StoreError, OWN_REQUEST_EXPIRY};
use crate::s3::xml::{self, XmlError};
use jiff::Timestamp;
use presign_core::ObjectKey;
use std::future::Future;

const OP: &str = "ListMultipartUploads";

/// Most pages gathered for one listing (a million uploads at S3's 1,000 a
/// page): more is a store that does not advance, not a listing.
const MAX_PAGES: usize = 1000;

/// An open upload as the store lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUpload {
    pub key: String,
    pub upload_id: String,
}

/// One page of ListMultipartUploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUploadsPage {
    pub uploads: Vec<StoreUpload>,
    /// Where the next page starts (key, upload id), when this one is truncated.
    pub next_marker: Option<(String, String)>,
}

/// Reads a `ListMultipartUploadsResult` document.
pub fn parse_page(text: &str) -> Result<ListUploadsPage, XmlError> {
    let doc = xml::parse(text)?;
    if doc.name != "ListMultipartUploadsResult" {
        return Err(XmlError(format!(
            "expected <ListMultipartUploadsResult>, got <{}>",
            doc.name
        )));
    }
    let uploads = doc
        .children_named("Upload")
        .map(|u| {
            Ok(StoreUpload {
                // Keys are raw text: an element's whitespace is its own.
                key: u
                    .child("Key")
                    .map(|k| k.text.clone())
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| XmlError("<Upload> lacks <Key>".into()))?,
                upload_id: u.require("UploadId")?.to_owned(),
            })
        })
        .collect::<Result<Vec<_>, XmlError>>()?;
    let next_marker = if doc.text_of("IsTruncated") == Some("true") {
        let key = doc
            .child("NextKeyMarker")
            .map(|k| k.text.clone())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| XmlError("a truncated page lacks <NextKeyMarker>".into()))?;
        // S3 may leave the upload id marker out when the key marker alone
        // says where the next page starts.
        let upload_id = doc.text_of("NextUploadIdMarker").unwrap_or("").to_owned();
        Some((key, upload_id))
    } else {
        None
    };
    Ok(ListUploadsPage {
        uploads,
        next_marker,
    })
}

/// Gathers every page that `fetch(marker)` gives, from the first (`None`).
/// A marker that does not advance, or too many pages, is an error rather
/// than an endless loop.
pub async fn gather<F, Fut>(mut fetch: F) -> Result<Vec<StoreUpload>, StoreError>
where
    F: FnMut(Option<(String, String)>) -> Fut,
    Fut: Future<Output = Result<ListUploadsPage, StoreError>>,
{
    let mut uploads = Vec::new();
    let mut marker: Option<(String, String)> = None;
    for _ in 0..MAX_PAGES {
        let page = fetch(marker.clone()).await?;
        uploads.extend(page.uploads);
        match page.next_marker {
            None => return Ok(uploads),
            Some(next) if marker.as_ref().is_none_or(|m| next > *m) => marker = Some(next),
            Some((key, id)) => {
                return Err(StoreError::BadXml {
                    operation: OP,
                    detail: format!("next marker ({key}, {id}) does not advance"),
                })
            }
        }
    }
    Err(StoreError::BadXml {
        operation: OP,
        detail: format!("more than {MAX_PAGES} pages"),
    })
}

/// Whether `e` says the store will not list multipart uploads, now or
/// later: it does not implement ListMultipartUploads, or does not allow it
/// to the signer's key pair.
pub fn listing_unavailable(e: &StoreError) -> bool {
    matches!(e.s3_code(), Some("NotImplemented" | "AccessDenied"))
        || matches!(e, StoreError::Status { status, .. } if *status == reqwest::StatusCode::NOT_IMPLEMENTED)
}

impl StoreClient {
    /// Every open upload whose key starts with `prefix`, in the store's order.
    pub async fn list_multipart_uploads(
        &self,
        prefix: &str,
    ) -> Result<Vec<StoreUpload>, StoreError> {
        gather(|marker| page(self, prefix, marker)).await
    }

    /// The store's UploadIds of the uploads open at exactly `key` (a
    /// prefix listing, other keys left out).
    pub async fn multipart_uploads_at(&self, key: &ObjectKey) -> Result<Vec<String>, StoreError> {
        Ok(self
            .list_multipart_uploads(key.as_str())
            .await?
            .into_iter()
            .filter(|u| u.key == key.as_str())
            .map(|u| u.upload_id)
            .collect())
    }
}

/// The page of ListMultipartUploads after `marker`.
async fn page(
    client: &StoreClient,
    prefix: &str,
    marker: Option<(String, String)>,
) -> Result<ListUploadsPage, StoreError> {
    let url = client.signer().await?.presign_list_multipart_uploads(
        prefix,
        marker.as_ref().map(|(k, u)| (k.as_str(), u.as_str())),
        OWN_REQUEST_EXPIRY,
        Timestamp::now(),
    );
    let (status, body) = exchange(OP, client.http.get(url)).await?;
    if !status.is_success() {
        return Err(error_from(OP, status, &body));
    }
    parse_page(&body).map_err(|e| StoreError::BadXml {
        operation: OP,
        detail: e.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    /// As S3 documents it (and Garage answers), truncated.
    const PAGE_1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>uploads</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>users/dev/b.bin</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
  <Prefix>users/dev/</Prefix><MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>
  <Upload><Key>users/dev/a&amp;b.bin</Key><UploadId>u1</UploadId>
    <Initiator><ID>x</ID><DisplayName>x</DisplayName></Initiator>
    <StorageClass>STANDARD</StorageClass><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload>
  <Upload><Key>users/dev/b.bin</Key><UploadId>u2</UploadId></Upload>
</ListMultipartUploadsResult>"#;

    const PAGE_2: &str = r#"<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IsTruncated>false</IsTruncated>
  <Upload><Key>users/dev/b.bin</Key><UploadId>u3</UploadId></Upload>
</ListMultipartUploadsResult>"#;

    fn upload(key: &str, id: &str) -> StoreUpload {
        StoreUpload {
            key: key.into(),
            upload_id: id.into(),
        }
    }

    #[test]
    fn parses_a_truncated_page_and_the_last() {
        let page = parse_page(PAGE_1).expect("page");
        assert_eq!(
            page.uploads,
            [
                upload("users/dev/a&b.bin", "u1"),
                upload("users/dev/b.bin", "u2")
            ]
        );
        assert_eq!(
            page.next_marker,
            Some(("users/dev/b.bin".into(), "u2".into()))
        );
        let last = parse_page(PAGE_2).expect("page");
        assert_eq!(last.uploads, [upload("users/dev/b.bin", "u3")]);
        assert_eq!(last.next_marker, None);
        let empty = parse_page(
            "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>",
        )
        .expect("no uploads");
        assert!(empty.uploads.is_empty());
        // s3s's form: an empty result with no IsTruncated at all.
        assert!(parse_page("<ListMultipartUploadsResult/>")
            .expect("empty")
            .uploads
            .is_empty());
    }

    #[test]
    fn a_key_keeps_its_spaces() {
        let page = parse_page(
            "<ListMultipartUploadsResult><Upload><Key>users/dev/ a.bin </Key><UploadId> u1 </UploadId></Upload></ListMultipartUploadsResult>",
        )
        .expect("page");
        assert_eq!(page.uploads, [upload("users/dev/ a.bin ", "u1")]);
    }

    #[test]
    fn refuses_bad_pages() {
        for bad in [
            "<Error><Code>NotImplemented</Code></Error>",
            "<ListMultipartUploadsResult><Upload><UploadId>u</UploadId></Upload></ListMultipartUploadsResult>",
            "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload></ListMultipartUploadsResult>",
            "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated></ListMultipartUploadsResult>",
            "<ListMultipartUploadsResult>",
        ] {
            assert!(parse_page(bad).is_err(), "{bad}");
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    fn parsed(text: &str) -> Result<ListUploadsPage, StoreError> {
        parse_page(text).map_err(|e| StoreError::BadXml {
            operation: OP,
            detail: e.0,
        })
    }

    #[test]
    fn gathers_every_page() {
        let mut asked = Vec::new();
        let uploads = block_on(gather(|marker| {
            let text = if marker.is_none() { PAGE_1 } else { PAGE_2 };
            asked.push(marker);
            let page = parsed(text);
            async move { page }
        }))
        .expect("all pages");
        assert_eq!(asked, [None, Some(("users/dev/b.bin".into(), "u2".into()))]);
        assert_eq!(
            uploads
                .iter()
                .map(|u| u.upload_id.as_str())
                .collect::<Vec<_>>(),
            ["u1", "u2", "u3"]
        );
    }

    #[test]
    fn a_marker_that_does_not_advance_stops() {
        let mut calls = 0;
        let result = block_on(gather(|_| {
            calls += 1;
            let page = parsed(PAGE_1);
            async move { page }
        }));
        assert!(
            matches!(result, Err(StoreError::BadXml { .. })),
            "{result:?}"
        );
        assert_eq!(calls, 2);
    }

    #[test]
    fn a_store_that_will_not_list_is_told_apart() {
        let unavailable = [
            (
                StatusCode::NOT_IMPLEMENTED,
                "<Error><Code>NotImplemented</Code><Message>x</Message></Error>",
            ),
            (StatusCode::NOT_IMPLEMENTED, ""),
            (
                StatusCode::FORBIDDEN,
                "<Error><Code>AccessDenied</Code></Error>",
            ),
        ];
        for (status, body) in unavailable {
            assert!(listing_unavailable(&error_from(OP, status, body)), "{body}");
        }
        for (status, body) in [
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "<Error><Code>SlowDown</Code></Error>",
            ),
            (
                StatusCode::FORBIDDEN,
                "<Error><Code>ExpiredToken</Code></Error>",
            ),
            (StatusCode::INTERNAL_SERVER_ERROR, ""),
        ] {
            assert!(
                !listing_unavailable(&error_from(OP, status, body)),
                "{body}"
            );
        }
    }
}
