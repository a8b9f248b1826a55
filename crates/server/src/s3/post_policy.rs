//! SigV4 POST policies, for browser uploads with an HTML form (S3's POST
//! Object): the policy document, its base64 text (the string to sign) and its
//! signature. Sans-IO and clock-free: the time is always an argument, so a
//! known-answer test pins the signature.
//!
//! rusty-s3 signs URLs but not POST policies (its signature function is
//! private), so the few SigV4 steps a policy needs are here, on `hmac` and
//! `sha2`: a signing key derived from the secret, the day, the region and
//! `s3`, then `hex(HMAC-SHA256(key, base64(policy)))`. Unlike a presigned
//! URL there is no canonical request: the base64 text itself is signed.
//!
//! Reference: AWS, "Creating a POST Policy" and "Example: Browser-Based
//! Upload using HTTP POST (Using AWS Signature Version 4)", whose policy,
//! credentials and signature the tests reproduce.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde_json::{json, Value};
use sha2::Sha256;

/// The only algorithm a SigV4 POST policy names (`x-amz-algorithm`).
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// One condition of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `{"name": "value"}`: the form field `name` must be exactly `value`.
    Eq(String, String),
    /// `["starts-with", "$name", "prefix"]`.
    StartsWith(String, String),
    /// `["content-length-range", min, max]`: the file's size, both inclusive.
    ContentLengthRange(u64, u64),
}

impl Condition {
    pub fn eq(name: &str, value: impl Into<String>) -> Self {
        Self::Eq(name.to_owned(), value.into())
    }

    fn to_json(&self) -> Value {
        match self {
            Condition::Eq(name, value) => json!({ name: value }),
            Condition::StartsWith(name, prefix) => {
                json!(["starts-with", format!("${name}"), prefix])
            }
            Condition::ContentLengthRange(min, max) => json!(["content-length-range", min, max]),
        }
    }
}

/// A policy document: until when, and on what conditions, a form may be
/// posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    pub expiration: Timestamp,
    pub conditions: Vec<Condition>,
}

impl PostPolicy {
    /// The JSON document, conditions in their order:
    /// `{"expiration":"2015-12-30T12:00:00.000Z","conditions":[...]}`.
    pub fn to_json(&self) -> String {
        let conditions: Vec<Value> = self.conditions.iter().map(Condition::to_json).collect();
        // Built by hand so the members keep this order whatever serde_json
        // features the build unifies (its maps sort or preserve order).
        format!(
            "{{\"expiration\":{},\"conditions\":{}}}",
            Value::String(iso8601_millis(self.expiration)),
            Value::Array(conditions)
        )
    }

    /// The `policy` form field: base64 of the JSON document, the string that
    /// is signed.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_json())
    }
}

