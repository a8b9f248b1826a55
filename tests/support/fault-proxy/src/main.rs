//! `fault-proxy [--port N] [--target URL] [--stall-ms MS]`: see the crate docs.
//! Prints `fault-proxy listening on http://127.0.0.1:PORT` once ready.
//!
//! `fault-proxy delay --one-way-ms MS LISTEN=TO...`: relays each LISTEN
//! address to its TO, every byte held MS milliseconds each way
//! ([`fault_proxy::delay_link`]). Prints `fault-proxy delaying` once ready.

use fault_proxy::delay_link;
use fault_proxy::proxy::{self, State};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fault-proxy: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    if std::env::args().nth(1).as_deref() == Some("delay") {
        return delay(std::env::args().skip(2));
    }
    let mut port = 0u16;
    let mut target = None;
    let mut stall_ms = 120_000u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--target" => target = Some(proxy::parse_target(&value()?)?),
            "--stall-ms" => {
                stall_ms = value()?.parse().map_err(|e| format!("--stall-ms: {e}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("fault-proxy listening on http://{addr}");
        let state = Arc::new(State::new(target, Duration::from_millis(stall_ms)));
        tokio::select! {
            served = proxy::serve(listener, state) => served.map_err(|e| e.to_string()),
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

fn delay(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut one_way = None;
    let mut pairs = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--one-way-ms" => {
                let ms: u64 = args
                    .next()
                    .ok_or("--one-way-ms needs a value")?
                    .parse()
                    .map_err(|e| format!("--one-way-ms: {e}"))?;
                one_way = Some(Duration::from_millis(ms));
            }
            pair => pairs.push(delay_link::parse_pair(pair)?),
        }
    }
    let one_way = one_way.ok_or("delay needs --one-way-ms")?;
    if pairs.is_empty() {
        return Err("delay needs at least one LISTEN=TO".into());
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut relays = tokio::task::JoinSet::new();
        for (listen, to) in pairs {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
            relays.spawn(delay_link::serve(listener, to, one_way));
        }
        println!("fault-proxy delaying");
        tokio::select! {
            Some(ended) = relays.join_next() => match ended {
                Ok(served) => served.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            },
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}
