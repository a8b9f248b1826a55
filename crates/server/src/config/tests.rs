//! Unit tests of command-line and environment resolution.

use super::*;
use clap::Parser as _;
use http::HeaderValue;
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

const AWS_ENV: &[(&str, &str)] = &[
    ("AWS_REGION", "eu-west-1"),
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "very-secret"),
    ("PRESIGN_BUCKET", "my-bucket"),
    // Without --dev an identity is required (layer_tests.rs).
    (
        "PRESIGN_JWT_SECRET",
        "jwt-secret-0123456789abcdef0123456789",
    ),
];

#[test]
fn dev_defaults() {
    let c = resolve(&["--dev"], &[]).expect("dev config");
    assert_eq!(c.listen, "127.0.0.1:8080".parse().expect("addr"));
    assert_eq!(c.bucket, "uploads");
    assert_eq!(c.expires_in, Duration::from_secs(900));
    assert_eq!(c.cors, ApiCors::LoopbackAnd(Vec::new()));
    assert_eq!(c.hosts, AllowedHosts::LoopbackAnd(Vec::new()));
    assert_eq!(c.request_limits, RequestLimits::default());
    assert_eq!(c.www_dir, PathBuf::from("www"));
    assert_eq!(c.pkg_dir, PathBuf::from("pkg"));
    let StoreConfig::Embedded {
        data_dir, listen, ..
    } = c.store
    else {
        panic!("dev uses the embedded store");
    };
    assert_eq!(data_dir, PathBuf::from("./.data"));
    assert_eq!(listen, "127.0.0.1:0".parse().expect("addr"));
}

#[test]
fn port_env_applies_only_without_listen() {
    let c = resolve(&["--dev"], &[("PORT", "9000")]).expect("config");
    assert_eq!(c.listen, "127.0.0.1:9000".parse().expect("addr"));
    let remote = ["--dev", "--listen", "0.0.0.0:1234", "--dev-allow-remote"];
    let c = resolve(&remote, &[("PORT", "9000")]).expect("config");
    assert_eq!(c.listen, "0.0.0.0:1234".parse().expect("addr"));
    assert_eq!(
        resolve(&["--dev"], &[("PORT", "http")]).err(),
        Some(ConfigError::BadPort("http".into()))
    );
}

#[test]
fn dev_flags() {
    let c = resolve(
        &[
            "--dev",
            "--bucket",
            "other-bucket",
            "--data-dir",
            "/tmp/d",
            "--store-listen",
            "127.0.0.1:9999",
            "--expires-in",
            "60",
        ],
        AWS_ENV,
    )
    .expect("config");
    assert_eq!(c.bucket, "other-bucket");
    assert_eq!(c.expires_in, Duration::from_secs(60));
    assert!(matches!(c.store, StoreConfig::Embedded { listen, .. } if listen.port() == 9999));
}

#[test]
fn expiry_is_capped_at_seven_days() {
    assert!(resolve(&["--dev", "--expires-in", "604800"], &[]).is_ok());
    for bad in ["604801", "0"] {
        assert!(matches!(
            resolve(&["--dev", "--expires-in", bad], &[]),
            Err(ConfigError::BadExpiry(_))
        ));
    }
}

#[test]
fn remote_needs_every_variable_and_names_the_missing_ones() {
    let err = resolve(
        &[],
        &[("AWS_REGION", "eu-west-1"), ("AWS_ACCESS_KEY_ID", "AKID")],
    )
    .expect_err("incomplete env");
    assert_eq!(
        err,
        ConfigError::MissingEnv(vec![
            "AWS_SECRET_ACCESS_KEY",
            "PRESIGN_BUCKET (or --bucket)"
        ])
    );
    let message = err.to_string();
    assert!(message.contains("AWS_SECRET_ACCESS_KEY"), "{message}");
    assert!(message.contains("--dev"), "{message}");
    // A session token alone is not a key pair either.
    let err = resolve(&[], &[("AWS_SESSION_TOKEN", "tok")]).expect_err("incomplete env");
    assert_eq!(
        err,
        ConfigError::MissingEnv(vec![
            "AWS_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "PRESIGN_BUCKET (or --bucket)"
        ])
    );
}

#[test]
fn without_static_keys_the_default_chain_signs() {
    let env = [("AWS_REGION", "eu-west-1"), ("PRESIGN_BUCKET", "my-bucket")];
    let c = resolve(&["--dev", "--store", "s3"], &env).expect("config");
    let StoreConfig::Remote(r) = c.store else {
        panic!("remote store");
    };
    assert_eq!(r.credentials, RemoteCredentials::DefaultChain);
    // Empty variables count as unset.
    let mut env = env.to_vec();
    env.extend([("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")]);
    let StoreConfig::Remote(r) = resolve(&["--dev", "--store", "s3"], &env)
        .expect("config")
        .store
    else {
        panic!("remote store");
    };
    assert_eq!(r.credentials, RemoteCredentials::DefaultChain);
    // Still the region and bucket are required.
    assert_eq!(
        resolve(&[], &[]).expect_err("no region"),
        ConfigError::MissingEnv(vec!["AWS_REGION", "PRESIGN_BUCKET (or --bucket)"])
    );
}

