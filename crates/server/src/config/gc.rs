//! The stale-upload collector of a running server ([`crate::domain::gc`]):
//! `--gc-interval` (0: off) and `--gc-older-than`, else their environment
//! variables, else 1 h and 24 h.

use super::error::ConfigError;
use super::sources::Env;
use crate::cli::Cli;
use crate::domain::gc::{GcSettings, DEFAULT_INTERVAL, DEFAULT_OLDER_THAN};
use crate::duration_text;
use std::time::Duration;

/// The collector's interval and age.
pub fn resolve(cli: &Cli, env: &Env<'_>) -> Result<GcSettings, ConfigError> {
    let duration = |flag: Option<Duration>, name: &'static str, default: Duration| {
        let read = |text: String| {
            duration_text::parse(&text)
                .map_err(|message| ConfigError::BadDuration { name, message })
        };
        Ok::<_, ConfigError>(env.layer_with(flag, name, read, None)?.unwrap_or(default))
    };
    let interval = duration(cli.gc_interval, "PRESIGN_GC_INTERVAL", DEFAULT_INTERVAL)?;
    let older_than = duration(
        cli.gc_older_than,
        "PRESIGN_GC_OLDER_THAN",
        DEFAULT_OLDER_THAN,
    )?;
    if older_than.is_zero() {
        return Err(ConfigError::ZeroGcAge);
    }
    Ok(GcSettings {
        interval: Some(interval).filter(|i| !i.is_zero()),
        older_than,
    })
}
