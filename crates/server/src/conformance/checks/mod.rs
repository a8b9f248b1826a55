//! The checks, one file per part of the protocol, and what they share: the
//! users, the store, test bytes, and reading the signer's answers. Each
//! check uploads what it needs itself, so one failure does not hide the
//! others.

pub mod batches;
pub mod errors;
pub mod form;
pub mod identity;
pub mod metadata;
pub mod multipart;
pub mod ownership;
pub mod single;

use crate::conformance::http::{Answer, SignerApi, StoreHttp};
use crate::conformance::report::Outcome;
use presign_core::Sha256Digest;
use serde_json::{json, Value};

/// What every check gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The signer, as the user of `--token`.
    pub api: SignerApi,
    /// The signer, as the user of `--other-token`.
    pub other: Option<SignerApi>,
    pub store: StoreHttp,
    pub file_type: String,
    /// A metadata name the signer takes for `file_type`, and a value.
    pub metadata: Option<(String, String)>,
    /// Whether the signer is called with a token (it then checks them).
    pub with_token: bool,
}

/// A check's verdict, or the failure that stopped it.
pub type Verdict = Result<Outcome, String>;

/// `len` bytes from `seed`, different for every seed.
pub fn test_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256Digest::of(bytes).to_base64()
}

/// The JSON of a 2xx answer, or why not.
pub fn ok_json(answer: &Answer, what: &str) -> Result<Value, String> {
    if !answer.is_success() {
        return Err(format!("{what} answered {}", answer.describe()));
    }
    answer
        .json()
        .ok_or_else(|| format!("{what} answered no JSON: {}", answer.describe()))
}

/// `value[name]` as a string, or why not.
pub fn text<'a>(value: &'a Value, name: &str, what: &str) -> Result<&'a str, String> {
    value[name]
        .as_str()
        .ok_or_else(|| format!("{what}: no string `{name}` in {value}"))
}

/// The headers a signed PUT must carry: its `headers`, or the design
/// note's `Content-Type: application/octet-stream` when it has none.
pub fn put_headers(signed: &Value) -> Vec<(String, String)> {
    match signed["headers"].as_object() {
        Some(map) => map
            .iter()
            .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned())))
            .collect(),
        None => vec![("content-type".into(), "application/octet-stream".into())],
    }
}

/// `headers` with `x-amz-checksum-sha256` set to `sha256` (added if absent).
pub fn with_checksum(headers: &[(String, String)], sha256: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| name != "x-amz-checksum-sha256")
        .cloned()
        .collect();
    out.push(("x-amz-checksum-sha256".into(), sha256.to_owned()));
    out
}

/// Whether the store takes `other` bytes at `url` signed for some others:
/// sent with the signed headers but their own checksum, and with no
/// checksum header at all (an attacker may do either). Which one it took.
pub async fn takes_other_bytes(
    store: &StoreHttp,
    url: &str,
    headers: &[(String, String)],
    other: &[u8],
) -> Result<Option<&'static str>, String> {
    let own_checksum = with_checksum(headers, &sha256(other));
    let no_checksum: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| {
            name != "x-amz-checksum-sha256" && name != "x-amz-sdk-checksum-algorithm"
        })
        .cloned()
        .collect();
    for (sent, how) in [
        (own_checksum, "with their own checksum"),
        (no_checksum, "without a checksum"),
    ] {
        // A store may refuse before reading the body and close the
        // connection: no answer is no 2xx, so the bytes were not taken (the
        // caller then PUTs the right bytes, which must succeed).
        if store
            .put(url, &sent, other.to_vec())
            .await
            .is_ok_and(|answer| answer.is_success())
        {
            return Ok(Some(how));
        }
    }
    Ok(None)
}

/// A get-upload-url request for `bytes`.
pub fn put_request(ctx: &Ctx, name: &str, bytes: &[u8]) -> Value {
    json!({
        "filename": name,
        "file_type": ctx.file_type,
        "content_type": "application/octet-stream",
        "size": bytes.len(),
        "sha256": sha256(bytes),
    })
}

/// Signs, PUTs and confirms `bytes` as `api`'s user: the key, and what
/// file-uploaded answered.
pub async fn upload_small(
    ctx: &Ctx,
    api: &SignerApi,
    name: &str,
    bytes: &[u8],
) -> Result<(String, Value), String> {
    let request = put_request(ctx, name, bytes);
    let signed = ok_json(
        &api.post("/api/get-upload-url", &request).await?,
        "get-upload-url",
    )?;
    let url = text(&signed, "upload_url", "get-upload-url")?;
    let put = ctx
        .store
        .put(url, &put_headers(&signed), bytes.to_vec())
        .await?;
    if !put.is_success() {
        return Err(format!(
            "the store refused the PUT it was signed for: {}",
            put.describe()
        ));
    }
    let key = text(&signed, "key", "get-upload-url")?.to_owned();
    let confirm = json!({"key": key, "file_type": ctx.file_type, "size": bytes.len(), "sha256": sha256(bytes)});
    let stored = ok_json(
        &api.post("/api/file-uploaded", &confirm).await?,
        "file-uploaded",
    )?;
    Ok((key, stored))
}

/// The signer's error body: `(code, message)`, or why it is not one.
pub fn error_body(answer: &Answer) -> Result<(String, String), String> {
    let body = answer
        .json()
        .ok_or_else(|| format!("an error without a JSON body: {}", answer.describe()))?;
    match (
        body["error"]["code"].as_str(),
        body["error"]["message"].as_str(),
    ) {
        (Some(code), Some(message)) if !message.is_empty() => {
            Ok((code.to_owned(), message.to_owned()))
        }
        _ => Err(format!(
            "not an error body {{\"error\": {{\"code\", \"message\"}}}}: {body}"
        )),
    }
}

/// Passes when `answer` is `status` with an error body of `code`.
pub fn expect_error(answer: &Answer, status: u16, code: &str, what: &str) -> Result<(), String> {
    if answer.status != status {
        return Err(format!(
            "{what}: expected {status} {code}, got {}",
            answer.describe()
        ));
    }
    let (got, _) = error_body(answer).map_err(|e| format!("{what}: {e}"))?;
    if got != code {
        return Err(format!("{what}: expected code {code}, got {got}"));
    }
    Ok(())
}

/// Whether an optional route is missing: a 404 or 405 to a well-formed
/// request (what the client takes as "no such route").
pub fn route_missing(answer: &Answer) -> bool {
    matches!(answer.status, 404 | 405)
}
