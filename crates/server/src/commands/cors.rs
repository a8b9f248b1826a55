//! `presign-server cors print` and `cors apply`: the bucket CORS rule of
//! [`crate::s3::bucket_cors_rule`] for the configured origins (and the
//! metadata names the policy takes), printed as JSON, or set on the bucket
//! and read back.

use super::error::CommandError;
use crate::cli::{Cli, CorsCommand};
use crate::config::{resolve_policy, ApiCors, StoreConfig, StoreTarget};
use crate::s3::bucket_cors_rule::{CorsConfiguration, CorsRule};
use crate::s3::store_client::StoreClient;
use crate::server::store;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(
    which: CorsCommand,
    cli: &Cli,
    env: impl Fn(&str) -> Option<String>,
    out: &mut impl std::io::Write,
) -> Result<ExitCode, CommandError> {
    let policy = resolve_policy(cli, &env)?;
    let rule = CorsRule::for_origins(ApiCors::resolve(cli)?.bucket_origins())?
        .with_metadata(policy.all_metadata_names());
    let text = match which {
        CorsCommand::Print => CorsConfiguration { rules: vec![rule] }.to_json(),
        CorsCommand::Apply => apply(rule, cli, env).await?,
    };
    writeln!(out, "{text}").map_err(|e| CommandError::Failed(format!("cannot write: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Puts `rule` in place of this server's previous one, keeps the bucket's
/// other rules, and checks that the store answers it back.
async fn apply(
    rule: CorsRule,
    cli: &Cli,
    env: impl Fn(&str) -> Option<String>,
) -> Result<String, CommandError> {
    let settings = StoreTarget::resolve(cli, env)?;
    if matches!(settings.store, StoreConfig::Embedded { .. }) {
        return Err(CommandError::Refused(
            "cors apply sets a real bucket's CORS: run it with the AWS_* environment of your store (without --dev, or with --dev --store s3 for any origin); the embedded store answers CORS itself".into(),
        ));
    }
    let (_embedded, signer) = store::connect(&settings.store, &settings.bucket).await?;
    let store = StoreClient::new(Arc::new(signer))?;
    let before = store.get_bucket_cors().await?;
    let wanted = before.with_rule(rule.clone());
    store.put_bucket_cors(&wanted).await?;
    let after = store.get_bucket_cors().await?;
    if !after.contains(&rule) {
        return Err(CommandError::Failed(format!(
            "the store accepted PutBucketCors but GetBucketCors does not show the rule; it answers:\n{}",
            after.to_json()
        )));
    }
    tracing::info!(bucket = %settings.bucket, rules = after.rules.len(), "bucket CORS applied and read back");
    Ok(format!(
        "cors: applied to bucket {} and read back ({} rule(s)):\n{}",
        settings.bucket,
        after.rules.len(),
        after.to_json()
    ))
}
