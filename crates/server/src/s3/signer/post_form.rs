//! Presigning a POST form (S3's POST Object, what boto3's
//! `generate_presigned_post` gives): a policy signed with [`crate::s3::post_policy`],
//! and the fields the browser sends before the file.
//!
//! The policy holds, in this order: the bucket; `starts-with $key
//! users/{user}/` and the exact key; the Content-Type; `content-length-range`
//! 1..max; `success_action_status` 201; `x-amz-meta-user-id` and the
//! upload's own `x-amz-meta-*`; the SHA-256 as
//! `x-amz-checksum-sha256` when the client declared it; the SigV4 algorithm,
//! credential and date (and the session token, with temporary credentials).
//! Every exact-match condition but the bucket (which the URL names) is also a
//! field, so fields and policy agree by construction.

use super::Signer;
use crate::s3::post_policy::{self, Condition, PostPolicy};
use jiff::Timestamp;
use presign_core::protocol::metadata::Metadata;
use presign_core::{ObjectKey, Sha256Digest, UserId};
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

/// What a POST form pins down.
#[derive(Debug, Clone, Copy)]
pub struct FormUpload<'a> {
    pub key: &'a ObjectKey,
    /// The uploader: the key's prefix and the `x-amz-meta-user-id`.
    pub user: &'a UserId,
    /// The Content-Type field, exactly.
    pub content_type: &'a str,
    /// The largest file accepted (`content-length-range` 1..max).
    pub max_size: u64,
    /// When given, the store refuses any other content.
    pub sha256: Option<Sha256Digest>,
    /// Each pinned as an `x-amz-meta-*` field.
    pub metadata: &'a Metadata,
}

/// A presigned POST: where to send the form, its fields (the file goes
/// after them, last), and the policy they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedForm {
    pub url: Url,
    pub fields: BTreeMap<String, String>,
    pub policy: PostPolicy,
}

/// The status S3 answers a successful form with: 201 and an XML body naming
/// the key (200 and 204 have no body).
pub const SUCCESS_ACTION_STATUS: &str = "201";

impl FormUpload<'_> {
    /// This form, signed by `signer`, valid for `expires_in` from `now`.
    pub fn presign(&self, signer: &Signer, expires_in: Duration, now: Timestamp) -> PresignedForm {
        let form = self;
        let region = signer.bucket.region();
        let mut conditions = vec![
            Condition::eq("bucket", signer.bucket.name()),
            Condition::StartsWith("key".into(), form.user.prefix()),
            Condition::eq("key", form.key.as_str()),
            Condition::eq("Content-Type", form.content_type),
            Condition::ContentLengthRange(1, form.max_size),
            Condition::eq("success_action_status", SUCCESS_ACTION_STATUS),
            Condition::eq("x-amz-meta-user-id", form.user.as_str()),
        ];
        conditions.extend(
            form.metadata
                .headers()
                .map(|(name, value)| Condition::eq(&name, value)),
        );
        if let Some(digest) = &form.sha256 {
            // Garage (and S3's own docs) want the algorithm named too: without
            // it Garage neither checks nor stores the form's checksum.
            conditions.push(Condition::eq("x-amz-checksum-algorithm", "SHA256"));
            conditions.push(Condition::eq("x-amz-checksum-sha256", digest.to_base64()));
        }
        conditions.extend([
            Condition::eq("x-amz-algorithm", post_policy::ALGORITHM),
            Condition::eq(
                "x-amz-credential",
                post_policy::credential(signer.credentials.key(), region, now),
            ),
            Condition::eq("x-amz-date", post_policy::amz_date(now)),
        ]);
        if let Some(token) = signer.credentials.token() {
            conditions.push(Condition::eq("x-amz-security-token", token));
        }
        let policy = PostPolicy {
            expiration: now
                .checked_add(signer.lifetime(expires_in, now))
                .unwrap_or(Timestamp::MAX),
            conditions,
        };

        let mut fields: BTreeMap<String, String> = policy
            .conditions
            .iter()
            .filter_map(|c| match c {
                Condition::Eq(name, value) if name != "bucket" => {
                    Some((name.clone(), value.clone()))
                }
                _ => None,
            })
            .collect();
        let encoded = policy.to_base64();
        let signature = post_policy::signature(&encoded, signer.credentials.secret(), region, now);
        fields.insert("policy".to_owned(), encoded);
        fields.insert("x-amz-signature".to_owned(), signature);
        PresignedForm {
            url: form_url(signer),
            fields,
            policy,
        }
    }
}

