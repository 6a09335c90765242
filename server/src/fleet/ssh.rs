//! `RemoteExec` over OpenSSH: one multiplexed master per host (the `openssh` crate's native
//! mux), reused across refreshes, strict host-key checking against the configured
//! known_hosts, and a new master after any connection failure.

use super::batch;
use super::exec::{Cmd, CmdOutput, ExecError, RemoteExec};
use futures::future::BoxFuture;
use openssh::{KnownHosts, Session, SessionBuilder, Stdio};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Mutex, Semaphore};

/// How to reach one host.
#[derive(Debug, Clone)]
pub struct HostAddress {
    pub address: String,
    pub port: u16,
    /// Run commands through `sudo -n`.
    pub sudo: bool,
    /// Directory of the MQ commands, when they are not on the remote PATH.
    pub bin_dir: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SshSettings {
    pub user: String,
    pub key_file: PathBuf,
    pub known_hosts: PathBuf,
    pub connect_timeout: Duration,
    /// Where masters keep their sockets; short, since Unix sockets allow 108 bytes.
    pub control_dir: PathBuf,
    pub max_concurrent: usize,
}

pub struct SshExec {
    settings: SshSettings,
    hosts: HashMap<String, HostAddress>,
    sessions: HashMap<String, Mutex<Option<Arc<Session>>>>,
    limit: Semaphore,
    channels: AtomicU64,
}

impl SshExec {
    pub fn new(settings: SshSettings, hosts: HashMap<String, HostAddress>) -> Self {
        let sessions = hosts.keys().map(|h| (h.clone(), Mutex::new(None))).collect();
        let limit = Semaphore::new(settings.max_concurrent.max(1));
        SshExec { settings, hosts, sessions, limit, channels: AtomicU64::new(0) }
    }

    /// The host's open master, or a new one.
    async fn session(&self, host: &str) -> Result<Arc<Session>, ExecError> {
        let address = self.hosts.get(host).ok_or_else(|| ExecError::UnknownHost { host: host.to_string() })?;
        let slot = self.sessions.get(host).ok_or_else(|| ExecError::UnknownHost { host: host.to_string() })?;
        let mut slot = slot.lock().await;
        if let Some(session) = slot.as_ref() {
            return Ok(Arc::clone(session));
        }
        let mut builder = SessionBuilder::default();
        builder
            .user(self.settings.user.clone())
            .port(address.port)
            .keyfile(&self.settings.key_file)
            .known_hosts_check(KnownHosts::Strict)
            .user_known_hosts_file(&self.settings.known_hosts)
            .config_file("/dev/null")
            .connect_timeout(self.settings.connect_timeout)
            .server_alive_interval(Duration::from_secs(5))
            .control_directory(&self.settings.control_dir);
        let connect = builder.connect_mux(&address.address);
        let wait = self.settings.connect_timeout + Duration::from_secs(2);
        let session = match tokio::time::timeout(wait, connect).await {
            Ok(Ok(session)) => Arc::new(session),
            Ok(Err(e)) => return Err(ExecError::Connect { host: host.to_string(), reason: error_text(&e) }),
            Err(_) => return Err(ExecError::Timeout { host: host.to_string(), secs: wait.as_secs() }),
        };
        *slot = Some(Arc::clone(&session));
        Ok(session)
    }

    /// Forgets a master after a failure so the next call connects afresh.
    async fn drop_session(&self, host: &str) {
        if let Some(slot) = self.sessions.get(host)
            && let Some(session) = slot.lock().await.take()
            && let Ok(session) = Arc::try_unwrap(session)
        {
            let _ = session.close().await;
        }
    }

    fn program(&self, host: &str, cmd: &Cmd) -> (String, Vec<String>) {
        let address = self.hosts.get(host);
        let mq = super::exec::is_product_program(&cmd.program);
        let program = match address.and_then(|a| a.bin_dir.as_ref()) {
            Some(dir) if mq => format!("{}/{}", dir.trim_end_matches('/'), cmd.program),
            _ => cmd.program.clone(),
        };
        if address.is_some_and(|a| a.sudo) && (mq || super::exec::is_cluster_program(&cmd.program)) {
            let mut args = vec!["-n".to_string(), program];
            args.extend(cmd.args.iter().cloned());
            ("sudo".to_string(), args)
        } else {
            (program, cmd.args.clone())
        }
    }

    async fn exec(&self, host: &str, program: &str, args: &[String], stdin: Option<&[u8]>, timeout: Duration) -> Result<CmdOutput, ExecError> {
        let _permit = self.limit.acquire().await.map_err(|_| ExecError::Transport { host: host.into(), reason: "shutting down".into() })?;
        let session = self.session(host).await?;
        self.channels.fetch_add(1, Ordering::Relaxed);
        let run = async {
            let mut command = session.arc_command(program.to_string());
            command.args(args.iter().map(String::as_str));
            command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = command.spawn().await?;
            if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin().take()) {
                pipe.write_all(bytes).await.map_err(openssh::Error::ChildIo)?;
                pipe.shutdown().await.map_err(openssh::Error::ChildIo)?;
            }
            child.wait_with_output().await
        };
        match tokio::time::timeout(timeout, run).await {
            Ok(Ok(output)) => Ok(CmdOutput {
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
                exit_code: output.status.code(),
            }),
            Ok(Err(e)) => {
                self.drop_session(host).await;
                Err(ExecError::Transport { host: host.to_string(), reason: error_text(&e) })
            }
            Err(_) => Err(ExecError::Timeout { host: host.to_string(), secs: timeout.as_secs() }),
        }
    }
}

fn error_text(e: &openssh::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl RemoteExec for SshExec {
    fn run<'a>(
        &'a self,
        host: &'a str,
        cmd: &'a Cmd,
        stdin: Option<&'a [u8]>,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<CmdOutput, ExecError>> {
        Box::pin(async move {
            let (program, args) = self.program(host, cmd);
            self.exec(host, &program, &args, stdin, timeout).await
        })
    }

    fn run_batch<'a>(
        &'a self,
        host: &'a str,
        cmds: &'a [Cmd],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<CmdOutput>, ExecError>> {
        Box::pin(async move {
            let nonce = format!("{:016x}", rand::random::<u64>());
            let resolved: Vec<Cmd> = cmds
                .iter()
                .map(|c| {
                    let (program, args) = self.program(host, c);
                    Cmd { program, args }
                })
                .collect();
            let script = batch::script(&resolved, &nonce);
            let output = self.exec(host, "sh", &["-c".to_string(), script], None, timeout).await?;
            let mut text = output.stdout;
            text.push_str(&output.stderr);
            Ok(batch::split(&text, cmds.len(), &nonce))
        })
    }

    fn channels_opened(&self) -> u64 {
        self.channels.load(Ordering::Relaxed)
    }
}

impl SshExec {
    /// Closes every master (they would otherwise outlive the console).
    pub async fn close_all(&self) {
        for host in self.sessions.keys() {
            self.drop_session(host).await;
        }
    }
}
