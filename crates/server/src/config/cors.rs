//! Which browser origins may call the API (`--dev`: any; `--allow-origin`:
//! those; else none but the server's own page), and so which origins the
//! bucket CORS rule allows (`presign-server cors`).

use super::error::ConfigError;
use crate::cli::Cli;
use http::HeaderValue;
use url::Url;

/// Which browser origins may call the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiCors {
    /// No CORS headers: only the page served by this server may call it.
    SameOrigin,
    /// Any origin (--dev).
    AnyOrigin,
    /// These origins.
    Origins(Vec<HeaderValue>),
}

impl ApiCors {
    /// Which origins may call the API (and upload to the bucket: `cors print`).
    pub fn resolve(cli: &Cli) -> Result<Self, ConfigError> {
        Ok(if cli.dev {
            ApiCors::AnyOrigin
        } else if cli.allow_origin.is_empty() {
            ApiCors::SameOrigin
        } else {
            let origins = cli.allow_origin.iter().map(|o| parse_origin(o));
            ApiCors::Origins(origins.collect::<Result<_, _>>()?)
        })
    }

    /// The origins a bucket CORS rule must allow for pages calling this API
    /// to upload straight to the store: `*` for any, none for the server's
    /// own page only (`cors print` refuses that).
    pub fn bucket_origins(&self) -> Vec<String> {
        match self {
            ApiCors::SameOrigin => Vec::new(),
            ApiCors::AnyOrigin => vec!["*".to_owned()],
            ApiCors::Origins(list) => list
                .iter()
                .filter_map(|o| o.to_str().ok().map(str::to_owned))
                .collect(),
        }
    }
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
