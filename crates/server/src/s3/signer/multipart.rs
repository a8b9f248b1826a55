//! Presigning the multipart actions: UploadPart for browsers (size and
//! SHA-256 signed as headers), and CreateMultipartUpload, ListParts,
//! CompleteMultipartUpload, AbortMultipartUpload and ListMultipartUploads
//! for the server's own calls.
//!
//! All of them go through rusty-s3's public [`rusty_s3::signing::sign`]
//! (`Signer::sign_url`), the function its own actions use (the XML actions
//! of rusty-s3 need its `xml` feature, and its ListParts parser drops
//! `ChecksumSHA256`, so the server builds and parses the XML itself, in
//! [`crate::s3::store_client`]).

use super::{NewObjectHeaders, PresignedRequest, Signer, IF_NONE_MATCH};
use jiff::Timestamp;
use presign_core::{ObjectKey, Sha256Digest};
use rusty_s3::Method;
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

impl Signer {
    /// A presigned UploadPart of part `number` of the store's upload
    /// `upload_id`, pinning the body's size and SHA-256 (when given) as
    /// signed headers.
    #[allow(clippy::too_many_arguments, reason = "one argument per signed fact")]
    pub fn presign_upload_part(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        number: u32,
        len: u64,
        sha256: Option<&Sha256Digest>,
        expires_in: Duration,
        now: Timestamp,
    ) -> PresignedRequest {
        let mut headers = BTreeMap::new();
        headers.insert("content-length".to_owned(), len.to_string());
        if let Some(sha256) = sha256 {
            headers.insert("x-amz-checksum-sha256".to_owned(), sha256.to_base64());
        }
        let number = number.to_string();
        let query = [("partNumber", number.as_str()), ("uploadId", upload_id)];
        let url = self.sign_object(Method::Put, key, &query, &headers, expires_in, now);
        PresignedRequest { url, headers }
    }

    /// A presigned CreateMultipartUpload of `key` with the object's
    /// Content-Type, its metadata (`x-amz-meta-*`) and, with `checksums`,
    /// the SHA-256 checksum algorithm (all signed).
    pub fn presign_create_multipart(
        &self,
        key: &ObjectKey,
        object: &NewObjectHeaders<'_>,
        expires_in: Duration,
        now: Timestamp,
    ) -> PresignedRequest {
        let mut headers = BTreeMap::new();
        headers.insert("content-type".to_owned(), object.content_type.to_owned());
        if object.checksums {
            headers.insert("x-amz-checksum-algorithm".to_owned(), "SHA256".to_owned());
        }
        for (name, value) in object.metadata.headers() {
            headers.insert(name, value.to_owned());
        }
        let url = self.sign_object(
            Method::Post,
            key,
            &[("uploads", "1")],
            &headers,
            expires_in,
            now,
        );
        PresignedRequest { url, headers }
    }

    /// A presigned ListParts page, starting after part `marker` when given.
    pub fn presign_list_parts(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        marker: Option<u32>,
        expires_in: Duration,
        now: Timestamp,
    ) -> Url {
        let marker = marker.map(|m| m.to_string());
        let mut query = vec![("uploadId", upload_id)];
        if let Some(m) = &marker {
            query.push(("part-number-marker", m.as_str()));
        }
        self.sign_object(Method::Get, key, &query, &BTreeMap::new(), expires_in, now)
    }

    /// A presigned CompleteMultipartUpload (the XML body is not signed)
    /// with `If-None-Match: *` signed: the object is created, never
    /// replaces one.
    pub fn presign_complete_multipart(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        expires_in: Duration,
        now: Timestamp,
    ) -> PresignedRequest {
        let query = [("uploadId", upload_id)];
        let headers = BTreeMap::from([(IF_NONE_MATCH.0.to_owned(), IF_NONE_MATCH.1.to_owned())]);
        let url = self.sign_object(Method::Post, key, &query, &headers, expires_in, now);
        PresignedRequest { url, headers }
    }

    /// A presigned AbortMultipartUpload.
    pub fn presign_abort_multipart(
        &self,
        key: &ObjectKey,
        upload_id: &str,
        expires_in: Duration,
        now: Timestamp,
    ) -> Url {
        let query = [("uploadId", upload_id)];
        self.sign_object(
            Method::Delete,
            key,
            &query,
            &BTreeMap::new(),
            expires_in,
            now,
        )
    }

    /// A presigned ListMultipartUploads page of the bucket: the open uploads
    /// whose key starts with `prefix`, after the `(key, upload id)` marker
    /// when given.
    pub fn presign_list_multipart_uploads(
        &self,
        prefix: &str,
        marker: Option<(&str, &str)>,
        expires_in: Duration,
        now: Timestamp,
    ) -> Url {
        let mut query = vec![("uploads", ""), ("prefix", prefix)];
        if let Some((key, upload_id)) = marker {
            query.push(("key-marker", key));
            query.push(("upload-id-marker", upload_id));
        }
        let url = self.bucket.base_url().clone();
        self.sign_url(Method::Get, url, &query, &BTreeMap::new(), expires_in, now)
    }

    /// Signs `method` on `key` with these query parameters and headers
    /// (lowercase names; `host` is added by rusty-s3).
    fn sign_object(
        &self,
        method: Method,
        key: &ObjectKey,
        query: &[(&str, &str)],
        headers: &BTreeMap<String, String>,
        expires_in: Duration,
        now: Timestamp,
    ) -> Url {
        let url = self.bucket.object_url(key.as_str());
        self.sign_url(method, url, query, headers, expires_in, now)
    }
}

