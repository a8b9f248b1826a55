//! The PostgreSQL connection URL of `--database-url` (`DATABASE_URL`),
//! checked when the configuration is resolved, so a malformed one stops
//! start-up naming the setting. Its password is never shown: `Debug`,
//! [`PostgresUrl::redacted`] and every refusal print `***` instead.

use std::fmt;
use url::Url;

/// A `postgres://` or `postgresql://` URL the client accepts.
#[derive(Clone)]
pub struct PostgresUrl {
    config: tokio_postgres::Config,
    redacted: String,
}

impl PostgresUrl {
    /// Parses `text`; the refusal says why, without the password.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = Url::parse(text.trim()).map_err(|e| {
            format!("is not a URL ({e}); expected postgres://USER:PASSWORD@HOST:5432/DATABASE")
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(format!(
                "must be a postgres:// or postgresql:// URL, got a {}: URL",
                url.scheme()
            ));
        }
        let mut shown = url.clone();
        if shown.password().is_some() {
            // Cannot fail: the URL has a host, since it has a password.
            let _ = shown.set_password(Some("***"));
        }
        let redacted = shown.to_string();
        let config: tokio_postgres::Config = text.trim().parse().map_err(|_| {
            format!("{redacted} is not a connection URL PostgreSQL's client accepts (check its port and its ?options)")
        })?;
        if config.get_hosts().is_empty() {
            return Err(format!("{redacted} names no host"));
        }
        Ok(Self { config, redacted })
    }

    /// The client's settings.
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> &str {
        &self.redacted
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PostgresUrl").field(&self.redacted).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_kept_and_shown_without_its_password() {
        let url = PostgresUrl::parse("postgres://app:hunter2@db.internal:5433/uploads")
            .expect("a valid URL");
        assert_eq!(
            url.redacted(),
            "postgres://app:***@db.internal:5433/uploads"
        );
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(url.config().get_ports(), [5433]);
        assert_eq!(url.config().get_dbname(), Some("uploads"));
        assert_eq!(url.config().get_password(), Some(&b"hunter2"[..]));
    }

    #[test]
    fn refusals_say_why_and_never_show_the_password() {
        for bad in [
            "mysql://app:hunter2@db/uploads",
            "postgres://app:hunter2@db:notaport/uploads",
            "postgres://app:hunter2@db/uploads?sslmode=sometimes",
            "app:hunter2@db",
            "postgres:///uploads",
        ] {
            let why = PostgresUrl::parse(bad).expect_err(bad);
            assert!(!why.contains("hunter2"), "{bad}: {why}");
        }
    }
}
