//! ListParts: one page's XML read, and every page gathered. S3 pages hold at
//! most 1,000 parts (`IsTruncated`, `NextPartNumberMarker`, continued with
//! `part-number-marker`); s3s-fs never paginates and lists parts unsorted, so
//! the result is sorted here and the paging loop is unit-tested on canned pages.
//!
//! A `<Part>` without an `<ETag>` is a write the store did not finish: s3s-fs
//! moves a part's bytes into place before it records the part's ETag and
//! checksum, so a PUT cut off between the two (a page reloaded mid-part)
//! leaves a part that ListParts shows and Complete could not use. Such a part
//! is left out (the client sends it again, which replaces it), not an error
//! that would make the whole upload unresumable.

use super::{error_from, exchange, StoreClient, StoreError, StorePart, OWN_REQUEST_EXPIRY};
use crate::s3::xml::{self, XmlError};
use jiff::Timestamp;
use presign_core::s3::limits::MAX_PARTS;
use presign_core::ObjectKey;
use std::future::Future;

const OP: &str = "ListParts";

/// One page of ListParts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPartsPage {
    pub parts: Vec<StorePart>,
    /// Where the next page starts, when this one is truncated.
    pub next_marker: Option<u32>,
    /// Numbers of the parts listed without an ETag (left out of `parts`).
    pub unfinished: Vec<u32>,
}

/// Reads a `ListPartsResult` document.
pub fn parse_page(text: &str) -> Result<ListPartsPage, XmlError> {
    let doc = xml::parse(text)?;
    if doc.name != "ListPartsResult" {
        return Err(XmlError(format!(
            "expected <ListPartsResult>, got <{}>",
            doc.name
        )));
    }
    let number = |el: &xml::Element, name: &str| -> Result<u64, XmlError> {
        el.require(name)?
            .parse::<u64>()
            .map_err(|_| XmlError(format!("<{name}> is not a number")))
    };
    let mut parts = Vec::new();
    let mut unfinished = Vec::new();
    for p in doc.children_named("Part") {
        let n = number(p, "PartNumber")?;
        let n = u32::try_from(n).map_err(|_| XmlError(format!("part number {n} too large")))?;
        let size = number(p, "Size")?;
        let Some(etag) = p.text_of("ETag").filter(|e| !e.is_empty()) else {
            unfinished.push(n);
            continue;
        };
        parts.push(StorePart {
            number: n,
            size,
            etag: etag.to_owned(),
            sha256: p.text_of("ChecksumSHA256").map(str::to_owned),
        });
    }
    let truncated = doc.text_of("IsTruncated") == Some("true");
    let next_marker = if truncated {
        let m = number(&doc, "NextPartNumberMarker")?;
        Some(u32::try_from(m).map_err(|_| XmlError(format!("marker {m} too large")))?)
    } else {
        None
    };
    Ok(ListPartsPage {
        parts,
        next_marker,
        unfinished,
    })
}

/// Gathers every page that `fetch(marker)` gives, from the first (`None`),
/// sorted by part number. A marker that does not advance, or more pages than
/// 10,000 parts can fill, is an error rather than an endless loop.
pub async fn gather<F, Fut>(mut fetch: F) -> Result<Vec<StorePart>, StoreError>
where
    F: FnMut(Option<u32>) -> Fut,
    Fut: Future<Output = Result<ListPartsPage, StoreError>>,
{
    let mut parts: Vec<StorePart> = Vec::new();
    let mut marker: Option<u32> = None;
    let mut pages = 0u64;
    loop {
        let page = fetch(marker).await?;
        pages += 1;
        parts.extend(page.parts);
        match page.next_marker {
            None => break,
            Some(next) if next > marker.unwrap_or(0) && pages <= MAX_PARTS => {
                marker = Some(next);
            }
            Some(next) => {
                return Err(StoreError::BadXml {
                    operation: OP,
                    detail: format!("NextPartNumberMarker {next} does not advance"),
                })
            }
        }
    }
    parts.sort_by_key(|p| p.number);
    parts.dedup_by_key(|p| p.number);
    Ok(parts)
}

impl StoreClient {
    /// Every part of the store's upload `upload_id` of `key`, sorted.
    pub async fn list_parts(
        &self,
        key: &ObjectKey,
        upload_id: &str,
    ) -> Result<Vec<StorePart>, StoreError> {
        gather(|marker| page(self, key, upload_id, marker)).await
    }
}

