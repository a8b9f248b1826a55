//! Whether an S3 failure of s3s-fs's was caused by an I/O error of some
//! kinds, found anywhere in its chain of causes: how [`super::storage_full`]
//! tells a full disk and [`super::cut_off_body`] a body cut off from other
//! internal errors.

use std::error::Error;
use std::io::ErrorKind;

/// Whether `err` or one of its causes is an I/O error of one of `kinds`.
pub fn caused_by(err: &(dyn Error + 'static), kinds: &[ErrorKind]) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if kinds.contains(&io.kind()) {
                return true;
            }
        }
        cause = e.source();
    }
    false
}
