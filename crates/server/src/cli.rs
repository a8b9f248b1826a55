//! The command line, as clap parses it; [`crate::config::Config::resolve`]
//! checks it and adds the environment and the `--config` file.

use crate::secret::Secret;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The end of `--help`: where settings come from.
pub const PRECEDENCE_HELP: &str = "Identity, limits and policy settings come from flags, then environment variables, then the --config TOML file (flags > env > TOML); per-file-type rules ([policy.file_types.NAME]: content_types, extensions, max_size, user_quota, expires_in) and several JWT issuers ([[identity.issuers]]) only from the file. Without --dev an identity (--jwt-secret, --jwt-public-key, --jwt-jwks, --jwt-jwks-url or [[identity.issuers]]) is required.";

/// Hands out presigned S3 upload and download URLs; serves the demo page.
/// Without a subcommand it runs the server.
#[derive(Debug, Clone, Parser)]
#[command(name = "presign-server", version, about, after_help = PRECEDENCE_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Development mode: a fixed user `dev` unless JWT settings are given,
    /// pages on localhost, 127.0.0.1 and ::1 (and --allow-origin's)
    /// allowed, loopback addresses only (see --dev-allow-remote), and
    /// (unless --store s3) an embedded S3-compatible store (s3s-fs) on
    /// <DATA_DIR>/store.
    #[arg(long, global = true)]
    pub dev: bool,

    /// Which store to sign for: `embedded` (s3s-fs on <DATA_DIR>/store) or
    /// `s3` (a real endpoint from the AWS_* environment) [default: embedded
    /// with --dev, else s3]. `--dev --store s3` runs development mode against
    /// a real store (Garage, MinIO, a test bucket).
    #[arg(long, value_enum, value_name = "STORE", global = true)]
    pub store: Option<StoreKind>,

    /// Address to listen on [default: 127.0.0.1:8080, or 127.0.0.1:$PORT].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Once listening, write the addresses to this file as JSON (`url`,
    /// `store_url`, `bucket`, and `public_store_url` when it differs), for
    /// scripts that start the server [env PRESIGN_READY_FILE].
    #[arg(long, value_name = "FILE", env = "PRESIGN_READY_FILE")]
    pub ready_file: Option<PathBuf>,

    /// Data folder: the SQLite database (presign.sqlite3: open multipart
    /// uploads, completed uploads, webhook outbox) and, with --dev, the
    /// embedded store (store/).
    #[arg(long, value_name = "DIR", default_value = "./.data", global = true)]
    pub data_dir: PathBuf,

    /// PostgreSQL instead of the SQLite file, for several replicas sharing
    /// one database: postgres://USER:PASSWORD@HOST:5432/DATABASE, TLS as
    /// libpq's sslmode and sslrootcert say (?sslmode=verify-full&
    /// sslrootcert=CA.pem). Flags show in `ps`: prefer the environment for a
    /// URL with a password [env DATABASE_URL].
    #[arg(long, value_name = "URL", global = true)]
    pub database_url: Option<Secret>,

    /// Address of the embedded store (--dev); port 0 picks a free one.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:0",
        global = true
    )]
    pub store_listen: SocketAddr,

    /// Bucket [default: `uploads` with --dev, else env PRESIGN_BUCKET].
    #[arg(long, global = true)]
    pub bucket: Option<String>,

    /// Base URL of the store in the presigned URLs handed to browsers (single
    /// PUT, parts, downloads), when browsers reach the store at another
    /// address than this server does (a reverse proxy, a CDN). The store
    /// checks signatures against the Host it receives, so the proxy must pass
    /// the Host header on unchanged. The server's own calls keep using the
    /// store's address [default: that address; env PRESIGN_STORE_PUBLIC_URL].
    #[arg(long, value_name = "URL")]
    pub store_public_url: Option<String>,

    /// Lifetime of presigned URLs, in seconds (at most 604800, 7 days).
    /// POST form policies live at most 60 s: a form can write its key again
    /// until it expires.
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub expires_in: u64,

    /// Folder served at `/` (the demo page).
    #[arg(long, value_name = "DIR", default_value = "www")]
    pub www_dir: PathBuf,

    /// Folder served at `/pkg/` (the wasm-pack output).
    #[arg(long, value_name = "DIR", default_value = "pkg")]
    pub pkg_dir: PathBuf,

    /// Origin allowed to call the API from another site (repeatable), like
    /// `https://app.example.com`. With --dev pages on a loopback name
    /// (localhost, 127.0.0.1, ::1; any port) are allowed too.
    #[arg(long, value_name = "ORIGIN", global = true)]
    pub allow_origin: Vec<String>,

    /// Time between two collections of stale multipart uploads, like `1h`
    /// or `30m`; `0` turns the collector off [default: 1h; env PRESIGN_GC_INTERVAL].
    #[arg(long, value_name = "DURATION", value_parser = crate::duration_text::parse)]
    pub gc_interval: Option<Duration>,

    /// Age at which an open multipart upload is stale and aborted, like `24h`
    /// or `7d` [default: 24h; env PRESIGN_GC_OLDER_THAN].
    #[arg(long, value_name = "DURATION", value_parser = crate::duration_text::parse)]
    pub gc_older_than: Option<Duration>,

    /// Identity, limits and upload policy (flags > env > --config TOML).
    #[command(flatten)]
    pub file_backed: FileBackedArgs,
    /// URL that receives a signed POST per completed upload (the upload
    /// record as JSON) [env PRESIGN_WEBHOOK_URL]. Needs --webhook-secret.
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,

    /// HMAC-SHA256 key of the webhook's `X-Presign-Signature` header; prefer
    /// the environment, which `ps` does not show [env PRESIGN_WEBHOOK_SECRET].
    #[arg(long, value_name = "SECRET")]
    pub webhook_secret: Option<Secret>,

    /// Delay before the first retry of a failed webhook delivery, in
    /// milliseconds; doubled after each failure, up to 15 minutes.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub webhook_retry_ms: u64,

    /// Attempts per webhook delivery, the first included.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub webhook_max_attempts: u32,

    /// Host name (or IP address) clients may reach the server by, besides
    /// localhost, 127.0.0.1 and ::1: `name` (any port) or `name:port`;
    /// repeatable or comma separated. A request with another `Host` gets a
    /// 403. Always checked with --dev; without --dev only when given
    /// [env PRESIGN_ALLOW_HOST].
    #[arg(long, value_name = "HOST", value_delimiter = ',')]
    pub allow_host: Vec<String>,

    /// Lets --dev listen (--listen, --store-listen) on an address other
    /// machines can reach. Development mode needs no token and allows
    /// loopback origins: give this only on a network you trust
    /// [env PRESIGN_DEV_ALLOW_REMOTE=true].
    #[arg(long)]
    pub dev_allow_remote: bool,

    /// Longest time a request may take, from its arrival (waiting for a
    /// slot included) to its answer, like `60s` or `2m`; past it the answer
    /// is a 503 [default: 60s; env PRESIGN_REQUEST_TIMEOUT].
    #[arg(long, value_name = "DURATION", value_parser = crate::duration_text::parse)]
    pub request_timeout: Option<Duration>,

    /// Requests handled at once; the others wait for a slot (within
    /// --request-timeout) [default: 1024; env PRESIGN_MAX_CONCURRENT_REQUESTS].
    #[arg(long, value_name = "N")]
    pub max_concurrent_requests: Option<usize>,
}

