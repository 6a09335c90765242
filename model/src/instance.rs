//! Console instances and the store they share: what each instance says of itself, so an
//! operator sees which console they are on, the others, and whether workflows can run.

use serde::{Deserialize, Serialize};

/// One running console, as registered in the shared store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// The configured name, e.g. `wdc` or `dal`.
    pub instance: String,
    /// `instance/lease`: who owns the runs this instance started under its current lease.
    pub owner: String,
    /// Where operators reach it, when configured.
    #[serde(default)]
    pub url: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub started_at: u64,
}

impl InstanceInfo {
    /// The instance part of an owner (`wdc/0000…` → `wdc`).
    pub fn instance_of(owner: &str) -> &str {
        owner.split_once('/').map_or(owner, |(name, _)| name)
    }
}

/// Which store keeps the journal, locks and audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Sqlite,
    Etcd,
}

/// The store as this instance sees it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStatus {
    pub kind: StoreKind,
    /// This instance.
    pub this: InstanceInfo,
    /// Whether workflows can run here: the store answers with quorum and this instance holds
    /// its lease.
    pub writable: bool,
    /// When not writable: what is wrong and what to do.
    #[serde(default)]
    pub problem: Option<String>,
    /// The owner that carries the singleton duties (approval expiry, scheduled drills).
    #[serde(default)]
    pub leader: Option<String>,
    /// Every instance alive now, this one included.
    pub instances: Vec<InstanceInfo>,
}
