//! The messages between the page and its hash workers, as plain JS objects
//! tagged `presignedUpload` (so they never mix with other messages a worker or
//! a page may see). Blobs travel as themselves — posting a `Blob` or `File`
//! copies a handle, not its bytes — and the worker reads its range there.

use crate::error::UploadError;
use presign_core::upload::hash_strategy::DigestMethod;
use presign_core::{ErrorCode, Sha256Digest};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Blob;

/// The tag field every message carries; its value is the message kind.
pub const TAG: &str = "presignedUpload";

/// A byte range `[start, end)` of a blob.
#[derive(Debug, Clone)]
pub struct BlobRange {
    pub blob: Blob,
    pub start: u64,
    pub end: u64,
}

impl BlobRange {
    pub fn new(blob: &Blob, start: u64, end: u64) -> Self {
        Self {
            blob: blob.clone(),
            start,
            end,
        }
    }

    pub fn len(&self) -> u64 {
        self.end - self.start
    }
}

/// Page → worker.
#[derive(Debug, Clone)]
pub enum Request {
    /// Digest `range` by `method`; `progress`: report bytes read (streamed only).
    Digest {
        id: u32,
        range: BlobRange,
        method: DigestMethod,
        progress: bool,
    },
    /// Feed `range` into whole-file stream `stream` (ranges arrive in order);
    /// `last`: answer its digest after this range.
    Stream {
        id: u32,
        stream: u32,
        range: BlobRange,
        last: bool,
    },
    /// Stop digest `id` (its answer is no longer awaited).
    Cancel { id: u32 },
    /// Forget stream `stream` (its upload ended).
    DropStream { stream: u32 },
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The worker took over and can take jobs.
    Ready,
    /// The worker could not start (its script or the package did not load).
    Failed { message: String },
    /// Job `id`'s digest (a stream's: after its last range).
    Done { id: u32, digest: Sha256Digest },
    /// Job `id` failed.
    Error { id: u32, error: UploadError },
    /// Job `id` has read `bytes` so far.
    Progress { id: u32, bytes: u64 },
}

fn object(kind: &str) -> js_sys::Object {
    let o = js_sys::Object::new();
    set(&o, TAG, &kind.into());
    o
}

fn set(o: &js_sys::Object, name: &str, value: &JsValue) {
    // Setting a property on a fresh ordinary object cannot fail.
    let _ = js_sys::Reflect::set(o, &name.into(), value);
}

fn get(o: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(o, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

fn number(o: &JsValue, name: &str) -> Option<f64> {
    get(o, name).as_f64().filter(|n| n.is_finite() && *n >= 0.0)
}

fn id(o: &JsValue) -> Option<u32> {
    number(o, "id").map(|n| n as u32)
}

fn set_range(o: &js_sys::Object, range: &BlobRange) {
    set(o, "blob", &range.blob);
    // Offsets are below 2^53 (Blob sizes are JS numbers): exact in f64.
    set(o, "start", &(range.start as f64).into());
    set(o, "end", &(range.end as f64).into());
}

fn range(o: &JsValue) -> Option<BlobRange> {
    let blob = get(o, "blob").dyn_into::<Blob>().ok()?;
    let (start, end) = (number(o, "start")? as u64, number(o, "end")? as u64);
    (start <= end).then_some(BlobRange { blob, start, end })
}

/// The kind of a tagged message, `None` for any other message.
fn kind(data: &JsValue) -> Option<String> {
    data.is_object()
        .then(|| get(data, TAG).as_string())
        .flatten()
}

impl Request {
    pub fn to_js(&self) -> JsValue {
        let o = match self {
            Self::Digest {
                id,
                range,
                method,
                progress,
            } => {
                let o = object("digest");
                set(&o, "id", &(*id).into());
                set_range(&o, range);
                set(&o, "method", &method.as_str().into());
                set(&o, "progress", &(*progress).into());
                o
            }
            Self::Stream {
                id,
                stream,
                range,
                last,
            } => {
                let o = object("stream");
                set(&o, "id", &(*id).into());
                set(&o, "stream", &(*stream).into());
                set_range(&o, range);
                set(&o, "last", &(*last).into());
                o
            }
            Self::Cancel { id } => {
                let o = object("cancel");
                set(&o, "id", &(*id).into());
                o
            }
            Self::DropStream { stream } => {
                let o = object("dropStream");
                set(&o, "stream", &(*stream).into());
                o
            }
        };
        o.into()
    }

    pub fn from_js(data: &JsValue) -> Option<Self> {
        Some(match kind(data)?.as_str() {
            "digest" => Self::Digest {
                id: id(data)?,
                range: range(data)?,
                method: DigestMethod::parse(&get(data, "method").as_string()?)?,
                progress: get(data, "progress").as_bool().unwrap_or(false),
            },
            "stream" => Self::Stream {
                id: id(data)?,
                stream: number(data, "stream")? as u32,
                range: range(data)?,
                last: get(data, "last").as_bool().unwrap_or(false),
            },
            "cancel" => Self::Cancel { id: id(data)? },
            "dropStream" => Self::DropStream {
                stream: number(data, "stream")? as u32,
            },
            _ => return None,
        })
    }
}

impl Reply {
    pub fn to_js(&self) -> JsValue {
        let o = match self {
            Self::Ready => object("ready"),
            Self::Failed { message } => {
                let o = object("failed");
                set(&o, "message", &message.into());
                o
            }
            Self::Done { id, digest } => {
                let o = object("done");
                set(&o, "id", &(*id).into());
                set(
                    &o,
                    "digest",
                    &js_sys::Uint8Array::from(&digest.as_bytes()[..]),
                );
                o
            }
            Self::Error { id, error } => {
                let o = object("error");
                set(&o, "id", &(*id).into());
                set(&o, "code", &error.code().as_str().into());
                set(&o, "message", &error.message().into());
                o
            }
            Self::Progress { id, bytes } => {
                let o = object("progress");
                set(&o, "id", &(*id).into());
                set(&o, "bytes", &(*bytes as f64).into());
                o
            }
        };
        o.into()
    }

    pub fn from_js(data: &JsValue) -> Option<Self> {
        Some(match kind(data)?.as_str() {
            "ready" => Self::Ready,
            "failed" => Self::Failed {
                message: get(data, "message").as_string().unwrap_or_default(),
            },
            "done" => {
                let bytes = get(data, "digest").dyn_into::<js_sys::Uint8Array>().ok()?;
                let raw: [u8; 32] = bytes.to_vec().try_into().ok()?;
                Self::Done {
                    id: id(data)?,
                    digest: Sha256Digest::from_bytes(raw),
                }
            }
            "error" => {
                let code = get(data, "code").as_string().unwrap_or_default();
                // The codes are serde's snake_case names (as in JSON errors).
                let code =
                    serde_json::from_str(&format!("\"{code}\"")).unwrap_or(ErrorCode::Server);
                let message = get(data, "message").as_string().unwrap_or_default();
                Self::Error {
                    id: id(data)?,
                    error: UploadError::new(code, message),
                }
            }
            "progress" => Self::Progress {
                id: id(data)?,
                bytes: number(data, "bytes")? as u64,
            },
            _ => return None,
        })
    }
}
