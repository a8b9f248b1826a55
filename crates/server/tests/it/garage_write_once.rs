//! The swapped-file attack on Garage 2.5.0 (started by
//! tests/support/garage, as the browser stage does; skipped, saying so,
//! when `garage` is not installed). Garage checks the signed
//! `If-None-Match: *` header's signature but does not enforce the
//! condition on PutObject: the replayed PUT is stored. What stops the
//! swap there is the signer: the second confirmation and the download URL
//! answer 409 instead of vouching for the new bytes. Should a later Garage
//! enforce the condition, the replay gets 412 and the confirmed bytes stay;
//! the test accepts that too and says which it saw.

use crate::common::direct_store::DirectStore;
use crate::common::garage::{garage_binary, start_garage};
use crate::common::{error_code, random_bytes, TestServer};
use clap::Parser as _;
use presign_core::protocol::single::DownloadUrlResponse;
use presign_core::Sha256Digest;
use presign_server::{Cli, Clock, Config, Server};
use serde_json::json;

#[tokio::test]
async fn a_replayed_put_on_garage_is_refused_or_never_vouched_for() {
    if garage_binary().is_none() {
        eprintln!("skipped: garage is not installed (scripts/setup installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let garage = start_garage(&dir.path().join("garage"));
    let data_dir = dir.path().join("signer");
    let data_dir = data_dir.to_string_lossy().into_owned();
    let cli = Cli::try_parse_from([
        "presign-server",
        "--dev",
        "--store",
        "s3",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &data_dir,
    ])
    .expect("flags");
    let env = garage.env.clone();
    let config = Config::resolve(cli, |name| env.get(name).cloned()).expect("config");
    let server = Server::start_with_clock(config, Clock::System)
        .await
        .expect("server on Garage");
    presign_server::install_crypto_provider();
    let t = TestServer {
        server,
        http: reqwest::Client::new(),
        dir,
    };

    let signed = t
        .upload_url(json!({"filename": "report.bin", "file_type": "ecu"}))
        .await;
    let confirmed = random_bytes(3000, 21);
    assert_eq!(t.put(&signed, confirmed.clone()).await.status(), 200);
    assert_eq!(t.file_uploaded(&signed.key, "ecu").await.status(), 200);

    let replay = t.put(&signed, b"<script>evil()</script>".to_vec()).await;
    match replay.status().as_u16() {
        412 => {
            eprintln!("Garage enforced If-None-Match: the replay got 412");
            let got = t.download(&signed.key).await;
            let disposition = got
                .headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!(disposition.starts_with("attachment; "), "{disposition}");
            let bytes = got.bytes().await.expect("body");
            assert_eq!(Sha256Digest::of(&bytes), Sha256Digest::of(&confirmed));
        }
        200 => {
            eprintln!(
                "Garage 2.5.0 ignores If-None-Match on PUT: the replay was stored; the signer refuses to vouch for it"
            );
            let (status, code, _) = error_code(t.file_uploaded(&signed.key, "ecu").await).await;
            assert_eq!((status, code.as_str()), (409, "checksum_mismatch"));
            let (status, code, _) = error_code(t.download_url(&signed.key).await).await;
            assert_eq!((status, code.as_str()), (409, "checksum_mismatch"));
        }
        other => panic!("replayed PUT: HTTP {other}"),
    }

    // A download of an untouched upload comes as an attachment from Garage
    // too (it honours the signed response-content-disposition).
    let data = random_bytes(1000, 22);
    let fresh = t.upload_url_for("page.bin", &data).await;
    assert_eq!(t.put(&fresh, data).await.status(), 200);
    assert_eq!(t.file_uploaded(&fresh.key, "ecu").await.status(), 200);
    let dl: DownloadUrlResponse = t
        .download_url(&fresh.key)
        .await
        .json()
        .await
        .expect("DownloadUrlResponse");
    let got = t.http.get(&dl.url).send().await.expect("Garage");
    assert_eq!(got.status(), 200);
    let disposition = got
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(
        disposition,
        "attachment; filename=\"page.bin\"; filename*=UTF-8''page.bin"
    );

    // Behind the signer's back, with the bucket's own key: 409 as well.
    let direct = DirectStore::new(
        &garage.env["AWS_ENDPOINT_URL"],
        &garage.env["AWS_REGION"],
        &garage.env["PRESIGN_BUCKET"],
        &garage.env["AWS_ACCESS_KEY_ID"],
        &garage.env["AWS_SECRET_ACCESS_KEY"],
    );
    assert_eq!(direct.put(&fresh.key, b"swapped".to_vec()).await, 200);
    let (status, _, _) = error_code(t.file_uploaded(&fresh.key, "ecu").await).await;
    assert_eq!(status, 409);
    t.server.shutdown().await.expect("clean shutdown");
}
