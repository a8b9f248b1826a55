//! The names of the files s3s-fs 0.17 keeps about an object under its root
//! (s3s-fs is pinned with `=` in Cargo.toml because [`super::complete`] and
//! [`super::composite`] read and write them, and [`super::list_uploads`]
//! reads them): `.bucket-{b64}.object-{b64}` followed by what the file
//! holds, `b64` being base64url without padding.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use std::path::{Path, PathBuf};

/// Where s3s-fs keeps an object's ETag and checksums (what HEAD and GET report).
pub fn internal_info_path(root: &Path, bucket: &str, key: &str) -> PathBuf {
    object_file(root, bucket, key, ".internal.json")
}

/// One of the files s3s-fs keeps about object `key` of `bucket`:
/// `.bucket-{b64}.object-{b64}{suffix}` under its root.
pub fn object_file(root: &Path, bucket: &str, key: &str, suffix: &str) -> PathBuf {
    root.join(format!(
        ".bucket-{}.object-{}{suffix}",
        URL_SAFE_NO_PAD.encode(bucket),
        URL_SAFE_NO_PAD.encode(key)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_path_is_s3s_fs_naming() {
        // base64url without padding of "uploads" and "users/dev/a b.bin".
        let path = internal_info_path(Path::new("/s"), "uploads", "users/dev/a b.bin");
        assert_eq!(
            path,
            Path::new("/s/.bucket-dXBsb2Fkcw.object-dXNlcnMvZGV2L2EgYi5iaW4.internal.json")
        );
    }
}
