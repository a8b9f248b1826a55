//! The suite on PostgreSQL: with `PRESIGN_TEST_DATABASE_URL` set (a
//! cluster from tests/support/postgres), every [`super::TestServer`] runs
//! on a database of its own, created for it (`CREATE DATABASE`), and kept
//! for a restart in the same folder (its URL in `DIR/database-url`).
//! Without the variable, servers use SQLite and these helpers say so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio_postgres::NoTls;

/// The variable naming the test cluster's URL (its `postgres` database).
pub const URL_VAR: &str = "PRESIGN_TEST_DATABASE_URL";

/// The cluster's URL, when the suite runs on PostgreSQL.
pub fn cluster_url() -> Option<String> {
    std::env::var(URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The URL of the database of the server in `dir`: the one written there
/// before, else a new one. `None` on SQLite.
pub async fn database_for(dir: &Path) -> Option<String> {
    let cluster = cluster_url()?;
    let marker = dir.join("database-url");
    if let Ok(url) = std::fs::read_to_string(&marker) {
        return Some(url);
    }
    let url = fresh_database(&cluster).await;
    std::fs::write(&marker, &url).expect("write the database URL");
    Some(url)
}

/// The `--database-url` flag of the server in `dir` (for the binary's
/// subcommands); none on SQLite.
pub fn flags(dir: &Path) -> Vec<String> {
    match std::fs::read_to_string(dir.join("database-url")) {
        Ok(url) => vec!["--database-url".into(), url],
        Err(_) => Vec::new(),
    }
}

/// A new, empty database on the cluster at `cluster`; its URL.
pub async fn fresh_database(cluster: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!(
        "presign_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = connect(cluster).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("CREATE DATABASE");
    let mut url = url::Url::parse(cluster).expect("the cluster's URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A client of the database at `url` (its connection driven in the
/// background).
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {URL_VAR}: {e}"));
    tokio::spawn(connection);
    client
}

/// The database URL of the server in `dir`, when it runs on PostgreSQL.
pub fn url_of(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join("database-url")).ok()
}

/// A PostgreSQL cluster of the test's own, stopped when dropped.
pub struct Cluster {
    pub dir: tempfile::TempDir,
}

impl Cluster {
    /// A new cluster in a temporary folder, started; it and its URL.
    pub fn new_started() -> (Self, String) {
        let cluster = Self {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let url = Self::start(cluster.dir.path());
        (cluster, url)
    }

    pub fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/postgres")
    }

    /// Starts (the first time: creates) it; its URL.
    pub fn start(dir: &Path) -> String {
        let out = Command::new(Self::script())
            .arg(dir)
            .output()
            .expect("tests/support/postgres runs");
        assert!(
            out.status.success(),
            "PostgreSQL did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn stop(dir: &Path) {
        let status = Command::new(Self::script())
            .arg("stop")
            .arg(dir)
            .status()
            .expect("tests/support/postgres runs");
        assert!(status.success(), "PostgreSQL did not stop");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(Self::script())
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

/// A server folder (for [`super::start_in`]) whose signer uses a new
/// database on the cluster at `cluster_url`; the folder and its URL.
pub async fn server_dir_on(cluster_url: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = fresh_database(cluster_url).await;
    std::fs::write(dir.path().join("database-url"), &database).expect("database URL");
    (dir, database)
}