/// `--store`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// The in-process s3s-fs store.
    Embedded,
    /// A real S3-compatible endpoint (AWS_ENDPOINT_URL, AWS_REGION, ...).
    S3,
}

/// The flags of the settings the `--config` TOML file may also hold:
/// identity, limits and upload policy (flags > env > file).
#[derive(Debug, Clone, Default, Args)]
pub struct FileBackedArgs {
    /// TOML file with identity, limits and per-file-type policy. Precedence:
    /// flags > environment > this file [env PRESIGN_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// HS256 shared secret of bearer JWTs (at least 32 bytes). Prefer the
    /// environment: flags show in `ps` [env PRESIGN_JWT_SECRET].
    #[arg(long, value_name = "SECRET")]
    pub jwt_secret: Option<Secret>,

    /// PEM public key (RSA: RS256.., EC: ES256/ES384) of bearer JWTs
    /// [env PRESIGN_JWT_PUBLIC_KEY].
    #[arg(long, value_name = "FILE")]
    pub jwt_public_key: Option<PathBuf>,

    /// JWKS file of bearer JWTs' public keys, picked by `kid`
    /// [env PRESIGN_JWT_JWKS].
    #[arg(long, value_name = "FILE")]
    pub jwt_jwks: Option<PathBuf>,

    /// JWKS URL of bearer JWTs' public keys, picked by `kid`: fetched at
    /// start, cached for the response's Cache-Control max-age (60 s to
    /// 24 h; 5 min without one), refetched when a token names an unknown
    /// `kid` (at most once a minute). https only, or http to a loopback
    /// address [env PRESIGN_JWT_JWKS_URL].
    #[arg(long, value_name = "URL")]
    pub jwt_jwks_url: Option<String>,

    /// Required `aud` of bearer JWTs (comma-separated: any of them);
    /// required with public keys unless --jwt-any-audience
    /// [env PRESIGN_JWT_AUDIENCE].
    #[arg(long, value_name = "AUD")]
    pub jwt_audience: Option<String>,

    /// Required `iss` of bearer JWTs: one issuer (several, each with its
    /// keys: [[identity.issuers]] in --config) [env PRESIGN_JWT_ISSUER].
    #[arg(long, value_name = "ISS")]
    pub jwt_issuer: Option<String>,

