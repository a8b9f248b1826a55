//! Replicas: more signers on the database and the store of a first one,
//! the way a deployment runs them behind a load balancer. The first is a
//! [`TestServer`] (`--dev`, its embedded store, its PostgreSQL database);
//! each replica runs `--dev --store s3` against that store and
//! `--database-url` of that database, with a data folder of its own.

use super::proxied::start_signer;
use super::TestServer;
use std::time::Duration;

/// A replica of `first` (which must run on PostgreSQL), with `extra` flags.
pub async fn replica_of(first: &TestServer, extra: &[&str]) -> TestServer {
    let url = super::postgres::url_of(first.data_dir()).expect("the first runs on PostgreSQL");
    let store = first
        .server
        .embedded_store()
        .expect("the first has a store");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut args = vec![
        "--database-url",
        url.as_str(),
        "--bucket",
        first.server.bucket(),
    ];
    args.extend_from_slice(extra);
    let server = start_signer(&dir, first.server.store_url(), store.credentials(), &args).await;
    std::fs::write(dir.path().join("database-url"), &url).expect("write the database URL");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client");
    TestServer { server, http, dir }
}

/// Whether the suite runs on PostgreSQL; else says why a replica test
/// does nothing (replicas need a shared database).
pub fn on_postgres(test: &str) -> bool {
    let on = super::postgres::cluster_url().is_some();
    if !on {
        eprintln!(
            "{test}: skipped: replicas share a PostgreSQL database; set {}",
            super::postgres::URL_VAR
        );
    }
    on
}
