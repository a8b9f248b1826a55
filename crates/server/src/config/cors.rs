//! Which browser origins may call the API (`--dev`: loopback pages and
//! `--allow-origin`'s; else `--allow-origin`'s; else none but the server's
//! own page), and so which origins the bucket CORS rule allows
//! (`presign-server cors`).

use super::error::ConfigError;
use crate::cli::Cli;
use http::HeaderValue;
use url::Url;

/// Which browser origins may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiCors {
    /// No CORS headers: only the page served by this server may call it.
    SameOrigin,
    /// Pages on a loopback name (`localhost`, `127.0.0.1`, `[::1]`; http
    /// or https, any port), and these origins (--dev).
    LoopbackAnd(Vec<HeaderValue>),
    /// These origins.
    Origins(Vec<HeaderValue>),
}

impl ApiCors {
    /// Which origins may call the API (and upload to the bucket: `cors print`).
    pub fn resolve(cli: &Cli) -> Result<Self, ConfigError> {
        let origins = parse_origins(&cli.allow_origin)?;
        Ok(if cli.dev {
            ApiCors::LoopbackAnd(origins)
        } else if origins.is_empty() {
            ApiCors::SameOrigin
        } else {
            ApiCors::Origins(origins)
        })
    }

    /// The origins a bucket CORS rule must allow for pages calling this API
    /// to upload straight to the store: `*` in development mode (a bucket
    /// rule cannot say "any port of localhost" on every store), none for
    /// the server's own page only (`cors print` refuses that).
    pub fn bucket_origins(&self) -> Vec<String> {
        match self {
            ApiCors::SameOrigin => Vec::new(),
            ApiCors::LoopbackAnd(_) => vec!["*".to_owned()],
            ApiCors::Origins(list) => list
                .iter()
                .filter_map(|o| o.to_str().ok().map(str::to_owned))
                .collect(),
        }
    }
}

/// `--allow-origin`'s values, each checked.
pub fn parse_origins(list: &[String]) -> Result<Vec<HeaderValue>, ConfigError> {
    list.iter().map(|o| parse_origin(o)).collect()
}

fn parse_origin(text: &str) -> Result<HeaderValue, ConfigError> {
    let bad = || ConfigError::BadOrigin(text.to_owned());
    let origin = text.trim().trim_end_matches('/');
    let url = Url::parse(origin).map_err(|_| bad())?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.username().is_empty()
        && !origin.ends_with(':');
    if !ok {
        return Err(bad());
    }
    HeaderValue::from_str(origin).map_err(|_| bad())
}
