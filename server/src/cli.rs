//! The command line: `serve`, `demo`, `check-config`.

use crate::config::Config;
use crate::fleet::RemoteExec;

use crate::fleet::poller::Poller;
use crate::http::AppState;
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
    #[cfg(feature = "demo")]
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The built browser app.
        #[arg(long, default_value = "dist")]
        assets: PathBuf,
    },
    /// Validates a configuration file and says what is wrong, key by key.
    CheckConfig { file: PathBuf },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Session tools.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Prints as JSON what the console understands of a command's output (FILE or - for stdin).
    Parse {
        /// rdqmstatus, rdqmstatus-n, dspmq or mqipt-conf
        kind: String,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walks the hash chain and reports the first broken link.
    Verify {
        #[arg(long)]
        config: PathBuf,
        /// A head the console wrote to its log (`audit head id=N hash=H`), as N:H: the chain
        /// must still hold that record as it was (a truncated or rewritten tail shows).
        #[arg(long)]
        head: Option<crate::store::AuditHead>,
    },
}

#[derive(Subcommand)]
pub enum SessionsCommand {
    /// Ends every session of a user now (their open pages must sign in again; event streams
    /// close within seconds).
    Revoke {
        #[arg(long)]
        config: PathBuf,
        /// The user as the directory names them (e.g. mqadmin).
        user: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("audit chain broken at record {id}: {reason}")]
    AuditBroken { id: i64, reason: String },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("demo mode listens on loopback only; {0} is not a loopback address")]
    DemoNotLoopback(SocketAddr),
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    #[error(transparent)]
    Parse(#[from] crate::parse_cmd::ParseError),
    #[error("{0}")]
    Secret(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The console could not be put together (its runs could not be read, for instance).
    #[error("the console could not start: {0}")]
    Start(crate::workflow::EngineError),
    #[error("no [ldap] section: the console needs a directory to sign operators in")]
    NoDirectory,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The session signing key from the configuration, or a random one (with a warning).
fn signing_key(config: &crate::config::AuthConfig) -> Result<Vec<u8>, CliError> {
    let key = crate::config::read_secret(config.signing_key_file.as_deref(), config.signing_key_env.as_deref(), "auth signing key")
        .map_err(CliError::Secret)?;
    match key {
        Some(key) if key.len() >= 32 => Ok(key.into_bytes()),
        Some(_) => Err(CliError::Secret("auth signing key: fewer than 32 bytes".into())),
        None => {
            tracing::warn!("no auth.signing_key_file or signing_key_env: using a random key; sessions end on restart");
            Ok(rand::random::<[u8; 32]>().to_vec())
        }
    }
}

/// The store of a configuration, its audit chain keyed when a key is configured; `serving`:
/// the console itself (its configuration file), which holds the sign-in spool (a command-line
/// tool only reads it).
async fn open_store(config: &Config, serving: Option<&std::path::Path>) -> Result<Arc<dyn crate::store::Store>, CliError> {
    let key = crate::config::read_secret(config.audit.key_file.as_deref(), config.audit.key_env.as_deref(), "audit key").map_err(CliError::Secret)?;
    if key.as_ref().is_some_and(|k| k.len() < 32) {
        return Err(CliError::Secret("audit key: fewer than 32 bytes".into()));
    }
    if key.is_none() {
        tracing::warn!("no [audit] key_file or key_env: audit records are hash-chained but not keyed");
    }
    let key = key.map(String::into_bytes);
    let store = &config.store;
    Ok(match store.kind {
        crate::config::StoreKindConfig::Sqlite => {
            Arc::new(crate::store::SqliteStore::open(&store.path)?.with_audit_key(key).with_instance(&store.instance, store.url.clone()))
        }
        crate::config::StoreKindConfig::Etcd => {
            let options = crate::store::EtcdOptions {
                endpoints: store.endpoints.clone(),
                prefix: store.prefix.clone(),
                instance: store.instance.clone(),
                url: store.url.clone(),
                lease_ttl: Duration::from_secs(store.lease_ttl_secs),
                timeout: Duration::from_millis(store.timeout_ms),
                tls: store.tls_pem().map_err(CliError::Secret)?,
            };
            let etcd = crate::store::EtcdStore::connect(options).await?.with_audit_key(key);
            Arc::new(match serving {
                Some(file) => etcd.with_spool(&store.audit_spool_path(file))?,
                None => etcd,
            })
        }
    })
}

/// Where the audit chain a command checks lives, for its messages.
fn store_name(config: &Config) -> String {
    match config.store.kind {
        crate::config::StoreKindConfig::Sqlite => config.store.path.display().to_string(),
        crate::config::StoreKindConfig::Etcd => format!("etcd {} under {}", config.store.endpoints.join(","), config.store.prefix),
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve { config: file } => {
            let config = Config::load(&file)?;
            let control_dir = std::env::temp_dir().join(format!("rdqmc-{}", std::process::id()));
            std::fs::create_dir_all(&control_dir)?;
            let ssh = Arc::new(config.ssh_exec(control_dir.clone()));
            let poller = Arc::new(Poller::new(
                config.inventory(),
                Arc::clone(&ssh) as Arc<dyn RemoteExec>,
                Duration::from_secs(config.poll.interval_secs),
                Duration::from_secs(config.ssh.command_timeout_secs),
            ));
            let ldap = config.ldap.clone().ok_or(CliError::NoDirectory)?;
            let bind_password =
                crate::config::read_secret(ldap.bind_password_file.as_deref(), ldap.bind_password_env.as_deref(), "ldap bind password")
                    .map_err(CliError::Secret)?
                    .unwrap_or_default();
            let roles = crate::auth::RoleMap { operator_groups: ldap.operator_groups.clone(), viewer_groups: ldap.viewer_groups.clone() };
            let directory = Arc::new(crate::auth::directory::LdapDirectory::new(ldap, bind_password));
            let store = open_store(&config, Some(&file)).await?;
            let metrics_token =
                crate::config::read_secret(config.metrics.bearer_token_file.as_deref(), config.metrics.bearer_token_env.as_deref(), "metrics token")
                    .map_err(CliError::Secret)?;
            let targets = config
                .mqipt
                .iter()
                .map(|m| crate::workflow::engine::MqiptTarget {
                    name: m.name.clone(),
                    host: m.host.clone(),
                    conf_path: m.conf_path.clone(),
                    refresh: m.refresh.clone(),
                })
                .collect();
            let certs = (!config.keystores.is_empty() || config.nodes.iter().any(|n| n.tlshd_conf.is_some())).then(|| {
                let mut collector = crate::certs::CertCollector::new(&config, Arc::clone(&ssh) as Arc<dyn RemoteExec>);
                collector.poller = Some(Arc::clone(&poller));
                Arc::new(collector)
            });
            let mut auth_config = config.auth.clone();
            auth_config.secure_cookies |= config.server.tls();
            let state = AppState::builder(Arc::clone(&ssh) as Arc<dyn RemoteExec>, Arc::clone(&poller), store, directory)
                .roles(roles)
                .signing_key(signing_key(&config.auth)?)
                .auth_config(auth_config)
                .workflow_config(config.workflows.clone())
                .mqipt(targets)
                .clients(config.client_targets())
                .rotation(config.cert_policy.clone(), config.tls_client_checks())
                .certs(certs.clone())
                .assets_dir(config.server.assets_dir.clone())
                .metrics_token(metrics_token)
                .build()
                .await
                .map_err(CliError::Start)?;
            let housekeeping = state.auth.spawn_housekeeping(Duration::from_secs(60));
            // Lives as long as the process (the handle is not kept).
            state.engine.spawn_approval_expiry(Duration::from_secs(15));
            // Runs whose instance died show as interrupted within the lease TTL and a third.
            state.engine.spawn_sweeper(Duration::from_secs((config.store.lease_ttl_secs / 3).max(1)));
            crate::workflow::schedule::spawn(Arc::clone(&state.engine), config.drills.clone(), Duration::from_secs(30));
            let collecting = certs.as_ref().map(|c| c.spawn(Duration::from_secs(300)));
            let polling = poller.spawn();
            let tls = match (&config.server.tls_cert_file, &config.server.tls_key_file) {
                (Some(cert), Some(key)) => Some(crate::serve::TlsFiles { cert: cert.clone(), key: key.clone() }),
                _ => None,
            };
            let served = crate::serve::serve(config.server.listen, tls, state, crate::serve::shutdown_signal()).await;
            polling.abort();
            housekeeping.abort();
            if let Some(task) = collecting {
                task.abort();
            }
            ssh.close_all().await;
            let _ = std::fs::remove_dir_all(&control_dir);
            Ok(served?)
        }
        #[cfg(feature = "demo")]
        Command::Demo { listen, assets } => {
            if !listen.ip().is_loopback() {
                return Err(CliError::DemoNotLoopback(listen));
            }
            let exec: Arc<dyn RemoteExec> = Arc::new(crate::fleet::inproc::InProcessExec::reference());
            let poller = Arc::new(Poller::new(
                crate::fleet::inproc::demo_inventory(),
                Arc::clone(&exec),
                Duration::from_secs(2),
                Duration::from_secs(10),
            ));
            let store: Arc<dyn crate::store::Store> = Arc::new(crate::store::SqliteStore::in_memory()?);
            let targets = crate::fleet::inproc::demo_inventory()
                .mqipt
                .iter()
                .map(|m| crate::workflow::engine::MqiptTarget {
                    name: m.name.clone(),
                    host: m.host.clone(),
                    conf_path: m.conf_path.clone(),
                    refresh: crate::config::RefreshCommand::MqiptAdmin { instance: m.name.clone() },
                })
                .collect();
            let state = AppState::builder(exec, Arc::clone(&poller), store, Arc::new(crate::auth::directory::DemoDirectory))
                .mqipt(targets)
                .assets_dir(assets)
                .demo(true)
                .build()
                .await
                .map_err(CliError::Start)?;
            let housekeeping = state.auth.spawn_housekeeping(Duration::from_secs(60));
            state.engine.spawn_approval_expiry(Duration::from_secs(15));
            let polling = poller.spawn();
            let served = crate::serve::serve(listen, None, state, crate::serve::shutdown_signal()).await;
            polling.abort();
            housekeeping.abort();
            Ok(served?)
        }
        Command::Sessions { command: SessionsCommand::Revoke { config, user } } => {
            let config = Config::load(&config)?;
            let store = open_store(&config, None).await?;
            let now = crate::clock::now_secs();
            let revoked = store.revoke_user(user.clone(), now).await;
            let event = crate::store::AuditEvent::new("console-cli", "command line", "sessions_revoked", &user, "ok", format!("every session of {user} begun before now ended"));
            let audited = match revoked {
                Ok(()) => store.audit(event).await.map(|_| ()),
                Err(e) => Err(e),
            };
            store.close().await;
            audited?;
            println!("every session of {user} has ended; event streams close within seconds");
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify { config: file, head } } => {
            let config = Config::load(&file)?;
            // Sign-ins the console kept while the store could not be written: each is either
            // in the chain already or still waiting in the spool.
            let spool = config.store.audit_spool_path(&file);
            let spooled = match config.store.kind {
                crate::config::StoreKindConfig::Etcd => crate::store::AuditSpool::read_pending(&spool)?,
                crate::config::StoreKindConfig::Sqlite => Vec::new(),
            };
            let store = open_store(&config, None).await?;
            let verified = store.verify_audit(head).await;
            let count = store.audit_head().await.map(|h| h.map_or(0, |h| h.id));
            let mut waiting = Vec::new();
            let mut unknown = false;
            for record in spooled {
                match store.audit_find(record.after, record.event.clone()).await {
                    Ok(Some(_)) => {}
                    Ok(None) => waiting.push(record),
                    Err(_) => {
                        unknown = true;
                        waiting.push(record);
                    }
                }
            }
            store.close().await;
            if !waiting.is_empty() {
                let state = if unknown { "could not be looked for in the chain (the store cannot be read)" } else { "are not in the chain yet" };
                println!(
                    "{} sign-in record(s) kept in the spool {} {state}; the console appends them when the store can be written:",
                    waiting.len(),
                    spool.display()
                );
                for record in &waiting {
                    let at = chrono::DateTime::from_timestamp_millis(record.event.at as i64).map_or_else(|| record.event.at.to_string(), |t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
                    let e = &record.event;
                    println!("  {at} {} {} {} from {} {}", e.action, e.target, e.result, e.source, e.details);
                }
            }
            match verified? {
                None => {
                    let count = count?;
                    println!("{}: audit chain intact ({count} records)", store_name(&config));
                    Ok(())
                }
                Some(broken) => Err(CliError::AuditBroken { id: broken.id, reason: broken.reason }),
            }
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
