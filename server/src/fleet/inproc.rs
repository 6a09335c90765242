//! `RemoteExec` on the in-process simulated estate, for `rdqm-console demo`: the same
//! commands, the same output, no SSH.

use super::exec::{Cmd, CmdOutput, ExecError, RemoteExec};
use futures::future::BoxFuture;
use sim::Estate;
use sim::commands::{self, Invocation};
use sim::fs::{HostFs, MemFs};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub struct InProcessExec {
    estate: Mutex<Estate>,
    fs: MemFs,
    channels: AtomicU64,
}

impl InProcessExec {
    /// The reference estate of seed 000, its mqipt.conf in memory.
    pub fn reference() -> Self {
        let fs = MemFs::default();
        let _ = fs.write(sim::reference::MQIPT_CONF_PATH, sim::reference::MQIPT_CONF);
        InProcessExec {
            estate: Mutex::new(sim::reference::estate(sim::reference::MQIPT_CONF_PATH)),
            fs,
            channels: AtomicU64::new(0),
        }
    }

    /// Applies a change to the simulated estate (the demo's fault knobs).
    pub fn with_estate<T>(&self, change: impl FnOnce(&mut Estate) -> T) -> Option<T> {
        self.estate.lock().ok().map(|mut e| change(&mut e))
    }

    /// Runs one command as the simulated host would; `hang` and latency are returned to the caller.
    fn run_one(&self, host: &str, cmd: &Cmd, stdin: Option<&[u8]>) -> Result<(commands::Outcome, bool), ExecError> {
        let mut estate = self.estate.lock().map_err(|_| ExecError::Transport { host: host.into(), reason: "simulator state poisoned".into() })?;
        if estate.host(host).is_none() {
            return Err(ExecError::UnknownHost { host: host.to_string() });
        }
        if !estate.host_is_up(host) {
            return Err(ExecError::Connect { host: host.to_string(), reason: "Connection refused".into() });
        }
        self.channels.fetch_add(1, Ordering::Relaxed);
        let program = cmd.program.rsplit('/').next().unwrap_or(&cmd.program);
        let file_op = |outcome: Result<String, std::io::Error>| match outcome {
            Ok(stdout) => commands::Outcome { stdout, ..Default::default() },
            Err(e) => commands::Outcome { stderr: format!("{program}: {e}\n"), code: 1, ..Default::default() },
        };
        let outcome = match (program, cmd.args.as_slice()) {
            ("cat", [path]) => file_op(self.fs.read(path)),
            ("tee", [path]) => {
                let text = String::from_utf8_lossy(stdin.unwrap_or_default()).into_owned();
                file_op(self.fs.write(path, &text).map(|_| text))
            }
            ("cp", [flag, from, to]) if flag == "-p" => file_op(self.fs.read(from).and_then(|t| self.fs.write(to, &t)).map(|_| String::new())),
            ("mv", [flag, from, to]) if flag == "-f" => file_op(self.fs.rename(from, to).map(|_| String::new())),
            ("sha256sum", [path]) => file_op(self.fs.read(path).map(|t| format!("{}  {path}\n", model::plan::sha256_hex(&t)))),
            // The console's own compare-and-swap write script (see `workflow::actions`), done
            // as the script does it, under the estate's lock.
            ("sh", [flag, script, _, path, expect]) if flag == "-c" && script == crate::workflow::actions::REPLACE_FILE_SCRIPT => {
                let text = String::from_utf8_lossy(stdin.unwrap_or_default()).into_owned();
                match self.fs.read(path) {
                    Err(e) => commands::Outcome { stderr: format!("sh: {path}: {e}\n"), code: 4, ..Default::default() },
                    Ok(current) if !expect.is_empty() && model::plan::sha256_hex(&current) != *expect => commands::Outcome {
                        stderr: format!("rdqm-console: {path} changed: sha256 {}, expected {expect}; nothing written\n", model::plan::sha256_hex(&current)),
                        code: 3,
                        ..Default::default()
                    },
                    Ok(_) => file_op(self.fs.write(path, &text).map(|_| format!("{}\n", model::plan::sha256_hex(&text)))),
                }
            }
            _ => commands::run(&mut estate, &self.fs, &Invocation { host, program, args: &cmd.args, now_ms: crate::clock::now_ms(), stdin: &String::from_utf8_lossy(stdin.unwrap_or_default()), via_sudo: false, mqserver: None }),
        };
        let hang = outcome.hang;
        Ok((outcome, hang))
    }

    async fn answer(&self, host: &str, cmd: &Cmd, stdin: Option<&[u8]>, timeout: Duration) -> Result<CmdOutput, ExecError> {
        let (outcome, hang) = self.run_one(host, cmd, stdin)?;
        let delay = Duration::from_millis(outcome.delay_ms + outcome.takes_ms);
        if hang || delay >= timeout {
            tokio::time::sleep(timeout).await;
            return Err(ExecError::Timeout { host: host.to_string(), secs: timeout.as_secs() });
        }
        tokio::time::sleep(delay).await;
        if outcome.cut_off {
            // As over SSH: half the output came, then the connection dropped.
            return Err(ExecError::Transport { host: host.to_string(), reason: "Connection closed by remote host".into() });
        }
        Ok(CmdOutput { stdout: outcome.stdout, stderr: outcome.stderr, exit_code: Some(outcome.code) })
    }
}

impl RemoteExec for InProcessExec {
    fn run<'a>(
        &'a self,
        host: &'a str,
        cmd: &'a Cmd,
        stdin: Option<&'a [u8]>,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<CmdOutput, ExecError>> {
        Box::pin(self.answer(host, cmd, stdin, timeout))
    }

    fn run_batch<'a>(
        &'a self,
        host: &'a str,
        cmds: &'a [Cmd],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<CmdOutput>, ExecError>> {
        Box::pin(async move {
            let mut outputs = Vec::with_capacity(cmds.len());
            for cmd in cmds {
                let mut out = self.answer(host, cmd, None, timeout).await?;
                out.stdout.push_str(&std::mem::take(&mut out.stderr));
                outputs.push(out);
            }
            Ok(outputs)
        })
    }

    fn channels_opened(&self) -> u64 {
        self.channels.load(Ordering::Relaxed)
    }
}

/// The inventory of the simulated reference estate, for `demo`.
pub fn demo_inventory() -> model::estate::Inventory {
    use model::estate::{Inventory, InventoryMqipt, InventoryQmgr, InventoryRegion, RouteRef};
    let estate = sim::reference::estate(sim::reference::MQIPT_CONF_PATH);
    Inventory {
        regions: estate
            .regions
            .iter()
            .map(|r| InventoryRegion {
                name: r.name.clone(),
                load_balancer: r.load_balancer.clone(),
                nodes: r.nodes.iter().map(|n| n.name.clone()).collect(),
                groups: Vec::new(),
            })
            .collect(),
        qmgrs: estate
            .qmgrs
            .iter()
            .map(|q| InventoryQmgr {
                name: q.name.clone(),
                listener_port: q.listener_port,
                route: Some(RouteRef { instance: sim::reference::MQIPT_INSTANCE.into(), listener_port: q.listener_port }),
                ha_groups: Vec::new(),
            })
            .collect(),
        mqipt: vec![InventoryMqipt {
            name: sim::reference::MQIPT_INSTANCE.into(),
            host: sim::reference::BASTION.into(),
            conf_path: sim::reference::MQIPT_CONF_PATH.into(),
        }],
        keystores: Vec::new(),
    }
}
