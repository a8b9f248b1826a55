//! The embedded store's S3 service: s3s-fs's `FileSystem`, every action it
//! implements forwarded, with these differences from s3s-fs alone, each in
//! its own module: a full disk answers `507` ([`super::storage_full`]);
//! CompleteMultipartUpload joins the parts itself, without reading them
//! back ([`super::complete`]); and a SHA-256 multipart upload
//! completes with S3's COMPOSITE checksum ([`super::composite`]).
//! Actions s3s-fs does not implement are left to the trait's defaults
//! (`NotImplemented`). Requests reach s3s-fs without their query string
//! nor `Authorization` ([`unsigned`]): it logs them, and s3s checked the
//! signature they carry before.

use super::storage_full::mapped;
use super::{complete, composite};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, S3};
use std::path::PathBuf;

/// s3s-fs on `root` (the folder it was opened on, canonical).
#[derive(Debug)]
pub struct EmbeddedS3 {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
}

impl EmbeddedS3 {
    pub fn new(fs: s3s_fs::FileSystem, root: PathBuf) -> Self {
        Self { fs, root }
    }

    /// Complete by [`complete`] when it covers the request;
    /// otherwise s3s-fs's, its FULL_OBJECT SHA-256 then replaced by the
    /// parts' COMPOSITE one (in the answer and in what HEAD and GET report).
    async fn complete(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let access_key = req.credentials.as_ref().map(|c| c.access_key.as_str());
        if let Some(plan) = complete::plan(&self.root, access_key, &req.input).await {
            return Ok(S3Response::new(plan.complete().await?));
        }
        let composite = composite::of_parts(req.input.multipart_upload.as_ref());
        let mut resp = self
            .fs
            .complete_multipart_upload(unsigned(req))
            .await
            .map_err(mapped)?;
        // s3s-fs commits the object before it answers; its answer is built
        // by a future that does no more work.
        let output = match resp.output.future.take() {
            Some(future) => future.await.map_err(mapped)?,
            None => std::mem::take(&mut resp.output),
        };
        resp.output = match composite {
            Some(composite) => composite::answer(&self.root, output, &composite).await,
            None => output,
        };
        Ok(resp)
    }
}

/// `req` without what signed it: its URI's query (a presigned URL's
/// `X-Amz-Signature`, `X-Amz-Credential`, ...) and its `Authorization`
/// header. s3s-fs logs each request it gets (at debug level) and reads
/// neither: it acts on the parsed input and the checked credentials.
fn unsigned<T>(mut req: S3Request<T>) -> S3Request<T> {
    if req.uri.query().is_some() {
        if let Ok(uri) = req.uri.path().parse() {
            req.uri = uri;
        }
    }
    req.headers.remove(http::header::AUTHORIZATION);
    req
}

/// Forwards each listed action to s3s-fs, mapping its error; Complete goes
/// to [`EmbeddedS3::complete`].
macro_rules! forward {
    ($($action:ident($input:ty) -> $output:ty;)*) => {
        #[async_trait::async_trait]
        impl S3 for EmbeddedS3 {
            $(
                async fn $action(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.fs.$action(unsigned(req)).await.map_err(mapped)
                }
            )*

            async fn complete_multipart_upload(
                &self,
                req: S3Request<CompleteMultipartUploadInput>,
            ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
                self.complete(req).await
            }
        }
    };
}

// Every other action s3s-fs 0.17 implements (`impl S3 for FileSystem`).
forward! {
    abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
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
