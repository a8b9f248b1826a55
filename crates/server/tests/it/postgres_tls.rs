//! TLS to PostgreSQL, libpq's way (`sslmode`, `sslrootcert` in the URL),
//! against a cluster of the test's own with `ssl = on` and a certificate
//! for 127.0.0.1 signed by a CA made here (openssl). What PostgreSQL
//! itself reports (`pg_stat_ssl`) says whether the signer's connections
//! are encrypted. It runs when the suite runs on PostgreSQL.

use crate::common::postgres::{connect, server_dir_on, Cluster};
use crate::common::replicas::on_postgres;
use crate::common::start_in;
use clap::Parser as _;
use presign_server::{Cli, Clock, Config, Server};
use std::path::Path;
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA named `name` in `dir` (`NAME.pem`, `NAME.key`).
fn make_ca(dir: &Path, name: &str) {
    let (pem, key, subject) = (
        format!("{name}.pem"),
        format!("{name}.key"),
        format!("/CN={name}"),
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &subject,
            "-keyout",
            &key,
            "-out",
            &pem,
        ],
    );
}

/// Turns on TLS in the cluster at `cluster_dir`, its certificate for
/// 127.0.0.1 signed by `ca` (in `dir`).
fn enable_tls(cluster_dir: &Path, dir: &Path, ca: &str) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("extensions");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    );
    let data = cluster_dir.join("cluster");
    for file in ["server.crt", "server.key"] {
        std::fs::copy(dir.join(file), data.join(file)).expect("into the data folder");
    }
    let owner = Command::new("stat")
        .args(["-c", "%U:%G"])
        .arg(&data)
        .output()
        .expect("stat");
    let owner = String::from_utf8_lossy(&owner.stdout).trim().to_owned();
    for file in ["server.crt", "server.key"] {
        let status = Command::new("chown")
            .arg(&owner)
            .arg(data.join(file))
            .status()
            .expect("chown");
        assert!(status.success());
    }
    let status = Command::new("chmod")
        .arg("600")
        .arg(data.join("server.key"))
        .status()
        .expect("chmod");
    assert!(status.success());
}

/// (encrypted, all) connections named `application` on the cluster.
async fn connections(cluster_url: &str, application: &str) -> (i64, i64) {
    let admin = connect(cluster_url).await;
    let row = admin
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*)
             FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
             WHERE a.application_name = $1",
            &[&application],
        )
        .await
        .expect("pg_stat_ssl");
    (row.get(0), row.get(1))
}

/// A signer on `database_url`, or its start-up error.
async fn start(database_url: &str) -> Result<Server, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data").to_string_lossy().into_owned();
    let cli = Cli::try_parse_from([
        "presign-server",
        "--dev",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &data,
        "--database-url",
        database_url,
    ])
    .expect("flags");
    let config = Config::resolve(cli, |_| None).expect("config");
    Server::start_with_clock(config, Clock::System)
        .await
        .map_err(|e| e.to_string())
}

/// Why a signer on `database_url` does not start; panics if it does.
async fn refusal(database_url: &str) -> String {
    match start(database_url).await {
        Ok(_) => panic!("{database_url}: started"),
        Err(why) => why,
    }
}

#[tokio::test]
async fn connections_are_encrypted_and_checked_as_sslmode_says() {
    if !on_postgres("postgres_tls") {
        return;
    }
    let certs = tempfile::tempdir().expect("temp dir");
    make_ca(certs.path(), "ca");
    make_ca(certs.path(), "other-ca");
    let (cluster, cluster_url) = Cluster::new_started();
    enable_tls(cluster.dir.path(), certs.path(), "ca");
    let admin = connect(&cluster_url).await;
    for sql in ["ALTER SYSTEM SET ssl = on", "SELECT pg_reload_conf()"] {
        admin.batch_execute(sql).await.expect(sql);
    }
    drop(admin);
    let ca = certs.path().join("ca.pem").to_string_lossy().into_owned();
    let other = certs
        .path()
        .join("other-ca.pem")
        .to_string_lossy()
        .into_owned();

    // verify-full with the cluster's CA: the signer serves, every one of
    // its connections encrypted.
    let (dir, database) = server_dir_on(&cluster_url).await;
    let url = format!("{database}?sslmode=verify-full&sslrootcert={ca}");
    std::fs::write(dir.path().join("database-url"), &url).expect("database URL");
    let t = start_in(dir, &[], Clock::System).await;
    t.create_multipart(6 * 1024 * 1024, 5 * 1024 * 1024).await;
    let (encrypted, all) = connections(&cluster_url, "presign-server").await;
    assert!(all >= 1, "the signer holds a connection");
    assert_eq!(encrypted, all, "every connection encrypted");
    drop(t);

    // Another CA: verify-full and verify-ca refuse to start, saying why;
    // so does require with a root file (it checks the chain, as libpq's).
    for mode in ["verify-full", "verify-ca", "require"] {
        let url = format!("{database}?sslmode={mode}&sslrootcert={other}");
        let why = refusal(&url).await;
        assert!(why.contains("certificate"), "{mode}: {why}");
    }
    // verify-ca with the right CA: the name is not checked (the URL says
    // localhost, the certificate 127.0.0.1); verify-full refuses it.
    let by_name = database.replace("127.0.0.1", "localhost");
    let ca_only = start(&format!("{by_name}?sslmode=verify-ca&sslrootcert={ca}")).await;
    assert!(ca_only.is_ok(), "{:?}", ca_only.err());
    let why = refusal(&format!("{by_name}?sslmode=verify-full&sslrootcert={ca}")).await;
    assert!(why.contains("certificate"), "{why}");
    // require without a root file: encrypted, the certificate unchecked;
    // disable: plain.
    for (mode, encrypted) in [("require", true), ("disable", false)] {
        let name = format!("presign-{mode}");
        let server = start(&format!(
            "{database}?sslmode={mode}&application_name={name}"
        ))
        .await
        .unwrap_or_else(|e| panic!("{mode}: {e}"));
        let (on, all) = connections(&cluster_url, &name).await;
        assert!(all >= 1, "{mode}: a connection");
        assert_eq!(on, if encrypted { all } else { 0 }, "{mode}");
        drop(server);
    }
    // A root file that is not there: named.
    let missing = certs
        .path()
        .join("missing.pem")
        .to_string_lossy()
        .into_owned();
    let why = refusal(&format!(
        "{database}?sslmode=verify-full&sslrootcert={missing}"
    ))
    .await;
    assert!(why.contains(&missing), "{why}");
}
