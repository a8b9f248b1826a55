//! SigV4 presigning with `rusty-s3`: sans-IO, small, one file per S3 action, and
//! its presigned URLs sign every header put in `headers_mut()` (they are listed
//! in `X-Amz-SignedHeaders`), so `content-length` and `x-amz-checksum-sha256`
//! are enforced by the store rather than ignored as query parameters would be.
//!
//! A signer holds one set of credentials. Temporary ones (with a session
//! token, signed as `X-Amz-Security-Token` into every URL and form) expire,
//! and every URL signed with them stops working then, whatever its own
//! `X-Amz-Expires`: each lifetime is cut to what the credentials have left
//! ([`Signer::lifetime`]). [`crate::s3::signer_source`] hands out a signer
//! with the credentials of the moment.

use crate::s3::credentials::Credentials;
use jiff::Timestamp;
use presign_core::protocol::metadata::Metadata;
use presign_core::{ObjectKey, Sha256Digest};
use rusty_s3::{Bucket, Method, S3Action, UrlStyle};
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

mod bucket_cors_signing;
mod multipart;
pub mod post_form;

/// Signs requests for one bucket with one key pair.
#[derive(Debug, Clone)]
pub struct Signer {
    bucket: Bucket,
    credentials: rusty_s3::Credentials,
    /// When the credentials stop working (`None`: never).
    credentials_expire_at: Option<Timestamp>,
    endpoint: Url,
    path_style: bool,
}

/// Why a [`Signer`] could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot sign for bucket {bucket:?} at {endpoint}: {source}")]
pub struct SignerError {
    bucket: String,
    endpoint: Url,
    source: rusty_s3::BucketError,
}

/// What a presigned PUT pins down besides the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutBody {
    /// Signed always: the browser must send exactly this `Content-Type`.
    pub content_type: String,
    /// Signed as `content-length` when known: no other size is accepted.
    pub content_length: Option<u64>,
    /// Signed as `x-amz-checksum-sha256` when known: no other content is accepted.
    pub sha256: Option<Sha256Digest>,
    /// Signed as `x-amz-meta-*`: stored with the object, exactly.
    pub metadata: Metadata,
}

/// What a new multipart upload's object is created with.
#[derive(Debug, Clone, Copy)]
pub struct NewObjectHeaders<'a> {
    pub content_type: &'a str,
    /// Whether its parts carry SHA-256 checksums.
    pub checksums: bool,
    pub metadata: &'a Metadata,
}

/// What a presigned GET asks the store to answer with instead of the
/// object's stored headers (S3's `response-content-disposition` and
/// `response-content-type` query parameters, signed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetOverrides {
    pub content_disposition: Option<String>,
    pub content_type: Option<String>,
}

/// The header that makes a write create its key or fail (412
/// PreconditionFailed): S3's conditional write, signed into every single
/// PUT and sent with every CompleteMultipartUpload.
pub const IF_NONE_MATCH: (&str, &str) = ("if-none-match", "*");

/// A presigned request: the URL plus the headers that must accompany it,
/// lowercase names, exactly as signed (`host` excluded: clients set it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    pub url: Url,
    pub headers: BTreeMap<String, String>,
}

impl Signer {
    /// `path_style` gives `endpoint/bucket/key` URLs, otherwise `bucket.endpoint/key`.
    pub fn new(
        endpoint: Url,
        path_style: bool,
        region: &str,
        bucket: &str,
        credentials: &Credentials,
    ) -> Result<Self, SignerError> {
        let style = if path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let rusty_bucket = Bucket::new(
            endpoint.clone(),
            style,
            bucket.to_owned(),
            region.to_owned(),
        )
        .map_err(|source| SignerError {
            bucket: bucket.to_owned(),
            endpoint: endpoint.clone(),
            source,
        })?;
        Ok(Self {
            bucket: rusty_bucket,
            credentials: rusty_credentials(credentials),
            credentials_expire_at: credentials.expires_at,
            endpoint,
            path_style,
        })
    }

