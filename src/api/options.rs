//! The one place where JavaScript option objects become strict Rust structs
//! (the uploader's, an upload's, `checksums()`'s; the upload's struct and
//! its defaults are [`crate::upload::options`]).
//!
//! JS side forgiving: `undefined`/`null` mean "not given", camelCase names,
//! defaults for everything optional, headers as a plain object, a `Headers`, a
//! `Map` or an array of pairs, numbers accepted where strings are expected.
//! Rust side strict: every value checked once here, with a message naming the
//! option, so the rest of the crate never looks at a `JsValue` option again.

use crate::api::js_fields::{
    bool_field, bool_field_or, field, function_field, integer_field, is_absent, read_signal,
    string_field,
};
use crate::error::UploadError;
use crate::hashing::checksums::ChecksumOptions;
use crate::transport::signer::js_signer::JsSigner;
use crate::transport::signer::token_source::TokenOption;
use crate::upload::options::{
    UploadMethod, UploadOptions, MAX_ATTEMPTS, MAX_CONCURRENCY, MAX_RESUME_AGE_MS,
    MAX_STALL_TIMEOUT_MS, MAX_WAIT_MS,
};
use presign_core::protocol::content_type;
use presign_core::protocol::metadata::Metadata;
use presign_core::upload::hash_strategy::{
    DigestMethod, DigestPreference, WorkerCounts, MAX_WORKERS,
};
use presign_core::upload::resume_state::DEFAULT_RESUME_MAX_AGE_MS;
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

/// Options of `new Uploader(options)`.
#[derive(Clone, PartialEq)]
pub struct UploaderOptions {
    /// Base URL of the signer without a trailing `/`; empty means same origin.
    pub endpoint: String,
    /// Extra headers for every signer request.
    pub headers: Vec<(String, String)>,
    /// `token` or `getToken`: sent as `Authorization: Bearer …`.
    pub token: Option<TokenOption>,
    /// The page's own signer, instead of the endpoint's HTTP protocol.
    pub signer: Option<JsSigner>,
    /// Hash workers for uploads and for `checksums()` (0: hash on the main
    /// thread).
    pub workers: WorkerCounts,
    /// Where the workers load the package's JS from (`None`: beside its
    /// `snippets/`, where wasm-pack puts it).
    pub worker_module_url: Option<String>,
    /// Whose saved uploads are resumed (the app's user id, say); with the
    /// endpoint, the scope of the uploads saved in IndexedDB.
    pub resume_scope: Option<String>,
    /// Files uploading at once; the others wait their turn.
    pub max_concurrent_files: u32,
    /// Requests to the store in flight at once, over every running file.
    pub max_concurrent_requests: u32,
}

/// Files uploading at once by default: as many as the store's connections
/// (a small file's turn is its PUT alone, [`crate::upload::queue::AHEAD`]).
pub const DEFAULT_CONCURRENT_FILES: u32 = 6;
/// Most files uploading at once.
pub const MAX_CONCURRENT_FILES: u32 = 16;
/// Requests to the store in flight at once by default: the browser's
/// HTTP/1.1 connections per host.
pub const DEFAULT_CONCURRENT_REQUESTS: u32 = 6;
/// Most requests to the store in flight at once.
pub const MAX_CONCURRENT_REQUESTS: u32 = 32;

impl fmt::Debug for UploaderOptions {
    /// Header values may be credentials: only their names are printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("UploaderOptions")
            .field("endpoint", &self.endpoint)
            .field("header_names", &names)
            .field("token", &self.token)
            .field("signer", &self.signer)
            .field("workers", &self.workers)
            .field("worker_module_url", &self.worker_module_url)
            .field("has_resume_scope", &self.resume_scope.is_some())
            .field("max_concurrent_files", &self.max_concurrent_files)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .finish()
    }
}

