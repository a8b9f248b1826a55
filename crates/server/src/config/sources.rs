//! Where a setting's value comes from, one rule for every setting: the
//! command-line flag, else the environment variable, else the `--config`
//! TOML file (for the settings it may hold), else the default.
//!
//! Resolving never reads the process environment itself: it goes through
//! [`Env`], a lookup function, so tests pass a map and `main` passes
//! `std::env`.

use super::error::ConfigError;
use std::str::FromStr;
use url::Url;

/// The environment, as configuration reads it: a variable set to nothing
/// but blanks counts as unset.
#[derive(Clone, Copy)]
pub struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl<'a> Env<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self(lookup)
    }

    /// `name`'s value, unless it is unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// A setting's value: `flag` when given, else the variable `name`
    /// read by `read`, else the file's value; `None` when none is set.
    pub fn layer_with<T>(
        &self,
        flag: Option<T>,
        name: &'static str,
        read: impl FnOnce(String) -> Result<T, ConfigError>,
        file: Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        if flag.is_some() {
            return Ok(flag);
        }
        match self.get(name) {
            Some(text) => read(text).map(Some),
            None => Ok(file),
        }
    }

    /// Like [`Env::layer_with`], the variable parsed (trimmed) as a `T`; a
    /// value that does not parse names the variable and `what` it must be.
    pub fn layer<T: FromStr>(
        &self,
        flag: Option<T>,
        name: &'static str,
        what: &'static str,
        file: Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        let read = |text: String| {
            text.trim().parse().map_err(|_| ConfigError::BadValue {
                name,
                what,
                value: text,
            })
        };
        self.layer_with(flag, name, read, file)
    }
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env")
    }
}

/// A text flag given as blanks counts as not given (the flags that name a
/// URL: a script may pass an empty variable through them).
pub fn non_blank(flag: Option<String>) -> Option<String> {
    flag.filter(|v| !v.trim().is_empty())
}

/// `text` as an http(s) URL with a host, and no query or credentials.
pub fn http_url(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.query().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    ok.then_some(url)
}
