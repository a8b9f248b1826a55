//! Metadata: a name the signer takes is stored as `x-amz-meta-{name}`
//! (read back from the object); a name it does not take is a 400 naming it.

use crate::conformance::checks::{
    error_body, ok_json, put_headers, put_request, test_bytes, text, Ctx, Verdict,
};
use crate::conformance::report::Outcome;
use presign_core::protocol::query::encode_component;
use serde_json::json;

const REFUSED_NAME: &str = "conformance-unlisted-name";

pub async fn metadata(ctx: &Ctx) -> Verdict {
    let Some((name, value)) = &ctx.metadata else {
        return Ok(Outcome::Skipped(
            "give --metadata NAME=VALUE with a name the signer takes".into(),
        ));
    };
    let bytes = test_bytes(3000, 60);
    let mut request = put_request(ctx, "meta.bin", &bytes);
    request["metadata"] = json!({ name.as_str(): value });
    let signed = ok_json(
        &ctx.api.post("/api/get-upload-url", &request).await?,
        "get-upload-url with metadata",
    )?;
    let put = ctx
        .store
        .put(
            text(&signed, "upload_url", "get-upload-url")?,
            &put_headers(&signed),
            bytes,
        )
        .await?;
    if !put.is_success() {
        return Ok(Outcome::Fail(format!(
            "the PUT with metadata: {}",
            put.describe()
        )));
    }
    let key = text(&signed, "key", "get-upload-url")?;
    let link = ok_json(
        &ctx.api
            .get(&format!("/api/download-url?key={}", encode_component(key)))
            .await?,
        "download-url",
    )?;
    let got = ctx.store.get(text(&link, "url", "download-url")?).await?;
    let header = format!("x-amz-meta-{name}");
    if got.header(&header) != Some(value.as_str()) {
        return Ok(Outcome::Fail(format!(
            "the object has {header}: {:?}, not {value:?}",
            got.header(&header)
        )));
    }
    request["metadata"] = json!({ REFUSED_NAME: "1" });
    let refused = ctx.api.post("/api/get-upload-url", &request).await?;
    match (refused.status, error_body(&refused)) {
        (400, Ok((_, message))) if message.contains(REFUSED_NAME) => Ok(Outcome::Pass),
        _ => Ok(Outcome::Fail(format!(
            "a metadata name the signer does not list was not a 400 naming it: {}",
            refused.describe()
        ))),
    }
}
