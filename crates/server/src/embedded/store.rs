//! The development store: s3s-fs (an S3-compatible store on a folder) served
//! in-process over real HTTP on its own loopback port, behind CORS, so the
//! browser talks to it exactly as it would talk to S3 (pages on a loopback
//! name and of `--allow-origin` only). Where s3s-fs differs
//! from S3 in a way clients notice, [`super::service`] answers as S3.

use super::cors;
use super::service::EmbeddedS3;
use crate::s3::credentials::Credentials;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::ServiceExt as _;

/// A running embedded store. Dropping it stops it.
#[derive(Debug)]
pub struct EmbeddedStore {
    addr: SocketAddr,
    credentials: Credentials,
    root: PathBuf,
    task: JoinHandle<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedStoreError {
    #[error("cannot create the store folder {0}: {1}")]
    Folder(PathBuf, #[source] std::io::Error),
    /// s3s-fs's error is `Debug` only; its text is kept.
    #[error("cannot open the store folder {0}: {1}")]
    Open(PathBuf, String),
    #[error("cannot listen on {0} for the store: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
}

impl EmbeddedStore {
    /// Serves `root` (created if missing) on `listen` with fresh random
    /// credentials, which only the signer needs to know.
    pub async fn start(root: &Path, listen: SocketAddr) -> Result<Self, EmbeddedStoreError> {
        Self::start_with(root, listen, Credentials::random_dev()).await
    }

    /// Like [`EmbeddedStore::start`], with these credentials (kept across
    /// restarts: s3s-fs ties a multipart upload to the key that created it).
    pub async fn start_with(
        root: &Path,
        listen: SocketAddr,
        credentials: Credentials,
    ) -> Result<Self, EmbeddedStoreError> {
        Self::start_for_origins(root, listen, credentials, Vec::new()).await
    }

    /// Like [`EmbeddedStore::start_with`], its CORS allowing these origins
    /// besides pages on a loopback name (`--allow-origin`).
    pub async fn start_for_origins(
        root: &Path,
        listen: SocketAddr,
        credentials: Credentials,
        allow_origins: Vec<HeaderValue>,
    ) -> Result<Self, EmbeddedStoreError> {
        std::fs::create_dir_all(root)
            .map_err(|e| EmbeddedStoreError::Folder(root.to_owned(), e))?;
        let fs = s3s_fs::FileSystem::new(root)
            .map_err(|e| EmbeddedStoreError::Open(root.to_owned(), format!("{e:?}")))?;
        // s3s-fs resolves its files under the canonical root, as here.
        let canonical = std::fs::canonicalize(root)
            .map_err(|e| EmbeddedStoreError::Open(root.to_owned(), e.to_string()))?;
        let mut builder = S3ServiceBuilder::new(EmbeddedS3::new(fs, canonical));
        builder.set_auth(SimpleAuth::from_single(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.expose(),
        ));
        // No host parser: path-style addressing (`/bucket/key`).
        let service = builder.build();

        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| EmbeddedStoreError::Bind(listen, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| EmbeddedStoreError::Bind(listen, e))?;
        let app = Router::new()
            .fallback(move |req: Request| call_store(service.clone(), req))
            .layer(cors::layer(allow_origins));
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "embedded store stopped");
            }
        });
        tracing::info!(%addr, root = %root.display(), "embedded S3 store started");
        Ok(Self {
            addr,
            credentials,
            root: root.to_owned(),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials the store accepts (random, for this run only).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn call_store(service: S3Service, req: Request) -> Response {
    match service.oneshot(req).await {
        Ok(resp) => resp.map(axum::body::Body::new).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "embedded store failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The longest key the embedded store can hold. s3s-fs names a metadata file
/// after the base64 of the whole bucket and key
/// (`.bucket-{b64}.object-{b64}.upload-{uuid}.metadata.json`), and a file name
/// has at most 255 bytes: keys must stay far below S3's 1,024 bytes.
pub fn max_key_bytes(bucket: &str) -> usize {
    const NAME_MAX: usize = 255;
    let b64 = |n: usize| (n * 4).div_ceil(3);
    let fixed = ".bucket-".len()
        + b64(bucket.len())
        + ".object-".len()
        + ".upload-".len()
        + 36
        + ".metadata.json".len();
    // The largest key whose base64 still fits.
    (NAME_MAX.saturating_sub(fixed) * 3) / 4
}

#[cfg(test)]
mod key_limit_tests {
    use super::max_key_bytes;

    #[test]
    fn the_metadata_file_name_fits_255_bytes() {
        for bucket in ["uploads", "a-much-longer-bucket-name-for-testing"] {
            let max = max_key_bytes(bucket);
            let b64 = |n: usize| (n * 4).div_ceil(3);
            let name = 8 + b64(bucket.len()) + 8 + b64(max) + 8 + 36 + 14;
            assert!(name <= 255, "{bucket}: {name}");
            assert!(name + 4 > 255, "{bucket}: wasteful ({name})");
        }
        assert_eq!(max_key_bytes("uploads"), 128);
    }
}
