//! A link's round trip, made at the TCP level for the link benchmarks
//! (`fault-proxy delay`): every byte, in each direction, is held for the
//! one-way delay before it goes on, and a connection's first bytes wait
//! one more round trip, as its TCP handshake would take. The link's rate
//! is not made here: `tc tbf` on the interface the client's bytes cross
//! limits it (bench/browser/lib/link.mjs).
//!
//! What this models: the time a request and its answer take to cross a
//! link of that round trip, the handshake of each new connection, and a
//! window large enough to keep the link full. What it does not: TCP's slow
//! start and congestion window (the relay's own sockets see no delay, so
//! they grow at once), loss and retransmission, and jitter.

use bytes::Bytes;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Chunks a direction may hold in flight; the link's rate keeps the bytes
/// they hold near rate x delay.
const CHUNKS_IN_FLIGHT: usize = 16_384;
const CHUNK: usize = 64 * 1024;

/// Relays every connection `listener` accepts to `to`, holding each
/// direction's bytes for `one_way`.
pub async fn serve(listener: TcpListener, to: SocketAddr, one_way: Duration) -> io::Result<()> {
    loop {
        let (client, _) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = relay(client, to, one_way).await {
                eprintln!("fault-proxy delay: {to}: {e}");
            }
        });
    }
}

async fn relay(client: TcpStream, to: SocketAddr, one_way: Duration) -> io::Result<()> {
    let accepted = Instant::now();
    let upstream = TcpStream::connect(to).await?;
    client.set_nodelay(true)?;
    upstream.set_nodelay(true)?;
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    // SYN, SYN-ACK, then the first bytes: a round trip and a half after
    // the client's connect, where here they could arrive at once.
    let handshake = accepted + 3 * one_way;
    let up = pipe(client_read, upstream_write, one_way, handshake);
    let down = pipe(upstream_read, client_write, one_way, accepted);
    let (up, down) = tokio::join!(up, down);
    up.and(down)
}

/// Copies `from` to `to`, each chunk written `delay` after it was read and
/// not before `not_before`; shuts `to`'s write side down after the last.
async fn pipe(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    delay: Duration,
    not_before: Instant,
) -> io::Result<()> {
    let (sender, mut receiver) = mpsc::channel::<(Instant, Bytes)>(CHUNKS_IN_FLIGHT);
    let reader = async move {
        let mut buffer = vec![0u8; CHUNK];
        loop {
            let n = from.read(&mut buffer).await?;
            if n == 0 {
                return Ok::<_, io::Error>(());
            }
            let due = (Instant::now() + delay).max(not_before);
            if sender
                .send((due, Bytes::copy_from_slice(&buffer[..n])))
                .await
                .is_err()
            {
                return Ok(()); // the writer is gone: the other side closed
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = receiver.recv().await {
            tokio::time::sleep_until(due).await;
            to.write_all(&chunk).await?;
        }
        to.shutdown().await
    };
    let (read, written) = tokio::join!(reader, writer);
    read.and(written)
}

/// `LISTEN=TO` (two socket addresses) as the pair it names.
pub fn parse_pair(text: &str) -> Result<(SocketAddr, SocketAddr), String> {
    let (listen, to) = text.split_once('=').ok_or(format!(
        "{text}: want LISTEN=TO, e.g. 10.0.0.2:80=127.0.0.1:8080"
    ))?;
    let addr = |s: &str| s.parse::<SocketAddr>().map_err(|e| format!("{s}: {e}"));
    Ok((addr(listen)?, addr(to)?))
}