impl UploaderOptions {
    /// Reads `{ endpoint?, headers?, token?, getToken?, signer?, workers?,
    /// workerModuleUrl?, resumeScope?, maxConcurrentFiles?,
    /// maxConcurrentRequests? }`;
    /// `undefined` or `null` gives the defaults.
    pub fn from_js(value: &JsValue) -> Result<Self, UploadError> {
        if is_absent(value) {
            return Ok(Self {
                endpoint: String::new(),
                headers: Vec::new(),
                token: None,
                signer: None,
                workers: default_workers(),
                worker_module_url: None,
                resume_scope: None,
                max_concurrent_files: DEFAULT_CONCURRENT_FILES,
                max_concurrent_requests: DEFAULT_CONCURRENT_REQUESTS,
            });
        }
        if !value.is_object() {
            return Err(UploadError::bad_request(
                "Uploader options must be an object like { endpoint, headers }",
            ));
        }
        let endpoint = string_field(value, "endpoint")?
            .map(|e| normalize_endpoint(&e))
            .transpose()?
            .unwrap_or_default();
        let headers = match field(value, "headers")? {
            None => Vec::new(),
            Some(v) => read_headers(&v)?,
        };
        let token = read_token(value)?;
        let signer = read_signer(value)?;
        let workers = integer_field(value, "workers", 0, u64::from(MAX_WORKERS))?
            .map_or_else(default_workers, |n| WorkerCounts::both(n as u32));
        let worker_module_url = string_field(value, "workerModuleUrl")?
            .map(|url| match url.trim() {
                "" => Err(UploadError::bad_request(
                    "options.workerModuleUrl must not be empty",
                )),
                url => Ok(url.to_owned()),
            })
            .transpose()?;
        let max_concurrent_files = integer_field(
            value,
            "maxConcurrentFiles",
            1,
            u64::from(MAX_CONCURRENT_FILES),
        )?
        .map_or(DEFAULT_CONCURRENT_FILES, |n| n as u32);
        let max_concurrent_requests = integer_field(
            value,
            "maxConcurrentRequests",
            1,
            u64::from(MAX_CONCURRENT_REQUESTS),
        )?
        .map_or(DEFAULT_CONCURRENT_REQUESTS, |n| n as u32);
        let resume_scope = string_field(value, "resumeScope")?;
        Ok(Self {
            endpoint,
            headers,
            token,
            signer,
            workers,
            worker_module_url,
            resume_scope,
            max_concurrent_files,
            max_concurrent_requests,
        })
    }
}

/// `metadata`: an object of names and strings (numbers and booleans as
/// text), checked as the signer will check it.
fn read_metadata(value: &JsValue) -> Result<Metadata, UploadError> {
    let Some(object) = field(value, "metadata")? else {
        return Ok(Metadata::default());
    };
    let object: js_sys::Object = object.dyn_into().map_err(|_| {
        UploadError::bad_request("options.metadata must be an object of names and strings")
    })?;
    let mut metadata = Metadata::default();
    for entry in js_sys::Object::entries(&object).iter() {
        let entry = js_sys::Array::from(&entry);
        let name = entry.get(0).as_string().unwrap_or_default();
        let value = entry.get(1);
        let text = match (value.as_string(), value.as_f64(), value.as_bool()) {
            (Some(text), _, _) => text,
            (None, Some(n), _) if n.is_finite() => js_sys::JSON::stringify(&value)
                .ok()
                .and_then(|t| t.as_string())
                .unwrap_or_default(),
            (None, None, Some(b)) => b.to_string(),
            _ => {
                return Err(UploadError::bad_request(format!(
                    "options.metadata.{name} must be a string"
                )))
            }
        };
        metadata.0.insert(name, text);
    }
    metadata
        .check()
        .map_err(|e| UploadError::bad_request(format!("options.metadata: {e}")))?;
    Ok(metadata)
}

/// `token` or `getToken`, if given.
fn read_token(value: &JsValue) -> Result<Option<TokenOption>, UploadError> {
    match (string_field(value, "token")?, field(value, "getToken")?) {
        (Some(_), Some(_)) => Err(UploadError::bad_request(
            "give options.token or options.getToken, not both",
        )),
        (Some(token), None) if token.trim().is_empty() || token.contains(['\r', '\n']) => {
            Err(UploadError::bad_request(
                "options.token must be a non-empty string without line breaks",
            ))
        }
        (Some(token), None) => Ok(Some(TokenOption::Static(token))),
        (None, Some(get)) => Ok(Some(TokenOption::Callback(get.dyn_into().map_err(
            |_| UploadError::bad_request("options.getToken must be a function"),
        )?))),
        (None, None) => Ok(None),
    }
}

