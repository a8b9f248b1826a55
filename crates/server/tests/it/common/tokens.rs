//! Bearer tokens for the tests of identity: HS256 with a secret, RS256 and
//! ES256 with the fixtures' private keys (tests/fixtures/README-jwt.md), and
//! hand-made ones a signing library would refuse to make.

use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::Value;

/// A file of tests/fixtures.
pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

pub fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 token")
}

/// Signed with the RSA fixture, whose public half is `rsa-1` in the JWKS.
pub fn rs256(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(&fixture_bytes("jwt_rsa_private.pem")).expect("RSA key");
    encode(&header, claims, &key).expect("RS256 token")
}

/// Signed with the EC fixture, whose public half is `ec-1` in the JWKS.
pub fn es256(claims: &Value, kid: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_ec_pem(&fixture_bytes("jwt_ec_private.pem")).expect("EC key");
    encode(&header, claims, &key).expect("ES256 token")
}

/// `header.payload.signature` from raw JSON texts, base64url-encoded.
pub fn raw(header: &str, payload: &str, signature: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(header),
        b64.encode(payload),
        b64.encode(signature)
    )
}
