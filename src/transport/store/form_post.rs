//! The presigned POST form (`method: "post"`, the design note's
//! `generate_presigned_post`): the signer answers a URL and the fields of a
//! policy it signed; the browser sends them as `multipart/form-data` with the
//! file as the LAST field (S3 ignores fields after the file). The policy, not
//! a signed header, pins the key, the size range and the content type; the
//! `x-amz-checksum-sha256` field pins the content.

use crate::error::UploadError;
use presign_core::ErrorCode;
use std::collections::BTreeMap;
use web_sys::{Blob, FormData};

/// The form to POST: every field in order, then `file`.
pub fn form_data(
    fields: &BTreeMap<String, String>,
    file: &Blob,
    filename: &str,
) -> Result<FormData, UploadError> {
    let broken = |what: &str| {
        UploadError::new(
            ErrorCode::Server,
            format!("could not build the upload form ({what})"),
        )
    };
    let form = FormData::new().map_err(|_| broken("no FormData"))?;
    for (name, value) in fields {
        if name.eq_ignore_ascii_case("file") {
            return Err(UploadError::new(
                ErrorCode::Server,
                "the signer's form has a field named \"file\", which would be ignored",
            ));
        }
        form.append_with_str(name, value)
            .map_err(|_| broken(name))?;
    }
    form.append_with_blob_and_filename("file", file, filename)
        .map_err(|_| broken("file"))?;
    Ok(form)
}