    /// Requests per second per user; 0 turns the limit off [default: 20;
    /// env PRESIGN_RATE_LIMIT].
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,

    /// Burst of requests per user [default: 200; env PRESIGN_RATE_BURST].
    #[arg(long, value_name = "N")]
    pub rate_burst: Option<u32>,

    /// Open multipart uploads per user [default: 20; env PRESIGN_MAX_OPEN_UPLOADS].
    #[arg(long, value_name = "N")]
    pub max_open_uploads: Option<usize>,

    /// Largest upload, in bytes, of file types without their own max_size
    /// [default: 5368709120, 5 GiB; env PRESIGN_MAX_SIZE].
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,

    /// Largest presigned POST form upload, in bytes [default: 10000000;
    /// env PRESIGN_MAX_POST_SIZE].
    #[arg(long, value_name = "BYTES")]
    pub max_post_size: Option<u64>,

    /// Downloads show PDFs in the browser (`Content-Disposition: inline`)
    /// instead of saving them as attachments [env PRESIGN_INLINE_PDF].
    #[arg(long)]
    pub inline_pdf: bool,
    /// Accept public-key (--jwt-public-key, --jwt-jwks, --jwt-jwks-url)
    /// tokens whatever their `aud`: only when every token of the identity
    /// provider is meant for this server. Without it, public keys need
    /// --jwt-audience [env PRESIGN_JWT_ANY_AUDIENCE].
    #[arg(long)]
    pub jwt_any_audience: bool,

    /// Bytes one user may hold: recorded uploads plus open multipart
    /// uploads' planned sizes; past it, 413 quota_exceeded [default: no
    /// quota; env PRESIGN_USER_QUOTA].
    #[arg(long, value_name = "BYTES")]
    pub user_quota: Option<u64>,

    /// A metadata name (x-amz-meta-NAME) every file type takes; repeatable
    /// or comma separated. A file type's `metadata` in --config adds its
    /// own [default: none; env PRESIGN_ALLOW_METADATA].
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub allow_metadata: Vec<String>,

    /// Where new objects go, for file types without their own
    /// key_template: placeholders {user} {file_type} {date} {uuid}
    /// {filename} {ext} {meta.NAME}; must start with users/{user}/ and hold
    /// {uuid} [default: users/{user}/{file_type}/{date}/{uuid}-{filename};
    /// env PRESIGN_KEY_TEMPLATE].
    #[arg(long, value_name = "TEMPLATE")]
    pub key_template: Option<String>,
}

/// What to do instead of running the server. The store flags (`--dev`,
/// `--data-dir`, `--bucket`, `--allow-origin`) and the AWS_* environment
/// are the server's, and may come before or after the subcommand.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Abort stale multipart uploads once, print each, and exit (1 if the
    /// store refused some). The running server does this by itself every
    /// --gc-interval.
    Gc {
        /// Abort uploads started longer ago than this, like `24h` or `7d`.
        #[arg(long, value_name = "DURATION", value_parser = crate::duration_text::parse, default_value = "24h")]
        older_than: Duration,
    },
    /// The bucket CORS configuration browsers need to upload straight to it.
    #[command(subcommand)]
    Cors(CorsCommand),
    /// Check a signer (this one, or one you wrote) against the protocol,
    /// through the store it signs for, and print a table of what passed;
    /// exit 1 if a check failed. Needs nothing of this server's settings.
    Conformance(ConformanceArgs),
}

/// The signer `presign-server conformance` checks, and as whom.
#[derive(Debug, Clone, Args)]
pub struct ConformanceArgs {
    /// The signer's base URL (its routes under /api), like http://127.0.0.1:8000.
    #[arg(value_name = "URL")]
    pub url: String,
    /// The bearer token (a JWT) of the user the checks run as; none for a
    /// signer in dev mode.
    #[arg(long, env = "PRESIGN_CONFORMANCE_TOKEN", value_name = "JWT")]
    pub token: Option<String>,
    /// A second user's token: checks that one user cannot reach the other's
    /// objects and uploads.
    #[arg(long, env = "PRESIGN_CONFORMANCE_OTHER_TOKEN", value_name = "JWT")]
    pub other_token: Option<String>,
    /// The file_type of the uploads.
    #[arg(long, value_name = "TYPE", default_value = "conformance")]
    pub file_type: String,
    /// A metadata name the signer takes for that file type, and a value:
    /// checks it is stored as x-amz-meta-NAME.
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_metadata)]
    pub metadata: Option<(String, String)>,
}

fn parse_metadata(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE"))
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum CorsCommand {
    /// Print the configuration as JSON, in the form of
    /// `aws s3api put-bucket-cors --cors-configuration` (the S3 console's
    /// CORS editor takes the `CORSRules` array). Origins: --allow-origin.
    Print,
    /// Set it on the configured bucket (PutBucketCors, keeping the bucket's
    /// other rules), then read it back (GetBucketCors) to check it took.
    Apply,
}
