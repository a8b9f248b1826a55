//! Presigning the bucket's CORS configuration calls for the server itself:
//! PutBucketCors with its body's `Content-MD5` signed (S3 requires the
//! header on this call; signed, it binds the unsigned body too) and
//! GetBucketCors. rusty-s3 has no action for them; they go through its
//! public [`rusty_s3::signing::sign`], like the multipart calls.

use super::{PresignedRequest, Signer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jiff::Timestamp;
use md5::{Digest as _, Md5};
use rusty_s3::Method;
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

impl Signer {
    /// A presigned PutBucketCors for exactly `body` (the XML document):
    /// `content-md5` and `content-type` are signed headers.
    pub fn presign_put_bucket_cors(
        &self,
        body: &str,
        expires_in: Duration,
        now: Timestamp,
    ) -> PresignedRequest {
        let mut headers = BTreeMap::new();
        headers.insert(
            "content-md5".to_owned(),
            STANDARD.encode(Md5::digest(body.as_bytes())),
        );
        headers.insert("content-type".to_owned(), "application/xml".to_owned());
        let url = self.sign_bucket(Method::Put, &headers, expires_in, now);
        PresignedRequest { url, headers }
    }

    /// A presigned GetBucketCors.
    pub fn presign_get_bucket_cors(&self, expires_in: Duration, now: Timestamp) -> Url {
        self.sign_bucket(Method::Get, &BTreeMap::new(), expires_in, now)
    }

    /// Signs `method` on the bucket's `?cors` subresource.
    fn sign_bucket(
        &self,
        method: Method,
        headers: &BTreeMap<String, String>,
        expires_in: Duration,
        now: Timestamp,
    ) -> Url {
        rusty_s3::signing::sign(
            &now,
            method,
            self.bucket.base_url().clone(),
            self.credentials.key(),
            self.credentials.secret(),
            self.credentials.token(),
            self.bucket.region(),
            expires_in.as_secs(),
            [("cors", "")].into_iter(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }
}
