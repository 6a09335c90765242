//! Fault knobs: the ways the simulated estate can misbehave on request.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    /// Added delay before every command on a host, in milliseconds.
    #[serde(default)]
    pub latency_ms: BTreeMap<String, u64>,
    /// The next invocation of a command on a host fails.
    #[serde(default)]
    pub fail_next: Vec<HostCommand>,
    /// The next invocation of a command on a host hangs.
    #[serde(default)]
    pub hang_next: Vec<HostCommand>,
    /// Hosts whose commands print on stderr instead of stdout (as some sudo set-ups do).
    #[serde(default)]
    pub stderr_output: BTreeSet<String>,
    /// Hosts whose commands end with sudo's `Command '/opt/mqm/bin/<cmd>' run with sudo.` line.
    #[serde(default)]
    pub sudo_trailer: BTreeSet<String>,
    /// The DR replication link between the regions is cut while both stay up.
    #[serde(default)]
    pub dr_link_down: bool,
    /// Regions whose load balancer forwards nothing (a client through MQIPT gets no listener).
    #[serde(default)]
    pub lb_down: BTreeSet<String>,
    /// MQIPT listener ports taken by another process: a route on one fails to start (its
    /// next start binds nothing) until the port is freed and the route starts again.
    #[serde(default)]
    pub route_fail: BTreeSet<u16>,
    /// Nodes that stay up (and reachable over SSH) but have lost both HA peers.
    #[serde(default)]
    pub isolated: BTreeSet<String>,
    /// Hosts that present a new SSH host key (the lab keeps the old one to put back).
    #[serde(default)]
    pub rekeyed: BTreeSet<String>,
    /// The directory of the bastion's `mqipt.conf` may not be written (permission denied).
    #[serde(default)]
    pub mqipt_conf_readonly: bool,
    /// Console instances the lab killed (`console-down REGION`, with `LAB_CONSOLES=2`).
    #[serde(default)]
    pub consoles_down: BTreeSet<String>,
    /// etcd members the lab killed (`etcd-down MEMBER`).
    #[serde(default)]
    pub etcd_down: BTreeSet<String>,
    /// Hosts whose lab user is not in `haclient`: RDQM's commands refuse it (AMQ7077E).
    #[serde(default)]
    pub not_haclient: BTreeSet<String>,
    /// KB a second each queue manager's applications write on its DR primary: while DR
    /// replication is cut, it piles up as `DR out of sync data`.
    #[serde(default)]
    pub dr_write_rate: BTreeMap<String, u64>,
    /// Hosts whose disk is so slow that a resynchronisation there makes no progress.
    #[serde(default)]
    pub slow_disk: BTreeSet<String>,
    /// Hosts that no longer accept the console's SSH key.
    #[serde(default)]
    pub revoked_keys: BTreeSet<String>,
    /// Hosts where the MQ and cluster commands work only through `sudo`.
    #[serde(default)]
    pub sudo_required: BTreeSet<String>,
    /// Hosts whose file systems (the real paths of the host) are full.
    #[serde(default)]
    pub disk_full: BTreeSet<String>,
    /// The next invocation of a command on a host stops mid-output: the connection drops.
    #[serde(default)]
    pub truncate_next: Vec<HostCommand>,
    /// Seconds a host's clock is ahead (positive) or behind (negative) the true time.
    #[serde(default)]
    pub clock_skew_s: BTreeMap<String, i64>,
    /// Queue managers whose HA DRBD resource is split-brained (StandAlone) in their region.
    #[serde(default)]
    pub split_brain: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostCommand {
    pub host: String,
    pub command: String,
}

impl Faults {
    /// Removes and reports a one-shot fault set for `command` on `host`.
    pub fn take(list: &mut Vec<HostCommand>, host: &str, command: &str) -> bool {
        match list.iter().position(|f| f.host == host && f.command == command) {
            Some(i) => {
                list.remove(i);
                true
            }
            None => false,
        }
    }
}
