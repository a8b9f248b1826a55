//! `presign-server gc --older-than 24h`: one collection of stale multipart
//! uploads ([`crate::domain::gc`]) against the configured store and database, each
//! abort printed (the uploads of creates that registered nothing too);
//! exit 1 when the store refused some (they are kept).

use super::error::CommandError;
use crate::cli::Cli;
use crate::config::resolve_database;
use crate::config::StoreTarget;
use crate::db::Database;
use crate::domain::gc;
use crate::domain::upload_sessions::{UploadSessions, DEFAULT_MAX_OPEN_PER_USER};
use crate::s3::store_client::StoreClient;
use crate::server::store;
use jiff::{SignedDuration, Timestamp};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(
    cli: &Cli,
    older_than: Duration,
    env: impl Fn(&str) -> Option<String>,
    out: &mut impl std::io::Write,
) -> Result<ExitCode, CommandError> {
    if older_than.is_zero() {
        return Err(CommandError::Refused(
            "--older-than must be more than 0 (it would abort uploads in progress)".into(),
        ));
    }
    let database_url = resolve_database(cli, &env)?;
    let settings = StoreTarget::resolve(cli, env)?;
    // Kept alive until the end: with --dev, the embedded store on the data folder.
    let (_embedded, signer) = store::connect(&settings.store, &settings.bucket).await?;
    let store = StoreClient::new(Arc::new(signer))?;
    let db = Database::open(&settings.data_dir, database_url.as_ref()).await?;
    let sessions = UploadSessions::new(db, DEFAULT_MAX_OPEN_PER_USER);
    let report = gc::collect(&sessions, &store, Timestamp::now(), older_than).await?;
    if report.skipped {
        return Err(CommandError::Refused(
            "another replica is collecting stale uploads now; try again later".into(),
        ));
    }
    let write = |out: &mut dyn std::io::Write, line: &str| {
        writeln!(out, "{line}").map_err(|e| CommandError::Failed(format!("cannot write: {e}")))
    };
    for aborted in &report.aborted {
        write(out, &aborted.to_string())?;
    }
    for orphan in &report.orphans {
        write(out, &orphan.to_string())?;
    }
    for failed in &report.failed {
        write(out, &failed.to_string())?;
    }
    for kept in &report.intents_kept {
        write(out, &kept.to_string())?;
    }
    let age = SignedDuration::try_from(older_than).unwrap_or(SignedDuration::MAX);
    write(
        out,
        &format!(
            "gc: {} stale multipart upload(s) aborted, {} kept (started more than {age:#} ago)",
            report.aborted.len() + report.orphans.len(),
            report.failed.len() + report.intents_kept.len()
        ),
    )?;
    Ok(
        if report.failed.is_empty() && report.intents_kept.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}
