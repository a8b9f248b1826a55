//! Unit tests of who may reach the server (`--allow-host`,
//! `--dev-allow-remote`) and of the request limits.

use super::*;
use clap::Parser as _;
use std::collections::HashMap;

fn resolve(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut argv = vec!["presign-server"];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("flags parse");
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::resolve(cli, |name| env.get(name).cloned())
}

/// A production configuration's environment (a store and an identity).
const PROD_ENV: &[(&str, &str)] = &[
    ("AWS_REGION", "eu-west-1"),
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "very-secret"),
    ("PRESIGN_BUCKET", "my-bucket"),
    (
        "PRESIGN_JWT_SECRET",
        "jwt-secret-0123456789abcdef0123456789",
    ),
];

#[test]
fn dev_listens_on_loopback_unless_told_otherwise() {
    for args in [
        &["--dev", "--listen", "0.0.0.0:8080"][..],
        &["--dev", "--listen", "192.168.1.5:8080"],
        &["--dev", "--listen", "[::]:8080"],
        &["--dev", "--store-listen", "0.0.0.0:9000"],
    ] {
        let err = resolve(args, &[]).expect_err("refused");
        assert!(matches!(err, ConfigError::DevRemote(..)), "{args:?}: {err}");
        let text = err.to_string();
        for needed in ["--dev-allow-remote", "no token", "localhost"] {
            assert!(text.contains(needed), "{text}");
        }
        let mut allowed = args.to_vec();
        allowed.push("--dev-allow-remote");
        assert!(resolve(&allowed, &[]).is_ok(), "{allowed:?}");
        assert!(resolve(args, &[("PRESIGN_DEV_ALLOW_REMOTE", "true")]).is_ok());
        assert!(resolve(args, &[("PRESIGN_DEV_ALLOW_REMOTE", "0")]).is_err());
    }
    assert!(matches!(
        resolve(
            &["--dev", "--listen", "0.0.0.0:8080"],
            &[("PRESIGN_DEV_ALLOW_REMOTE", "maybe")]
        ),
        Err(ConfigError::BadValue { .. })
    ));
    // Loopback addresses are fine, and so is any address without --dev;
    // a real store's --store-listen is not used.
    assert!(resolve(&["--dev", "--listen", "127.0.0.2:8080"], &[]).is_ok());
    assert!(resolve(&["--dev", "--listen", "[::1]:8080"], &[]).is_ok());
    assert!(resolve(&["--listen", "0.0.0.0:8080"], PROD_ENV).is_ok());
    let dev_s3 = ["--dev", "--store", "s3", "--store-listen", "0.0.0.0:0"];
    assert!(resolve(&dev_s3, PROD_ENV).is_ok());
}

#[test]
fn hosts_are_checked_in_dev_and_when_named() {
    let c = resolve(&["--dev"], &[]).expect("config");
    assert_eq!(c.hosts, AllowedHosts::LoopbackAnd(Vec::new()));
    assert!(c.hosts.allows("localhost:8080"));
    assert!(!c.hosts.allows("evil.example"));
    // Production checks nothing unless hosts are named...
    let c = resolve(&[], PROD_ENV).expect("config");
    assert_eq!(c.hosts, AllowedHosts::Any);
    assert!(c.hosts.allows("evil.example"));
    // ...by flags, repeated or comma separated...
    let args = [
        "--allow-host",
        "uploads.example.com,10.0.0.5:8080",
        "--allow-host",
        "[fd00::1]",
    ];
    let c = resolve(&args, PROD_ENV).expect("config");
    for host in [
        "uploads.example.com:443",
        "10.0.0.5:8080",
        "[fd00::1]",
        "127.0.0.1:8080",
    ] {
        assert!(c.hosts.allows(host), "{host}");
    }
    for host in [
        "evil.example",
        "10.0.0.5:8081",
        "uploads.example.com.evil.example",
    ] {
        assert!(!c.hosts.allows(host), "{host}");
    }
    // ...or the environment, which the flag overrides.
    let mut env = PROD_ENV.to_vec();
    env.push(("PRESIGN_ALLOW_HOST", "a.example, b.example"));
    let c = resolve(&[], &env).expect("config");
    assert!(c.hosts.allows("b.example:8080") && !c.hosts.allows("c.example"));
    let c = resolve(&["--allow-host", "c.example"], &env).expect("config");
    assert!(c.hosts.allows("c.example") && !c.hosts.allows("a.example"));
    for bad in [
        "https://a.example",
        "a.example/x",
        "*.example.com",
        "a.example:http",
    ] {
        let err = resolve(&["--dev", "--allow-host", bad], &[]).expect_err(bad);
        assert_eq!(err, ConfigError::BadHost(bad.to_owned()));
        assert!(err.to_string().contains("--allow-host"), "{err}");
    }
}

#[test]
fn request_limits_from_flags_env_or_defaults() {
    let c = resolve(&["--dev"], &[]).expect("config");
    assert_eq!(c.request_limits.timeout, Duration::from_secs(60));
    assert_eq!(c.request_limits.max_concurrent, 1024);
    let env = [
        ("PRESIGN_REQUEST_TIMEOUT", "2m"),
        ("PRESIGN_MAX_CONCURRENT_REQUESTS", "64"),
    ];
    let c = resolve(&["--dev"], &env).expect("config");
    assert_eq!(c.request_limits.timeout, Duration::from_secs(120));
    assert_eq!(c.request_limits.max_concurrent, 64);
    let flags = [
        "--dev",
        "--request-timeout",
        "5s",
        "--max-concurrent-requests",
        "8",
    ];
    let c = resolve(&flags, &env).expect("config");
    assert_eq!(
        c.request_limits,
        RequestLimits {
            timeout: Duration::from_secs(5),
            max_concurrent: 8
        }
    );
    for (args, env) in [
        (&["--dev", "--request-timeout", "0"][..], &[][..]),
        (&["--dev", "--max-concurrent-requests", "0"], &[]),
        (&["--dev"], &[("PRESIGN_REQUEST_TIMEOUT", "soon")]),
        (&["--dev"], &[("PRESIGN_MAX_CONCURRENT_REQUESTS", "-1")]),
    ] {
        assert!(resolve(args, env).is_err(), "{args:?} {env:?}");
    }
}
