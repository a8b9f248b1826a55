//! Identity: a signer that takes tokens refuses a forged or missing one
//! with 401 `unauthorized`.

use crate::conformance::checks::{expect_error, put_request, test_bytes, Ctx, Verdict};
use crate::conformance::report::Outcome;

pub async fn bad_tokens(ctx: &Ctx) -> Verdict {
    if !ctx.with_token {
        return Ok(Outcome::Skipped(
            "give --token for a signer that checks tokens".into(),
        ));
    }
    let request = put_request(ctx, "a.bin", &test_bytes(10, 40));
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl";
    for (token, what) in [(Some(forged), "a forged token"), (None, "no token")] {
        let answer = ctx
            .api
            .with_token(token)
            .post("/api/get-upload-url", &request)
            .await?;
        if let Err(why) = expect_error(&answer, 401, "unauthorized", what) {
            return Ok(Outcome::Fail(why));
        }
    }
    Ok(Outcome::Pass)
}