/// The bucket's URL: `endpoint/bucket` (path style, no trailing slash: POST
/// Object is addressed to the bucket, not to a key) or
/// `https://bucket.endpoint/`.
fn form_url(signer: &Signer) -> Url {
    let mut url = signer.bucket.base_url().clone();
    if signer.path_style {
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::credentials::Credentials;
    use crate::secret::Secret;
    use base64::Engine as _;

    const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn signer(endpoint: &str, path_style: bool, credentials: &Credentials) -> Signer {
        let endpoint = Url::parse(endpoint).expect("endpoint");
        Signer::new(endpoint, path_style, "us-east-1", "uploads", credentials).expect("signer")
    }

    fn example_time() -> Timestamp {
        "2015-12-29T00:00:00Z".parse().expect("time")
    }

    /// A whole form at a fixed time. The expected signature was computed
    /// independently, with Python's hashlib and hmac only, over the same
    /// JSON (`tests/fixtures/post_policy_kat.py`, which first reproduces
    /// AWS's published POST example).
    #[test]
    fn known_answer_form_with_checksum() {
        let s = signer(
            "http://127.0.0.1:9000",
            true,
            &Credentials::new(KEY_ID, SECRET),
        );
        let user = UserId::parse("dev").expect("user");
        let key = ObjectKey::owned_by("users/dev/ecu/2015-12-29/0123-a b.txt", &user).expect("key");
        let form = FormUpload {
            key: &key,
            user: &user,
            content_type: "text/plain",
            max_size: 10_000_000,
            sha256: Some(Sha256Digest::of(b"hello world")),
            metadata: &Metadata::default(),
        };
        let signed = form.presign(&s, Duration::from_secs(300), example_time());
        assert_eq!(signed.url.as_str(), "http://127.0.0.1:9000/uploads");
        let json = concat!(
            r#"{"expiration":"2015-12-29T00:05:00.000Z","conditions":["#,
            r#"{"bucket":"uploads"},["starts-with","$key","users/dev/"],"#,
            r#"{"key":"users/dev/ecu/2015-12-29/0123-a b.txt"},{"Content-Type":"text/plain"},"#,
            r#"["content-length-range",1,10000000],{"success_action_status":"201"},"#,
            r#"{"x-amz-meta-user-id":"dev"},"#,
            r#"{"x-amz-checksum-algorithm":"SHA256"},"#,
            r#"{"x-amz-checksum-sha256":"uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},"#,
            r#"{"x-amz-algorithm":"AWS4-HMAC-SHA256"},"#,
            r#"{"x-amz-credential":"AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},"#,
            r#"{"x-amz-date":"20151229T000000Z"}]}"#,
        );
        assert_eq!(signed.policy.to_json(), json);
        let field = |name: &str| signed.fields.get(name).map(String::as_str);
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(field("policy").expect("policy"))
            .expect("base64");
        assert_eq!(decoded, json.as_bytes());
        assert_eq!(
            field("x-amz-signature"),
            Some("8fc4b8d8286b475d4229a129fead234ff471129f4561b0d727f003b102c13f9f")
        );
        let names: Vec<&str> = signed.fields.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "key",
                "policy",
                "success_action_status",
                "x-amz-algorithm",
                "x-amz-checksum-algorithm",
                "x-amz-checksum-sha256",
                "x-amz-credential",
                "x-amz-date",
                "x-amz-meta-user-id",
                "x-amz-signature",
            ]
        );
        assert_eq!(field("key"), Some(key.as_str()));
        assert_eq!(field("x-amz-meta-user-id"), Some("dev"));
    }

    #[test]
    fn session_token_is_signed_and_sent_and_virtual_host_urls_keep_their_slash() {
        let mut creds = Credentials::new(KEY_ID, SECRET);
        creds.session_token = Some(Secret::new("session-token"));
        creds.expires_at = Some(
            example_time()
                .checked_add(Duration::from_secs(30))
                .expect("time"),
        );
        let s = signer("https://s3.eu-west-1.amazonaws.com", false, &creds);
        let user = UserId::parse("alice").expect("user");
        let key = ObjectKey::owned_by("users/alice/docs/x", &user).expect("key");
        let form = FormUpload {
            key: &key,
            user: &user,
            content_type: "application/octet-stream",
            max_size: 5,
            sha256: None,
            metadata: &Metadata::default(),
        };
        let signed = form.presign(&s, Duration::from_secs(60), example_time());
        assert_eq!(
            signed.url.as_str(),
            "https://uploads.s3.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            signed
                .fields
                .get("x-amz-security-token")
                .map(String::as_str),
            Some("session-token")
        );
        assert!(signed
            .policy
            .conditions
            .contains(&Condition::eq("x-amz-security-token", "session-token")));
        // No longer than the credentials that sign it.
        assert_eq!(
            signed.policy.expiration,
            "2015-12-29T00:00:30Z".parse::<Timestamp>().expect("time")
        );
        assert!(!signed.fields.contains_key("x-amz-checksum-sha256"));
        assert!(!signed.fields.contains_key("x-amz-checksum-algorithm"));
        assert!(!signed.fields.contains_key("bucket"));
        assert!(signed
            .policy
            .conditions
            .contains(&Condition::ContentLengthRange(1, 5)));
        assert!(!format!("{signed:?}").contains(SECRET));
    }
}
