//! A signer in development mode on a store of the test's own, reached
//! through the fault proxy (`tests/support/fault-proxy`, in process), whose
//! journal counts what the signer asked the store.

use clap::Parser as _;
use fault_proxy::journal::Stats;
use fault_proxy::proxy::{self, State};
use presign_server::{Cli, Clock, Config, Credentials, EmbeddedStore, Server};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

pub const BUCKET: &str = "proxied";

/// The store, the proxy in front of it, and the signer (`--dev --store s3`,
/// its endpoint the proxy).
pub struct Proxied {
    pub server: Server,
    pub proxy: Arc<State>,
    pub http: reqwest::Client,
    _proxy_task: tokio::task::JoinHandle<()>,
    _store: EmbeddedStore,
    _dir: TempDir,
}

/// Starts them, with these extra signer flags; the signer's own startup
/// check of the bucket is answered before this returns, and the journal
/// cleared.
pub async fn start(extra: &[&str]) -> Proxied {
    presign_server::install_crypto_provider();
    let dir = tempfile::tempdir().expect("temp dir");
    let creds = Credentials::new("PROXIEDTESTKEY", "proxied-test-store-secret");
    let (store, store_url) = super::own_store(&dir.path().join("store"), &creds).await;
    super::create_bucket(&store_url, &creds, BUCKET).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let proxy_url = format!("http://{}", listener.local_addr().expect("addr"));
    let target = proxy::parse_target(&store_url).expect("target");
    let proxy = Arc::new(State::new(Some(target), Duration::from_secs(120)));
    let serving = Arc::clone(&proxy);
    let proxy_task = tokio::spawn(async move {
        let _ = proxy::serve(listener, serving).await;
    });
    let server = start_signer(&dir, &proxy_url, &creds, extra).await;
    wait_for_answer(&proxy).await;
    proxy.journal().clear();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    Proxied {
        server,
        proxy,
        http,
        _proxy_task: proxy_task,
        _store: store,
        _dir: dir,
    }
}

/// A signer in development mode (no tokens) signing for `endpoint`.
pub async fn start_signer(
    dir: &TempDir,
    endpoint: &str,
    creds: &Credentials,
    extra: &[&str],
) -> Server {
    let env: HashMap<&str, String> = HashMap::from([
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY",
            creds.secret_access_key.expose().to_owned(),
        ),
        ("PRESIGN_BUCKET", BUCKET.to_owned()),
    ]);
    let data = dir.path().join("data");
    let mut args = vec![
        "presign-server",
        "--dev",
        "--store",
        "s3",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).expect("flags");
    let config = Config::resolve(cli, |name| env.get(name).cloned()).expect("config");
    Server::start_with_clock(config, Clock::System)
        .await
        .expect("server starts")
}

/// Waits until the proxy has answered a request (the startup check).
async fn wait_for_answer(proxy: &State) {
    for _ in 0..500 {
        if proxy.journal().entries().iter().any(|e| e.status != 0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the signer never asked the store about its bucket");
}

impl Proxied {
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/{path}", self.server.url())
    }

    /// What the proxy counted since it was last cleared.
    pub fn stats(&self) -> Stats {
        self.proxy.journal().stats().clone()
    }

    /// The requests with this method the store got since the last clear.
    pub fn count(&self, method: &str) -> usize {
        let journal = self.proxy.journal();
        journal
            .entries()
            .iter()
            .filter(|e| e.method == method)
            .count()
    }
}
