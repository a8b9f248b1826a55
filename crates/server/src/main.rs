//! `presign-server`: runs the server, or a subcommand (`gc`, `cors print`,
//! `cors apply`); see the library's docs, or `presign-server --help`.

use clap::Parser as _;
use presign_server::{run_command, Addresses, Cli, Config, Server};
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only on a terminal: log files and collectors get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let env = |name: &str| std::env::var(name).ok();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("presign-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(command) = &cli.command {
        let mut stdout = std::io::stdout().lock();
        return match runtime.block_on(run_command(command, &cli, env, &mut stdout)) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("presign-server: {e}");
                e.exit_code()
            }
        };
    }
    let ready_file = cli.ready_file.clone();
    let config = match Config::resolve(cli, env) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("presign-server: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(config, ready_file)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("presign-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    config: Config,
    ready_file: Option<PathBuf>,
) -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::start(config).await?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", server.startup_line())?;
        stdout.flush()?;
    }
    if let Some(path) = ready_file {
        write_ready_file(&path, &server.addresses())
            .map_err(|e| format!("cannot write --ready-file {}: {e}", path.display()))?;
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await?;
    Ok(())
}

/// Writes the addresses as JSON, whole or not at all: a reader polling for
/// the file never sees half of it.
fn write_ready_file(path: &Path, addresses: &Addresses) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, serde_json::to_vec(addresses)?)?;
    std::fs::rename(&partial, path)
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
