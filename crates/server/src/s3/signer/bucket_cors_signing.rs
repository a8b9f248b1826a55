//! Presigning the bucket's CORS configuration calls for the server itself:
//! PutBucketCors with its body's `Content-MD5` signed (S3 requires the
//! header on this call; signed, it binds the unsigned body too) and
//! GetBucketCors. rusty-s3 has no action for them; they go through its
//! public `rusty_s3::signing::sign` (`Signer::sign_url`), like the
//! multipart calls. The rule itself is [`crate::s3::bucket_cors_rule`]'s.

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
        let url = self.bucket.base_url().clone();
        self.sign_url(method, url, &[("cors", "")], headers, expires_in, now)
    }
}

#[cfg(test)]
mod tests {
    use crate::s3::bucket_cors_rule::{CorsConfiguration, CorsRule};
    use crate::s3::credentials::Credentials;
    use crate::s3::signer::Signer;
    use jiff::Timestamp;
    use std::time::Duration;

    /// The body, its Content-MD5 and the presigned URL, each computed
    /// independently by `tests/fixtures/sigv4_kat.py` (Python's hashlib and
    /// hmac; its SigV4 first checked against AWS's documented example).
    #[test]
    fn known_answer_put_bucket_cors() {
        let signer = Signer::new(
            "http://127.0.0.1:9000".parse().expect("url"),
            true,
            "us-east-1",
            "uploads",
            &Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
        )
        .expect("signer");
        let rule = CorsRule::for_origins(vec!["https://app.example.com".into()]).expect("rule");
        let body = CorsConfiguration { rules: vec![rule] }.to_xml();
        assert_eq!(
            body,
            "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule>\
             <ID>presign-server</ID><AllowedHeader>content-type</AllowedHeader>\
             <AllowedHeader>x-amz-checksum-sha256</AllowedHeader><AllowedHeader>x-amz-checksum-algorithm</AllowedHeader>\
             <AllowedHeader>if-none-match</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>\
             <AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>\
             <AllowedOrigin>https://app.example.com</AllowedOrigin><ExposeHeader>ETag</ExposeHeader>\
             <ExposeHeader>x-amz-checksum-sha256</ExposeHeader><ExposeHeader>Retry-After</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds>\
             </CORSRule></CORSConfiguration>"
        );
        let time = Timestamp::from_second(1_369_353_600).expect("time");
        let req = signer.presign_put_bucket_cors(&body, Duration::from_secs(60), time);
        assert_eq!(
            req.headers.get("content-md5").map(String::as_str),
            Some("3Do28nqScpNqAgRtzukJcQ==")
        );
        assert_eq!(
            req.headers.get("content-type").map(String::as_str),
            Some("application/xml")
        );
        assert_eq!(
            req.url.as_str(),
            "http://127.0.0.1:9000/uploads/?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=60\
             &X-Amz-SignedHeaders=content-md5%3Bcontent-type%3Bhost&cors=\
             &X-Amz-Signature=e8f46fbc1f7523ebe9f8ede52b4fd62fb261b68ef79f939771ef8a4ef7c901b9"
        );
        let get = signer.presign_get_bucket_cors(Duration::from_secs(60), time);
        assert!(
            get.as_str().starts_with("http://127.0.0.1:9000/uploads/?"),
            "{get}"
        );
        assert!(
            get.as_str().contains("&X-Amz-SignedHeaders=host&cors=&"),
            "{get}"
        );
    }
}
