//! The TOML file named by `--config` / `PRESIGN_CONFIG`: the last layer
//! ([`super::sources`]) of identity, upload policy and per-user limits, and
//! the only home of per-file-type rules, of several JWT issuers and of the
//! JWT leeway.
//!
//! The file (every table and key optional; relative paths are relative to
//! the file's folder):
//!
//! ```toml
//! [identity]
//! jwt_secret = "..."            # HS256/384/512 shared secret, at least 32 bytes
//! jwt_public_key = "jwt.pem"    # or: RSA/EC public key (RS*/PS*/ES256/ES384)
//! jwt_jwks = "jwks.json"        # or: JWKS file, keys picked by kid
//! jwt_jwks_url = "https://id.example.com/.well-known/jwks.json"  # or: JWKS URL, refetched
//! jwt_audience = "my-app"       # tokens must carry this aud
//! jwt_issuer = "https://id.example.com/"
//! jwt_any_audience = false      # public keys without an audience
//! jwt_leeway = 30               # seconds of clock skew tolerated on exp/nbf (<= 300)
//!
//! # Or, instead of the keys above, several issuers, each with its keys:
//! [[identity.issuers]]
//! issuer = "https://id-a.example.com/"  # the iss of its tokens
//! label = "a"                   # its users' keys: users/a/{sub}/ (default: from issuer)
//! jwt_jwks = "a-jwks.json"      # one of jwt_secret, jwt_public_key, jwt_jwks, jwt_jwks_url
//! jwt_audience = "my-app"       # default: [identity] jwt_audience
//!
//! [limits]
//! rate_limit = 20               # requests per second per user (0: off)
//! rate_burst = 200
//! max_open_uploads = 20         # open multipart uploads per user
//!
//! [policy]
//! default_max_size = 5368709120 # bytes, for types without their own
//! max_post_size = 10000000      # bytes, presigned POST form uploads
//! inline_pdf = false            # downloads show PDFs in the browser
//! user_quota = 1000000000       # bytes one user may hold
//! metadata = ["project"]        # x-amz-meta-* names every type takes
//! key_template = "users/{user}/{file_type}/{date}/{uuid}-{filename}"
//!
//! [policy.file_types.images]
//! content_types = ["image/png", "image/jpeg"]   # or "image/*"; active
//!                               # types (text/html, image/svg+xml) only by name
//! extensions = ["png", "jpg", "jpeg"]
//! max_size = 10000000
//! user_quota = 100000000        # bytes of this type one user may hold
//! expires_in = 300              # seconds
//! metadata = ["serial"]         # names this type takes besides [policy]'s
//! key_template = "users/{user}/{meta.serial}/{date}/{uuid}-{filename}"
//! ```

use super::error::ConfigError;
use super::sources::Env;
use crate::domain::upload_policy::FileTypeRule;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// The file's types have no Debug: `jwt_secret` is a plain string here.

/// The TOML file's shape.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    #[serde(default)]
    pub identity: FileIdentity,
    #[serde(default)]
    pub limits: FileLimits,
    #[serde(default)]
    pub policy: FilePolicy,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileIdentity {
    pub jwt_secret: Option<String>,
    pub jwt_public_key: Option<PathBuf>,
    pub jwt_jwks: Option<PathBuf>,
    pub jwt_jwks_url: Option<String>,
    pub jwt_audience: Option<String>,
    pub jwt_issuer: Option<String>,
    pub jwt_any_audience: Option<bool>,
    pub jwt_leeway: Option<u64>,
    /// Several issuers, each with its own keys (`[[identity.issuers]]`).
    #[serde(default)]
    pub issuers: Vec<FileIssuer>,
}

/// One `[[identity.issuers]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileIssuer {
    pub issuer: String,
    pub label: Option<String>,
    pub jwt_secret: Option<String>,
    pub jwt_public_key: Option<PathBuf>,
    pub jwt_jwks: Option<PathBuf>,
    pub jwt_jwks_url: Option<String>,
    pub jwt_audience: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    pub rate_limit: Option<u32>,
    pub rate_burst: Option<u32>,
    pub max_open_uploads: Option<usize>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePolicy {
    pub default_max_size: Option<u64>,
    pub max_post_size: Option<u64>,
    pub inline_pdf: Option<bool>,
    pub user_quota: Option<u64>,
    pub metadata: Option<Vec<String>>,
    pub key_template: Option<String>,
    #[serde(default)]
    pub file_types: BTreeMap<String, FileTypeRule>,
}

/// The file `flag` names, else `PRESIGN_CONFIG`'s, read; and the folder its
/// relative paths start from. No file: every key unset.
pub fn load(flag: Option<PathBuf>, env: &Env<'_>) -> Result<(FileSettings, PathBuf), ConfigError> {
    let path = env.layer_with(flag, "PRESIGN_CONFIG", |text| Ok(PathBuf::from(text)), None)?;
    match &path {
        Some(path) => Ok((
            read(path)?,
            path.parent().map(Path::to_owned).unwrap_or_default(),
        )),
        None => Ok((FileSettings::default(), PathBuf::new())),
    }
}

fn read(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::ReadFile(path.to_owned(), e.to_string()))?;
    toml::from_str(&text).map_err(|e| ConfigError::BadFile(path.to_owned(), e.message().to_owned()))
}
