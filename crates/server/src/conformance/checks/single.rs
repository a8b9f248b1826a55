//! Single PUTs: the signed URL stores exactly the bytes it was signed for
//! and refuses others; the confirmation reports what the store holds; the
//! download link gives the bytes back, as an attachment.

use crate::conformance::checks::{
    ok_json, put_headers, put_request, sha256, takes_other_bytes, test_bytes, text, upload_small,
    Ctx, Verdict,
};
use crate::conformance::report::Outcome;
use presign_core::protocol::query::encode_component;

/// get-upload-url, the PUT, file-uploaded.
pub async fn put_and_confirm(ctx: &Ctx) -> Verdict {
    let bytes = test_bytes(70_001, 1);
    let (_, stored) = upload_small(ctx, &ctx.api, "single.bin", &bytes).await?;
    let size = stored["size"].as_u64();
    let stored_sha = stored["sha256"].as_str();
    if size != Some(bytes.len() as u64) || stored_sha != Some(sha256(&bytes).as_str()) {
        return Ok(Outcome::Fail(format!(
            "file-uploaded reported size {size:?} and sha256 {stored_sha:?} for {} bytes of SHA-256 {}",
            bytes.len(),
            sha256(&bytes)
        )));
    }
    Ok(Outcome::Pass)
}

/// A PUT URL signed for some bytes refuses other bytes of the same size,
/// even with their own (correct) checksum header.
pub async fn put_binds_checksum(ctx: &Ctx) -> Verdict {
    let signed_for = test_bytes(4096, 2);
    let other = test_bytes(4096, 3);
    let signed = ok_json(
        &ctx.api
            .post(
                "/api/get-upload-url",
                &put_request(ctx, "bound.bin", &signed_for),
            )
            .await?,
        "get-upload-url",
    )?;
    let url = text(&signed, "upload_url", "get-upload-url")?;
    if let Some(how) = takes_other_bytes(&ctx.store, url, &put_headers(&signed), &other).await? {
        return Ok(Outcome::Fail(format!(
            "the store took other bytes ({how}) at a URL signed for a SHA-256: the URL does not sign x-amz-checksum-sha256"
        )));
    }
    let right = ctx
        .store
        .put(url, &put_headers(&signed), signed_for)
        .await?;
    if !right.is_success() {
        return Ok(Outcome::Fail(format!(
            "the bytes signed for were then refused: {}",
            right.describe()
        )));
    }
    Ok(Outcome::Pass)
}

/// download-url gives the caller's object back, byte for byte, as an
/// attachment (uploaded HTML must not render on the bucket's origin).
pub async fn download(ctx: &Ctx) -> Verdict {
    let bytes = test_bytes(5000, 4);
    let (key, _) = upload_small(ctx, &ctx.api, "download.bin", &bytes).await?;
    let path = format!("/api/download-url?key={}", encode_component(&key));
    let answer = ctx.api.get(&path).await?;
    if answer.status == 404 && crate::conformance::checks::error_body(&answer).is_err() {
        return Ok(Outcome::Absent("no download-url route".into()));
    }
    let link = ok_json(&answer, "download-url")?;
    let got = ctx.store.get(text(&link, "url", "download-url")?).await?;
    if !got.is_success() || sha256(&got.body) != sha256(&bytes) {
        return Ok(Outcome::Fail(format!(
            "the download link gave other bytes: {}",
            got.status
        )));
    }
    match got.header("content-disposition") {
        Some(d) if d.trim_start().to_ascii_lowercase().starts_with("attachment") => Ok(Outcome::Pass),
        other => Ok(Outcome::Fail(format!(
            "the download is not an attachment (Content-Disposition {other:?}): sign response-content-disposition"
        ))),
    }
}
