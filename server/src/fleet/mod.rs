//! Reaching the hosts: the `RemoteExec` trait, its SSH and in-process implementations, and
//! the poller that reads the whole estate once per interval for every viewer.

pub mod batch;
pub mod exec;
pub mod inproc;
pub mod poller;
pub mod ssh;

pub use exec::{Cmd, CmdOutput, ExecError, RemoteExec};
