//! The server's Prometheus metrics, served by `GET /metrics` in the
//! Prometheus text format (0.0.4).
//!
//! Why `prometheus-client` (the Prometheus project's own Rust client): each
//! [`Metrics`] has its own registry, with no process-global recorder, so
//! every server in a process (the tests start many) counts only its own
//! requests; label sets are typed structs; and it encodes the text format
//! itself. (`metrics` + `metrics-exporter-prometheus` installs one global
//! recorder per process.)
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `presign_http_requests_total` | `method`, `route`, `status` | requests answered |
//! | `presign_http_request_duration_seconds` | `route` | latency histogram |
//! | `presign_presigned_urls_total` | `kind`: `single`, `part`, `form`, `download` | URLs signed for clients (one per part URL) |
//! | `presign_completions_total` | `kind`: `single`, `multipart` | uploads verified and recorded |
//! | `presign_errors_total` | `code` (the API's error code) | error answers |
//! | `presign_open_multipart_uploads` | | open multipart uploads (from the database, at scrape time) |
//! | `presign_gc_aborted_uploads_total` | | stale multipart uploads aborted by the collector (with those of creates that registered nothing) |
//!
//! `route` is the route's template (`/api/multipart/{upload_id}/complete`),
//! or `static` for the demo page's and the wasm package's files, so the
//! label set stays small.

use presign_core::ErrorCode;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// Content-Type of `GET /metrics`.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a URL signed for a client lets it do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PresignKind {
    /// A single PUT (`POST /api/get-upload-url`).
    Single,
    /// One UploadPart URL (`POST /api/multipart/{id}/part-urls`).
    Part,
    /// A presigned POST form (`POST /api/get-upload-form`).
    Form,
    /// A GET (`GET /api/download-url`).
    Download,
}

impl PresignKind {
    pub const ALL: [Self; 4] = [Self::Single, Self::Part, Self::Form, Self::Download];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Part => "part",
            Self::Form => "form",
            Self::Download => "download",
        }
    }
}

/// How an upload was completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompletionKind {
    /// `POST /api/file-uploaded`.
    Single,
    /// `POST /api/multipart/{id}/complete`.
    Multipart,
}

impl CompletionKind {
    pub const ALL: [Self; 2] = [Self::Single, Self::Multipart];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multipart => "multipart",
        }
    }
}

impl EncodeLabelValue for PresignKind {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

impl EncodeLabelValue for CompletionKind {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PresignLabels {
    kind: PresignKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CompletionLabels {
    kind: CompletionKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ErrorLabels {
    code: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// One server's metrics. Shared behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    presigns: Family<PresignLabels, Counter>,
    completions: Family<CompletionLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    open_uploads: Gauge,
    gc_aborted: Counter,
}

/// Latency buckets: 1 ms to about 16 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("presign");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let presigns = Family::<PresignLabels, Counter>::default();
        let completions = Family::<CompletionLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let open_uploads = Gauge::default();
        let gc_aborted = Counter::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            latency.clone(),
        );
        registry.register(
            "presigned_urls",
            "URLs signed for clients, by kind (one per part URL)",
            presigns.clone(),
        );
        registry.register(
            "completions",
            "Uploads verified in the store and recorded, by kind",
            completions.clone(),
        );
        registry.register(
            "errors",
            "Error answers, by the API's error code",
            errors.clone(),
        );
        registry.register(
            "open_multipart_uploads",
            "Multipart uploads open (started, neither completed nor aborted)",
            open_uploads.clone(),
        );
        registry.register(
            "gc_aborted_uploads",
            "Stale multipart uploads aborted by the collector",
            gc_aborted.clone(),
        );
        // Every kind and code exists from the start (at 0), so a rate over
        // them needs no first event.
        for kind in PresignKind::ALL {
            drop(presigns.get_or_create(&PresignLabels { kind }));
        }
        for kind in CompletionKind::ALL {
            drop(completions.get_or_create(&CompletionLabels { kind }));
        }
        Self {
            registry,
            requests,
            latency,
            presigns,
            completions,
            errors,
            open_uploads,
            gc_aborted,
        }
    }

    /// `count` URLs of `kind` handed to a client.
    pub fn presigned(&self, kind: PresignKind, count: u64) {
        self.presigns
            .get_or_create(&PresignLabels { kind })
            .inc_by(count);
    }

    /// An upload verified and recorded.
    pub fn completed(&self, kind: CompletionKind) {
        self.completions
            .get_or_create(&CompletionLabels { kind })
            .inc();
    }

    /// Stale uploads aborted by one collection.
    pub fn gc_aborted(&self, count: u64) {
        self.gc_aborted.inc_by(count);
    }

    /// One answered request. `error` is the API error code it carried.
    pub fn request(
        &self,
        method: &http::Method,
        route: &str,
        status: u16,
        latency: Duration,
        error: Option<ErrorCode>,
    ) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method_label(method),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(latency.as_secs_f64());
        if let Some(code) = error {
            self.errors
                .get_or_create(&ErrorLabels {
                    code: code.as_str(),
                })
                .inc();
        }
    }

    /// The text exposition, with `open_uploads` as the gauge's value.
    pub fn encode(&self, open_uploads: u64) -> Result<String, std::fmt::Error> {
        self.open_uploads
            .set(i64::try_from(open_uploads).unwrap_or(i64::MAX));
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// The standard methods by name; anything else is `OTHER` (bounded labels).
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_appear_in_the_text_with_their_labels() {
        let m = Metrics::new();
        m.request(
            &http::Method::POST,
            "/api/get-upload-url",
            200,
            Duration::from_millis(3),
            None,
        );
        m.request(
            &http::Method::from_bytes(b"BREW").expect("method"),
            "/api/{*rest}",
            404,
            Duration::from_millis(1),
            Some(ErrorCode::NotFound),
        );
        m.presigned(PresignKind::Part, 3);
        m.completed(CompletionKind::Multipart);
        m.gc_aborted(2);
        let text = m.encode(7).expect("encodes");
        for line in [
            r#"presign_http_requests_total{method="POST",route="/api/get-upload-url",status="200"} 1"#,
            r#"presign_http_requests_total{method="OTHER",route="/api/{*rest}",status="404"} 1"#,
            r#"presign_http_request_duration_seconds_count{route="/api/get-upload-url"} 1"#,
            r#"presign_presigned_urls_total{kind="part"} 3"#,
            r#"presign_presigned_urls_total{kind="form"} 0"#,
            r#"presign_completions_total{kind="multipart"} 1"#,
            r#"presign_completions_total{kind="single"} 0"#,
            r#"presign_errors_total{code="not_found"} 1"#,
            "presign_open_multipart_uploads 7",
            "presign_gc_aborted_uploads_total 2",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }
}
