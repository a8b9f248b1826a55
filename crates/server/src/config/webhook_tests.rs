//! Unit tests of the webhook and data-folder settings.

use super::*;
use clap::Parser as _;
use std::collections::HashMap;

fn resolve(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut argv = vec!["presign-server", "--dev"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("flags parse");
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::resolve(cli, |name| env.get(name).cloned())
}

#[test]
fn no_webhook_by_default_and_data_dir_in_every_mode() {
    let c = resolve(&[], &[]).expect("config");
    assert!(c.webhook.is_none());
    assert_eq!(c.data_dir, PathBuf::from("./.data"));
    let c = resolve(&["--data-dir", "/srv/presign"], &[]).expect("config");
    assert_eq!(c.data_dir, PathBuf::from("/srv/presign"));
}

#[test]
fn webhook_from_env_or_flags_flags_first() {
    let env = [
        ("PRESIGN_WEBHOOK_URL", "https://app.example.com/env"),
        ("PRESIGN_WEBHOOK_SECRET", "env-secret"),
    ];
    let hook = resolve(&[], &env)
        .expect("config")
        .webhook
        .expect("webhook");
    assert_eq!(hook.url.as_str(), "https://app.example.com/env");
    assert_eq!(hook.secret.expose(), "env-secret");
    assert_eq!(hook.retry.first_delay, Duration::from_secs(5));
    assert_eq!(hook.retry.max_attempts, 10);
    let args = [
        "--webhook-url",
        "http://127.0.0.1:9/flag",
        "--webhook-retry-ms",
        "50",
        "--webhook-max-attempts",
        "3",
    ];
    let c = resolve(&args, &env).expect("config");
    let hook = c.webhook.as_ref().expect("webhook");
    assert_eq!(hook.url.as_str(), "http://127.0.0.1:9/flag");
    assert_eq!(hook.secret.expose(), "env-secret");
    assert_eq!(hook.retry.first_delay, Duration::from_millis(50));
    assert_eq!(hook.retry.max_attempts, 3);
    assert!(!format!("{c:?}").contains("env-secret"), "Debug redacts");
}

#[test]
fn webhook_needs_url_and_secret_and_a_real_url() {
    for env in [
        &[("PRESIGN_WEBHOOK_URL", "https://app.example.com/h")][..],
        &[("PRESIGN_WEBHOOK_SECRET", "s")],
    ] {
        assert!(matches!(
            resolve(&[], env),
            Err(ConfigError::WebhookIncomplete)
        ));
    }
    let secret = ("PRESIGN_WEBHOOK_SECRET", "s");
    for bad in ["ftp://x/h", "not a url", "https://user:pw@x/h"] {
        assert!(
            matches!(
                resolve(&["--webhook-url", bad], &[secret]),
                Err(ConfigError::BadWebhookUrl(_))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        resolve(
            &[
                "--webhook-url",
                "https://x/h",
                "--webhook-max-attempts",
                "0"
            ],
            &[secret]
        ),
        Err(ConfigError::BadWebhookAttempts)
    ));
}
