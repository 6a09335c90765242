//! Running commands on a host, whatever carries them (SSH or the in-process simulator).

use futures::future::BoxFuture;
use std::time::Duration;
use thiserror::Error;

/// A program and its arguments; never a shell string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
}

impl Cmd {
    pub fn new(program: impl Into<String>, args: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Cmd { program: program.into(), args: args.into_iter().map(Into::into).collect() }
    }

    /// The command as an operator would type it (for evidence, journals and logs).
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str()).chain(self.args.iter().map(String::as_str)).collect::<Vec<_>>().join(" ")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CmdOutput {
    pub stdout: String,
    pub stderr: String,
    /// None when the command was killed or its status was lost.
    pub exit_code: Option<i32>,
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ExecError {
    #[error("{host}: cannot connect: {reason}")]
    Connect { host: String, reason: String },
    #[error("{host}: no answer within {secs} s")]
    Timeout { host: String, secs: u64 },
    #[error("{host}: connection failed: {reason}")]
    Transport { host: String, reason: String },
    #[error("{host}: not a host of the inventory")]
    UnknownHost { host: String },
}

pub trait RemoteExec: Send + Sync {
    /// Runs one command with its own stdout and stderr (workflow steps).
    fn run<'a>(
        &'a self,
        host: &'a str,
        cmd: &'a Cmd,
        stdin: Option<&'a [u8]>,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<CmdOutput, ExecError>>;

    /// Runs several commands in one round trip; each output holds stdout and stderr as they
    /// arrived (RDQM prints on either), with the command's own exit code.
    fn run_batch<'a>(
        &'a self,
        host: &'a str,
        cmds: &'a [Cmd],
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Vec<CmdOutput>, ExecError>>;

    /// Channels (remote command executions) opened since start, for `/metrics`.
    fn channels_opened(&self) -> u64;
}

/// Programs of IBM MQ and MQIPT, which may live outside the PATH and may need sudo.
pub fn is_product_program(program: &str) -> bool {
    matches!(
        program,
        "rdqmstatus" | "rdqmdr" | "rdqmadm" | "dspmq" | "strmqm" | "endmqm" | "runmqsc" | "runmqakm" | "mqiptAdmin" | "mqiptKeycmd"
    )
}

/// DRBD and Pacemaker tools, which need root (sudo) on a real node.
pub fn is_cluster_program(program: &str) -> bool {
    matches!(program, "drbdadm" | "crm_mon" | "crm_resource")
}
