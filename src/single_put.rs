//! One file, one presigned PUT: hash, sign, upload, verify.
//!
//! 1. Read the file in chunks and compute its SHA-256 (phase `hashing`).
//! 2. Ask the signer for a URL bound to that size and digest (`signing`).
//! 3. PUT the `Blob` with exactly the signed headers (`uploading`).
//! 4. Ask the signer what was stored and check it is the file (`verifying`).

use crate::abort;
use crate::blob_reader::{blob_size, BlobReader, CHUNK_SIZE};
use crate::options::UploadOptions;
use crate::progress_reporter::ProgressReporter;
use crate::put_headers;
use crate::results::UploadResult;
use crate::signer_client::SignerClient;
use crate::upload_error::UploadError;
use crate::verify;
use crate::xhr_put;
use presign_core::content_type::DEFAULT_CONTENT_TYPE;
use presign_core::limits::MAX_SINGLE_PUT;
use presign_core::progress::Phase;
use presign_core::protocol::{FileUploadedRequest, GetUploadUrlRequest};
use presign_core::{ErrorCode, Sha256Digest, Sha256Hasher};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{AbortSignal, Blob};

/// Uploads `file` through `signer`.
pub async fn upload(
    signer: &SignerClient,
    file: &Blob,
    options: &UploadOptions,
) -> Result<UploadResult, UploadError> {
    let signal = options.signal.as_ref();
    abort::ensure_live(signal)?;
    let size = blob_size(file);
    if size > MAX_SINGLE_PUT {
        return Err(UploadError::new(
            ErrorCode::TooLarge,
            format!("{size} bytes is more than a single PUT may carry ({MAX_SINGLE_PUT})"),
        ));
    }
    let progress = Rc::new(ProgressReporter::new(options.on_progress.clone()));

    let digest = hash(file, signal, &progress).await?;

    // Each phase starts only if the signal (possibly aborted from inside a
    // progress callback) still allows it.
    abort::ensure_live(signal)?;
    progress.start(Phase::Signing, size);
    let content_type = content_type(file, options);
    let signed = signer
        .get_upload_url(
            &GetUploadUrlRequest {
                filename: filename(file),
                file_type: options.file_type.clone(),
                content_type: Some(content_type),
                size: Some(size),
                sha256: Some(digest),
            },
            signal,
        )
        .await?;
    if !signed.method.eq_ignore_ascii_case("PUT") {
        return Err(UploadError::new(
            ErrorCode::Server,
            format!(
                "the signer asked for a {} upload; this client uploads with PUT",
                signed.method
            ),
        ));
    }

    abort::ensure_live(signal)?;
    progress.start(Phase::Uploading, size);
    let headers = put_headers::for_put(signed.headers.as_ref());
    let put = xhr_put::put_blob(&signed.upload_url, "PUT", &headers, file, signal, {
        let progress = Rc::clone(&progress);
        move |loaded| progress.advance(loaded)
    })
    .await?;
    // The browser's last progress event may fall short of the total.
    progress.advance(size);

    abort::ensure_live(signal)?;
    progress.set_parts(1, 1);
    progress.announce(Phase::Verifying);
    let answer = signer
        .file_uploaded(
            &FileUploadedRequest {
                key: signed.key.clone(),
                file_type: options.file_type.clone(),
            },
            signal,
        )
        .await?;
    let verified = verify::verify(&digest, size, answer.as_ref(), put.etag)?;
    progress.announce(Phase::Done);

    Ok(UploadResult {
        key: signed.key,
        size: verified.size,
        etag: verified.etag,
        sha256: digest.to_base64(),
    })
}

/// SHA-256 of the whole file, chunk by chunk, checking the signal between chunks.
async fn hash(
    file: &Blob,
    signal: Option<&AbortSignal>,
    progress: &ProgressReporter,
) -> Result<Sha256Digest, UploadError> {
    let mut reader = BlobReader::new(file, CHUNK_SIZE);
    let mut hasher = Sha256Hasher::new();
    progress.start(Phase::Hashing, blob_size(file));
    while let Some(chunk) = reader.next_chunk().await? {
        abort::ensure_live(signal)?;
        hasher.update(chunk);
        progress.advance(hasher.bytes());
    }
    Ok(hasher.finish())
}

/// `options.contentType`, else `file.type`, else `application/octet-stream`.
pub fn content_type(file: &Blob, options: &UploadOptions) -> String {
    options
        .content_type
        .clone()
        .or_else(|| Some(file.type_()).filter(|t| !t.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned())
}

/// `File.name`, or `"blob"` for a plain `Blob` (the signer sanitises it).
pub fn filename(file: &Blob) -> String {
    js_sys::Reflect::get(file, &JsValue::from_str("name"))
        .ok()
        .and_then(|name| name.as_string())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "blob".to_owned())
}
