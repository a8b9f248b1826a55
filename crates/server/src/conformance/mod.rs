//! The conformance suite for signers: checks a signer at a URL against the
//! protocol (docs/protocol.md) through the real store it signs for, the
//! way the browser client uses it, and reports each check (`presign-server
//! conformance URL`). For teams writing their own signer, and for ours.
//!
//! Each check uploads what it needs under the caller's prefix; the store
//! ends up holding a few small objects (at most 12 MiB in all) per run.

mod checks;
mod http;
mod report;

pub use report::{CheckResult, Outcome, Report};

use checks::{
    batches, errors, form, identity, metadata, multipart, ownership, single, Ctx, Verdict,
};
use http::{SignerApi, StoreHttp};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What to check and as whom.
#[derive(Debug, Clone)]
pub struct Target {
    /// The signer's base URL (its routes are under `/api`).
    pub url: String,
    /// The bearer token of the user the checks run as.
    pub token: Option<String>,
    /// A second user's token, for the checks that one user cannot reach
    /// another's objects.
    pub other_token: Option<String>,
    /// The `file_type` uploads use.
    pub file_type: String,
    /// A metadata name the signer takes for `file_type`, and a value.
    pub metadata: Option<(String, String)>,
}

type Check = for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = Verdict> + Send + 'a>>;

/// Every check: its name, what it checks, and the check.
const CHECKS: [(&str, &str, Check); 12] = [
    (
        "single-put",
        "a signed PUT stores the file; file-uploaded reports its size and SHA-256",
        |c| Box::pin(single::put_and_confirm(c)),
    ),
    (
        "put-binds-checksum",
        "a PUT URL refuses other bytes than the SHA-256 it was signed for",
        |c| Box::pin(single::put_binds_checksum(c)),
    ),
    (
        "download",
        "download-url gives the bytes back, as an attachment",
        |c| Box::pin(single::download(c)),
    ),
    (
        "batches",
        "get-upload-urls and files-uploaded: one outcome per file, in order",
        |c| Box::pin(batches::batches(c)),
    ),
    (
        "post-form",
        "a POST form stores the file and refuses other bytes",
        |c| Box::pin(form::post_form(c)),
    ),
    (
        "multipart",
        "create, part URLs, parts, complete with the composite checksum, the object",
        |c| Box::pin(multipart::upload_in_parts(c)),
    ),
    (
        "part-urls-bind-checksum",
        "a part URL refuses other bytes than the part's SHA-256",
        |c| Box::pin(multipart::part_urls_bind_checksum(c)),
    ),
    (
        "multipart-abort",
        "abort answers 2xx and the upload is gone",
        |c| Box::pin(multipart::abort(c)),
    ),
    (
        "error-shape",
        "bad requests answer 4xx {\"error\": {\"code\", \"message\"}}",
        |c| Box::pin(errors::error_shape(c)),
    ),
    (
        "bad-token",
        "a forged or missing token is 401 unauthorized",
        |c| Box::pin(identity::bad_tokens(c)),
    ),
    (
        "other-users-keys",
        "another user's keys and uploads are 404 for the caller",
        |c| Box::pin(ownership::other_users_keys(c)),
    ),
    (
        "metadata",
        "metadata is stored as x-amz-meta-*; an unlisted name is a 400 naming it",
        |c| Box::pin(metadata::metadata(c)),
    ),
];

/// Runs every check against `target`, one after another.
pub async fn run(target: &Target) -> Report {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap_or_default();
    let api = SignerApi::new(client.clone(), &target.url, target.token.clone());
    // A fresh connection per store request: a store that refuses bytes
    // before reading them may hang up, and a pooled connection it closed
    // would fail the next request, which the checks would blame on the
    // signer.
    let store_client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap_or_default();
    let ctx = Ctx {
        other: target
            .other_token
            .as_deref()
            .map(|t| api.with_token(Some(t))),
        api,
        store: StoreHttp::new(store_client),
        file_type: target.file_type.clone(),
        metadata: target.metadata.clone(),
        with_token: target.token.is_some(),
    };
    let mut report = Report::default();
    for (name, about, check) in CHECKS {
        let outcome = check(&ctx).await.unwrap_or_else(Outcome::Fail);
        report.results.push(CheckResult {
            name,
            about,
            outcome,
        });
    }
    report
}
