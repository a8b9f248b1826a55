//! How long one request may take and how many are handled at once
//! (`--request-timeout`, `--max-concurrent-requests`, else their
//! environment variables, else 60 s and 1,024).

use super::error::ConfigError;
use super::sources::Env;
use crate::cli::Cli;
use crate::duration_text;
use std::time::Duration;

/// Default of `--request-timeout`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default of `--max-concurrent-requests`.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 1024;

/// The limits every request is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// From a request's arrival (its wait for a slot included) to its answer.
    pub timeout: Duration,
    /// Requests handled at once; the others wait for a slot.
    pub max_concurrent: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_REQUEST_TIMEOUT,
            max_concurrent: DEFAULT_MAX_CONCURRENT_REQUESTS,
        }
    }
}

impl RequestLimits {
    pub fn resolve(cli: &Cli, env: &Env<'_>) -> Result<Self, ConfigError> {
        let name = "PRESIGN_REQUEST_TIMEOUT";
        let read = |text: String| {
            duration_text::parse(&text)
                .map_err(|message| ConfigError::BadDuration { name, message })
        };
        let timeout = env
            .layer_with(cli.request_timeout, name, read, None)?
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let max_concurrent = env
            .layer(
                cli.max_concurrent_requests,
                "PRESIGN_MAX_CONCURRENT_REQUESTS",
                "a whole number",
                None,
            )?
            .unwrap_or(DEFAULT_MAX_CONCURRENT_REQUESTS);
        if timeout.is_zero() {
            return Err(ConfigError::AtLeast(
                "--request-timeout (PRESIGN_REQUEST_TIMEOUT)",
                "more than 0",
            ));
        }
        if max_concurrent == 0 {
            return Err(ConfigError::AtLeast(
                "--max-concurrent-requests (PRESIGN_MAX_CONCURRENT_REQUESTS)",
                "at least 1",
            ));
        }
        Ok(Self {
            timeout,
            max_concurrent,
        })
    }
}
