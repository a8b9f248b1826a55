//! Batches (optional: without them the client sends one request per file):
//! one outcome per file, in order, a refused file failing alone.

use crate::conformance::checks::{
    ok_json, put_headers, put_request, route_missing, sha256, test_bytes, text, Ctx, Verdict,
};
use crate::conformance::report::Outcome;
use serde_json::{json, Value};

/// `{"status", "error": {"code"}}` of a refused outcome, or why not.
fn refused(outcome: &Value) -> Option<(u64, &str)> {
    Some((
        outcome["status"].as_u64()?,
        outcome["error"]["code"].as_str()?,
    ))
}

/// get-upload-urls and files-uploaded.
pub async fn batches(ctx: &Ctx) -> Verdict {
    let (a, b) = (test_bytes(3000, 10), test_bytes(4000, 11));
    let bad = json!({"filename": "bad.bin", "file_type": "Not A File Type!"});
    let files =
        json!({"files": [put_request(ctx, "a.bin", &a), bad, put_request(ctx, "b.bin", &b)]});
    let answer = ctx.api.post("/api/get-upload-urls", &files).await?;
    if route_missing(&answer) {
        return Ok(Outcome::Absent(
            "no batch routes (the client sends one request per file)".into(),
        ));
    }
    let signed = ok_json(&answer, "get-upload-urls")?;
    let outcomes = signed["uploads"].as_array().cloned().unwrap_or_default();
    let [first, second, third] = &outcomes[..] else {
        return Ok(Outcome::Fail(format!(
            "get-upload-urls answered {} outcomes for 3 files",
            outcomes.len()
        )));
    };
    if refused(second).is_none_or(|(status, code)| status != 400 || code != "bad_request") {
        return Ok(Outcome::Fail(format!(
            "a bad file_type in a batch was not refused alone with 400 bad_request: {second}"
        )));
    }
    let mut keys = Vec::new();
    for (outcome, bytes) in [(first, &a), (third, &b)] {
        let ok = &outcome["ok"];
        let url = text(ok, "upload_url", "a batch outcome")?;
        let put = ctx.store.put(url, &put_headers(ok), bytes.clone()).await?;
        if !put.is_success() {
            return Ok(Outcome::Fail(format!(
                "the store refused a PUT signed in a batch: {}",
                put.describe()
            )));
        }
        keys.push((text(ok, "key", "a batch outcome")?.to_owned(), bytes));
    }
    confirm_in_batch(ctx, &keys).await
}

/// files-uploaded for `keys`, and one key outside the caller's prefix.
async fn confirm_in_batch(ctx: &Ctx, keys: &[(String, &Vec<u8>)]) -> Verdict {
    let mut files: Vec<Value> = keys
        .iter()
        .map(|(key, bytes)| json!({"key": key, "file_type": ctx.file_type, "size": bytes.len(), "sha256": sha256(bytes)}))
        .collect();
    files.push(
        json!({"key": "users/conformance-nobody/conformance/x.bin", "file_type": ctx.file_type}),
    );
    let answer = ctx
        .api
        .post("/api/files-uploaded", &json!({ "files": files }))
        .await?;
    if route_missing(&answer) {
        return Ok(Outcome::Fail(
            "get-upload-urls is offered but files-uploaded is not".into(),
        ));
    }
    let confirmed = ok_json(&answer, "files-uploaded")?;
    let outcomes = confirmed["uploads"].as_array().cloned().unwrap_or_default();
    if outcomes.len() != 3 {
        return Ok(Outcome::Fail(format!(
            "files-uploaded answered {} outcomes for 3 files",
            outcomes.len()
        )));
    }
    for ((key, bytes), outcome) in keys.iter().zip(&outcomes) {
        if outcome["ok"]["sha256"].as_str() != Some(sha256(bytes).as_str()) {
            return Ok(Outcome::Fail(format!(
                "files-uploaded did not confirm {key}: {outcome}"
            )));
        }
    }
    match refused(&outcomes[2]) {
        Some((404, "not_found")) => Ok(Outcome::Pass),
        _ => Ok(Outcome::Fail(format!(
            "a key outside the caller's prefix was not 404 not_found in files-uploaded: {}",
            outcomes[2]
        ))),
    }
}