#[test]
fn store_flag_chooses_the_store_whatever_the_mode() {
    // Development mode against a real store: AWS_* are read, the API stays
    // open to loopback pages, and the bucket comes from the environment.
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:3900"));
    let c = resolve(&["--dev", "--store", "s3"], &env).expect("config");
    assert_eq!(c.cors, ApiCors::LoopbackAnd(Vec::new()));
    assert_eq!(c.bucket, "my-bucket");
    let StoreConfig::Remote(r) = c.store else {
        panic!("--store s3 signs for the endpoint");
    };
    assert_eq!(r.endpoint.as_str(), "http://127.0.0.1:3900/");
    // ...which needs the same variables as production.
    assert!(matches!(
        resolve(&["--dev", "--store", "s3"], &[]),
        Err(ConfigError::MissingEnv(_))
    ));
    // The embedded store without --dev: an identity is still required.
    let c = resolve(&["--store", "embedded"], AWS_ENV).expect("config");
    assert!(matches!(c.store, StoreConfig::Embedded { .. }));
    assert_eq!(c.cors, ApiCors::SameOrigin);
    assert_eq!(c.bucket, "uploads");
    assert!(resolve(&["--store", "embedded"], &[]).is_err());
    let cli = Cli::try_parse_from(["presign-server", "--store", "minio"]);
    assert!(cli.is_err());
}

#[test]
fn remote_defaults_to_aws_virtual_host() {
    let c = resolve(&[], AWS_ENV).expect("config");
    assert_eq!(c.bucket, "my-bucket");
    assert_eq!(c.cors, ApiCors::SameOrigin);
    let StoreConfig::Remote(r) = c.store else {
        panic!("remote store");
    };
    assert_eq!(r.endpoint.as_str(), "https://s3.eu-west-1.amazonaws.com/");
    assert!(!r.path_style);
    assert_eq!(r.region, "eu-west-1");
    let RemoteCredentials::Static(creds) = &r.credentials else {
        panic!("static keys");
    };
    assert_eq!(creds.secret_access_key.expose(), "very-secret");
    assert!(!format!("{r:?}").contains("very-secret"));
}

#[test]
fn remote_custom_endpoint_is_path_style_and_bucket_flag_wins() {
    let mut env = AWS_ENV.to_vec();
    env.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:3900"));
    env.push(("AWS_SESSION_TOKEN", "tok"));
    let c = resolve(&["--bucket", "flag-bucket"], &env).expect("config");
    assert_eq!(c.bucket, "flag-bucket");
    let StoreConfig::Remote(r) = c.store else {
        panic!("remote store");
    };
    assert!(r.path_style);
    assert_eq!(r.endpoint.as_str(), "http://127.0.0.1:3900/");
    let RemoteCredentials::Static(creds) = &r.credentials else {
        panic!("static keys");
    };
    assert!(creds.session_token.is_some());

    for bad in ["ftp://x", "not a url", "https://user:pw@s3.example"] {
        let mut env = AWS_ENV.to_vec();
        env.push(("AWS_ENDPOINT_URL", bad));
        assert!(
            matches!(resolve(&[], &env), Err(ConfigError::BadEndpoint(_))),
            "{bad}"
        );
    }
}

#[test]
fn bucket_names() {
    for bad in ["ab", "Uploads", "-x-bucket", "a..b", "under_score"] {
        let flag = format!("--bucket={bad}");
        assert!(
            matches!(
                resolve(&["--dev", &flag], &[]),
                Err(ConfigError::BadBucket(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn allowed_origins() {
    let c = resolve(
        &[
            "--allow-origin",
            "https://app.example.com/",
            "--allow-origin",
            "http://localhost:5173",
        ],
        AWS_ENV,
    )
    .expect("config");
    assert_eq!(
        c.cors,
        ApiCors::Origins(vec![
            HeaderValue::from_static("https://app.example.com"),
            HeaderValue::from_static("http://localhost:5173"),
        ])
    );
    for bad in [
        "*",
        "app.example.com",
        "https://a.example/path",
        "https://a.example?x",
    ] {
        assert!(
            matches!(
                resolve(&["--allow-origin", bad], AWS_ENV),
                Err(ConfigError::BadOrigin(_))
            ),
            "{bad}"
        );
    }
}

#[test]
fn unknown_flags_are_refused() {
    assert!(Cli::try_parse_from(["presign-server", "--nope"]).is_err());
    assert!(Cli::try_parse_from(["presign-server", "--listen", "8080"]).is_err());
}

#[test]
fn store_public_url_from_flag_or_env() {
    let c = resolve(&["--dev"], &[]).expect("config");
    assert_eq!(c.store_public_url, None);
    let c = resolve(
        &["--dev", "--store-public-url", "http://127.0.0.1:7000"],
        &[("PRESIGN_STORE_PUBLIC_URL", "https://ignored.example.com")],
    )
    .expect("config");
    assert_eq!(
        c.store_public_url.map(String::from).as_deref(),
        Some("http://127.0.0.1:7000/")
    );
    let c = resolve(
        &["--dev"],
        &[("PRESIGN_STORE_PUBLIC_URL", "https://files.example.com")],
    )
    .expect("config");
    assert_eq!(
        c.store_public_url.map(String::from).as_deref(),
        Some("https://files.example.com/")
    );
    for bad in [
        "ftp://x",
        "files.example.com",
        "http://u:p@x",
        "https://x/?a=1",
    ] {
        assert_eq!(
            resolve(&["--dev", "--store-public-url", bad], &[]).err(),
            Some(ConfigError::BadPublicUrl(bad.into())),
            "{bad}"
        );
    }
}
