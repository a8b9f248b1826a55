//! The per-user limits: requests per second and their burst
//! ([`crate::domain::rate_limit`]), and open multipart uploads; from flags,
//! environment and the file's `[limits]`.

use super::error::ConfigError;
use super::file::FileLimits;
use super::sources::Env;
use crate::cli::FileBackedArgs;
use crate::domain::rate_limit::RateLimit;
use crate::domain::upload_sessions::DEFAULT_MAX_OPEN_PER_USER;

/// The request rate limit, and the open uploads one user may hold.
pub fn resolve(
    args: &FileBackedArgs,
    env: &Env<'_>,
    file: &FileLimits,
) -> Result<(RateLimit, usize), ConfigError> {
    const WHOLE: &str = "a whole number";
    let defaults = RateLimit::default();
    let rate_limit = RateLimit {
        per_second: env
            .layer(
                args.rate_limit,
                "PRESIGN_RATE_LIMIT",
                WHOLE,
                file.rate_limit,
            )?
            .unwrap_or(defaults.per_second),
        burst: env
            .layer(
                args.rate_burst,
                "PRESIGN_RATE_BURST",
                WHOLE,
                file.rate_burst,
            )?
            .unwrap_or(defaults.burst),
    };
    let max_open_uploads = env
        .layer(
            args.max_open_uploads,
            "PRESIGN_MAX_OPEN_UPLOADS",
            WHOLE,
            file.max_open_uploads,
        )?
        .unwrap_or(DEFAULT_MAX_OPEN_PER_USER);
    Ok((rate_limit, max_open_uploads))
}
