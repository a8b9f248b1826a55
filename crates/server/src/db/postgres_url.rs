//! The PostgreSQL connection URL of `--database-url` (`DATABASE_URL`),
//! checked when the configuration is resolved, so a malformed one stops
//! start-up naming the setting. Its password is never shown: `Debug`,
//! [`PostgresUrl::redacted`] and every refusal print `***` instead. Its
//! `sslmode` and `sslrootcert` are libpq's ([`super::postgres_tls`]).

use super::postgres_tls::{PostgresTls, RootCerts, SslMode};
use std::fmt;
use url::Url;

/// A `postgres://` or `postgresql://` URL the client accepts.
#[derive(Clone)]
pub struct PostgresUrl {
    config: tokio_postgres::Config,
    tls: PostgresTls,
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
        let (tls, client_url) = Self::take_tls(&url, &redacted)?;
        let mut config: tokio_postgres::Config = client_url.as_str().parse().map_err(|_| {
            format!("{redacted} is not a connection URL PostgreSQL's client accepts (check its port and its ?options)")
        })?;
        if config.get_hosts().is_empty() {
            return Err(format!("{redacted} names no host"));
        }
        config.ssl_mode(tls.mode.client_mode());
        Ok(Self {
            config,
            tls,
            redacted,
        })
    }

    /// Takes libpq's `sslmode` and `sslrootcert` out of the URL's query
    /// (the client knows fewer modes and no root file): the settings, and
    /// the URL left for the client.
    fn take_tls(url: &Url, redacted: &str) -> Result<(PostgresTls, Url), String> {
        let mut tls = PostgresTls::default();
        let mut kept = Vec::new();
        for (name, value) in url.query_pairs() {
            match name.as_ref() {
                "sslmode" => {
                    tls.mode = SslMode::parse(&value).ok_or_else(|| {
                        format!("{redacted}: sslmode={value} is not one of disable, prefer, require, verify-ca, verify-full")
                    })?;
                }
                "sslrootcert" if value == "system" => tls.root_cert = Some(RootCerts::System),
                "sslrootcert" => tls.root_cert = Some(RootCerts::File(value.as_ref().into())),
                _ => kept.push((name.into_owned(), value.into_owned())),
            }
        }
        let mut client_url = url.clone();
        if kept.is_empty() {
            client_url.set_query(None);
        } else {
            client_url.query_pairs_mut().clear().extend_pairs(kept);
        }
        Ok((tls, client_url))
    }

    /// How the connection is encrypted, and what is checked of the server.
    pub fn tls(&self) -> &PostgresTls {
        &self.tls
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
    fn libpq_tls_settings_are_taken_from_the_query() {
        use tokio_postgres::config::SslMode as Client;
        let url = PostgresUrl::parse(
            "postgres://app:pw@db:5432/uploads?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=x",
        )
        .expect("valid");
        assert_eq!(url.tls().mode, SslMode::VerifyFull);
        assert_eq!(
            url.tls().root_cert,
            Some(RootCerts::File("/etc/ca.pem".into()))
        );
        assert_eq!(url.config().get_ssl_mode(), Client::Require);
        assert_eq!(url.config().get_application_name(), Some("x"));
        let plain = PostgresUrl::parse("postgres://db/uploads?sslmode=disable").expect("valid");
        assert_eq!(plain.config().get_ssl_mode(), Client::Disable);
        let default = PostgresUrl::parse("postgres://db/uploads").expect("valid");
        assert_eq!(default.tls(), &PostgresTls::default());
        assert_eq!(default.config().get_ssl_mode(), Client::Prefer);
        let system = PostgresUrl::parse("postgres://db/u?sslmode=verify-ca&sslrootcert=system");
        assert_eq!(
            system.expect("valid").tls().root_cert,
            Some(RootCerts::System)
        );
        let why = PostgresUrl::parse("postgres://app:hunter2@db/u?sslmode=verify-fully")
            .expect_err("refused");
        assert!(why.contains("sslmode=verify-fully"), "{why}");
        assert!(!why.contains("hunter2"), "{why}");
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
