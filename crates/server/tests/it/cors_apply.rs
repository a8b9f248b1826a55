//! `presign-server cors print` and `cors apply`, the binary against a store
//! that implements PutBucketCors and GetBucketCors. Neither s3s-fs (the
//! embedded store) nor anything else installable here does, so the store is
//! built for the test on `s3s`, an independent implementation of the S3
//! protocol: it checks the SigV4 signature (with the store's secret key),
//! parses the CORSConfiguration XML into its typed rules, and, in front of
//! it, the body's MD5 is checked against the signed Content-MD5 header, as
//! S3 does. The exact bytes and signature are pinned by a known-answer test
//! in `src/signer/bucket_cors.rs`. (Garage, a strict store, is the real test
//! later.)

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use base64::Engine as _;
use md5::{Digest as _, Md5};
use s3s::dto::{
    CORSRule, GetBucketCorsInput, GetBucketCorsOutput, HeadBucketInput, HeadBucketOutput,
    PutBucketCorsInput, PutBucketCorsOutput,
};
use s3s::service::S3ServiceBuilder;
use s3s::{s3_error, S3Request, S3Response, S3Result, S3};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use tower::ServiceExt as _;

const KEY_ID: &str = "CORSTESTKEYID";
const SECRET: &str = "cors-test-store-secret-key";
const BUCKET: &str = "corsbucket";

/// A bucket that keeps its CORS rules in memory.
#[derive(Debug, Default)]
struct CorsBucket {
    rules: Mutex<Option<Vec<CORSRule>>>,
    /// Answers PutBucketCors with 200 but keeps nothing (a lying store).
    forgetful: bool,
}

/// What s3s serves (S3 is foreign to this crate, so is `Arc`).
#[derive(Debug, Clone)]
struct Store(Arc<CorsBucket>);

impl CorsBucket {
    fn rules(&self) -> Option<Vec<CORSRule>> {
        self.rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait::async_trait]
impl S3 for Store {
    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        if req.input.bucket != BUCKET {
            return Err(s3_error!(NoSuchBucket));
        }
        Ok(S3Response::new(HeadBucketOutput::default()))
    }

    async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        if req.input.bucket != BUCKET {
            return Err(s3_error!(NoSuchBucket));
        }
        if req.credentials.is_none() || req.input.content_md5.is_none() {
            return Err(s3_error!(
                InvalidRequest,
                "signed request with Content-MD5 required"
            ));
        }
        if !self.0.forgetful {
            *self.0.rules.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(req.input.cors_configuration.cors_rules);
        }
        Ok(S3Response::new(PutBucketCorsOutput::default()))
    }

    async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        if req.input.bucket != BUCKET || req.credentials.is_none() {
            return Err(s3_error!(AccessDenied));
        }
        match self.0.rules() {
            Some(rules) => Ok(S3Response::new(GetBucketCorsOutput {
                cors_rules: Some(rules),
            })),
            None => Err(s3_error!(NoSuchCORSConfiguration)),
        }
    }
}