/// The page of ListParts after part `marker`.
async fn page(
    client: &StoreClient,
    key: &ObjectKey,
    upload_id: &str,
    marker: Option<u32>,
) -> Result<ListPartsPage, StoreError> {
    let url = client.signer().await?.presign_list_parts(
        key,
        upload_id,
        marker,
        OWN_REQUEST_EXPIRY,
        Timestamp::now(),
    );
    let (status, body) = exchange(OP, client.http.get(url)).await?;
    if !status.is_success() {
        return Err(error_from(OP, status, &body));
    }
    let page = parse_page(&body).map_err(|e| StoreError::BadXml {
        operation: OP,
        detail: e.0,
    })?;
    if !page.unfinished.is_empty() {
        tracing::warn!(
            upload_id,
            parts = ?page.unfinished,
            "the store lists parts without an ETag (writes it did not finish); left out, to be sent again"
        );
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE_1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>uploads</Bucket><Key>users/dev/a.bin</Key><UploadId>u1</UploadId>
  <PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker>
  <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
  <Part><PartNumber>2</PartNumber><LastModified>2026-01-01T00:00:00.000Z</LastModified>
    <ETag>&quot;e2&quot;</ETag><Size>5242880</Size>
    <ChecksumSHA256>47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</ChecksumSHA256></Part>
  <Part><PartNumber>1</PartNumber><ETag>"e1"</ETag><Size>5242880</Size></Part>
</ListPartsResult>"#;

    const PAGE_2: &str = r#"<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IsTruncated>false</IsTruncated>
  <Part><PartNumber>3</PartNumber><ETag>"e3"</ETag><Size>17</Size></Part>
</ListPartsResult>"#;

    #[test]
    fn parses_a_truncated_page() {
        let page = parse_page(PAGE_1).expect("page");
        assert_eq!(page.next_marker, Some(2));
        assert_eq!(page.parts.len(), 2);
        assert_eq!(
            page.parts[0],
            StorePart {
                number: 2,
                size: 5_242_880,
                etag: "\"e2\"".into(),
                sha256: Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into()),
            }
        );
        assert_eq!(page.parts[1].sha256, None);
        let last = parse_page(PAGE_2).expect("page");
        assert_eq!(last.next_marker, None);
        let empty =
            parse_page("<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>")
                .expect("empty page");
        assert!(empty.parts.is_empty());
    }

    #[test]
    fn a_part_without_an_etag_is_left_out_as_unfinished() {
        let page = parse_page(
            "<ListPartsResult><IsTruncated>false</IsTruncated>\
             <Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag><Size>5</Size></Part>\
             <Part><PartNumber>2</PartNumber><Size>3</Size></Part>\
             <Part><PartNumber>3</PartNumber><ETag></ETag><Size>3</Size></Part>\
             </ListPartsResult>",
        )
        .expect("page");
        assert_eq!(page.parts.iter().map(|p| p.number).collect::<Vec<_>>(), [1]);
        assert_eq!(page.unfinished, [2, 3]);
    }

    #[test]
    fn refuses_bad_pages() {
        for bad in [
            "<Error><Code>NoSuchUpload</Code></Error>",
            "<ListPartsResult><Part><PartNumber>x</PartNumber><ETag>e</ETag><Size>1</Size></Part></ListPartsResult>",
            "<ListPartsResult><IsTruncated>true</IsTruncated></ListPartsResult>",
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

    #[test]
    fn gathers_every_page_sorted() {
        let mut asked = Vec::new();
        let parts = block_on(gather(|marker| {
            asked.push(marker);
            let text = if marker.is_none() { PAGE_1 } else { PAGE_2 };
            let page = parse_page(text).map_err(|e| StoreError::BadXml {
                operation: OP,
                detail: e.0,
            });
            async move { page }
        }))
        .expect("all pages");
        assert_eq!(asked, [None, Some(2)]);
        assert_eq!(
            parts.iter().map(|p| (p.number, p.size)).collect::<Vec<_>>(),
            [(1, 5_242_880), (2, 5_242_880), (3, 17)]
        );
    }

    #[test]
    fn a_marker_that_does_not_advance_stops() {
        let mut calls = 0;
        let result = block_on(gather(|_| {
            calls += 1;
            let page = parse_page(PAGE_1).map_err(|e| StoreError::BadXml {
                operation: OP,
                detail: e.0,
            });
            async move { page }
        }));
        assert!(
            matches!(result, Err(StoreError::BadXml { .. })),
            "{result:?}"
        );
        assert_eq!(calls, 2);
    }
}
