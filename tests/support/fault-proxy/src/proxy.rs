//! Accepting connections, injecting faults, forwarding to the store.

use crate::chaos::Chaos;
use crate::control;
use crate::fault::Fault;
use crate::journal::Journal;
use crate::rules::Rules;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, ORIGIN, RETRY_AFTER};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Bodies in both directions.
pub type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// Why a connection was dropped on purpose (hyper then closes it).
#[derive(Debug)]
pub struct Dropped(&'static str);

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection dropped: {}", self.0)
    }
}

impl std::error::Error for Dropped {}

/// A body with these bytes.
pub fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// Everything the proxy shares between connections.
#[derive(Debug)]
pub struct State {
    target: RwLock<Option<Uri>>,
    rules: Mutex<Rules>,
    chaos: Mutex<Option<Chaos>>,
    journal: Mutex<Journal>,
    client: Client<HttpConnector, ProxyBody>,
    /// How long a stalled request is held before the proxy drops it.
    stall_for: Duration,
}

impl State {
    pub fn new(target: Option<Uri>, stall_for: Duration) -> Self {
        Self {
            target: RwLock::new(target),
            rules: Mutex::default(),
            chaos: Mutex::default(),
            journal: Mutex::default(),
            client: Client::builder(TokioExecutor::new()).build_http(),
            stall_for,
        }
    }

    pub fn rules(&self) -> MutexGuard<'_, Rules> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn chaos(&self) -> MutexGuard<'_, Option<Chaos>> {
        self.chaos.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn journal(&self) -> MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_target(&self, target: Uri) {
        *self.target.write().unwrap_or_else(PoisonError::into_inner) = Some(target);
    }

    fn target(&self) -> Option<Uri> {
        self.target
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The fault for this request: rules first, then the chaos run.
    /// Preflights are never faulted.
    fn fault_for(&self, method: &str, url: &str) -> Option<Fault> {
        if method == "OPTIONS" {
            return None;
        }
        self.rules()
            .take(method, url, std::time::Instant::now())
            .or_else(|| self.chaos().as_mut()?.decide(method, url))
    }
}

/// `http://host:port` of a store; nothing else is accepted.
pub fn parse_target(url: &str) -> Result<Uri, String> {
    let uri: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http"), Some(_)) => Ok(uri),
        _ => Err(format!("{url}: the target must be an http://host:port URL")),
    }
}

/// Serves connections from `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, state: Arc<State>) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let Ok((stream, resetter)) = with_resetter(stream) else {
                return;
            };
            let service = service_fn(move |req| {
                let state = Arc::clone(&state);
                let resetter = Arc::clone(&resetter);
                async move { handle(&state, &resetter, req).await }
            });
            // Errors here are the faults themselves (resets) or clients going away.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A second handle on the connection's socket, to make its close a reset.
type Resetter = Arc<Mutex<Option<std::net::TcpStream>>>;

fn with_resetter(stream: TcpStream) -> std::io::Result<(TcpStream, Resetter)> {
    let std = stream.into_std()?;
    let spare = std.try_clone()?;
    Ok((TcpStream::from_std(std)?, Arc::new(Mutex::new(Some(spare)))))
}

/// Arms the socket so that closing it sends RST (linger 0), and lets go of
/// the spare handle so the close that follows is the last one.
fn arm_reset(resetter: &Resetter) {
    let spare = resetter
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(spare) = spare {
        let _ = socket2::SockRef::from(&spare).set_linger(Some(Duration::ZERO));
    }
}

