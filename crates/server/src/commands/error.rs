//! Why a subcommand failed, and the exit code that says so.

use crate::config::ConfigError;
use crate::db::DbError;
use crate::s3::bucket_cors_rule::BucketCorsError;
use crate::s3::store_client::StoreError;
use crate::server::store::StoreSetupError;
use std::process::ExitCode;

/// Why a subcommand failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Cors(#[from] BucketCorsError),
    #[error("cannot reach the store: {0}")]
    StoreSetup(#[from] StoreSetupError),
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    #[error("cannot open the database: {0}")]
    Db(#[from] DbError),
    /// Refused before doing anything (a wrong argument).
    #[error("{0}")]
    Refused(String),
    /// Done, but the outcome is not the one wanted.
    #[error("{0}")]
    Failed(String),
}

impl CommandError {
    /// 2 for a usage or configuration mistake, 1 for a failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CommandError::Config(_) | CommandError::Cors(_) | CommandError::Refused(_) => {
                ExitCode::from(2)
            }
            _ => ExitCode::FAILURE,
        }
    }
}