    /// The same signer with other credentials.
    pub fn with_credentials(&self, credentials: &Credentials) -> Self {
        Self {
            credentials: rusty_credentials(credentials),
            credentials_expire_at: credentials.expires_at,
            ..self.clone()
        }
    }

    /// The lifetime of a URL signed at `now` when `asked` is wanted: no
    /// longer than the credentials have left, since the URL stops working
    /// when they expire. Every presign method applies it; a caller telling
    /// clients how long a URL lives asks it too.
    pub fn lifetime(&self, asked: Duration, now: Timestamp) -> Duration {
        match self.credentials_expire_at {
            Some(at) => {
                let left = Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO);
                asked.min(left)
            }
            None => asked,
        }
    }

    /// The same signer for another base URL of the same store: the address
    /// browsers reach it at (`--store-public-url`), when that is not the one
    /// the server uses. SigV4 signs the host, so URLs made by this signer are
    /// valid where the store sees that host (a proxy forwarding `Host`).
    pub fn with_endpoint(&self, endpoint: Url) -> Result<Self, SignerError> {
        let style = if self.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(
            endpoint.clone(),
            style,
            self.bucket.name().to_owned(),
            self.bucket.region().to_owned(),
        )
        .map_err(|source| SignerError {
            bucket: self.bucket.name().to_owned(),
            endpoint: endpoint.clone(),
            source,
        })?;
        Ok(Self {
            bucket,
            endpoint,
            ..self.clone()
        })
    }

    /// The store's base URL, as configured.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    pub fn bucket_name(&self) -> &str {
        self.bucket.name()
    }

    /// A presigned `PUT` of `key` whose signed headers pin the body's type,
    /// and, when given, its size and SHA-256; `If-None-Match: *` makes it
    /// write-once (a replay after the upload answers 412 on stores that
    /// honour conditional writes).
    pub fn presign_put(
        &self,
        key: &ObjectKey,
        body: &PutBody,
        expires_in: Duration,
        now: Timestamp,
    ) -> PresignedRequest {
        let mut headers = BTreeMap::new();
        headers.insert("content-type".to_owned(), body.content_type.clone());
        headers.insert(IF_NONE_MATCH.0.to_owned(), IF_NONE_MATCH.1.to_owned());
        if let Some(len) = body.content_length {
            headers.insert("content-length".to_owned(), len.to_string());
        }
        if let Some(digest) = &body.sha256 {
            headers.insert("x-amz-checksum-sha256".to_owned(), digest.to_base64());
        }
        for (name, value) in body.metadata.headers() {
            headers.insert(name, value.to_owned());
        }
        let mut action = self
            .bucket
            .put_object(Some(&self.credentials), key.as_str());
        for (name, value) in &headers {
            action.headers_mut().insert(name.as_str(), value.as_str());
        }
        let url = action.sign_with_time(self.lifetime(expires_in, now), &now);
        PresignedRequest { url, headers }
    }

    /// A presigned `GET` of `key`, answered with `overrides`.
    pub fn presign_get(
        &self,
        key: &ObjectKey,
        overrides: &GetOverrides,
        expires_in: Duration,
        now: Timestamp,
    ) -> Url {
        let mut action = self
            .bucket
            .get_object(Some(&self.credentials), key.as_str());
        if let Some(value) = &overrides.content_disposition {
            action
                .query_mut()
                .insert("response-content-disposition", value.as_str());
        }
        if let Some(value) = &overrides.content_type {
            action
                .query_mut()
                .insert("response-content-type", value.as_str());
        }
        action.sign_with_time(self.lifetime(expires_in, now), &now)
    }

    /// A presigned `HEAD` of `key` that asks for the stored checksum
    /// (`x-amz-checksum-mode: ENABLED`, signed).
    pub fn presign_head(
        &self,
        key: &ObjectKey,
        expires_in: Duration,
        now: Timestamp,
    ) -> PresignedRequest {
        let mut headers = BTreeMap::new();
        headers.insert("x-amz-checksum-mode".to_owned(), "ENABLED".to_owned());
        let mut action = self
            .bucket
            .head_object(Some(&self.credentials), key.as_str());
        action
            .headers_mut()
            .insert("x-amz-checksum-mode", "ENABLED");
        let url = action.sign_with_time(self.lifetime(expires_in, now), &now);
        PresignedRequest { url, headers }
    }

    /// A presigned `HEAD` of the bucket (does it exist?).
    pub fn presign_head_bucket(&self, expires_in: Duration, now: Timestamp) -> Url {
        self.bucket
            .head_bucket(Some(&self.credentials))
            .sign_with_time(self.lifetime(expires_in, now), &now)
    }

    /// A presigned `PUT` of the bucket (CreateBucket).
    pub fn presign_create_bucket(&self, expires_in: Duration, now: Timestamp) -> Url {
        self.bucket
            .create_bucket(&self.credentials)
            .sign_with_time(self.lifetime(expires_in, now), &now)
    }

    /// Signs `method` on `url` (the bucket's or an object's) with these
    /// query parameters and headers (lowercase names; `host` is added by
    /// rusty-s3), through rusty-s3's public [`rusty_s3::signing::sign`], the
    /// function its own actions use: the actions rusty-s3 lacks (the
    /// multipart calls, bucket CORS) are signed with it.
    fn sign_url(
        &self,
        method: Method,
        url: Url,
        query: &[(&str, &str)],
        headers: &BTreeMap<String, String>,
        expires_in: Duration,
        now: Timestamp,
    ) -> Url {
        let mut query = query.to_vec();
        query.sort_unstable();
        rusty_s3::signing::sign(
            &now,
            method,
            url,
            self.credentials.key(),
            self.credentials.secret(),
            self.credentials.token(),
            self.bucket.region(),
            self.lifetime(expires_in, now).as_secs(),
            query.iter().copied(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }
}

/// rusty-s3's form of `credentials`.
fn rusty_credentials(credentials: &Credentials) -> rusty_s3::Credentials {
    let key = credentials.access_key_id.clone();
    let secret = credentials.secret_access_key.expose().to_owned();
    match &credentials.session_token {
        Some(token) => rusty_s3::Credentials::new_with_token(key, secret, token.expose()),
        None => rusty_s3::Credentials::new(key, secret),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::UserId;

    // AWS's documented example key pair (SigV4 presigned URL examples).
    const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    /// Fri, 24 May 2013 00:00:00 GMT, the date of AWS's example.
    const EXAMPLE_SECS: i64 = 1_369_353_600;

    fn signer(endpoint: &str, path_style: bool, bucket: &str) -> Signer {
        let endpoint = Url::parse(endpoint).expect("endpoint");
        Signer::new(
            endpoint,
            path_style,
            "us-east-1",
            bucket,
            &Credentials::new(KEY_ID, SECRET),
        )
        .expect("signer")
    }

    fn example_time() -> Timestamp {
        Timestamp::from_second(EXAMPLE_SECS).expect("valid timestamp")
    }

    fn key(text: &str) -> ObjectKey {
        ObjectKey::owned_by(text, &UserId::parse("dev").expect("user")).expect("key")
    }

    /// Pins rusty-s3 to AWS's own published presigned GET example.
    #[test]
    fn aws_documented_get_example() {
        let s = signer("https://s3.amazonaws.com", false, "examplebucket");
        // The example's key is `test.txt`, outside any user prefix: sign it
        // through rusty-s3 directly with the signer's bucket and credentials.
        let url = s
            .bucket
            .get_object(Some(&s.credentials), "test.txt")
            .sign_with_time(Duration::from_secs(86_400), &example_time());
        assert!(
            url.as_str().ends_with(
                "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            ),
            "{url}"
        );
    }

    /// A presigned PUT with content-type, content-length, checksum and
    /// `if-none-match` as signed headers. The expected URL was computed independently by a SigV4
    /// implementation using only Python's hashlib and hmac, itself first checked
    /// against AWS's documented example above (`tests/fixtures/sigv4_kat.py`).
    #[test]
    fn known_answer_put_with_signed_headers() {
        let s = signer("http://127.0.0.1:9000", true, "uploads");
        let user = UserId::parse("dev").expect("user");
        // The key the answer was computed for, in another layout than new
        // uploads get: any key in the user's prefix signs the same way.
        let key = ObjectKey::owned_by(
            "users/dev/ecu/0123456789abcdef0123456789abcdef/ECU dump (v2).bin",
            &user,
        )
        .expect("key");
        let body = PutBody {
            content_type: "application/octet-stream".into(),
            content_length: Some(11),
            sha256: Some(Sha256Digest::of(b"hello world")),
            metadata: Metadata::default(),
        };
        let req = s.presign_put(&key, &body, Duration::from_secs(900), example_time());
        assert_eq!(
            req.url.as_str(),
            "http://127.0.0.1:9000/uploads/users/dev/ecu/0123456789abcdef0123456789abcdef/\
             ECU%20dump%20%28v2%29.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=900\
             &X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bif-none-match%3Bx-amz-checksum-sha256\
             &X-Amz-Signature=4c695a04158d87abff0498e53dbf84981eb17c2ea6648b4d7b8d9d96b4907a9e"
        );
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            headers,
            [
                ("content-length", "11"),
                ("content-type", "application/octet-stream"),
                ("if-none-match", "*"),
                (
                    "x-amz-checksum-sha256",
                    "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
                ),
            ]
        );
    }

    /// A presigned GET whose answer's Content-Disposition and Content-Type
    /// are overridden (signed query parameters), against the same script.
    #[test]
    fn known_answer_get_with_response_overrides() {
        let s = signer("http://127.0.0.1:9000", true, "uploads");
        let overrides = GetOverrides {
            content_disposition: Some(
                "inline; filename=\"a b.png\"; filename*=UTF-8''a%20b.png".into(),
            ),
            content_type: Some("image/png".into()),
        };
        let url = s.presign_get(
            &key("users/dev/ecu/x/a b.png"),
            &overrides,
            Duration::from_secs(900),
            example_time(),
        );
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9000/uploads/users/dev/ecu/x/a%20b.png?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host\
             &response-content-disposition=inline%3B%20filename%3D%22a%20b.png%22%3B%20filename%2A%3DUTF-8%27%27a%2520b.png\
             &response-content-type=image%2Fpng\
             &X-Amz-Signature=abc35b6daf2922fbbdd971878c1849b12d8de67e52a3e18f80eda1c9a6d1bbb0"
        );
    }

    #[test]
    fn put_without_size_or_checksum_signs_type_and_write_once() {
        let s = signer("http://127.0.0.1:9000", true, "uploads");
        let body = PutBody {
            content_type: "application/octet-stream".into(),
            content_length: None,
            sha256: None,
            metadata: Metadata::default(),
        };
        let req = s.presign_put(
            &key("users/dev/ecu/x/a.bin"),
            &body,
            Duration::from_secs(900),
            example_time(),
        );
        assert!(req
            .url
            .as_str()
            .contains("X-Amz-SignedHeaders=content-type%3Bhost%3Bif-none-match&"));
        assert_eq!(req.headers.len(), 2);
    }

    #[test]
    fn head_signs_checksum_mode_and_virtual_host_style_works() {
        let s = signer("https://s3.eu-west-1.amazonaws.com", false, "my-bucket");
        let req = s.presign_head(
            &key("users/dev/ecu/x/a.bin"),
            Duration::from_secs(60),
            example_time(),
        );
        assert!(req
            .url
            .as_str()
            .starts_with("https://my-bucket.s3.eu-west-1.amazonaws.com/users/dev/ecu/x/a.bin?"));
        assert!(req
            .url
            .as_str()
            .contains("X-Amz-SignedHeaders=host%3Bx-amz-checksum-mode&"));
        assert_eq!(
            req.headers.get("x-amz-checksum-mode").map(String::as_str),
            Some("ENABLED")
        );
    }

    /// Every URL the signer makes, for the server or for browsers.
    fn every_url(s: &Signer, d: Duration, now: Timestamp) -> Vec<(&'static str, Url)> {
        let k = key("users/dev/ecu/x/a.bin");
        let body = PutBody {
            content_type: "application/octet-stream".into(),
            content_length: Some(4),
            sha256: None,
            metadata: Metadata::default(),
        };
        let none = Metadata::default();
        let object = NewObjectHeaders {
            content_type: "image/png",
            checksums: true,
            metadata: &none,
        };
        vec![
            ("put", s.presign_put(&k, &body, d, now).url),
            ("get", s.presign_get(&k, &GetOverrides::default(), d, now)),
            ("head", s.presign_head(&k, d, now).url),
            ("head bucket", s.presign_head_bucket(d, now)),
            ("create bucket", s.presign_create_bucket(d, now)),
            (
                "upload part",
                s.presign_upload_part(&k, "id", 1, 4, None, d, now).url,
            ),
            (
                "create multipart",
                s.presign_create_multipart(&k, &object, d, now).url,
            ),
            ("list parts", s.presign_list_parts(&k, "id", None, d, now)),
            (
                "list uploads",
                s.presign_list_multipart_uploads(k.as_str(), None, d, now),
            ),
            (
                "complete",
                s.presign_complete_multipart(&k, "id", d, now).url,
            ),
            ("abort", s.presign_abort_multipart(&k, "id", d, now)),
            ("get cors", s.presign_get_bucket_cors(d, now)),
            ("put cors", s.presign_put_bucket_cors("<x/>", d, now).url),
        ]
    }

    fn query(url: &Url, name: &str) -> Option<String> {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Temporary credentials: `X-Amz-Security-Token` in every URL (the form
    /// is checked in `post_form.rs`), and no URL outliving them.
    #[test]
    fn temporary_credentials_sign_their_token_and_cap_every_lifetime() {
        let now = example_time();
        let mut temporary = Credentials::new(KEY_ID, SECRET);
        temporary.session_token = Some(crate::secret::Secret::new("the/session+token"));
        temporary.expires_at = Some(now.checked_add(Duration::from_secs(120)).expect("time"));
        let endpoint = Url::parse("http://127.0.0.1:9000").expect("endpoint");
        let fixed = Signer::new(
            endpoint,
            true,
            "us-east-1",
            "uploads",
            &Credentials::new(KEY_ID, SECRET),
        )
        .expect("signer");
        let s = fixed.with_credentials(&temporary);
        let d = Duration::from_secs(900);
        let plain = every_url(&fixed, d, now);
        for ((what, url), (_, without)) in every_url(&s, d, now).into_iter().zip(plain) {
            assert_eq!(
                query(&url, "X-Amz-Security-Token").as_deref(),
                Some("the/session+token"),
                "{what}: {url}"
            );
            assert_eq!(
                query(&url, "X-Amz-Expires").as_deref(),
                Some("120"),
                "{what}"
            );
            assert_eq!(query(&without, "X-Amz-Security-Token"), None, "{what}");
            assert_eq!(query(&without, "X-Amz-Expires").as_deref(), Some("900"));
        }
        assert_eq!(s.lifetime(d, now), Duration::from_secs(120));
        assert_eq!(
            s.lifetime(Duration::from_secs(60), now),
            Duration::from_secs(60)
        );
        let later = now.checked_add(Duration::from_secs(300)).expect("time");
        assert_eq!(s.lifetime(d, later), Duration::ZERO);
        assert_eq!(fixed.lifetime(d, later), d);
    }

    #[test]
    fn debug_hides_the_secret() {
        let s = signer("http://127.0.0.1:9000", true, "uploads");
        let debug = format!("{s:?}");
        assert!(!debug.contains(SECRET), "{debug}");
    }
}
