//! The embedded store's key pair (--dev), kept in
//! `{data_dir}/dev-store-credentials.json` so a restarted server signs with
//! the same key: s3s-fs ties each multipart upload to the key that created
//! it, so with a fresh key the parts of an upload started before a restart
//! would be refused. The file is created with mode 0600 (on Unix); it only
//! opens the local development store.

use crate::s3::credentials::Credentials;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// File name inside the data folder.
pub const FILE: &str = "dev-store-credentials.json";

#[derive(Serialize, Deserialize)]
struct Stored {
    access_key_id: String,
    secret_access_key: String,
}

/// Why the key pair cannot be kept.
#[derive(Debug, thiserror::Error)]
#[error("cannot keep the development store's key in {0}: {1}")]
pub struct DevCredentialsError(PathBuf, #[source] std::io::Error);

/// The key pair saved in `data_dir`, or a new random one, saved there.
pub fn load_or_create(data_dir: &Path) -> Result<Credentials, DevCredentialsError> {
    let path = data_dir.join(FILE);
    let fail = |e| DevCredentialsError(path.clone(), e);
    match std::fs::read(&path) {
        Ok(bytes) => match serde_json::from_slice::<Stored>(&bytes) {
            Ok(stored) => {
                return Ok(Credentials::new(
                    stored.access_key_id,
                    stored.secret_access_key,
                ))
            }
            Err(_) => {
                tracing::warn!(path = %path.display(), "unreadable dev store key; making a new one")
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    let credentials = Credentials::random_dev();
    let stored = Stored {
        access_key_id: credentials.access_key_id.clone(),
        secret_access_key: credentials.secret_access_key.expose().to_owned(),
    };
    let json = serde_json::to_vec(&stored).map_err(|e| fail(e.into()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(fail)?;
    file.write_all(&json).map_err(fail)?;
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_kept_across_calls() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let first = load_or_create(&data).expect("created");
        let again = load_or_create(&data).expect("loaded");
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(data.join(FILE))
                .expect("file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = load_or_create(&dir.path().join("elsewhere")).expect("created");
        assert_ne!(first, other);
    }
}
