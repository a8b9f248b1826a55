//! POST forms (optional): the form stores the file it was signed for, and
//! its policy refuses other bytes.

use crate::conformance::checks::{ok_json, route_missing, sha256, test_bytes, text, Ctx, Verdict};
use crate::conformance::report::Outcome;
use serde_json::{json, Value};

/// The form's fields, in order.
fn fields(form: &Value) -> Vec<(String, String)> {
    form["fields"]
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

async fn sign(ctx: &Ctx, bytes: &[u8]) -> Result<Result<Value, Outcome>, String> {
    let request = json!({
        "filename": "form.txt", "file_type": ctx.file_type, "content_type": "text/plain",
        "size": bytes.len(), "sha256": sha256(bytes),
    });
    let answer = ctx.api.post("/api/get-upload-form", &request).await?;
    if route_missing(&answer) {
        return Ok(Err(Outcome::Absent(
            "no get-upload-form route (no POST uploads)".into(),
        )));
    }
    Ok(Ok(ok_json(&answer, "get-upload-form")?))
}

/// get-upload-form, the POST, file-uploaded; other bytes refused.
pub async fn post_form(ctx: &Ctx) -> Verdict {
    let bytes = test_bytes(2048, 20);
    let form = match sign(ctx, &bytes).await? {
        Ok(form) => form,
        Err(absent) => return Ok(absent),
    };
    let url = text(&form, "url", "get-upload-form")?;
    let other = test_bytes(2048, 21);
    let swapped = ctx
        .store
        .post_form(url, &fields(&form), other, "text/plain")
        .await?;
    if swapped.is_success() {
        return Ok(Outcome::Fail(
            "the form took other bytes than the SHA-256 it was signed for".into(),
        ));
    }
    let posted = ctx
        .store
        .post_form(url, &fields(&form), bytes.clone(), "text/plain")
        .await?;
    if !posted.is_success() {
        return Ok(Outcome::Fail(format!(
            "the store refused the form it was signed for: {}",
            posted.describe()
        )));
    }
    let key = text(&form, "key", "get-upload-form")?;
    let confirm = json!({"key": key, "file_type": ctx.file_type, "size": bytes.len(), "sha256": sha256(&bytes)});
    let stored = ok_json(
        &ctx.api.post("/api/file-uploaded", &confirm).await?,
        "file-uploaded",
    )?;
    if stored["sha256"].as_str() != Some(sha256(&bytes).as_str()) {
        return Ok(Outcome::Fail(format!(
            "file-uploaded after the form: {stored}"
        )));
    }
    Ok(Outcome::Pass)
}
