//! Workflows: plans made in `model`, executed here step by step through `RemoteExec`,
//! journaled in the `Store` before and after every step, undone in reverse on failure.

pub mod actions;
pub mod cert_checks;
pub mod cert_upload;
pub mod engine;
pub mod instances;
pub mod remediation;
pub mod schedule;

pub use engine::{Engine, EngineError};
