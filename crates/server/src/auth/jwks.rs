//! Public keys from a JWKS file (`{"keys": [...]}`), each with its `kid`.

use super::keys::{VerifyKey, RSA_ALGORITHMS};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};

/// The RSA and EC keys of a JWKS document with their `kid`s. Symmetric
/// (`oct`) keys are refused: a public key file is no place for a secret.
pub(super) fn parse(text: &str) -> Result<Vec<(String, VerifyKey)>, String> {
    let set: JwkSet = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut keys = Vec::with_capacity(set.keys.len());
    for (i, jwk) in set.keys.iter().enumerate() {
        let kid = jwk
            .common
            .key_id
            .clone()
            .ok_or_else(|| format!("key {i} has no kid"))?;
        if keys.iter().any(|(id, _)| *id == kid) {
            return Err(format!("kid {kid:?} appears twice"));
        }
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
        keys.push((kid, VerifyKey { key, algorithms }));
    }
    if keys.is_empty() {
        return Err("it holds no keys".into());
    }
    Ok(keys)
}
