//! Who may reach the server: which `Host` names requests may carry
//! (`--allow-host`; always checked with `--dev`), and whether `--dev` may
//! listen on an address other machines reach (`--dev-allow-remote`).

use super::error::ConfigError;
use super::sources::Env;
use super::store::StoreConfig;
use crate::cli::Cli;
use crate::hosts::{is_loopback_host, HostPattern};
use std::net::SocketAddr;

/// Which `Host` names requests may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedHosts {
    /// Any (no check): production without `--allow-host`.
    Any,
    /// The loopback names (`localhost`, `127.0.0.1`, `[::1]`, any port)
    /// and these; other requests are refused.
    LoopbackAnd(Vec<HostPattern>),
}

impl AllowedHosts {
    /// `--allow-host`, else `PRESIGN_ALLOW_HOST` (comma separated): checked
    /// with `--dev` always, without it when some are given.
    pub fn resolve(cli: &Cli, env: &Env<'_>) -> Result<Self, ConfigError> {
        let flag = Some(cli.allow_host.clone()).filter(|list| !list.is_empty());
        let split = |text: String| Ok(text.split(',').map(str::to_owned).collect());
        let names: Vec<String> = env
            .layer_with(flag, "PRESIGN_ALLOW_HOST", split, None)?
            .unwrap_or_default();
        let patterns = names
            .iter()
            .filter(|name| !name.trim().is_empty())
            .map(|name| HostPattern::parse(name).ok_or_else(|| ConfigError::BadHost(name.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(if cli.dev || !patterns.is_empty() {
            AllowedHosts::LoopbackAnd(patterns)
        } else {
            AllowedHosts::Any
        })
    }

    /// Whether a request whose `Host` is `host` (`name[:port]`) may go on.
    pub fn allows(&self, host: &str) -> bool {
        match self {
            AllowedHosts::Any => true,
            AllowedHosts::LoopbackAnd(list) => {
                is_loopback_host(host) || list.iter().any(|pattern| pattern.matches(host))
            }
        }
    }
}

/// With `--dev`, the server and the embedded store listen on loopback
/// addresses only, unless `--dev-allow-remote` (or
/// `PRESIGN_DEV_ALLOW_REMOTE`) says otherwise.
pub fn check_dev_listen(
    cli: &Cli,
    env: &Env<'_>,
    listen: SocketAddr,
    store: &StoreConfig,
) -> Result<(), ConfigError> {
    let flag = cli.dev_allow_remote.then_some(true);
    let read = |text: String| match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(ConfigError::BadValue {
            name: "PRESIGN_DEV_ALLOW_REMOTE",
            what: "true or false",
            value: text,
        }),
    };
    let allowed = env
        .layer_with(flag, "PRESIGN_DEV_ALLOW_REMOTE", read, None)?
        .unwrap_or(false);
    if !cli.dev || allowed {
        return Ok(());
    }
    if !listen.ip().is_loopback() {
        return Err(ConfigError::DevRemote("--listen", listen));
    }
    match store {
        StoreConfig::Embedded { listen, .. } if !listen.ip().is_loopback() => {
            Err(ConfigError::DevRemote("--store-listen", *listen))
        }
        _ => Ok(()),
    }
}