async fn handle(
    state: &State,
    resetter: &Resetter,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, Dropped> {
    let url = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    if url.starts_with("/__") {
        return Ok(control::handle(state, req).await);
    }
    let method = req.method().as_str().to_owned();
    let fault = state.fault_for(&method, &url);
    let index = state.journal().record(&method, &url, fault.as_ref());
    let answered = |status: StatusCode| state.journal().answered(index, status.as_u16());
    match fault {
        Some(Fault::Status {
            status,
            code,
            message,
            retry_after,
        }) => {
            let origin = req.headers().get(ORIGIN).cloned();
            // Read the body first, as a store does before it answers.
            let _ = req.into_body().collect().await;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            answered(status);
            let mut response = s3_error(status, &code, &message, origin);
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            Ok(response)
        }
        Some(Fault::Stall) => {
            tokio::time::sleep(state.stall_for).await;
            Err(Dropped("stalled"))
        }
        Some(Fault::Reset) => {
            read_some(req).await;
            arm_reset(resetter);
            Err(Dropped("reset"))
        }
        Some(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            Ok(forward(state, req, false, answered).await)
        }
        Some(Fault::Corrupt) => Ok(forward(state, req, true, answered).await),
        Some(Fault::LoseAnswer) => {
            // The store's whole answer is read (it acted), then dropped.
            let response = forward(state, req, false, answered).await;
            let _ = response.into_body().collect().await;
            arm_reset(resetter);
            Err(Dropped("answer lost"))
        }
        None => Ok(forward(state, req, false, answered).await),
    }
}

/// Reads about half the body (at most 1 MiB of it), so the client is in the
/// middle of sending when the connection goes.
async fn read_some(req: Request<Incoming>) {
    let length: u64 = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let want = (length / 2).min(1 << 20);
    let mut body = req.into_body();
    let mut got = 0u64;
    while got < want {
        match body.frame().await {
            Some(Ok(frame)) => got += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
}

async fn forward(
    state: &State,
    req: Request<Incoming>,
    corrupt: bool,
    answered: impl Fn(StatusCode),
) -> Response<ProxyBody> {
    let Some(target) = state.target() else {
        answered(StatusCode::BAD_GATEWAY);
        return plain(StatusCode::BAD_GATEWAY, "fault-proxy: no target set");
    };
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let Ok(uri) = format!("{}{path}", target.to_string().trim_end_matches('/')).parse::<Uri>()
    else {
        answered(StatusCode::BAD_GATEWAY);
        return plain(StatusCode::BAD_GATEWAY, "fault-proxy: bad target URL");
    };
    parts.uri = uri;
    // Host stays as the client sent it: the signature covers it.
    let body = if corrupt {
        flip_first_byte(body)
    } else {
        body.boxed()
    };
    match state.client.request(Request::from_parts(parts, body)).await {
        Ok(response) => {
            answered(response.status());
            response.map(|body| body.boxed())
        }
        Err(e) => {
            answered(StatusCode::BAD_GATEWAY);
            plain(
                StatusCode::BAD_GATEWAY,
                &format!("fault-proxy: upstream error: {e}"),
            )
        }
    }
}

/// The body with its first byte inverted, length unchanged.
fn flip_first_byte(body: Incoming) -> ProxyBody {
    let mut flipped = false;
    body.map_frame(move |frame: Frame<Bytes>| match frame.into_data() {
        Ok(data) if !flipped && !data.is_empty() => {
            flipped = true;
            let mut bytes = data.to_vec();
            bytes[0] ^= 0xff;
            Frame::data(Bytes::from(bytes))
        }
        Ok(data) => Frame::data(data),
        Err(frame) => frame,
    })
    .boxed()
}

/// An S3 error answer, with the CORS a bucket rule would add so the browser
/// can read it.
fn s3_error(
    status: StatusCode,
    code: &str,
    message: &str,
    origin: Option<HeaderValue>,
) -> Response<ProxyBody> {
    let mut response = Response::new(full(Fault::error_xml(code, message)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    headers.insert(
        "access-control-allow-origin",
        origin.unwrap_or_else(|| HeaderValue::from_static("*")),
    );
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("ETag, Retry-After"),
    );
    response
}

fn plain(status: StatusCode, text: &str) -> Response<ProxyBody> {
    let mut response = Response::new(full(text.to_owned()));
    *response.status_mut() = status;
    response
}