#[cfg(test)]
mod tests {
    use crate::s3::credentials::Credentials;
    use crate::s3::signer::{NewObjectHeaders, Signer};
    use jiff::Timestamp;
    use presign_core::protocol::metadata::Metadata;
    use presign_core::{ObjectKey, Sha256Digest, UserId};
    use rusty_s3::S3Action as _;
    use std::time::Duration;
    use url::Url;

    fn signer() -> Signer {
        let endpoint = Url::parse("http://127.0.0.1:9000").expect("endpoint");
        Signer::new(
            endpoint,
            true,
            "us-east-1",
            "uploads",
            &Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
        )
        .expect("signer")
    }

    fn key() -> ObjectKey {
        ObjectKey::owned_by(
            "users/dev/ecu/x/a b.bin",
            &UserId::parse("dev").expect("user"),
        )
        .expect("key")
    }

    fn time() -> Timestamp {
        Timestamp::from_second(1_369_353_600).expect("time")
    }

    /// The part URL equals what rusty-s3's own UploadPart action (checked
    /// against AWS's examples in rusty-s3's tests) signs for the same request.
    #[test]
    fn upload_part_matches_rusty_s3s_action() {
        let s = signer();
        let digest = Sha256Digest::of(b"part");
        let key = key();
        let req = s.presign_upload_part(
            &key,
            "store-id",
            7,
            4,
            Some(&digest),
            Duration::from_secs(900),
            time(),
        );
        let mut action = s
            .bucket
            .upload_part(Some(&s.credentials), key.as_str(), 7, "store-id");
        action.headers_mut().insert("content-length", "4");
        action
            .headers_mut()
            .insert("x-amz-checksum-sha256", digest.to_base64());
        let want = action.sign_with_time(Duration::from_secs(900), &time());
        assert_eq!(req.url, want);
        assert!(req
            .url
            .as_str()
            .contains("X-Amz-SignedHeaders=content-length%3Bhost%3Bx-amz-checksum-sha256&"));
        assert!(req.url.as_str().contains("partNumber=7&uploadId=store-id"));
        assert_eq!(
            req.headers.keys().map(String::as_str).collect::<Vec<_>>(),
            ["content-length", "x-amz-checksum-sha256"]
        );
    }

    #[test]
    fn abort_matches_rusty_s3s_action() {
        let s = signer();
        let url = s.presign_abort_multipart(&key(), "id", Duration::from_secs(60), time());
        let want = s
            .bucket
            .abort_multipart_upload(Some(&s.credentials), key().as_str(), "id")
            .sign_with_time(Duration::from_secs(60), &time());
        assert_eq!(url, want);
    }

    #[test]
    fn control_calls_carry_their_query() {
        let s = signer();
        let d = Duration::from_secs(60);
        let none = Metadata::default();
        let object = |checksums| NewObjectHeaders {
            content_type: "image/png",
            checksums,
            metadata: &none,
        };
        let create = s.presign_create_multipart(&key(), &object(true), d, time());
        assert!(
            create.url.as_str().contains("&uploads=1&"),
            "{}",
            create.url
        );
        assert!(create
            .url
            .as_str()
            .contains("X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-checksum-algorithm&"));
        let plain = s.presign_create_multipart(&key(), &object(false), d, time());
        assert!(plain
            .url
            .as_str()
            .contains("X-Amz-SignedHeaders=content-type%3Bhost&"));
        let part = s.presign_upload_part(&key(), "id", 1, 4, None, d, time());
        assert!(part
            .url
            .as_str()
            .contains("X-Amz-SignedHeaders=content-length%3Bhost&"));
        assert!(!part.headers.contains_key("x-amz-checksum-sha256"));
        let list = s.presign_list_parts(&key(), "id", Some(1000), d, time());
        assert!(list
            .as_str()
            .contains("&part-number-marker=1000&uploadId=id&"));
        let first = s.presign_list_parts(&key(), "id", None, d, time());
        assert!(!first.as_str().contains("part-number-marker"));
        let uploads = s.presign_list_multipart_uploads(key().as_str(), None, d, time());
        assert!(
            uploads
                .as_str()
                .starts_with("http://127.0.0.1:9000/uploads/?"),
            "{uploads}"
        );
        assert!(uploads
            .as_str()
            .contains("&prefix=users%2Fdev%2Fecu%2Fx%2Fa%20b.bin&uploads=&"));
        let next = s.presign_list_multipart_uploads("users/", Some(("users/k", "u1")), d, time());
        assert!(next
            .as_str()
            .contains("&key-marker=users%2Fk&prefix=users%2F&upload-id-marker=u1&uploads=&"));
        let complete = s.presign_complete_multipart(&key(), "id", d, time());
        assert!(complete.url.as_str().contains("&uploadId=id&"));
        assert!(complete
            .url
            .as_str()
            .contains("X-Amz-SignedHeaders=host%3Bif-none-match&"));
        assert_eq!(
            complete.headers.get("if-none-match").map(String::as_str),
            Some("*")
        );
    }

    #[test]
    fn public_endpoint_changes_only_the_base() {
        let s = signer();
        let public = s
            .with_endpoint(Url::parse("https://files.example.com").expect("url"))
            .expect("signer");
        let overrides = super::super::GetOverrides::default();
        let url = public.presign_get(&key(), &overrides, Duration::from_secs(60), time());
        assert!(url
            .as_str()
            .starts_with("https://files.example.com/uploads/users/dev/ecu/x/a%20b.bin?"));
        assert_eq!(public.bucket_name(), "uploads");
    }
}
