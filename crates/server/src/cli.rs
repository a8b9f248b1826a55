//! The command line, as clap parses it; [`crate::config::Config::resolve`]
//! checks it and adds the environment.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Hands out presigned S3 upload and download URLs; serves the demo page.
#[derive(Debug, Clone, Parser)]
#[command(name = "presign-server", version, about, after_help = crate::settings::PRECEDENCE_HELP)]
pub struct Cli {
    /// Run an embedded S3-compatible store (s3s-fs) on <DATA_DIR>/store, allow
    /// any origin, and ignore the AWS_* environment.
    #[arg(long)]
    pub dev: bool,

    /// Address to listen on [default: 127.0.0.1:8080, or 127.0.0.1:$PORT].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Data folder of the embedded store (--dev).
    #[arg(long, value_name = "DIR", default_value = "./.data")]
    pub data_dir: PathBuf,

    /// Address of the embedded store (--dev); port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub store_listen: SocketAddr,

    /// Bucket [default: `uploads` with --dev, else env PRESIGN_BUCKET].
    #[arg(long)]
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
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    pub expires_in: u64,

    /// Folder served at `/` (the demo page).
    #[arg(long, value_name = "DIR", default_value = "www")]
    pub www_dir: PathBuf,

    /// Folder served at `/pkg/` (the wasm-pack output).
    #[arg(long, value_name = "DIR", default_value = "pkg")]
    pub pkg_dir: PathBuf,

    /// Origin allowed to call the API from another site (repeatable), like
    /// `https://app.example.com`. With --dev any origin is allowed.
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// Identity, limits and upload policy (flags > env > --config TOML).
    #[command(flatten)]
    pub settings: crate::settings::SettingsArgs,
}
