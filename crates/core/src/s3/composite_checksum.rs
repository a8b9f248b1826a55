//! S3's checksum of a multipart object: COMPOSITE
//! `base64(sha256(concat(raw part digests)))-N`. Some stores (s3s-fs) answer a
//! FULL_OBJECT digest of the whole object instead; [`StoreChecksum`] reads
//! either form so a client can check the one it got.

use crate::s3::digest::{Sha256Digest, Sha256Hasher};

/// The composite checksum of parts whose digests are given in part order.
pub fn composite(part_digests: &[Sha256Digest]) -> String {
    let mut h = Sha256Hasher::new();
    for d in part_digests {
        h.update(d.as_bytes());
    }
    format!("{}-{}", h.finish().to_base64(), part_digests.len())
}

/// A checksum as a store reported it for a multipart object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChecksum {
    /// `digest-N`: SHA-256 over the N part digests.
    Composite { digest: Sha256Digest, parts: u32 },
    /// SHA-256 of the whole object.
    FullObject(Sha256Digest),
}

impl StoreChecksum {
    /// Reads `base64` or `base64-N`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().rsplit_once('-') {
            Some((digest, n)) => Some(Self::Composite {
                digest: Sha256Digest::from_base64(digest).ok()?,
                parts: n.parse().ok()?,
            }),
            None => Sha256Digest::from_base64(text).ok().map(Self::FullObject),
        }
    }

    /// Whether this checksum describes the object made of these parts.
    /// `whole` is the whole-object digest when the caller computed one; a
    /// FULL_OBJECT checksum cannot be checked without it.
    pub fn matches(
        &self,
        part_digests: &[Sha256Digest],
        whole: Option<&Sha256Digest>,
    ) -> Option<bool> {
        match self {
            Self::Composite { .. } => Some(self.to_string() == composite(part_digests)),
            Self::FullObject(d) => whole.map(|w| w == d),
        }
    }
}

impl std::fmt::Display for StoreChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Composite { digest, parts } => write!(f, "{digest}-{parts}"),
            Self::FullObject(d) => write!(f, "{d}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        // Parts "a", "b": sha256(sha256("a") || sha256("b")), computed with
        // Python's hashlib: base64 of
        // e5a01fee14e0ed5c48714f22180f25ad8365b53f9779f79dc4a3d7e93963f94a
        let parts = [Sha256Digest::of(b"a"), Sha256Digest::of(b"b")];
        assert_eq!(
            composite(&parts),
            "5aAf7hTg7VxIcU8iGA8lrYNltT+XefedxKPX6Tlj+Uo=-2"
        );
    }

    #[test]
    fn parses_both_forms_and_checks() {
        let parts = [Sha256Digest::of(b"a"), Sha256Digest::of(b"b")];
        let whole = Sha256Digest::of(b"ab");
        let c = StoreChecksum::parse(&composite(&parts)).expect("composite");
        assert_eq!(c.matches(&parts, None), Some(true));
        assert_eq!(c.matches(&parts[..1], None), Some(false));
        let f = StoreChecksum::parse(&whole.to_base64()).expect("full");
        assert_eq!(f.matches(&parts, Some(&whole)), Some(true));
        assert_eq!(f.matches(&parts, Some(&parts[0])), Some(false));
        assert_eq!(f.matches(&parts, None), None);
        for bad in [
            "",
            "abc",
            "abc-2",
            "5aAf7hTg7VxIcU8iGA8lrYNltT+XefedxKPX6Tlj+Uo=-x",
        ] {
            assert_eq!(StoreChecksum::parse(bad), None, "{bad}");
        }
    }
}
