//! The delaying relay over real sockets: an echo upstream behind it, and
//! the time a round trip takes through it.

use fault_proxy::delay_link;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

// Long enough that a relay holding bytes twice (or not at all) is told
// apart from a busy machine's slack.
const ONE_WAY: Duration = Duration::from_millis(100);

/// An upstream that echoes every byte, and the relay in front of it.
async fn relay_to_echo() -> std::net::SocketAddr {
    let echo = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let echo_addr = echo.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = echo.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let (mut r, mut w) = stream.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    let relay = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let relay_addr = relay.local_addr().expect("addr");
    tokio::spawn(delay_link::serve(relay, echo_addr, ONE_WAY));
    relay_addr
}

async fn round_trip(stream: &mut TcpStream, bytes: &[u8]) -> Duration {
    let t0 = Instant::now();
    stream.write_all(bytes).await.expect("write");
    let mut back = vec![0u8; bytes.len()];
    stream.read_exact(&mut back).await.expect("read");
    assert_eq!(back, bytes, "the bytes come back unchanged");
    t0.elapsed()
}

#[tokio::test]
async fn a_new_connection_pays_its_handshake_then_each_exchange_one_round_trip() {
    let addr = relay_to_echo().await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // First bytes: handshake (one round trip) plus the exchange (one more).
    let first = round_trip(&mut stream, b"hello").await;
    assert!(first >= 4 * ONE_WAY, "first exchange took {first:?}");
    assert!(first < 7 * ONE_WAY, "first exchange took {first:?}");
    for _ in 0..3 {
        let again = round_trip(&mut stream, b"again").await;
        assert!(again >= 2 * ONE_WAY, "a later exchange took {again:?}");
        assert!(again < 7 * ONE_WAY / 2, "a later exchange took {again:?}");
    }
}

#[tokio::test]
async fn bulk_bytes_are_delayed_not_slowed_and_closing_ends_both_ways() {
    let addr = relay_to_echo().await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let _ = round_trip(&mut stream, b"warm").await;
    // 8 MiB each way: no slower than the delay itself on loopback.
    let bulk: Vec<u8> = (0..8 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let took = round_trip(&mut stream, &bulk).await;
    assert!(
        took < 2 * ONE_WAY + Duration::from_secs(2),
        "8 MiB took {took:?}"
    );
    stream.shutdown().await.expect("shutdown");
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
        .await
        .expect("the relay closes its side too")
        .expect("read");
    assert_eq!(n, 0);
}

#[test]
fn pairs_are_two_socket_addresses() {
    let (listen, to) = delay_link::parse_pair("10.0.0.2:80=127.0.0.1:8080").expect("parses");
    assert_eq!((listen.port(), to.port()), (80, 8080));
    for bad in ["10.0.0.2:80", "x=127.0.0.1:1", "10.0.0.2:80=nowhere"] {
        assert!(delay_link::parse_pair(bad).is_err(), "{bad}");
    }
}
