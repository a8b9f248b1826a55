//! The embedded store's answer to a full disk: `507 Insufficient Storage`
//! with MinIO's code `XMinioStorageFull`, instead of s3s-fs's bare
//! `500 InternalError`, so that a client can tell "no space left" from a
//! crash and stop retrying.
//!
//! [`SpaceAware`] wraps s3s-fs's `FileSystem` and forwards every S3 action
//! it implements; a failure whose cause is the file system's `ENOSPC` (or
//! `EDQUOT`) becomes [`storage_full`]. Actions s3s-fs does not implement are
//! left to the trait's defaults (`NotImplemented`), as before.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result, S3};
use std::error::Error;
use std::io::ErrorKind;

/// The S3 error code of a full disk (MinIO's; S3 itself never fills up).
pub const CODE: &str = "XMinioStorageFull";

/// s3s-fs with full-disk failures answered as [`storage_full`].
#[derive(Debug)]
pub struct SpaceAware(pub s3s_fs::FileSystem);

/// `507 XMinioStorageFull`.
pub fn storage_full() -> S3Error {
    let mut err = S3Error::with_message(
        S3ErrorCode::Custom(CODE.into()),
        "The store has no space left on its disk; delete objects or free space, then try again.",
    );
    err.set_status_code(http::StatusCode::INSUFFICIENT_STORAGE);
    err
}

/// Whether `err` or one of its causes is a file system out of space.
pub fn is_out_of_space(err: &(dyn Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if matches!(io.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded) {
                return true;
            }
        }
        cause = e.source();
    }
    false
}

/// `err` itself, or [`storage_full`] when a full disk caused it.
fn mapped(err: S3Error) -> S3Error {
    match err.source() {
        Some(source) if is_out_of_space(source) => {
            tracing::error!(error = %source, "embedded store: disk full");
            storage_full()
        }
        _ => err,
    }
}

/// Forwards each listed action to s3s-fs, mapping its error.
macro_rules! forward {
    ($($action:ident($input:ty) -> $output:ty;)*) => {
        #[async_trait::async_trait]
        impl S3 for SpaceAware {
            $(
                async fn $action(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.0.$action(req).await.map_err(mapped)
                }
            )*
        }
    };
}

// Every action s3s-fs 0.17 implements (`impl S3 for FileSystem`).
forward! {
    abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
    complete_multipart_upload(CompleteMultipartUploadInput) -> CompleteMultipartUploadOutput;
    copy_object(CopyObjectInput) -> CopyObjectOutput;
    create_bucket(CreateBucketInput) -> CreateBucketOutput;
    create_multipart_upload(CreateMultipartUploadInput) -> CreateMultipartUploadOutput;
    delete_bucket(DeleteBucketInput) -> DeleteBucketOutput;
    delete_object(DeleteObjectInput) -> DeleteObjectOutput;
    delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
    get_bucket_location(GetBucketLocationInput) -> GetBucketLocationOutput;
    get_object(GetObjectInput) -> GetObjectOutput;
    head_bucket(HeadBucketInput) -> HeadBucketOutput;
    head_object(HeadObjectInput) -> HeadObjectOutput;
    list_buckets(ListBucketsInput) -> ListBucketsOutput;
    list_objects(ListObjectsInput) -> ListObjectsOutput;
    list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
    list_parts(ListPartsInput) -> ListPartsOutput;
    put_object(PutObjectInput) -> PutObjectOutput;
    upload_part(UploadPartInput) -> UploadPartOutput;
    upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(kind: ErrorKind) -> S3Error {
        S3Error::internal_error(std::io::Error::from(kind))
    }

    #[test]
    fn a_full_disk_is_507_storage_full() {
        for kind in [ErrorKind::StorageFull, ErrorKind::QuotaExceeded] {
            let err = mapped(io(kind));
            assert_eq!(err.code().as_str(), CODE, "{kind:?}");
            assert_eq!(
                err.status_code(),
                Some(http::StatusCode::INSUFFICIENT_STORAGE)
            );
        }
        // ENOSPC as the OS reports it.
        let raw = S3Error::internal_error(std::io::Error::from_raw_os_error(28));
        assert_eq!(mapped(raw).code().as_str(), CODE);
    }

    #[test]
    fn a_cause_deeper_in_the_chain_counts() {
        #[derive(Debug, thiserror::Error)]
        #[error("writing a part failed")]
        struct Wrapper(#[source] std::io::Error);
        let err = S3Error::internal_error(Wrapper(ErrorKind::StorageFull.into()));
        assert_eq!(mapped(err).code().as_str(), CODE);
    }

    #[test]
    fn other_failures_are_left_alone() {
        let err = mapped(io(ErrorKind::PermissionDenied));
        assert_eq!(err.code(), &S3ErrorCode::InternalError);
        let err = mapped(S3Error::new(S3ErrorCode::NoSuchUpload));
        assert_eq!(err.code(), &S3ErrorCode::NoSuchUpload);
    }
}
