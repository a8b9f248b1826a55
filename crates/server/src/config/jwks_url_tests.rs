//! Unit tests of the JWKS URL key source: from the flag, the environment,
//! `[identity]` and `[[identity.issuers]]`; https only, or http to a
//! loopback address; one key source at a time; an audience required, as
//! with every public key.

use super::*;
use clap::Parser as _;
use std::collections::HashMap;

fn resolve(args: &[&str], env: &[(&str, &str)], toml: Option<&str>) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut argv = vec!["presign-server".to_owned(), "--dev".to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    if let Some(text) = toml {
        let path = dir.path().join("presign.toml");
        std::fs::write(&path, text).expect("config written");
        argv.push("--config".into());
        argv.push(path.to_string_lossy().into_owned());
    }
    let cli = Cli::try_parse_from(argv).expect("flags parse");
    let env: HashMap<&str, &str> = env.iter().copied().collect();
    Config::resolve(cli, |name| env.get(name).map(|v| (*v).to_owned()))
}

/// The URL of the only issuer's key source.
fn url_of(config: Result<Config, ConfigError>) -> String {
    let IdentityConfig::Jwt(jwt) = config.expect("valid").identity else {
        panic!("JWT expected");
    };
    match &jwt.issuers[..] {
        [IssuerConfig {
            key: JwtKeySource::JwksUrl(url),
            ..
        }] => url.to_string(),
        other => panic!("one JWKS URL issuer expected, got {other:?}"),
    }
}

const URL: &str = "https://id.example.com/.well-known/jwks.json";
const AUD: [&str; 2] = ["--jwt-audience", "app"];

#[test]
fn a_jwks_url_comes_from_the_flag_the_environment_or_the_file() {
    let flag = resolve(&["--jwt-jwks-url", URL, AUD[0], AUD[1]], &[], None);
    assert_eq!(url_of(flag), URL);
    let env = resolve(&AUD, &[("PRESIGN_JWT_JWKS_URL", URL)], None);
    assert_eq!(url_of(env), URL);
    let file = format!("[identity]\njwt_jwks_url = \"{URL}\"\njwt_audience = \"app\"\n");
    assert_eq!(url_of(resolve(&[], &[], Some(&file))), URL);
    // The flag beats the environment, which beats the file.
    let other = "https://other.example.com/jwks";
    let both = resolve(
        &["--jwt-jwks-url", other],
        &[("PRESIGN_JWT_JWKS_URL", URL)],
        Some(&file),
    );
    assert_eq!(url_of(both), other);
    let issuers = format!(
        "[[identity.issuers]]\nissuer = \"https://id/\"\njwt_jwks_url = \"{URL}\"\njwt_audience = \"app\"\n"
    );
    assert_eq!(url_of(resolve(&[], &[], Some(&issuers))), URL);
}

#[test]
fn plain_http_only_to_a_loopback_address() {
    for ok in [
        "http://127.0.0.1:8081/jwks",
        "http://127.3.4.5/jwks",
        "http://[::1]:9000/jwks",
        "http://localhost/jwks",
        "http://LOCALHOST:80/jwks",
        "https://10.0.0.5/jwks?tenant=a",
    ] {
        let config = resolve(&["--jwt-jwks-url", ok, AUD[0], AUD[1]], &[], None);
        assert!(config.is_ok(), "{ok}: {config:?}");
    }
    for (bad, says) in [
        ("http://id.example.com/jwks", "must be https"),
        ("http://10.0.0.5/jwks", "loopback"),
        ("http://127.0.0.1.example.com/jwks", "must be https"),
        ("ftp://id.example.com/jwks", "must be an https URL"),
        (
            "https://user:pw@id.example.com/jwks",
            "user name or password",
        ),
        ("id.example.com/jwks", "is not a URL"),
    ] {
        let err =
            resolve(&["--jwt-jwks-url", bad, AUD[0], AUD[1]], &[], None).expect_err("refused");
        let text = err.to_string();
        assert!(
            text.contains(says) && text.contains("--jwt-jwks-url") && text.contains(bad),
            "{bad}: {text}"
        );
    }
    let issuers = "[[identity.issuers]]\nissuer = \"https://id/\"\njwt_jwks_url = \"http://id/jwks\"\njwt_audience = \"app\"\n";
    let err = resolve(&[], &[], Some(issuers)).expect_err("refused");
    assert!(
        matches!(&err, ConfigError::BadIssuer { reason, .. } if reason.contains("must be https")),
        "{err}"
    );
}

#[test]
fn a_jwks_url_is_one_key_source_and_needs_an_audience() {
    let err = resolve(&["--jwt-jwks-url", URL], &[], None).expect_err("no audience");
    assert_eq!(err, ConfigError::NoAudience(None));
    assert!(err.to_string().contains("--jwt-jwks-url"), "{err}");
    let any = resolve(&["--jwt-jwks-url", URL, "--jwt-any-audience"], &[], None);
    assert_eq!(url_of(any), URL);
    let two = resolve(
        &[
            "--jwt-jwks-url",
            URL,
            "--jwt-jwks",
            "k.json",
            AUD[0],
            AUD[1],
        ],
        &[],
        None,
    );
    assert_eq!(two.err(), Some(ConfigError::TwoKeySources));
    let issuers = format!(
        "[[identity.issuers]]\nissuer = \"https://id/\"\njwt_jwks = \"k.json\"\njwt_jwks_url = \"{URL}\"\njwt_audience = \"app\"\n"
    );
    let err = resolve(&[], &[], Some(&issuers)).expect_err("two sources");
    assert!(matches!(err, ConfigError::BadIssuer { .. }), "{err}");
    let no_audience =
        format!("[[identity.issuers]]\nissuer = \"https://id/\"\njwt_jwks_url = \"{URL}\"\n");
    let err = resolve(&[], &[], Some(&no_audience)).expect_err("no audience");
    assert_eq!(err, ConfigError::NoAudience(Some("https://id/".into())));
    // With the issuers, the flag's URL is refused like any other key flag.
    let both = resolve(&["--jwt-jwks-url", URL], &[], Some(&issuers));
    assert_eq!(both.err(), Some(ConfigError::KeysBothWays));
}
