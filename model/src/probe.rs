//! What the console asks each host in a refresh, and what the host answered.
//!
//! One refresh sends one batch of probes per host; the probes come from the inventory only,
//! so every name in them has been validated when the configuration was read.

use crate::estate::Inventory;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Probe {
    /// `rdqmstatus -m QM` on an MQ node.
    QmStatus(String),
    /// `rdqmstatus -n` on an MQ node.
    GroupNodes,
    /// `cat <mqipt.conf>` on an MQIPT host.
    MqiptConf { instance: String, path: String },
    /// `drbdadm status` on an MQ node: the replication layer.
    DrbdStatus,
    /// `crm_mon --one-shot --inactive --output-as=xml` on an MQ node: the cluster layer.
    CrmMon,
    /// `date -u +%s` on every host: its clock, to compare with the console's.
    Clock,
}

impl Probe {
    pub fn program(&self) -> &str {
        match self {
            Probe::QmStatus(_) | Probe::GroupNodes => "rdqmstatus",
            Probe::MqiptConf { .. } => "cat",
            Probe::DrbdStatus => "drbdadm",
            Probe::CrmMon => "crm_mon",
            Probe::Clock => "date",
        }
    }

    pub fn args(&self) -> Vec<String> {
        match self {
            Probe::QmStatus(qm) => vec!["-m".into(), qm.clone()],
            Probe::GroupNodes => vec!["-n".into()],
            Probe::MqiptConf { path, .. } => vec![path.clone()],
            Probe::DrbdStatus => vec!["status".into()],
            Probe::CrmMon => vec!["--one-shot".into(), "--inactive".into(), "--output-as=xml".into()],
            Probe::Clock => vec!["-u".into(), "+%s".into()],
        }
    }

    /// The command as an operator would type it, for evidence and logs.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program().to_string()).chain(self.args()).collect::<Vec<_>>().join(" ")
    }
}

/// The probes for one host of the inventory.
pub fn probes_for(inventory: &Inventory, host: &str) -> Vec<Probe> {
    // The clock first: it is then read closest to when the refresh started.
    let mut probes = vec![Probe::Clock];
    if inventory.region_of_node(host).is_some() {
        // Only the queue managers of the node's HA group: it knows no others, and the cost
        // of a refresh grows with hosts, not hosts × queue managers.
        probes.extend(inventory.qmgrs_of_node(host).map(|q| Probe::QmStatus(q.name.clone())));
        probes.push(Probe::GroupNodes);
        probes.push(Probe::DrbdStatus);
        probes.push(Probe::CrmMon);
    }
    for instance in inventory.mqipt.iter().filter(|m| m.host == host) {
        probes.push(Probe::MqiptConf { instance: instance.name.clone(), path: instance.conf_path.clone() });
    }
    probes
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    pub probe: Probe,
    /// stdout and stderr as they arrived (RDQM may print on either).
    pub output: String,
    pub exit_code: Option<i32>,
}

/// What a host answered at one time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub at_ms: u64,
    /// When the console sent the commands (the host's clock is read between the two).
    #[serde(default)]
    pub started_ms: u64,
    pub results: Vec<ProbeResult>,
}

/// A host in one refresh: the error if it could not be read, and the newest data there is
/// (fresh, or from an earlier refresh when `error` is set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostReport {
    pub host: String,
    pub error: Option<String>,
    pub data: Option<Observed>,
}

impl HostReport {
    pub fn stale(&self) -> bool {
        self.error.is_some() && self.data.is_some()
    }

    pub fn result(&self, probe: &Probe) -> Option<&ProbeResult> {
        self.data.as_ref()?.results.iter().find(|r| &r.probe == probe)
    }
}
