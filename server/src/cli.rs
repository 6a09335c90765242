//! The command line: `serve`, `demo`, `check-config`.

use crate::config::Config;
use crate::http::{self, AppState};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "rdqm-console", version, about = "A console for IBM MQ RDQM HA/DR estates fronted by MQIPT")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Runs the console for the estate described by a configuration file.
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
    /// Runs the console on an in-process simulated estate (loopback only).
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The built browser app.
        #[arg(long, default_value = "dist")]
        assets: PathBuf,
    },
    /// Validates a configuration file and says what is wrong, key by key.
    CheckConfig { file: PathBuf },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("demo mode listens on loopback only; {0} is not a loopback address")]
    DemoNotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

async fn serve_on(addr: SocketAddr, state: AppState) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| CliError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(CliError::Serve)?;
    tracing::info!(%local, demo = state.demo, "rdqm-console listening");
    println!("rdqm-console listening on http://{local}");
    axum::serve(listener, http::router(state)).with_graceful_shutdown(shutdown()).await.map_err(CliError::Serve)
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve { config } => {
            let config = Config::load(&config)?;
            serve_on(config.server.listen, AppState { assets_dir: config.server.assets_dir.clone(), demo: false }).await
        }
        Command::Demo { listen, assets } => {
            if !listen.ip().is_loopback() {
                return Err(CliError::DemoNotLoopback(listen));
            }
            serve_on(listen, AppState { assets_dir: assets, demo: true }).await
        }
        Command::CheckConfig { file } => {
            let config = Config::load(&file)?;
            println!(
                "{}: ok ({} regions, {} nodes, {} MQIPT instances, {} queue managers)",
                file.display(),
                config.regions.len(),
                config.nodes.len(),
                config.mqipt.len(),
                config.qmgrs.len()
            );
            Ok(())
        }
    }
}