/// `signer`, if given: then nothing of the HTTP signer's may be.
fn read_signer(value: &JsValue) -> Result<Option<JsSigner>, UploadError> {
    let Some(signer) = field(value, "signer")? else {
        return Ok(None);
    };
    for name in ["endpoint", "headers", "token", "getToken"] {
        if field(value, name)?.is_some() {
            return Err(UploadError::bad_request(format!(
                "options.signer makes its own requests: give options.signer or options.{name}, not both"
            )));
        }
    }
    JsSigner::from_js(&signer).map(Some)
}

/// From `navigator.hardwareConcurrency`: less one for uploads, all of it for
/// `checksums()`, 1 to 4 (see [`WorkerCounts::default_for`]).
fn default_workers() -> WorkerCounts {
    let cores = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"hardwareConcurrency".into()))
        .ok()
        .and_then(|n| n.as_f64())
        .filter(|n| n.is_finite() && *n >= 1.0)
        .map(|n| n.min(1024.0) as u32);
    WorkerCounts::default_for(cores)
}

impl UploadOptions {
    /// Reads `{ fileType, contentType?, onProgress?, signal?, ... }`, or a
    /// bare string taken as the `fileType`.
    pub fn from_js(value: &JsValue) -> Result<Self, UploadError> {
        if let Some(file_type) = value.as_string() {
            return Ok(Self {
                file_type: check_file_type(file_type)?,
                ..Self::default()
            });
        }
        if !value.is_object() {
            return Err(UploadError::bad_request(
                "upload options must be an object like { fileType, contentType, onProgress, signal }",
            ));
        }
        let file_type = string_field(value, "fileType")?
            .ok_or_else(|| UploadError::bad_request("options.fileType is required"))?;
        let mut options = Self {
            file_type: check_file_type(file_type)?,
            ..Self::default()
        };
        options.read_callbacks(value)?;
        options.read_transfer(value)?;
        options.read_retries(value)?;
        options.read_checksums(value)?;
        options.metadata = read_metadata(value)?;
        Ok(options)
    }

    /// `onProgress`, `onStateChange`, `signal`.
    fn read_callbacks(&mut self, value: &JsValue) -> Result<(), UploadError> {
        self.on_progress = function_field(value, "onProgress")?;
        self.on_state_change = function_field(value, "onStateChange")?;
        self.signal = field(value, "signal")?.map(read_signal).transpose()?;
        Ok(())
    }

    /// How the bytes go: `method`, `contentType`, `multipartThreshold`,
    /// `partSize`, `concurrency`, `abortInFlightOnPause`.
    fn read_transfer(&mut self, value: &JsValue) -> Result<(), UploadError> {
        self.method = match string_field(value, "method")?.as_deref() {
            None => UploadMethod::Put,
            Some(m) if m.eq_ignore_ascii_case("put") => UploadMethod::Put,
            Some(m) if m.eq_ignore_ascii_case("post") => UploadMethod::Post,
            Some(other) => {
                return Err(UploadError::bad_request(format!(
                    "options.method must be \"put\" or \"post\", got {other:?}"
                )))
            }
        };
        self.content_type = string_field(value, "contentType")?
            .map(|text| match content_type::validate(&text) {
                Ok(valid) => Ok(valid.to_owned()),
                Err(e) => Err(UploadError::bad_request(format!(
                    "options.contentType {text:?} {e}"
                ))),
            })
            .transpose()?;
        if let Some(n) = integer_field(value, "multipartThreshold", 0, u64::MAX)? {
            self.multipart_threshold = n;
        }
        if let Some(n) = integer_field(value, "partSize", 1, u64::MAX)? {
            self.part_size = n;
        }
        if let Some(n) = integer_field(value, "concurrency", 1, u64::from(MAX_CONCURRENCY))? {
            self.concurrency = n as u32;
        }
        self.abort_in_flight_on_pause = bool_field(value, "abortInFlightOnPause")?;
        Ok(())
    }

    /// `maxAttempts`, `maxWaitMs`, `stallTimeoutMs`.
    fn read_retries(&mut self, value: &JsValue) -> Result<(), UploadError> {
        if let Some(n) = integer_field(value, "maxAttempts", 1, u64::from(MAX_ATTEMPTS))? {
            self.max_attempts = n as u32;
        }
        if let Some(ms) = integer_field(value, "maxWaitMs", 0, MAX_WAIT_MS)? {
            self.max_wait_ms = ms;
        }
        let stall = integer_field(value, "stallTimeoutMs", 0, u64::from(MAX_STALL_TIMEOUT_MS))?;
        if let Some(ms) = stall {
            self.stall_timeout_ms = (ms > 0).then_some(ms as u32);
        }
        Ok(())
    }

