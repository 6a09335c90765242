//! Reaching the hosts: the `RemoteExec` trait, its SSH and in-process implementations, and
//! the poller that reads the whole estate once per interval for every viewer.

pub mod batch;
pub mod exec;
/// The demo's in-process estate: the simulator is linked only with the `demo` feature.
#[cfg(feature = "demo")]
pub mod inproc;
pub mod poller;
pub mod ssh;

pub use exec::{Cmd, CmdOutput, ExecError, RemoteExec};
