//! The binary's contract with scripts: one stdout line giving the URL.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

#[test]
fn prints_the_startup_line_and_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let _ = child.kill();
    let _ = child.wait();
    read.expect("a line on stdout");

    // presign-server listening on http://127.0.0.1:PORT (store http://127.0.0.1:SPORT, bucket uploads)
    let rest = line
        .trim_end()
        .strip_prefix("presign-server listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    let (port, rest) = rest.split_once(' ').expect("port then store");
    let store = rest
        .strip_prefix("(store http://127.0.0.1:")
        .and_then(|r| r.strip_suffix(", bucket uploads)"))
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    assert!(port.parse::<u16>().is_ok_and(|p| p != 0), "{line}");
    assert!(store.parse::<u16>().is_ok_and(|p| p != 0), "{line}");
    assert!(dir.path().join("store/uploads").is_dir(), "bucket created");
}

#[test]
fn refuses_to_start_without_store_settings() {
    let out = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("AWS_REGION")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("PRESIGN_BUCKET")
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    // Without static keys the AWS default chain would sign: still the
    // region and the bucket are needed.
    assert!(
        err.contains("AWS_REGION") && err.contains("PRESIGN_BUCKET") && err.contains("--dev"),
        "{err}"
    );
}

#[test]
fn a_public_store_url_is_appended_to_the_startup_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("PRESIGN_STORE_PUBLIC_URL", "https://files.example.com/")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let _ = child.kill();
    let _ = child.wait();
    read.expect("a line on stdout");
    let (head, public) = line
        .trim_end()
        .split_once(") public store ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    assert_eq!(public, "https://files.example.com");
    assert!(
        head.starts_with("presign-server listening on http://127.0.0.1:")
            && head.contains(" (store http://127.0.0.1:")
            && head.ends_with(", bucket uploads"),
        "{line}"
    );
}

#[test]
fn the_ready_file_holds_the_addresses_of_the_startup_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ready = dir.path().join("ready.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let mut written = None;
    for _ in 0..100 {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            written = Some(text);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    read.expect("a line on stdout");
    let addresses: serde_json::Value =
        serde_json::from_str(&written.expect("the ready file")).expect("JSON");
    let url = addresses["url"].as_str().expect("url");
    let store = addresses["store_url"].as_str().expect("store_url");
    assert_eq!(addresses["bucket"], "uploads");
    assert_eq!(
        line.trim_end(),
        format!("presign-server listening on {url} (store {store}, bucket uploads)")
    );
    assert!(addresses.get("public_store_url").is_none(), "{addresses}");
}

/// `presign-server ARGS` in a fresh data folder: its exit code when it
/// stopped by itself within 10 s (else `None`, and it is killed), its first
/// stdout line, and its stderr.
fn run_for_a_while(args: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(args)
        .arg("--data-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let code = if line.is_empty() {
        child.wait().ok().and_then(|s| s.code())
    } else {
        let _ = child.kill();
        let _ = child.wait();
        None
    };
    let mut err = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut stderr, &mut err);
    }
    (code, line, err)
}

#[test]
fn dev_listens_on_other_interfaces_only_when_told_to() {
    for args in [
        &["--dev", "--listen", "0.0.0.0:0"][..],
        &[
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--store-listen",
            "0.0.0.0:0",
        ],
    ] {
        let (code, line, err) = run_for_a_while(args);
        assert_eq!(code, Some(2), "{args:?}: {line}{err}");
        assert!(line.is_empty(), "{line}");
        for why in ["0.0.0.0:0", "no token", "--dev-allow-remote"] {
            assert!(err.contains(why), "{args:?}: {err}");
        }
        let mut allowed = args.to_vec();
        allowed.push("--dev-allow-remote");
        let (code, line, err) = run_for_a_while(&allowed);
        assert_eq!(code, None, "{allowed:?}: {err}");
        assert!(
            line.starts_with("presign-server listening on http://"),
            "{line}"
        );
    }
}

#[test]
fn a_malformed_database_url_stops_start_up_naming_it_without_the_password() {
    let dir = tempfile::tempdir().expect("temp dir");
    for url in [
        "postgres://app:hunter2@db.internal:notaport/uploads",
        "postgres://app:hunter2@db.internal/uploads?sslmode=sometimes",
        "mysql://app:hunter2@db.internal/uploads",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_presign-server"))
            .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("DATABASE_URL", url)
            .output()
            .expect("binary runs");
        assert_eq!(out.status.code(), Some(2), "{url}");
        assert!(out.stdout.is_empty(), "{url}: never started");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("DATABASE_URL"), "{url}: {err}");
        assert!(!err.contains("hunter2"), "{url}: the password shown: {err}");
    }
}
