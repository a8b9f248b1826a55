//! Unit tests of the settings' layers: flags > env > TOML > defaults.

use super::*;
use clap::Parser as _;
use presign_core::keys::file_type::FileType;
use std::collections::HashMap;
use std::path::Path;

/// A real store's variables, so that resolution reaches the settings
/// under test without --dev.
const STORE_ENV: &[(&str, &str)] = &[
    ("AWS_REGION", "eu-west-1"),
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "very-secret"),
    ("PRESIGN_BUCKET", "my-bucket"),
];

fn resolve_in(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    toml: Option<&str>,
) -> Result<Config, ConfigError> {
    let mut argv = vec!["presign-server".to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    if let Some(text) = toml {
        let path = dir.join("presign.toml");
        std::fs::write(&path, text).expect("config written");
        argv.push("--config".into());
        argv.push(path.to_string_lossy().into_owned());
    }
    let cli = Cli::try_parse_from(argv).expect("flags parse");
    let env: HashMap<String, String> = STORE_ENV
        .iter()
        .chain(env)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::resolve(cli, |name| env.get(name).cloned())
}

fn resolve(args: &[&str], env: &[(&str, &str)], toml: Option<&str>) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().expect("temp dir");
    resolve_in(dir.path(), args, env, toml)
}

const SECRET_A: &str = "flag-secret-0123456789abcdef0123456789";
const SECRET_B: &str = "env-secret-0123456789abcdef0123456789";
const SECRET_C: &str = "file-secret-0123456789abcdef0123456789";

fn secret_of(s: &Config) -> String {
    match &s.identity {
        IdentityConfig::Jwt(JwtConfig { issuers, .. }) => match issuers.as_slice() {
            [IssuerConfig {
                key: JwtKeySource::Secret(secret),
                ..
            }] => secret.expose().to_owned(),
            other => panic!("expected one JWT secret, got {other:?}"),
        },
        other => panic!("expected a JWT secret, got {other:?}"),
    }
}

#[test]
fn defaults_with_dev() {
    let s = resolve(&["--dev"], &[], None).expect("settings");
    assert_eq!(s.identity, IdentityConfig::DevUser);
    assert_eq!(
        s.rate_limit,
        RateLimit {
            per_second: 20,
            burst: 200
        }
    );
    assert_eq!(s.max_open_uploads, 20);
    assert_eq!(s.policy, UploadPolicy::default());
}

#[test]
fn without_dev_an_identity_is_required() {
    assert_eq!(resolve(&[], &[], None).err(), Some(ConfigError::NoIdentity));
    let s = resolve(&[], &[("PRESIGN_JWT_SECRET", SECRET_B)], None).expect("env secret");
    assert_eq!(secret_of(&s), SECRET_B);
}

#[test]
fn flags_beat_env_beat_file() {
    let toml = format!(
        "[identity]\njwt_secret = \"{SECRET_C}\"\n[limits]\nrate_limit = 3\nrate_burst = 4\nmax_open_uploads = 5\n[policy]\ndefault_max_size = 600\nmax_post_size = 700\n"
    );
    let file_only = resolve(&[], &[], Some(&toml)).expect("settings");
    assert_eq!(secret_of(&file_only), SECRET_C);
    assert_eq!(
        file_only.rate_limit,
        RateLimit {
            per_second: 3,
            burst: 4
        }
    );
    assert_eq!(file_only.max_open_uploads, 5);
    assert_eq!(
        (
            file_only.policy.default_max_size,
            file_only.policy.max_post_size
        ),
        (600, 700)
    );

    let env = [
        ("PRESIGN_JWT_SECRET", SECRET_B),
        ("PRESIGN_RATE_LIMIT", "30"),
        ("PRESIGN_RATE_BURST", "40"),
        ("PRESIGN_MAX_OPEN_UPLOADS", "50"),
        ("PRESIGN_MAX_SIZE", "6000"),
        ("PRESIGN_MAX_POST_SIZE", "7000"),
    ];
    let env_over_file = resolve(&[], &env, Some(&toml)).expect("settings");
    assert_eq!(secret_of(&env_over_file), SECRET_B);
    assert_eq!(
        env_over_file.rate_limit,
        RateLimit {
            per_second: 30,
            burst: 40
        }
    );
    assert_eq!(env_over_file.max_open_uploads, 50);
    assert_eq!(
        (
            env_over_file.policy.default_max_size,
            env_over_file.policy.max_post_size
        ),
        (6000, 7000)
    );

    let flags = [
        "--jwt-secret",
        SECRET_A,
        "--rate-limit",
        "300",
        "--rate-burst",
        "400",
        "--max-open-uploads",
        "500",
        "--max-size",
        "60000",
        "--max-post-size",
        "70000",
    ];
    let all = resolve(&flags, &env, Some(&toml)).expect("settings");
    assert_eq!(secret_of(&all), SECRET_A);
    assert_eq!(
        all.rate_limit,
        RateLimit {
            per_second: 300,
            burst: 400
        }
    );
    assert_eq!(all.max_open_uploads, 500);
    assert_eq!(
        (all.policy.default_max_size, all.policy.max_post_size),
        (60000, 70000)
    );
}

