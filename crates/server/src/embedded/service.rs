//! The embedded store's S3 service: s3s-fs's `FileSystem`, every action it
//! implements forwarded, with these differences from s3s-fs alone, each in
//! its own module: a full disk answers `507` ([`super::storage_full`]); a
//! PUT or UploadPart whose body is cut off answers `400 IncompleteBody`
//! ([`super::cut_off_body`]);
//! CompleteMultipartUpload joins the parts itself, without reading them
//! back ([`super::complete`]); and a SHA-256 multipart upload
//! completes with S3's COMPOSITE checksum ([`super::composite`]); a PUT or
//! Complete with `If-None-Match: *` creates its key or answers 412, also
//! when two race for it ([`super::write_once`]); a GET honours S3's
//! `response-content-disposition` and `response-content-type`; and
//! ListMultipartUploads, which s3s-fs lacks, is answered from its files
//! ([`super::list_uploads`]). Other actions s3s-fs does not implement are
//! left to the trait's defaults (`NotImplemented`). Requests reach s3s-fs without their query string
//! nor `Authorization` ([`unsigned`]): it logs them, and s3s checked the
//! signature they carry before.

use super::cut_off_body;
use super::storage_full::mapped;
use super::write_once::{self, KeyLocks};
use super::{complete, composite, list_uploads};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, S3};
use std::path::PathBuf;

/// s3s-fs on `root` (the folder it was opened on, canonical).
#[derive(Debug)]
pub struct EmbeddedS3 {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
    /// Conditional writes of one key take turns.
    writing: KeyLocks,
}

impl EmbeddedS3 {
    pub fn new(fs: s3s_fs::FileSystem, root: PathBuf) -> Self {
        Self {
            fs,
            root,
            writing: KeyLocks::default(),
        }
    }

    /// s3s-fs's PUT; with `If-None-Match: *`, in the key's turn and only
    /// when no object is there.
    async fn put(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        if !write_once::conditional(req.input.if_none_match.as_ref()) {
            return self
                .fs
                .put_object(unsigned(req))
                .await
                .map_err(cut_off_body::mapped);
        }
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let _turn = self.writing.turn(&bucket, &key).await;
        write_once::refuse_if_exists(&self.root, &bucket, &key)?;
        self.fs
            .put_object(unsigned(req))
            .await
            .map_err(cut_off_body::mapped)
    }

    /// s3s-fs's GET, answered with the signed `response-*` overrides as S3
    /// does (s3s-fs ignores them).
    async fn get(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        let disposition = req.input.response_content_disposition.clone();
        let content_type = req.input.response_content_type.clone();
        let mut resp = self.fs.get_object(unsigned(req)).await.map_err(mapped)?;
        if disposition.is_some() {
            resp.output.content_disposition = disposition;
        }
        if let Some(content_type) = content_type {
            resp.output.content_type = Some(content_type);
        }
        Ok(resp)
    }

    /// Complete; with `If-None-Match: *`, in the key's turn and only when
    /// no object is there.
    async fn complete_once(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        if !write_once::conditional(req.input.if_none_match.as_ref()) {
            return self.complete(req).await;
        }
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let _turn = self.writing.turn(&bucket, &key).await;
        write_once::refuse_if_exists(&self.root, &bucket, &key)?;
        self.complete(req).await
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

/// Forwards each listed action to s3s-fs, mapping its error; Complete, PUT
/// and GET go through [`EmbeddedS3`]'s own, UploadPart maps a cut-off body
/// too, ListMultipartUploads goes through [`list_uploads`].
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
                self.complete_once(req).await
            }

            async fn put_object(
                &self,
                req: S3Request<PutObjectInput>,
            ) -> S3Result<S3Response<PutObjectOutput>> {
                self.put(req).await
            }

            async fn upload_part(
                &self,
                req: S3Request<UploadPartInput>,
            ) -> S3Result<S3Response<UploadPartOutput>> {
                self.fs.upload_part(unsigned(req)).await.map_err(cut_off_body::mapped)
            }

            async fn get_object(
                &self,
                req: S3Request<GetObjectInput>,
            ) -> S3Result<S3Response<GetObjectOutput>> {
                self.get(req).await
            }

            async fn list_multipart_uploads(
                &self,
                req: S3Request<ListMultipartUploadsInput>,
            ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
                let access_key = req.credentials.as_ref().map(|c| c.access_key.as_str());
                let output = list_uploads::list(&self.root, access_key, &req.input).await?;
                Ok(S3Response::new(output))
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
    head_bucket(HeadBucketInput) -> HeadBucketOutput;
    head_object(HeadObjectInput) -> HeadObjectOutput;
    list_buckets(ListBucketsInput) -> ListBucketsOutput;
    list_objects(ListObjectsInput) -> ListObjectsOutput;
    list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
    list_parts(ListPartsInput) -> ListPartsOutput;
    upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
}