    /// `checksum`, `wholeFileSha256`, `resume`, `resumeMaxAgeMs`.
    fn read_checksums(&mut self, value: &JsValue) -> Result<(), UploadError> {
        self.checksum = bool_field_or(value, "checksum", true)?;
        self.whole_file_sha256 = bool_field(value, "wholeFileSha256")?;
        if !self.checksum && self.whole_file_sha256 {
            return Err(UploadError::bad_request(
                "options.wholeFileSha256 needs checksums: it cannot be set with checksum: false",
            ));
        }
        self.resume = bool_field_or(value, "resume", true)?;
        if let Some(ms) = integer_field(value, "resumeMaxAgeMs", 0, MAX_RESUME_AGE_MS)? {
            self.resume_max_age_ms = ms as f64;
        }
        Ok(())
    }
}

impl ChecksumOptions {
    /// Reads `{ partSize?, wholeFileSha256?, signal?, partDigest? }`.
    pub fn from_js(value: &JsValue) -> Result<Self, UploadError> {
        let mut options = Self::default();
        if is_absent(value) {
            return Ok(options);
        }
        if !value.is_object() {
            return Err(UploadError::bad_request(
                "checksums options must be an object like { partSize, wholeFileSha256 }",
            ));
        }
        if let Some(size) = integer_field(value, "partSize", 1, u64::MAX)? {
            options.part_size = size;
        }
        options.whole_file_sha256 = bool_field(value, "wholeFileSha256")?;
        options.signal = field(value, "signal")?.map(read_signal).transpose()?;
        options.preference = match string_field(value, "partDigest")?.as_deref() {
            None | Some("auto") => DigestPreference::Auto,
            Some(name) => DigestMethod::parse(name)
                .map(DigestPreference::Only)
                .ok_or_else(|| {
                    UploadError::bad_request(format!(
                        "options.partDigest must be \"auto\", \"webcrypto\" or \"sha2\", got {name:?}"
                    ))
                })?,
        };
        Ok(options)
    }
}

/// Options of `uploader.downloadUrl(key, options)`: only `signal`.
pub fn signal_only(value: &JsValue) -> Result<Option<AbortSignal>, UploadError> {
    if is_absent(value) {
        return Ok(None);
    }
    if !value.is_object() {
        return Err(UploadError::bad_request(
            "options must be an object like { signal }",
        ));
    }
    field(value, "signal")?.map(read_signal).transpose()
}

/// Options of `uploader.listResumable(options)`: only `resumeMaxAgeMs`
/// (default one day, as for uploads).
pub fn resume_max_age(value: &JsValue) -> Result<f64, UploadError> {
    if is_absent(value) {
        return Ok(DEFAULT_RESUME_MAX_AGE_MS);
    }
    if !value.is_object() {
        return Err(UploadError::bad_request(
            "options must be an object like { resumeMaxAgeMs }",
        ));
    }
    Ok(
        integer_field(value, "resumeMaxAgeMs", 0, MAX_RESUME_AGE_MS)?
            .map_or(DEFAULT_RESUME_MAX_AGE_MS, |ms| ms as f64),
    )
}

/// `""` (same origin), a path starting with `/`, or an `http(s)://` URL; any
/// trailing `/` removed so paths can be appended.
pub fn normalize_endpoint(raw: &str) -> Result<String, UploadError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    let ok = trimmed.is_empty()
        || (trimmed.starts_with('/') && !trimmed.starts_with("//"))
        || lower.starts_with("http://")
        || lower.starts_with("https://");
    if ok && !trimmed.chars().any(char::is_control) {
        Ok(trimmed.to_owned())
    } else {
        Err(UploadError::bad_request(format!(
            "options.endpoint {raw:?} must be empty (same origin), a path starting with '/', or an http(s):// URL"
        )))
    }
}

