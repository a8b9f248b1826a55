//! Another user's objects and uploads do not exist for the caller: 404,
//! never 403 (so keys cannot be probed), and nothing happens to them.

use crate::conformance::checks::multipart::{create, path};
use crate::conformance::checks::{expect_error, sha256, test_bytes, upload_small, Ctx, Verdict};
use crate::conformance::report::Outcome;
use presign_core::protocol::query::encode_component;
use serde_json::json;

pub async fn other_users_keys(ctx: &Ctx) -> Verdict {
    let Some(other) = &ctx.other else {
        return Ok(Outcome::Skipped(
            "give --other-token, a second user's token".into(),
        ));
    };
    let bytes = test_bytes(1000, 50);
    let (key, _) = upload_small(ctx, other, "theirs.bin", &bytes).await?;
    let upload = create(ctx, other, 1024 * 1024).await?;
    let one_part = json!({"parts": [{"number": 1, "size": 1024 * 1024, "sha256": sha256(&test_bytes(1024 * 1024, 51))}]});
    let confirm = json!({"key": key, "file_type": ctx.file_type});
    let me = &ctx.api;
    let attempts = [
        (
            me.get(&format!("/api/download-url?key={}", encode_component(&key)))
                .await?,
            "download-url of another user's key",
        ),
        (
            me.post("/api/file-uploaded", &confirm).await?,
            "file-uploaded of another user's key",
        ),
        (
            me.post(&path(&upload.id, "/part-urls"), &one_part).await?,
            "part-urls of another user's upload",
        ),
        (
            me.get(&path(&upload.id, "/parts")).await?,
            "parts of another user's upload",
        ),
        (
            me.post(&path(&upload.id, "/complete"), &json!({"parts": []}))
                .await?,
            "complete of another user's upload",
        ),
        (
            me.delete(&path(&upload.id, "")).await?,
            "abort of another user's upload",
        ),
    ];
    let mut verdict = Outcome::Pass;
    for (answer, what) in attempts {
        if let Err(why) = expect_error(&answer, 404, "not_found", what) {
            verdict = Outcome::Fail(why);
            break;
        }
    }
    // Still theirs: they can abort it.
    let aborted = other.delete(&path(&upload.id, "")).await?;
    if verdict == Outcome::Pass && !aborted.is_success() {
        verdict = Outcome::Fail(format!(
            "after another user's abort attempt the owner's abort answered {}",
            aborted.describe()
        ));
    }
    Ok(verdict)
}
