//! The error shape: malformed requests and unknown uploads answer a 4xx
//! with `{"error": {"code", "message"}}`, never a 5xx or a page.

use crate::conformance::checks::{expect_error, Ctx, Verdict};
use crate::conformance::report::Outcome;
use serde_json::json;

pub async fn error_shape(ctx: &Ctx) -> Verdict {
    let cases = [
        (
            ctx.api
                .post("/api/get-upload-url", &json!({"filename": "a.bin"}))
                .await?,
            400,
            "bad_request",
            "get-upload-url without file_type",
        ),
        (
            ctx.api
                .post(
                    "/api/get-upload-url",
                    &json!({"filename": "a.bin", "file_type": ctx.file_type, "colour": "red"}),
                )
                .await?,
            400,
            "bad_request",
            "get-upload-url with an unknown field",
        ),
        (
            ctx.api
                .post_raw("/api/get-upload-url", "{not json".into())
                .await?,
            400,
            "bad_request",
            "get-upload-url with a body that is not JSON",
        ),
        (
            ctx.api
                .get("/api/multipart/conformance-no-such-upload/parts")
                .await?,
            404,
            "not_found",
            "parts of an upload that does not exist",
        ),
    ];
    for (answer, status, code, what) in cases {
        if let Err(why) = expect_error(&answer, status, code, what) {
            return Ok(Outcome::Fail(why));
        }
    }
    Ok(Outcome::Pass)
}
