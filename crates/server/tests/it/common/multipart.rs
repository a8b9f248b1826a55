//! Driving the multipart endpoints the way the browser client does.

use super::TestServer;
use presign_core::protocol::multipart::{CreateMultipartResponse, PartUrl, PartUrlsResponse};
use presign_core::Sha256Digest;
use presign_core::UserId;
use presign_server::DEV_USER;
use presign_server::{UploadId, UploadSession};
use serde_json::{json, Value};

/// A mebibyte, as a length.
pub const MIB: usize = presign_core::s3::limits::MIB as usize;

impl TestServer {
    /// `POST /api/multipart` for `size` bytes in parts of `part_size`, expecting success.
    pub async fn create_multipart(&self, size: usize, part_size: usize) -> CreateMultipartResponse {
        let body = json!({
            "filename": "big file.bin",
            "file_type": "ecu",
            "size": size,
            "part_size": part_size,
        });
        self.create_multipart_with(&body).await
    }

    /// `POST /api/multipart` with `body`, expecting success.
    pub async fn create_multipart_with(&self, body: &Value) -> CreateMultipartResponse {
        let resp = self.post_json("multipart", body).await;
        assert_eq!(resp.status(), 200, "create {body}");
        resp.json().await.expect("CreateMultipartResponse")
    }

    /// `POST /api/multipart/{id}/part-urls` with a raw JSON body.
    pub async fn part_urls_raw(&self, id: &str, body: &Value) -> reqwest::Response {
        self.post_json(&format!("multipart/{id}/part-urls"), body)
            .await
    }

    /// URLs for these (number, bytes) parts, expecting success.
    pub async fn part_urls(&self, id: &str, parts: &[(u32, &[u8])]) -> Vec<PartUrl> {
        let body = json!({
            "parts": parts
                .iter()
                .map(|(n, data)| json!({
                    "number": n,
                    "size": data.len(),
                    "sha256": Sha256Digest::of(data).to_base64(),
                }))
                .collect::<Vec<_>>(),
        });
        let resp = self.part_urls_raw(id, &body).await;
        assert_eq!(resp.status(), 200, "part-urls");
        let urls: PartUrlsResponse = resp.json().await.expect("PartUrlsResponse");
        urls.urls
    }

    /// PUTs a part like a browser: every returned header but `content-length`,
    /// which the HTTP stack sets from the body.
    pub async fn put_part(&self, url: &PartUrl, body: Vec<u8>) -> reqwest::Response {
        let mut req = self.http.put(&url.url).body(body);
        for (name, value) in &url.headers {
            if name != "content-length" {
                req = req.header(name, value);
            }
        }
        req.send().await.expect("store reachable")
    }

    /// PUTs a part and returns its ETag, expecting success.
    pub async fn upload_part(&self, url: &PartUrl, body: Vec<u8>) -> String {
        let resp = self.put_part(url, body).await;
        assert_eq!(resp.status(), 200, "part {}", url.number);
        resp.headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("ETag")
            .to_owned()
    }

    /// `POST /api/multipart/{id}/complete` with (number, etag, bytes) parts.
    pub async fn complete(&self, id: &str, parts: &[(u32, String, &[u8])]) -> reqwest::Response {
        let body = json!({
            "parts": parts
                .iter()
                .map(|(n, etag, data)| json!({
                    "number": n,
                    "etag": etag,
                    "sha256": Sha256Digest::of(data).to_base64(),
                }))
                .collect::<Vec<_>>(),
        });
        self.post_json(&format!("multipart/{id}/complete"), &body)
            .await
    }

    pub async fn list_parts(&self, id: &str) -> reqwest::Response {
        self.http
            .get(self.api(&format!("multipart/{id}/parts")))
            .send()
            .await
            .expect("API reachable")
    }

    pub async fn abort(&self, id: &str) -> reqwest::Response {
        self.http
            .delete(self.api(&format!("multipart/{id}")))
            .send()
            .await
            .expect("API reachable")
    }

    /// The registry's record of the dev user's upload `id`.
    pub async fn session(&self, id: &str) -> Option<UploadSession> {
        let id = UploadId::parse(id)?;
        let dev = UserId::parse(DEV_USER).expect("dev user");
        self.server
            .upload_sessions()
            .get(&id, &dev)
            .await
            .expect("database")
    }
}
