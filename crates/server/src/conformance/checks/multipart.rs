//! Multipart uploads: create, part URLs bound to each part's SHA-256, the
//! parts listed, complete with the composite checksum, the object byte for
//! byte; abort.

use crate::conformance::checks::{
    error_body, ok_json, put_headers, sha256, takes_other_bytes, test_bytes, text, Ctx, Verdict,
};
use crate::conformance::report::Outcome;
use presign_core::protocol::query::encode_component;
use presign_core::s3::composite_checksum::composite;
use presign_core::Sha256Digest;
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;

/// A created upload: its id, key and part size.
pub struct Created {
    pub id: String,
    pub key: String,
    pub part_size: usize,
}

/// `POST /api/multipart` for `size` bytes (5 MiB parts), as `api`.
pub async fn create(
    ctx: &Ctx,
    api: &crate::conformance::http::SignerApi,
    size: usize,
) -> Result<Created, String> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let request = json!({
        "filename": "parts.bin", "file_type": ctx.file_type, "content_type": "application/octet-stream",
        "size": size, "part_size": 5 * MIB, "client_token": token,
    });
    let created = ok_json(
        &api.post("/api/multipart", &request).await?,
        "multipart create",
    )?;
    let part_size = created["part_size"]
        .as_u64()
        .ok_or_else(|| format!("multipart create: no part_size in {created}"))?
        as usize;
    Ok(Created {
        id: text(&created, "upload_id", "multipart create")?.to_owned(),
        key: text(&created, "key", "multipart create")?.to_owned(),
        part_size,
    })
}

pub fn path(id: &str, rest: &str) -> String {
    format!("/api/multipart/{}{rest}", encode_component(id))
}

/// Part URLs for `parts` (number, bytes): each URL and its headers.
async fn part_urls(
    ctx: &Ctx,
    id: &str,
    parts: &[(u32, &[u8])],
) -> Result<Vec<(String, Vec<(String, String)>)>, String> {
    let wanted: Vec<Value> = parts
        .iter()
        .map(|(n, bytes)| json!({"number": n, "size": bytes.len(), "sha256": sha256(bytes)}))
        .collect();
    let answer = ok_json(
        &ctx.api
            .post(&path(id, "/part-urls"), &json!({ "parts": wanted }))
            .await?,
        "part-urls",
    )?;
    let urls = answer["urls"].as_array().cloned().unwrap_or_default();
    parts
        .iter()
        .map(|(n, _)| {
            let url = urls
                .iter()
                .find(|u| u["number"].as_u64() == Some(u64::from(*n)))
                .ok_or_else(|| format!("part-urls gave no URL for part {n}: {answer}"))?;
            Ok((text(url, "url", "part-urls")?.to_owned(), put_headers(url)))
        })
        .collect()
}

/// The whole flow, and the object read back.
pub async fn upload_in_parts(ctx: &Ctx) -> Verdict {
    let bytes = test_bytes(11 * MIB + 123, 30);
    let created = create(ctx, &ctx.api, bytes.len()).await?;
    let parts: Vec<(u32, &[u8])> = bytes
        .chunks(created.part_size)
        .zip(1..)
        .map(|(c, n)| (n, c))
        .collect();
    let urls = part_urls(ctx, &created.id, &parts).await?;
    let mut completed = Vec::new();
    for ((number, part), (url, headers)) in parts.iter().zip(&urls) {
        let put = ctx.store.put(url, headers, part.to_vec()).await?;
        let etag = put.header("etag").map(str::to_owned);
        match (put.is_success(), etag) {
            (true, Some(etag)) => {
                completed.push(json!({"number": number, "etag": etag, "sha256": sha256(part)}))
            }
            _ => return Ok(Outcome::Fail(format!("part {number}: {}", put.describe()))),
        }
    }
    if let Some(fail) = listed_wrong(ctx, &created.id, &parts).await? {
        return Ok(Outcome::Fail(fail));
    }
    let done = ok_json(
        &ctx.api
            .post(
                &path(&created.id, "/complete"),
                &json!({ "parts": completed }),
            )
            .await?,
        "complete",
    )?;
    let digests: Vec<Sha256Digest> = parts.iter().map(|(_, p)| Sha256Digest::of(p)).collect();
    let composite = composite(&digests);
    match done["checksum_sha256"].as_str() {
        Some(c) if c == composite || c == sha256(&bytes) => {}
        other => {
            return Ok(Outcome::Fail(format!(
                "complete answered checksum_sha256 {other:?}; the parts' composite is {composite}"
            )))
        }
    }
    if done["size"].as_u64() != Some(bytes.len() as u64) {
        return Ok(Outcome::Fail(format!(
            "complete answered size {} for {} bytes",
            done["size"],
            bytes.len()
        )));
    }
    read_back(ctx, &created.key, &bytes).await
}

