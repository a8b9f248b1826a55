//! The store client's bucket CORS calls: the configuration read
//! (GetBucketCors) and written (PutBucketCors), for `presign-server cors
//! apply`. The rule is [`crate::s3::bucket_cors_rule`]'s; the signing,
//! `s3/signer/bucket_cors_signing.rs`'s.

use super::{error_from, exchange, StoreClient, StoreError, OWN_REQUEST_EXPIRY};
use crate::s3::bucket_cors_rule::CorsConfiguration;
use jiff::Timestamp;
use reqwest::StatusCode;

impl StoreClient {
    /// The bucket's CORS rules; none when it has no configuration
    /// (`NoSuchCORSConfiguration`).
    pub async fn get_bucket_cors(&self) -> Result<CorsConfiguration, StoreError> {
        const OP: &str = "GetBucketCors";
        let url = self
            .signer()
            .await?
            .presign_get_bucket_cors(OWN_REQUEST_EXPIRY, Timestamp::now());
        let (status, body) = exchange(OP, self.http.get(url)).await?;
        if !status.is_success() {
            let err = error_from(OP, status, &body);
            if status == StatusCode::NOT_FOUND && err.s3_code() == Some("NoSuchCORSConfiguration") {
                return Ok(CorsConfiguration::default());
            }
            return Err(err);
        }
        CorsConfiguration::from_xml(&body).map_err(|e| StoreError::BadXml {
            operation: OP,
            detail: e.0,
        })
    }

    /// Replaces the bucket's CORS configuration with `config`.
    pub async fn put_bucket_cors(&self, config: &CorsConfiguration) -> Result<(), StoreError> {
        const OP: &str = "PutBucketCors";
        let body = config.to_xml();
        let req = self.signer().await?.presign_put_bucket_cors(
            &body,
            OWN_REQUEST_EXPIRY,
            Timestamp::now(),
        );
        let mut builder = self.http.put(req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let (status, body) = exchange(OP, builder.body(body)).await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(error_from(OP, status, &body))
        }
    }
}
