//! Writes to a store behind the signer's back: a plain PutObject signed
//! with the store's own key pair and no condition, what anyone holding the
//! bucket's credentials can do.

use rusty_s3::{Bucket, Credentials, S3Action as _, UrlStyle};
use std::time::Duration;

pub struct DirectStore {
    bucket: Bucket,
    credentials: Credentials,
    http: reqwest::Client,
}

impl DirectStore {
    /// The store at `endpoint` (path-style), `bucket` in `region`.
    pub fn new(endpoint: &str, region: &str, bucket: &str, key_id: &str, secret: &str) -> Self {
        let bucket = Bucket::new(
            endpoint.parse().expect("store URL"),
            UrlStyle::Path,
            bucket.to_owned(),
            region.to_owned(),
        )
        .expect("bucket");
        Self {
            bucket,
            credentials: Credentials::new(key_id, secret),
            http: reqwest::Client::new(),
        }
    }

    /// The embedded store of a `--dev` server (bucket `uploads`).
    pub fn of_dev(server: &presign_server::Server) -> Self {
        let store = server.embedded_store().expect("a --dev server has a store");
        let creds = store.credentials();
        Self::new(
            server.store_url(),
            "us-east-1",
            "uploads",
            &creds.access_key_id,
            creds.secret_access_key.expose(),
        )
    }

    /// PUTs `body` at `key`, unconditionally; the status.
    pub async fn put(&self, key: &str, body: Vec<u8>) -> u16 {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(Duration::from_secs(300));
        let resp = self
            .http
            .put(url)
            .body(body)
            .send()
            .await
            .expect("store reachable");
        resp.status().as_u16()
    }
}
