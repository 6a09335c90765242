//! The command line: `serve`, `demo`, `check-config`.

use crate::config::Config;
use crate::fleet::RemoteExec;
use crate::fleet::inproc::InProcessExec;
use crate::fleet::poller::Poller;
use crate::fleet::ssh::{SshExec, SshSettings};
use crate::http::{self, AppState};
use std::sync::Arc;
use std::time::Duration;
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
    /// Prints as JSON what the console understands of a command's output (FILE or - for stdin).
    Parse {
        /// rdqmstatus, rdqmstatus-n, dspmq or mqipt-conf
        kind: String,
        file: PathBuf,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("demo mode listens on loopback only; {0} is not a loopback address")]
    DemoNotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Parse(#[from] crate::parse_cmd::ParseError),
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
            let control_dir = std::env::temp_dir().join(format!("rdqmc-{}", std::process::id()));
            std::fs::create_dir_all(&control_dir).map_err(CliError::Serve)?;
            let settings = SshSettings {
                user: config.ssh.user.clone(),
                key_file: config.ssh.key_file.clone(),
                known_hosts: config.ssh.known_hosts.clone(),
                connect_timeout: Duration::from_secs(config.ssh.connect_timeout_secs),
                control_dir: control_dir.clone(),
                max_concurrent: 32,
            };
            let ssh = Arc::new(SshExec::new(settings, config.ssh_hosts()));
            let poller = Arc::new(Poller::new(
                config.inventory(),
                Arc::clone(&ssh) as Arc<dyn RemoteExec>,
                Duration::from_secs(config.poll.interval_secs),
                Duration::from_secs(config.ssh.command_timeout_secs),
            ));
            let polling = poller.spawn();
            let state = AppState { assets_dir: config.server.assets_dir.clone(), demo: false, poller };
            let served = serve_on(config.server.listen, state).await;
            polling.abort();
            ssh.close_all().await;
            let _ = std::fs::remove_dir_all(&control_dir);
            served
        }
        Command::Demo { listen, assets } => {
            if !listen.ip().is_loopback() {
                return Err(CliError::DemoNotLoopback(listen));
            }
            let exec: Arc<dyn RemoteExec> = Arc::new(InProcessExec::reference());
            let poller = Arc::new(Poller::new(
                crate::config::demo_inventory(),
                exec,
                Duration::from_secs(2),
                Duration::from_secs(10),
            ));
            let polling = poller.spawn();
            let served = serve_on(listen, AppState { assets_dir: assets, demo: true, poller }).await;
            polling.abort();
            served
        }
        Command::Parse { kind, file } => {
            let value = crate::parse_cmd::parse(&kind, &file)?;
            println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
            Ok(())
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
