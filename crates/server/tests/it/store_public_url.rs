//! `--store-public-url`: URLs handed to browsers name the public address
//! (here a TCP proxy that passes the Host header on unchanged, as a reverse
//! proxy must); the server's own calls keep using the store's address.

use crate::common::multipart::MIB;
use crate::common::{random_bytes, start_with};
use presign_core::protocol::single::{DownloadUrlResponse, FileUploadedResponse};
use presign_core::Sha256Digest;
use presign_server::Clock;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};

/// Forwards every connection on `listener` byte for byte to `target`.
fn spawn_proxy(listener: TcpListener, target: SocketAddr) {
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
}

#[tokio::test]
async fn browser_urls_use_the_public_address() {
    // The proxy's port is reserved first (the flag names it), and it is
    // pointed at the store once the server under test has one.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let public = format!("http://{}", reserved.local_addr().expect("addr"));
    let t = start_with(&["--store-public-url", &public], Clock::System).await;
    reserved.set_nonblocking(true).expect("nonblocking");
    let listener = TcpListener::from_std(reserved).expect("tokio listener");
    spawn_proxy(
        listener,
        t.server.embedded_store().expect("dev store").addr(),
    );

    let line = t.server.startup_line();
    let expected = format!(
        "presign-server listening on {} (store {}, bucket uploads) public store {public}",
        t.server.url(),
        t.server.store_url()
    );
    assert_eq!(line, expected);
    assert_eq!(t.server.public_store_url(), public);

    // Single PUT through the public address.
    let data = random_bytes(50_000, 51);
    let signed = t.upload_url_for("p.bin", &data).await;
    assert!(
        signed.upload_url.starts_with(&format!("{public}/uploads/")),
        "{}",
        signed.upload_url
    );
    assert_eq!(t.put(&signed, data.clone()).await.status(), 200);
    // Confirmed through the internal address.
    let info: FileUploadedResponse = t
        .file_uploaded(&signed.key, "ecu")
        .await
        .json()
        .await
        .expect("FileUploadedResponse");
    assert_eq!(info.size, 50_000);
    let dl: DownloadUrlResponse = t
        .download_url(&signed.key)
        .await
        .json()
        .await
        .expect("DownloadUrlResponse");
    assert!(dl.url.starts_with(&public), "{}", dl.url);
    let got = t.http.get(&dl.url).send().await.expect("proxy reachable");
    assert_eq!(
        Sha256Digest::of(&got.bytes().await.expect("body")),
        Sha256Digest::of(&data)
    );

    // Multipart parts through the public address too.
    let big = random_bytes(6 * MIB, 52);
    let (a, b) = big.split_at(5 * MIB);
    let created = t.create_multipart(big.len(), 5 * MIB).await;
    let urls = t.part_urls(&created.upload_id, &[(1, a), (2, b)]).await;
    let mut done = Vec::new();
    for (url, part) in urls.iter().zip([a, b]) {
        assert!(url.url.starts_with(&public), "{}", url.url);
        done.push((url.number, t.upload_part(url, part.to_vec()).await, part));
    }
    assert_eq!(t.complete(&created.upload_id, &done).await.status(), 200);
}

#[tokio::test]
async fn without_the_flag_the_startup_line_is_unchanged() {
    let t = start_with(&[], Clock::System).await;
    assert_eq!(t.server.public_store_url(), t.server.store_url());
    assert_eq!(
        t.server.startup_line(),
        format!(
            "presign-server listening on {} (store {}, bucket uploads)",
            t.server.url(),
            t.server.store_url()
        )
    );
}
