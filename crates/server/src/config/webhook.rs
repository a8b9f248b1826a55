//! The webhook ([`crate::domain::webhook`]): its URL and secret from flags
//! or environment (both, or neither), and its retry schedule.

use super::error::ConfigError;
use super::sources::{http_url, non_blank, Env};
use crate::cli::Cli;
use crate::domain::webhook::{WebhookConfig, WebhookRetry};
use crate::secret::Secret;
use std::time::Duration;

/// The webhook, when a URL and a secret are set.
pub fn resolve(cli: &Cli, env: &Env<'_>) -> Result<Option<WebhookConfig>, ConfigError> {
    let url = env.layer_with(
        non_blank(cli.webhook_url.clone()),
        "PRESIGN_WEBHOOK_URL",
        Ok,
        None,
    )?;
    let secret = env.layer_with(
        cli.webhook_secret
            .clone()
            .filter(|s| !s.expose().is_empty()),
        "PRESIGN_WEBHOOK_SECRET",
        |text| Ok(Secret::new(text)),
        None,
    )?;
    let (url, secret) = match (url, secret) {
        (None, None) => return Ok(None),
        (Some(url), Some(secret)) => (url, secret),
        _ => return Err(ConfigError::WebhookIncomplete),
    };
    let url = http_url(&url).ok_or_else(|| ConfigError::BadWebhookUrl(url.clone()))?;
    if cli.webhook_max_attempts == 0 {
        return Err(ConfigError::BadWebhookAttempts);
    }
    let defaults = WebhookRetry::default();
    Ok(Some(WebhookConfig {
        url,
        secret,
        retry: WebhookRetry {
            first_delay: Duration::from_millis(cli.webhook_retry_ms),
            max_attempts: cli.webhook_max_attempts,
            ..defaults
        },
    }))
}
