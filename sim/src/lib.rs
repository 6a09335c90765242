//! The simulated RDQM/MQIPT estate.
//!
//! IBM MQ cannot run here, so this crate stands in for it: [`estate`] holds the state of every
//! node, queue manager, HA group, DR pair and MQIPT instance and applies RDQM's rules;
//! [`commands`] answers as `rdqmstatus`, `rdqmdr`, `rdqmadm`, `dspmq` and `mqiptAdmin` on one
//! node, printing IBM's formats ([`print`]), and as `drbdadm status`, `crm_mon` and
//! `crm_resource --cleanup`, the DRBD and Pacemaker layers beneath RDQM ([`layers`]);
//! [`store`] keeps the state in one file shared by every simulated node, updated under a lock.

pub mod amqs;
pub mod chstatus;
pub mod client;
pub mod commands;
pub mod control;
pub mod estate;
pub mod etcd;
pub mod faults;
pub mod fs;
pub mod keystore;
pub mod mqsc;
pub mod pki;
pub mod ports;
pub mod lab;
pub mod layers;
pub mod print;
pub mod reference;
pub mod store;
pub mod tls;
pub mod volume;

pub use commands::{Invocation, Outcome};
pub use estate::Estate;
