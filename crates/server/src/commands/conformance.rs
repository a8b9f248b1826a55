//! `presign-server conformance URL`: runs the conformance suite
//! ([`crate::conformance`]) against the signer at URL and prints its table;
//! exit code 1 when a check failed.

use crate::commands::CommandError;
use crate::conformance::{self, Target};
use crate::s3::store_client::install_crypto_provider;
use std::process::ExitCode;

pub async fn run(target: &Target, out: &mut impl std::io::Write) -> Result<ExitCode, CommandError> {
    install_crypto_provider();
    let report = conformance::run(target).await;
    writeln!(
        out,
        "conformance of the signer at {}\n\n{report}",
        target.url
    )
    .map_err(|e| CommandError::Failed(format!("cannot print the report: {e}")))?;
    let failed: Vec<&str> = report.failures().map(|r| r.name).collect();
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(CommandError::Failed(format!(
            "failed: {}",
            failed.join(", ")
        )))
    }
}