/// Header names must be RFC 9110 tokens; values must not contain line breaks
/// or NUL (fetch would throw, and they could smuggle headers).
pub fn validate_header(name: &str, value: &str) -> Result<(), UploadError> {
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !name_ok {
        return Err(UploadError::bad_request(format!(
            "options.headers: {name:?} is not a valid header name"
        )));
    }
    if value.contains(['\r', '\n', '\0']) {
        return Err(UploadError::bad_request(format!(
            "options.headers: the value of {name:?} contains a line break or NUL"
        )));
    }
    Ok(())
}

fn check_file_type(file_type: String) -> Result<String, UploadError> {
    if file_type.trim().is_empty() {
        Err(UploadError::bad_request(
            "options.fileType must not be empty",
        ))
    } else {
        Ok(file_type)
    }
}

/// A plain object, or any iterable of `[name, value]` pairs (`Headers`, `Map`, arrays).
fn read_headers(value: &JsValue) -> Result<Vec<(String, String)>, UploadError> {
    let not_headers = || {
        UploadError::bad_request(
            "options.headers must be an object of strings, a Headers, a Map or an array of [name, value] pairs",
        )
    };
    if !value.is_object() {
        return Err(not_headers());
    }
    let pairs: Vec<JsValue> = match js_sys::try_iter(value).map_err(|_| not_headers())? {
        Some(iter) => iter.collect::<Result<_, _>>().map_err(|_| not_headers())?,
        None => js_sys::Object::entries(value.unchecked_ref())
            .iter()
            .collect(),
    };
    let mut headers = Vec::with_capacity(pairs.len());
    for pair in pairs {
        let name = js_sys::Reflect::get(&pair, &0.into())
            .ok()
            .and_then(|v| v.as_string())
            .ok_or_else(not_headers)?;
        let raw = js_sys::Reflect::get(&pair, &1.into()).map_err(|_| not_headers())?;
        let value = header_value(&raw).ok_or_else(|| {
            UploadError::bad_request(format!(
                "options.headers: the value of {name:?} must be a string"
            ))
        })?;
        validate_header(&name, &value)?;
        headers.push((name, value));
    }
    Ok(headers)
}

fn header_value(raw: &JsValue) -> Option<String> {
    raw.as_string()
        .or_else(|| raw.as_f64().map(|n| n.to_string()))
        .or_else(|| raw.as_bool().map(|b| b.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use presign_core::ErrorCode;

    #[test]
    fn endpoints() {
        for (raw, want) in [
            ("", ""),
            ("  ", ""),
            ("/", ""),
            ("/signer/", "/signer"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("HTTPS://api.example.com//", "HTTPS://api.example.com"),
        ] {
            assert_eq!(
                normalize_endpoint(raw).ok().as_deref(),
                Some(want),
                "{raw:?}"
            );
        }
        for bad in [
            "localhost:8080",
            "//evil.example",
            "ftp://x",
            "javascript:alert(1)",
            "http://a\nb",
        ] {
            let err = normalize_endpoint(bad).err().map(|e| e.code());
            assert_eq!(err, Some(ErrorCode::BadRequest), "{bad:?}");
        }
    }

    #[test]
    fn headers() {
        assert!(validate_header("Authorization", "Bearer abc.def").is_ok());
        assert!(validate_header("x-api-key", "").is_ok());
        for (name, value) in [
            ("", "x"),
            ("bad name", "x"),
            ("x:y", "x"),
            ("x", "a\r\nInjected: 1"),
            ("x", "a\0"),
        ] {
            assert!(validate_header(name, value).is_err(), "{name:?}: {value:?}");
        }
    }

    #[test]
    fn debug_redacts_header_values() {
        let options = UploaderOptions {
            endpoint: "https://signer".into(),
            headers: vec![("Authorization".into(), "Bearer secret-token".into())],
            token: Some(TokenOption::Static("other-secret".into())),
            signer: None,
            workers: WorkerCounts::both(1),
            worker_module_url: None,
            resume_scope: None,
            max_concurrent_files: DEFAULT_CONCURRENT_FILES,
            max_concurrent_requests: DEFAULT_CONCURRENT_REQUESTS,
        };
        let text = format!("{options:?}");
        assert!(text.contains("Authorization"), "{text}");
        assert!(!text.contains("secret-token"), "{text}");
        assert!(!text.contains("other-secret"), "{text}");
    }
}
