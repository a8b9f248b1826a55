//! SHA-256 digests as S3 wants them: raw 32 bytes, carried as base64 text
//! (the `x-amz-checksum-sha256` header and our JSON protocol).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use std::fmt;

/// A raw SHA-256 digest. Displays and serialises as standard base64 (44 chars).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest([u8; 32]);

/// Why a text could not be read as a base64 SHA-256 digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestParseError {
    #[error("sha256 must be standard base64 (44 characters ending in '=')")]
    NotBase64,
    #[error("sha256 must decode to 32 bytes, got {0}")]
    WrongLength(usize),
}

impl Sha256Digest {
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest of `data` in one call.
    pub fn of(data: &[u8]) -> Self {
        Self(Sha256::digest(data).into())
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn from_base64(text: &str) -> Result<Self, DigestParseError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| DigestParseError::NotBase64)?;
        let raw: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| DigestParseError::WrongLength(bytes.len()))?;
        Ok(Self(raw))
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_base64())
    }
}

impl std::str::FromStr for Sha256Digest {
    type Err = DigestParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_base64(s)
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// In the signer's OpenAPI document: a base64 string of 44 characters.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Sha256Digest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Byte)))
            .min_length(Some(44))
            .max_length(Some(44))
            .description(Some(
                "SHA-256 digest: standard base64 of the raw 32 bytes (as in x-amz-checksum-sha256)",
            ))
            .examples(["uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Sha256Digest {}

/// Incremental SHA-256 over data fed in chunks (a file read slice by slice).
#[derive(Clone, Default)]
pub struct Sha256Hasher {
    inner: Sha256,
    bytes: u64,
}

impl fmt::Debug for Sha256Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sha256Hasher")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl Sha256Hasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.inner.update(chunk);
        self.bytes += chunk.len() as u64;
    }

    /// Bytes fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn finish(self) -> Sha256Digest {
        Sha256Digest(self.inner.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // FIPS 180-2 known answers.
    const ABC_HEX: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const EMPTY_B64: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    #[test]
    fn known_answers() {
        assert_eq!(Sha256Digest::of(b"abc").to_hex(), ABC_HEX);
        assert_eq!(Sha256Digest::of(b"").to_base64(), EMPTY_B64);
    }

    #[test]
    fn incremental_equals_one_shot() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut h = Sha256Hasher::new();
        for chunk in data.chunks(4093) {
            h.update(chunk);
        }
        assert_eq!(h.bytes(), data.len() as u64);
        assert_eq!(h.finish(), Sha256Digest::of(&data));
    }

    #[test]
    fn base64_round_trip_and_rejections() {
        let d = Sha256Digest::of(b"abc");
        assert_eq!(Sha256Digest::from_base64(&d.to_base64()), Ok(d));
        assert_eq!(
            Sha256Digest::from_base64("not base64!"),
            Err(DigestParseError::NotBase64)
        );
        assert_eq!(
            Sha256Digest::from_base64("AAAA"),
            Err(DigestParseError::WrongLength(3))
        );
    }

    #[test]
    fn serde_uses_base64_text() {
        let d = Sha256Digest::of(b"");
        let json = serde_json::to_string(&d).unwrap_or_default();
        assert_eq!(json, format!("\"{EMPTY_B64}\""));
        let back: Sha256Digest = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, d);
        assert!(serde_json::from_str::<Sha256Digest>("\"abc\"").is_err());
    }
}