/// `2015-12-30T12:00:00.000Z`, the form of a policy's `expiration`.
fn iso8601_millis(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `x-amz-date`: `20151229T000000Z`.
pub fn amz_date(now: Timestamp) -> String {
    now.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// `x-amz-credential`: `{key id}/{yyyymmdd}/{region}/s3/aws4_request`.
pub fn credential(access_key_id: &str, region: &str, now: Timestamp) -> String {
    format!("{access_key_id}/{}/{region}/s3/aws4_request", yyyymmdd(now))
}

fn yyyymmdd(now: Timestamp) -> String {
    now.strftime("%Y%m%d").to_string()
}

/// `x-amz-signature`: hex HMAC-SHA256 of `string_to_sign` (a policy's
/// base64 text) under the SigV4 signing key of `secret` for the UTC day of
/// `now`, `region` and the `s3` service.
pub fn signature(string_to_sign: &str, secret: &str, region: &str, now: Timestamp) -> String {
    let date_key = hmac_sha256(format!("AWS4{secret}").as_bytes(), yyyymmdd(now).as_bytes());
    let region_key = hmac_sha256(&date_key, region.as_bytes());
    let service_key = hmac_sha256(&region_key, b"s3");
    let signing_key = hmac_sha256(&service_key, b"aws4_request");
    hex::encode(hmac_sha256(&signing_key, string_to_sign.as_bytes()))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // AWS's example credentials.
    const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// The policy of AWS's "Example: Browser-Based Upload using HTTP POST
    /// (Using AWS Signature Version 4)", byte for byte: AWS signs it with
    /// CRLF line ends ("ASCII text, with CRLF line terminators").
    const AWS_POLICY_LINES: [&str; 16] = [
        r#"{ "expiration": "2015-12-30T12:00:00.000Z","#,
        r#"  "conditions": ["#,
        r#"    {"bucket": "sigv4examplebucket"},"#,
        r#"    ["starts-with", "$key", "user/user1/"],"#,
        r#"    {"acl": "public-read"},"#,
        r#"    {"success_action_redirect": "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"},"#,
        r#"    ["starts-with", "$Content-Type", "image/"],"#,
        r#"    {"x-amz-meta-uuid": "14365123651274"},"#,
        r#"    {"x-amz-server-side-encryption": "AES256"},"#,
        r#"    ["starts-with", "$x-amz-meta-tag", ""],"#,
        "",
        r#"    {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},"#,
        r#"    {"x-amz-algorithm": "AWS4-HMAC-SHA256"},"#,
        r#"    {"x-amz-date": "20151229T000000Z" }"#,
        r#"  ]"#,
        r#"}"#,
    ];

    /// The example's Base64-encoded policy, as the page prints it.
    const AWS_POLICY_BASE64: &str = concat!(
        "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJza",
        "Wd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdW",
        "JsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25",
        "hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0s",
        "DQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iO",
        "iAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYW",
        "wiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3J",
        "pdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9",
    );

    fn example_time() -> Timestamp {
        "2015-12-29T00:00:00Z".parse().expect("time")
    }

    /// Pins the signature to AWS's published POST example: its policy, its
    /// credentials, its expected signature.
    #[test]
    fn aws_documented_post_example() {
        let policy = AWS_POLICY_LINES.join("\r\n");
        let b64 = base64::engine::general_purpose::STANDARD.encode(&policy);
        assert_eq!(b64, AWS_POLICY_BASE64);
        assert_eq!(
            signature(&b64, SECRET, "us-east-1", example_time()),
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
        );
        assert_eq!(
            credential(KEY_ID, "us-east-1", example_time()),
            "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"
        );
        assert_eq!(amz_date(example_time()), "20151229T000000Z");
    }

    #[test]
    fn signature_depends_on_every_input() {
        let base = signature("policy", SECRET, "us-east-1", example_time());
        let next_day: Timestamp = "2015-12-30T00:00:00Z".parse().expect("time");
        // Same day, another hour: the same signing key.
        let later: Timestamp = "2015-12-29T23:59:59Z".parse().expect("time");
        assert_eq!(signature("policy", SECRET, "us-east-1", later), base);
        for other in [
            signature("policy!", SECRET, "us-east-1", example_time()),
            signature("policy", "another secret", "us-east-1", example_time()),
            signature("policy", SECRET, "eu-west-1", example_time()),
            signature("policy", SECRET, "us-east-1", next_day),
        ] {
            assert_ne!(other, base);
            assert_eq!(other.len(), 64);
        }
    }

    #[test]
    fn document_keeps_the_conditions_in_order() {
        let policy = PostPolicy {
            expiration: "2026-03-07T12:05:00.5Z".parse().expect("time"),
            conditions: vec![
                Condition::eq("bucket", "uploads"),
                Condition::StartsWith("key".into(), "users/dev/".into()),
                Condition::ContentLengthRange(1, 10_000_000),
                Condition::eq("Content-Type", "text/plain; charset=\"utf-8\""),
            ],
        };
        assert_eq!(
            policy.to_json(),
            r#"{"expiration":"2026-03-07T12:05:00.500Z","conditions":[{"bucket":"uploads"},["starts-with","$key","users/dev/"],["content-length-range",1,10000000],{"Content-Type":"text/plain; charset=\"utf-8\""}]}"#
        );
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(policy.to_base64())
            .expect("base64");
        assert_eq!(decoded, policy.to_json().into_bytes());
        let parsed: Value = serde_json::from_slice(&decoded).expect("JSON");
        assert_eq!(parsed["expiration"], "2026-03-07T12:05:00.500Z");
    }
}
