//! Unit tests of the identity settings: audiences required with public
//! keys, the leeway's ceiling, one issuer per key set, and several issuers
//! from `[[identity.issuers]]` with their labels.

use super::*;
use clap::Parser as _;
use std::collections::HashMap;
use std::path::Path;

const SECRET: &str = "identity-secret-0123456789abcdef0123456789";

fn resolve_in(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    toml: Option<&str>,
) -> Result<Config, ConfigError> {
    let mut argv = vec!["presign-server".to_owned(), "--dev".to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    if let Some(text) = toml {
        let path = dir.join("presign.toml");
        std::fs::write(&path, text).expect("config written");
        argv.push("--config".into());
        argv.push(path.to_string_lossy().into_owned());
    }
    let cli = Cli::try_parse_from(argv).expect("flags parse");
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::resolve(cli, |name| env.get(name).cloned())
}

fn resolve(args: &[&str], env: &[(&str, &str)], toml: Option<&str>) -> Result<Config, ConfigError> {
    let dir = tempfile::tempdir().expect("temp dir");
    resolve_in(dir.path(), args, env, toml)
}

fn issuers(config: Config) -> Vec<IssuerConfig> {
    match config.identity {
        IdentityConfig::Jwt(jwt) => jwt.issuers,
        IdentityConfig::DevUser => panic!("JWT expected"),
    }
}

#[test]
fn public_keys_need_an_audience_or_any_audience() {
    for key in ["--jwt-public-key", "--jwt-jwks"] {
        let err = resolve(&[key, "k"], &[], None).expect_err("no audience");
        assert_eq!(err, ConfigError::NoAudience(None));
        let text = err.to_string();
        assert!(
            text.contains("--jwt-audience")
                && text.contains("--jwt-any-audience")
                && text.contains("any other application"),
            "{text}"
        );
        let ok = resolve(&[key, "k", "--jwt-audience", "app"], &[], None).expect("audience");
        assert_eq!(issuers(ok)[0].audience, ["app"]);
        let any = resolve(&[key, "k", "--jwt-any-audience"], &[], None).expect("any audience");
        assert!(issuers(any)[0].audience.is_empty());
    }
    let env = resolve(
        &["--jwt-jwks", "k"],
        &[("PRESIGN_JWT_ANY_AUDIENCE", "true")],
        None,
    );
    assert!(env.is_ok(), "{env:?}");
    let file = resolve(
        &["--jwt-jwks", "k"],
        &[],
        Some("[identity]\njwt_any_audience = true\n"),
    );
    assert!(file.is_ok(), "{file:?}");
    let bad_env = resolve(
        &["--jwt-jwks", "k"],
        &[("PRESIGN_JWT_ANY_AUDIENCE", "yes")],
        None,
    );
    assert!(
        matches!(bad_env, Err(ConfigError::BadValue { .. })),
        "{bad_env:?}"
    );
    // A shared secret needs none: no other application's token verifies.
    let secret = resolve(&["--jwt-secret", SECRET], &[], None).expect("secret");
    assert!(issuers(secret)[0].audience.is_empty());
    // Both at once contradict each other.
    assert_eq!(
        resolve(
            &[
                "--jwt-jwks",
                "k",
                "--jwt-audience",
                "app",
                "--jwt-any-audience"
            ],
            &[],
            None
        )
        .err(),
        Some(ConfigError::AudienceAndAnyAudience)
    );
}

#[test]
fn leeway_is_at_most_five_minutes() {
    let at = |secs: u64| {
        resolve(
            &["--jwt-secret", SECRET],
            &[],
            Some(&format!("[identity]\njwt_leeway = {secs}\n")),
        )
    };
    let ok = at(300).expect("300 s");
    let IdentityConfig::Jwt(jwt) = ok.identity else {
        panic!("JWT expected");
    };
    assert_eq!(jwt.leeway_secs, 300);
    let long = |got| ConfigError::LongLeeway { got, max: 300 };
    assert_eq!(at(301).err(), Some(long(301)));
    assert_eq!(at(u64::MAX).err(), Some(long(u64::MAX)));
}

#[test]
fn one_key_set_names_one_issuer() {
    let one = resolve(
        &["--jwt-secret", SECRET, "--jwt-issuer", " https://id/ "],
        &[],
        None,
    )
    .expect("one issuer");
    let [issuer] = issuers(one).try_into().expect("one");
    assert_eq!(issuer.issuer.as_deref(), Some("https://id/"));
    assert_eq!(issuer.label, None, "the flags' users keep users/{{sub}}/");
    let several = resolve(
        &[
            "--jwt-secret",
            SECRET,
            "--jwt-issuer",
            "https://a/,https://b/",
        ],
        &[],
        None,
    );
    assert!(
        matches!(&several, Err(ConfigError::SeveralIssuers(text)) if text == "https://a/,https://b/"),
        "{several:?}"
    );
}

const TWO_ISSUERS: &str = r#"
[identity]
jwt_audience = "app"

[[identity.issuers]]
issuer = "https://Id-A.example.com/"
jwt_public_key = "a.pem"

[[identity.issuers]]
issuer = "https://id-b.example.com/"
label = "b"
jwt_jwks = "b.json"
jwt_audience = "b-app, app"
"#;

#[test]
fn several_issuers_each_with_its_keys_audience_and_label() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = resolve_in(dir.path(), &[], &[], Some(TWO_ISSUERS)).expect("issuers");
    let [a, b] = issuers(config).try_into().expect("two");
    assert_eq!(a.issuer.as_deref(), Some("https://Id-A.example.com/"));
    assert_eq!(a.label.as_deref(), Some("id-a.example.com"));
    assert_eq!(a.key, JwtKeySource::PublicKeyPem(dir.path().join("a.pem")));
    assert_eq!(a.audience, ["app"]);
    assert_eq!(b.label.as_deref(), Some("b"));
    assert_eq!(b.key, JwtKeySource::Jwks(dir.path().join("b.json")));
    assert_eq!(b.audience, ["b-app", "app"]);
    // One entry: a label only when configured.
    let one = "[[identity.issuers]]\nissuer = \"https://a/\"\njwt_secret = \"0123456789abcdef0123456789abcdef\"\n";
    assert_eq!(
        issuers(resolve(&[], &[], Some(one)).expect("one"))[0].label,
        None
    );
    let named = format!("{one}label = \"a\"\n");
    assert_eq!(
        issuers(resolve(&[], &[], Some(&named)).expect("one"))[0]
            .label
            .as_deref(),
        Some("a")
    );
}