/// Serves `bucket` over HTTP on a free loopback port.
async fn serve(bucket: Arc<CorsBucket>) -> SocketAddr {
    let mut builder = S3ServiceBuilder::new(Store(bucket));
    builder.set_auth(s3s::auth::SimpleAuth::from_single(KEY_ID, SECRET));
    let service = builder.build();
    let app = axum::Router::new().fallback(move |req: Request| {
        let service = service.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = to_bytes(body, 1 << 20).await.expect("body");
            if let Some(md5) = parts.headers.get("content-md5") {
                let actual = base64::engine::general_purpose::STANDARD.encode(Md5::digest(&bytes));
                if md5.as_bytes() != actual.as_bytes() {
                    return (
                        StatusCode::BAD_REQUEST,
                        "<Error><Code>BadDigest</Code></Error>",
                    )
                        .into_response();
                }
            }
            let req = Request::from_parts(parts, Body::from(bytes));
            match service.oneshot(req).await {
                Ok(resp) => resp.map(Body::new).into_response(),
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// Runs `presign-server cors apply` against `addr`; (exit code, stdout, stderr).
async fn apply(addr: SocketAddr, secret: &str, origin: &str) -> (i32, String, String) {
    let data = tempfile::tempdir().expect("temp dir");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["cors", "apply", "--allow-origin", origin, "--data-dir"])
        .arg(data.path())
        .env("AWS_ENDPOINT_URL", format!("http://{addr}"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("PRESIGN_BUCKET", BUCKET)
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .await
        .expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn theirs() -> CORSRule {
    CORSRule {
        allowed_headers: None,
        allowed_methods: vec!["GET".into()],
        allowed_origins: vec!["https://other-app.example".into()],
        expose_headers: None,
        id: Some("another-app".into()),
        max_age_seconds: None,
    }
}

#[tokio::test]
async fn apply_sets_the_rule_keeps_others_and_reads_it_back() {
    let bucket = Arc::new(CorsBucket::default());
    *bucket.rules.lock().expect("lock") = Some(vec![theirs()]);
    let addr = serve(bucket.clone()).await;

    let (code, stdout, stderr) = apply(addr, SECRET, "https://app.example.com").await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("cors: applied to bucket corsbucket and read back (2 rule(s)):"),
        "{stdout}"
    );
    let rules = bucket.rules().expect("rules set");
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(rules[0], theirs(), "the other app's rule is kept");
    let ours = &rules[1];
    assert_eq!(ours.id.as_deref(), Some("presign-server"));
    assert_eq!(ours.allowed_origins, ["https://app.example.com"]);
    assert_eq!(ours.allowed_methods, ["PUT", "POST", "GET", "HEAD"]);
    assert_eq!(
        ours.allowed_headers.as_deref(),
        Some(
            &[
                "content-type",
                "x-amz-checksum-sha256",
                "x-amz-checksum-algorithm",
                "if-none-match",
                "x-amz-*"
            ]
            .map(String::from)[..]
        )
    );
    assert_eq!(
        ours.expose_headers.as_deref(),
        Some(&["ETag", "x-amz-checksum-sha256", "Retry-After"].map(String::from)[..])
    );
    assert_eq!(ours.max_age_seconds, Some(3600));

    // Again with another origin: our rule replaced, not added.
    let (code, stdout, stderr) = apply(addr, SECRET, "https://new.example.com").await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rules = bucket.rules().expect("rules set");
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(rules[1].allowed_origins, ["https://new.example.com"]);

    // A wrong secret: the store refuses the signature, nothing changes.
    let (code, stdout, stderr) = apply(addr, "not-the-secret", "https://evil.example").await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("GetBucketCors"), "{stderr}");
    assert_eq!(
        bucket.rules().expect("rules")[1].allowed_origins,
        ["https://new.example.com"]
    );
    assert!(!stderr.contains("not-the-secret"), "{stderr}");
}

#[tokio::test]
async fn apply_fails_when_the_store_does_not_keep_the_rule() {
    let bucket = Arc::new(CorsBucket {
        forgetful: true,
        ..CorsBucket::default()
    });
    let addr = serve(bucket.clone()).await;
    let (code, stdout, stderr) = apply(addr, SECRET, "https://app.example.com").await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("GetBucketCors does not show the rule"),
        "{stderr}"
    );
}

#[tokio::test]
async fn print_gives_the_json_for_the_configured_origins() {
    let run = |args: &'static [&'static str]| async move {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_presign-server"))
            .args(args)
            .output()
            .await
            .expect("binary runs")
    };
    let out = run(&[
        "cors",
        "print",
        "--allow-origin",
        "https://a.example",
        "--allow-origin",
        "https://b.example:8443",
    ])
    .await;
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rule = &json["CORSRules"][0];
    assert_eq!(
        rule["AllowedOrigins"],
        serde_json::json!(["https://a.example", "https://b.example:8443"])
    );
    assert_eq!(
        rule["ExposeHeaders"],
        serde_json::json!(["ETag", "x-amz-checksum-sha256", "Retry-After"])
    );
    assert_eq!(json["CORSRules"].as_array().map(Vec::len), Some(1));
    // With --dev, any origin; with no origin at all, a clear refusal.
    let out = run(&["--dev", "cors", "print"]).await;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        json["CORSRules"][0]["AllowedOrigins"],
        serde_json::json!(["*"])
    );
    let out = run(&["cors", "print"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-origin"));
}

#[tokio::test]
async fn print_names_each_metadata_header_the_policy_takes() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("presign.toml");
    std::fs::write(
        &config,
        "[policy.file_types.ecu]\nmetadata = [\"serial\"]\n",
    )
    .expect("config");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_presign-server"))
        .args(["--allow-metadata", "project", "--config"])
        .arg(&config)
        .args(["cors", "print", "--allow-origin", "https://a.example"])
        .output()
        .await
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let headers = &json["CORSRules"][0]["AllowedHeaders"];
    // Garage matches allowed headers exactly: x-amz-* alone does not let
    // the browser send x-amz-meta-serial.
    for header in ["x-amz-*", "x-amz-meta-project", "x-amz-meta-serial"] {
        assert!(
            headers.as_array().expect("list").contains(&header.into()),
            "{header}: {headers}"
        );
    }
}
