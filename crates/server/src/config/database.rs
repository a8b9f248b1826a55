//! Which database: `--database-url`, else `DATABASE_URL`, a PostgreSQL URL
//! checked here (a malformed one stops start-up, naming the setting and
//! never showing the password); without either, the SQLite file in
//! `--data-dir`.

use super::error::ConfigError;
use super::sources::Env;
use crate::cli::Cli;
use crate::db::PostgresUrl;
use crate::secret::Secret;

/// The PostgreSQL URL, if one is set.
pub fn resolve(cli: &Cli, env: &Env<'_>) -> Result<Option<PostgresUrl>, ConfigError> {
    let read = |text: String| Ok(Secret::new(text));
    let url = env.layer_with(cli.database_url.clone(), "DATABASE_URL", read, None)?;
    url.map(|url| PostgresUrl::parse(url.expose()).map_err(ConfigError::BadDatabaseUrl))
        .transpose()
}
