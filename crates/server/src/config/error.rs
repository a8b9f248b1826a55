//! Why the server refuses to start (or a subcommand to run): every
//! setting's refusal names the flag, variable or file key at fault.

use presign_core::s3::limits::MAX_PRESIGN_EXPIRY_SECS;
use std::path::PathBuf;

/// Why the configuration is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable(s) {}: set them for your S3 store, or run with --dev (or --store embedded) for an embedded one", .0.join(", "))]
    MissingEnv(Vec<&'static str>),
    #[error("AWS_ENDPOINT_URL must be an http(s) URL like https://s3.eu-west-1.amazonaws.com, got {0:?}")]
    BadEndpoint(String),
    #[error("PORT must be a port number, got {0:?}")]
    BadPort(String),
    #[error("--expires-in must be between 1 and {MAX_PRESIGN_EXPIRY_SECS} seconds (7 days, the SigV4 limit), got {0}")]
    BadExpiry(u64),
    #[error("bucket name must be 3 to 63 characters of a-z, 0-9, '.' or '-', starting and ending with a letter or digit, got {0:?}")]
    BadBucket(String),
    #[error("--store-public-url (PRESIGN_STORE_PUBLIC_URL) must be an http(s) URL like https://files.example.com, got {0:?}")]
    BadPublicUrl(String),
    #[error("--allow-origin must look like https://host[:port], got {0:?}")]
    BadOrigin(String),
    #[error("--webhook-url (PRESIGN_WEBHOOK_URL) must be an http(s) URL like https://app.example.com/hooks/uploads, got {0:?}")]
    BadWebhookUrl(String),
    #[error("a webhook needs both --webhook-url (PRESIGN_WEBHOOK_URL) and --webhook-secret (PRESIGN_WEBHOOK_SECRET)")]
    WebhookIncomplete,
    #[error("--webhook-max-attempts must be at least 1")]
    BadWebhookAttempts,
    #[error("{name}: {message}")]
    BadDuration { name: &'static str, message: String },
    #[error("--gc-older-than (PRESIGN_GC_OLDER_THAN) must be more than 0")]
    ZeroGcAge,
    #[error("no identity configured: set --jwt-secret, --jwt-public-key, --jwt-jwks or --jwt-jwks-url (env PRESIGN_JWT_SECRET, PRESIGN_JWT_PUBLIC_KEY, PRESIGN_JWT_JWKS, PRESIGN_JWT_JWKS_URL, or [identity] or [[identity.issuers]] in --config), or run with --dev for a fixed development user")]
    NoIdentity,
    #[error(
        "set only one of --jwt-secret, --jwt-public-key, --jwt-jwks and --jwt-jwks-url (flags, env or [identity])"
    )]
    TwoKeySources,
    /// Public keys and no audience: tokens the identity provider issues for
    /// any other application would verify. The issuer, when one is named.
    #[error("{}", no_audience(.0.as_deref()))]
    NoAudience(Option<String>),
    #[error("--jwt-any-audience (PRESIGN_JWT_ANY_AUDIENCE, [identity] jwt_any_audience) and --jwt-audience (PRESIGN_JWT_AUDIENCE, [identity] jwt_audience) contradict each other: set one")]
    AudienceAndAnyAudience,
    #[error("config file: [identity] jwt_leeway must be at most {max} seconds, got {got}: a longer leeway accepts tokens long after they expired")]
    LongLeeway { got: u64, max: u64 },
    #[error("--jwt-issuer (PRESIGN_JWT_ISSUER, [identity] jwt_issuer) names one issuer, got {0:?}: several issuers would share one set of keys and one users/{{sub}}/ namespace; configure each with its own keys in [[identity.issuers]] of the config file")]
    SeveralIssuers(String),
    #[error("set the JWT keys either with --jwt-secret, --jwt-public-key, --jwt-jwks or --jwt-jwks-url (their variables, or [identity]) or per issuer in [[identity.issuers]], not both")]
    KeysBothWays,
    #[error("--jwt-issuer (PRESIGN_JWT_ISSUER, [identity] jwt_issuer) does not apply with [[identity.issuers]]: each entry names its issuer")]
    IssuerBothWays,
    #[error("config file: [[identity.issuers]] {issuer:?}: {reason}")]
    BadIssuer { issuer: String, reason: String },
    /// A JWKS URL that is not https (nor http to a loopback address), and why.
    #[error("the JWKS URL (--jwt-jwks-url, PRESIGN_JWT_JWKS_URL, jwt_jwks_url in --config) {url:?} {reason}")]
    BadJwksUrl { url: String, reason: &'static str },
    /// Shorter than the minimum it names.
    #[error("the JWT secret must be at least {0} bytes")]
    ShortSecret(usize),
    #[error("cannot read the config file {0}: {1}")]
    ReadFile(PathBuf, String),
    #[error("config file {0}: {1}")]
    BadFile(PathBuf, String),
    #[error("{name} must be {what}, got {value:?}")]
    BadValue {
        name: &'static str,
        what: &'static str,
        value: String,
    },
    #[error("config file: [policy.file_types.{0}] is not a valid file_type (1 to 64 of a-z, 0-9, '_', '-')")]
    BadFileType(String),
    #[error("config file: expires_in of [policy.file_types.{0}] must be between 1 and {MAX_PRESIGN_EXPIRY_SECS} seconds")]
    BadTypeExpiry(String),
    #[error("{at}: {why}")]
    BadMetadataName { at: String, why: String },
    #[error("{at}: {why}")]
    BadKeyTemplate { at: String, why: String },
    #[error("--allow-host (PRESIGN_ALLOW_HOST) must be a host name or IP address, with an optional port, like uploads.example.com or 10.0.0.5:8080, got {0:?}")]
    BadHost(String),
    #[error("--dev will not listen on {1} ({0}), an address other machines can reach: development mode needs no token (every caller is the user `dev` unless JWT settings are given) and lets pages on localhost call it. Listen on 127.0.0.1, or give --dev-allow-remote (PRESIGN_DEV_ALLOW_REMOTE=true) on a network you trust, with --allow-host for the names clients use")]
    DevRemote(&'static str, std::net::SocketAddr),
    /// Why the URL is refused, without its password.
    #[error("--database-url (DATABASE_URL) {0}")]
    BadDatabaseUrl(String),
    /// The setting (flag and variable), and what it must be.
    #[error("{0} must be {1}")]
    AtLeast(&'static str, &'static str),
}

/// [`ConfigError::NoAudience`]'s text, naming the issuer when there is one.
fn no_audience(issuer: Option<&str>) -> String {
    let (who, key) = match issuer {
        Some(issuer) => (
            format!("[[identity.issuers]] {issuer:?}: "),
            "its jwt_audience, or ",
        ),
        None => (String::new(), ""),
    };
    format!(
        "{who}public keys (--jwt-public-key, --jwt-jwks, --jwt-jwks-url) need an audience: set {key}--jwt-audience \
         (PRESIGN_JWT_AUDIENCE, [identity] jwt_audience) to the aud your identity provider puts in \
         this application's tokens; without one, the tokens it issues for any other application \
         are accepted here. If every token of this provider is meant for this server, pass \
         --jwt-any-audience (PRESIGN_JWT_ANY_AUDIENCE) instead"
    )
}
