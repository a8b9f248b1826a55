//! The subcommands of `presign-server` ([`crate::cli::Command`]): thin
//! shells that resolve the store settings, do one thing, print what they
//! did on stdout (logs go to stderr) and give the exit code.

mod conformance;
mod cors;
mod error;
mod gc;

pub use error::CommandError;

use crate::cli::{Cli, Command};
use crate::conformance::Target;
use std::process::ExitCode;

/// Runs `command` with the store flags of `cli` and the environment `env`;
/// its output goes to `out`.
pub async fn run(
    command: &Command,
    cli: &Cli,
    env: impl Fn(&str) -> Option<String>,
    out: &mut impl std::io::Write,
) -> Result<ExitCode, CommandError> {
    match command {
        Command::Gc { older_than } => gc::run(cli, *older_than, env, out).await,
        Command::Cors(which) => cors::run(*which, cli, env, out).await,
        Command::Conformance(args) => {
            let target = Target {
                url: args.url.clone(),
                token: args.token.clone(),
                other_token: args.other_token.clone(),
                file_type: args.file_type.clone(),
                metadata: args.metadata.clone(),
            };
            conformance::run(&target, out).await
        }
    }
}