/// What the parts listing gets wrong, if anything.
async fn listed_wrong(
    ctx: &Ctx,
    id: &str,
    parts: &[(u32, &[u8])],
) -> Result<Option<String>, String> {
    let listed = ok_json(&ctx.api.get(&path(id, "/parts")).await?, "parts")?;
    let got = listed["parts"].as_array().cloned().unwrap_or_default();
    for (number, bytes) in parts {
        let part = got
            .iter()
            .find(|p| p["number"].as_u64() == Some(u64::from(*number)));
        let Some(part) = part else {
            return Ok(Some(format!("parts does not list part {number}: {listed}")));
        };
        let sha_ok = part["sha256"].as_str().is_none_or(|s| s == sha256(bytes));
        if part["size"].as_u64() != Some(bytes.len() as u64) || !sha_ok {
            return Ok(Some(format!("parts lists part {number} as {part}")));
        }
    }
    Ok(None)
}

/// The stored object, through download-url, is `bytes`.
async fn read_back(ctx: &Ctx, key: &str, bytes: &[u8]) -> Verdict {
    let link = ctx
        .api
        .get(&format!("/api/download-url?key={}", encode_component(key)))
        .await?;
    if !link.is_success() {
        return Ok(Outcome::Pass); // download-url is optional; its own check says so
    }
    let link = ok_json(&link, "download-url")?;
    let got = ctx.store.get(text(&link, "url", "download-url")?).await?;
    if sha256(&got.body) != sha256(bytes) {
        return Ok(Outcome::Fail(format!(
            "the assembled object is not the bytes sent ({} bytes read)",
            got.body.len()
        )));
    }
    Ok(Outcome::Pass)
}

/// A part URL refuses other bytes of the part's size.
pub async fn part_urls_bind_checksum(ctx: &Ctx) -> Verdict {
    let part = test_bytes(MIB, 31);
    let created = create(ctx, &ctx.api, part.len()).await?;
    let urls = part_urls(ctx, &created.id, &[(1, &part)]).await?;
    let (url, headers) = &urls[0];
    let other = test_bytes(MIB, 32);
    let verdict = match takes_other_bytes(&ctx.store, url, headers, &other).await? {
        Some(how) => Outcome::Fail(format!(
            "the store took other bytes ({how}) at a part URL: part URLs do not sign the part's x-amz-checksum-sha256"
        )),
        None => {
            let right = ctx.store.put(url, headers, part).await?;
            match right.is_success() {
                true => Outcome::Pass,
                false => Outcome::Fail(format!(
                    "the part's own bytes were then refused: {}",
                    right.describe()
                )),
            }
        }
    };
    ctx.api.delete(&path(&created.id, "")).await?;
    Ok(verdict)
}

/// Abort answers 2xx, and the upload is gone after.
pub async fn abort(ctx: &Ctx) -> Verdict {
    let created = create(ctx, &ctx.api, MIB).await?;
    let aborted = ctx.api.delete(&path(&created.id, "")).await?;
    if !aborted.is_success() {
        return Ok(Outcome::Fail(format!(
            "abort answered {}",
            aborted.describe()
        )));
    }
    let listed = ctx.api.get(&path(&created.id, "/parts")).await?;
    match (listed.status, error_body(&listed)) {
        (404, Ok((code, _))) if code == "not_found" => Ok(Outcome::Pass),
        _ => Ok(Outcome::Fail(format!(
            "after abort, parts answered {}",
            listed.describe()
        ))),
    }
}