#[test]
fn file_paths_are_relative_to_the_file_and_audiences_are_lists() {
    let dir = tempfile::tempdir().expect("temp dir");
    let toml = "[identity]\njwt_jwks = \"keys/jwks.json\"\njwt_audience = \"a, b\"\njwt_issuer = \"https://id/\"\njwt_leeway = 5\n";
    let s = resolve_in(dir.path(), &[], &[], Some(toml)).expect("settings");
    let IdentityConfig::Jwt(jwt) = s.identity else {
        panic!("JWT expected");
    };
    assert_eq!(jwt.leeway_secs, 5);
    let [issuer] = jwt.issuers.as_slice() else {
        panic!("one issuer expected: {:?}", jwt.issuers);
    };
    assert_eq!(
        issuer.key,
        JwtKeySource::Jwks(dir.path().join("keys/jwks.json"))
    );
    assert_eq!(issuer.audience, ["a", "b"]);
    assert_eq!(issuer.issuer.as_deref(), Some("https://id/"));
    assert_eq!(issuer.label, None);
    // A flag path is taken as given, and replaces the file's source.
    let s = resolve_in(dir.path(), &["--jwt-public-key", "k.pem"], &[], Some(toml));
    assert_eq!(s.err(), Some(ConfigError::TwoKeySources));
}

#[test]
fn per_type_rules_come_from_the_file() {
    let toml = r#"
[policy.file_types.images]
content_types = ["image/png"]
extensions = ["png"]
max_size = 1000
expires_in = 60
"#;
    let s = resolve(&["--dev", "--expires-in", "900"], &[], Some(toml)).expect("settings");
    let rule = s.policy.file_types.get("images").expect("images rule");
    assert_eq!(rule.content_types, ["image/png"]);
    assert_eq!(rule.max_size, Some(1000));
    let images = FileType::parse("images").expect("type");
    let other = FileType::parse("other").expect("type");
    assert_eq!(s.policy.expires_in(&images), Duration::from_secs(60));
    assert_eq!(s.policy.expires_in(&other), Duration::from_secs(900));
}

#[test]
fn refusals() {
    type Case<'a> = (
        Vec<&'a str>,
        Vec<(&'a str, &'a str)>,
        Option<&'a str>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            vec!["--jwt-secret", "short"],
            vec![],
            None,
            "at least 32 bytes",
        ),
        (
            vec!["--jwt-secret", SECRET_A, "--jwt-jwks", "x.json"],
            vec![],
            None,
            "only one",
        ),
        (
            vec!["--dev"],
            vec![("PRESIGN_RATE_LIMIT", "fast")],
            None,
            "PRESIGN_RATE_LIMIT",
        ),
        (vec!["--dev", "--max-size", "0"], vec![], None, "max_size"),
        (
            vec!["--dev"],
            vec![],
            Some("[policy]\nunknown = 1\n"),
            "unknown",
        ),
        (vec!["--dev"], vec![], Some("not toml ["), "presign.toml"),
        (
            vec!["--dev"],
            vec![],
            Some("[policy.file_types.Images]\n"),
            "Images",
        ),
        (
            vec!["--dev"],
            vec![],
            Some("[policy.file_types.x]\nexpires_in = 0\n"),
            "expires_in",
        ),
        (
            vec!["--dev"],
            vec![],
            Some("[policy.file_types.x]\nmax_bytes = 1\n"),
            "max_bytes",
        ),
    ];
    for (args, env, toml, word) in cases {
        let err = resolve(&args, &env, toml).expect_err("refused");
        assert!(err.to_string().contains(word), "{args:?}: {err}");
    }
    let missing = resolve(
        &["--dev", "--config", "/nonexistent/presign.toml"],
        &[],
        None,
    )
    .expect_err("refused");
    assert!(matches!(missing, ConfigError::ReadFile(..)), "{missing}");
}

#[test]
fn config_refuses_to_start_without_identity_and_never_prints_the_secret() {
    let aws = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "very-secret"),
        ("PRESIGN_BUCKET", "my-bucket"),
    ];
    let env: HashMap<&str, &str> = aws.into_iter().collect();
    let lookup = |name: &str| env.get(name).map(|v| (*v).to_owned());
    let cli = Cli::try_parse_from(["presign-server"]).expect("flags");
    assert_eq!(
        Config::resolve(cli, lookup).err(),
        Some(ConfigError::NoIdentity)
    );
    let cli = Cli::try_parse_from(["presign-server", "--jwt-secret", SECRET_A]).expect("flags");
    let debug = format!("{cli:?}");
    assert!(!debug.contains(SECRET_A), "{debug}");
    let config = Config::resolve(cli, lookup).expect("config");
    let debug = format!("{config:?}");
    assert!(
        !debug.contains(SECRET_A) && debug.contains("Secret(***)"),
        "{debug}"
    );
}

#[test]
fn user_quotas_in_all_and_per_type() {
    let toml = "[policy]\nuser_quota = 600\n[policy.file_types.images]\nuser_quota = 100\n";
    let images = FileType::parse("images").expect("type");
    let other = FileType::parse("other").expect("type");
    let file = resolve(&["--dev"], &[], Some(toml)).expect("settings");
    assert_eq!(file.policy.user_quota, Some(600));
    assert_eq!(
        (
            file.policy.quota(&images).of_type,
            file.policy.quota(&other).of_type
        ),
        (Some(100), None)
    );
    let env = [("PRESIGN_USER_QUOTA", "6000")];
    let over = resolve(&["--dev"], &env, Some(toml)).expect("settings");
    assert_eq!(over.policy.user_quota, Some(6000));
    let flag = resolve(&["--dev", "--user-quota", "60000"], &env, Some(toml)).expect("settings");
    assert_eq!(flag.policy.user_quota, Some(60000));
    assert_eq!(
        resolve(&["--dev"], &[], None)
            .expect("settings")
            .policy
            .user_quota,
        None
    );
    for (args, toml) in [
        (vec!["--dev", "--user-quota", "0"], None),
        (
            vec!["--dev"],
            Some("[policy.file_types.images]\nuser_quota = 0\n"),
        ),
    ] {
        let err = resolve(&args, &[], toml).expect_err("a zero quota");
        assert!(err.to_string().contains("user_quota"), "{err}");
    }
}
