//! Raw HTTP/1.1 requests on a socket of their own, for what an HTTP client
//! will not send as given: two `Host` headers or none, an absolute-form
//! target, a `Content-Length` the body does not have, a body cut off.

use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// An answer read off the socket.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// Lowercase names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends `head` (request line and headers, each line ending in CRLF, no
/// blank line) and `body` on a new connection to `addr`, with
/// `Connection: close`; reads the answer (up to its declared length, or
/// its last chunk: the server need not close first).
pub async fn raw_request(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> RawAnswer {
    let mut request = head.as_bytes().to_vec();
    request.extend_from_slice(b"Connection: close\r\n\r\n");
    request.extend_from_slice(body);
    exchange(addr, &request, false, head).await
}

/// PUTs to `url` with `headers` (its `Content-Length` among them) but only
/// `sent` of the body, then shuts the socket's sending side, as a client
/// cut off mid-upload does (a reload, a dropped connection); reads the
/// answer.
pub async fn cut_off_put<'a>(
    url: &str,
    headers: impl IntoIterator<Item = (&'a String, &'a String)>,
    sent: &[u8],
) -> RawAnswer {
    let url = reqwest::Url::parse(url).expect("a URL");
    let addr = url.socket_addrs(|| None).expect("an address")[0];
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let mut head = format!("PUT {target} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let mut request = head.clone().into_bytes();
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(sent);
    exchange(addr, &request, true, &head).await
}

/// Writes `request` on a new connection to `addr` (then, if `cut_off`,
/// shuts the sending side) and reads the answer.
async fn exchange(
    addr: std::net::SocketAddr,
    request: &[u8],
    cut_off: bool,
    head: &str,
) -> RawAnswer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // The server may answer (and stop reading) before the body is all sent.
    let _ = stream.write_all(request).await;
    if cut_off {
        let _ = stream.shutdown().await;
    }
    let mut answer = Vec::new();
    let read = async {
        let mut buf = [0u8; 16 * 1024];
        while !complete(&answer) {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .unwrap_or_else(|_| panic!("no answer within 30 s to {head:?}"));
    parse_answer(&answer)
}

/// Whether `bytes` hold a whole answer: its head, and its body as long as
/// `Content-Length` says or up to its last chunk.
fn complete(bytes: &[u8]) -> bool {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let body = &bytes[end + 4..];
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(length) => body.len() >= length,
        None if head.contains("transfer-encoding: chunked") => body.ends_with(b"0\r\n\r\n"),
        None => false,
    }
}

fn parse_answer(bytes: &[u8]) -> RawAnswer {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    RawAnswer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = bytes.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&bytes[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&bytes[start..start + size]);
        bytes = &bytes[start + size + 2..];
    }
    out
}
