//! Public keys from a JWKS document (`{"keys": [...]}`), each with its
//! `kid`: strictly from a file the operator wrote ([`parse`]), leniently
//! from an identity provider's URL ([`parse_published`]), whose document
//! may also hold keys this server has no use for.

use super::keys::{VerifyKey, RSA_ALGORITHMS};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

/// Keys with their `kid`s.
pub(super) type KeysById = Vec<(String, VerifyKey)>;

/// The RSA and EC keys of a JWKS file with their `kid`s. Symmetric
/// (`oct`) keys are refused: a public key file is no place for a secret.
/// Any key it cannot use refuses the whole file: the operator wrote it.
pub(super) fn parse(text: &str) -> Result<KeysById, String> {
    let set: JwkSet = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut keys = Vec::with_capacity(set.keys.len());
    for (i, jwk) in set.keys.iter().enumerate() {
        let (kid, key) = signing_key(i, jwk)?;
        if keys.iter().any(|(id, _)| *id == kid) {
            return Err(format!("kid {kid:?} appears twice"));
        }
        keys.push((kid, key));
    }
    if keys.is_empty() {
        return Err("it holds no keys".into());
    }
    Ok(keys)
}

/// The document's outer shape, its keys left to read one by one.
#[derive(Deserialize)]
struct Published {
    keys: Vec<serde_json::Value>,
}

/// The signature keys of an identity provider's JWKS document, and why
/// each of the others was left out: encryption keys (`"use": "enc"`), key
/// types or algorithms this server does not verify, keys without a `kid`,
/// a `kid` seen before. An error when the document is not a JWKS or holds
/// no usable key.
pub(super) fn parse_published(text: &str) -> Result<(KeysById, Vec<String>), String> {
    let set: Published = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut keys: KeysById = Vec::with_capacity(set.keys.len());
    let mut skipped = Vec::new();
    for (i, value) in set.keys.into_iter().enumerate() {
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(jwk) => jwk,
            Err(e) => {
                skipped.push(format!("key {i}: {e}"));
                continue;
            }
        };
        if let Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_)) = &jwk.common.public_key_use
        {
            skipped.push(format!("key {i}: not a signature key"));
            continue;
        }
        match signing_key(i, &jwk) {
            Ok((kid, _)) if keys.iter().any(|(id, _)| *id == kid) => {
                skipped.push(format!("key {i}: kid {kid:?} appears twice"));
            }
            Ok(key) => keys.push(key),
            Err(reason) => skipped.push(reason),
        }
    }
    if keys.is_empty() {
        let why = skipped.join("; ");
        return Err(format!("it holds no usable signature key ({why})"));
    }
    Ok((keys, skipped))
}

/// One RSA or EC key with its `kid`, verifying its `alg` when it names one
/// (else any of its family's).
fn signing_key(i: usize, jwk: &Jwk) -> Result<(String, VerifyKey), String> {
    let kid = jwk
        .common
        .key_id
        .clone()
        .ok_or_else(|| format!("key {i} has no kid"))?;
    let family: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => RSA_ALGORITHMS.to_vec(),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            _ => {
                return Err(format!(
                    "key {kid:?}: only the P-256 and P-384 curves are supported"
                ))
            }
        },
        _ => {
            return Err(format!(
                "key {kid:?}: only RSA and EC public keys are supported"
            ))
        }
    };
    let algorithms = match jwk.common.key_algorithm {
        None => family,
        Some(alg) => {
            let alg: Algorithm = alg
                .to_string()
                .parse()
                .map_err(|_| format!("key {kid:?}: unsupported alg {alg}"))?;
            if !family.contains(&alg) {
                return Err(format!(
                    "key {kid:?}: alg {alg:?} does not fit its key type"
                ));
            }
            vec![alg]
        }
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {kid:?}: {e}"))?;
    Ok((kid, VerifyKey { key, algorithms }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = r#"{"kty":"RSA","kid":"rsa-1","use":"sig","alg":"RS256","n":"4qrfzf9eFVYbkvq1GNocUuXlnmODzGlEcC5V-vfa_K9wsK_XbPYkqBgjVXSwWSFHpjIdSx7oU28JUjPVgQclumUberBPEZ321ybuZbe4gTROl6CFj6bj1BI9LZWcKauzY-zhA1CmbRFPFtwOSi4MnhTzsBZVd1fCKU17y0EzxSvFqA0v74XLwOrFpzssA8_qvr9V_mYmv_8RegmEIBzSxVSMoYlr6spbxV_EhX5mgG2KLZs1u5mZIuNjMhaXeBiUdBzAmihI_6lMCse_LHxwckbcaZhxILw_1H-XeiR0mEhlNFus5EXSzAZn4sA-nQKY1VSsoy6KsXJbt3EvwlfsSw","e":"AQAB"}"#;

    fn set(keys: &[&str]) -> String {
        format!(r#"{{"keys":[{}]}}"#, keys.join(","))
    }

    #[test]
    fn a_published_set_keeps_its_signature_keys_and_says_why_others_went() {
        let enc = RSA
            .replace(
                r#""use":"sig","alg":"RS256""#,
                r#""use":"enc","alg":"RSA-OAEP""#,
            )
            .replace("rsa-1", "enc-1");
        let okp = r#"{"kty":"OKP","kid":"ed-1","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let unknown = r#"{"kty":"future","kid":"f-1"}"#;
        let text = set(&[&enc, okp, unknown, RSA, RSA]);
        let (keys, skipped) = parse_published(&text).expect("usable");
        let kids: Vec<&str> = keys.iter().map(|(kid, _)| kid.as_str()).collect();
        assert_eq!(kids, ["rsa-1"]);
        assert_eq!(skipped.len(), 4, "{skipped:?}");
        assert!(skipped[0].contains("not a signature key"), "{skipped:?}");
        assert!(skipped[4 - 1].contains("appears twice"), "{skipped:?}");
        // The same document from a file is refused whole.
        assert!(parse(&text).is_err());
    }

    #[test]
    fn a_published_set_without_usable_keys_is_refused_with_the_reasons() {
        for (text, says) in [
            ("not json".to_owned(), "expected"),
            (r#"{"keys": "no"}"#.to_owned(), "invalid type"),
            (set(&[]), "no usable signature key"),
            (
                set(&[r#"{"kty":"oct","kid":"s","k":"c2VjcmV0"}"#]),
                "only RSA and EC",
            ),
        ] {
            let err = parse_published(&text).expect_err("refused");
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