#[test]
fn several_issuers_refusals() {
    let pem = |issuer: &str, extra: &str| {
        format!("[[identity.issuers]]\nissuer = \"{issuer}\"\njwt_public_key = \"k.pem\"\njwt_audience = \"app\"\n{extra}")
    };
    let two = |a: &str, b: &str| format!("{a}{b}");
    let cases: Vec<(Vec<&str>, String, &str)> = vec![
        (
            vec![],
            two(
                &pem("https://a/", "label = \"x\"\n"),
                &pem("https://b/", "label = \"x\"\n"),
            ),
            "also the label of \"https://a/\"",
        ),
        (
            vec![],
            two(
                &pem("https://a/", ""),
                &pem("https://a/", "label = \"y\"\n"),
            ),
            "appears twice",
        ),
        (
            vec![],
            two(&pem("https://a/x", ""), &pem("https://a/x/", "")),
            "also the label",
        ),
        (
            vec![],
            pem("https://a/", "label = \"../etc\"\n"),
            "label \"../etc\"",
        ),
        (
            vec![],
            pem("https://a/", "label = \"a/b\"\n"),
            "label \"a/b\"",
        ),
        (
            vec![],
            two(&pem("https://../", ""), &pem("https://b/", "")),
            "no safe label",
        ),
        (vec![], pem(" ", ""), "`issuer` is empty"),
        (
            vec![],
            "[[identity.issuers]]\nissuer = \"https://a/\"\n".into(),
            "needs one of",
        ),
        (
            vec![],
            pem("https://a/", "jwt_jwks = \"k.json\"\n"),
            "only one of",
        ),
        (
            vec![],
            "[[identity.issuers]]\nissuer = \"https://a/\"\njwt_jwks = \"k.json\"\n".into(),
            "[[identity.issuers]] \"https://a/\": public keys",
        ),
        (
            vec!["--jwt-secret", SECRET],
            pem("https://a/", ""),
            "not both",
        ),
        (
            vec!["--jwt-issuer", "https://a/"],
            pem("https://a/", ""),
            "each entry names its issuer",
        ),
        (vec![], pem("https://a/", "jwt_leeway = 5\n"), "jwt_leeway"),
    ];
    for (args, toml, words) in cases {
        let err = resolve(&args, &[], Some(&toml)).expect_err(&toml);
        assert!(err.to_string().contains(words), "{toml}\n=> {err}");
    }
}
