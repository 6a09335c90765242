//! The estate as the console shows it: the inventory (what should exist) and the snapshot
//! built from what the hosts said. These types cross the wire to the browser unchanged.

pub use crate::finding_code::FindingCode;
use crate::rdqmstatus::DrStatusField;
use crate::status::{DrRole, HaRole, HaStatus, QmStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the estate should contain, from the console's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    pub regions: Vec<InventoryRegion>,
    pub qmgrs: Vec<InventoryQmgr>,
    pub mqipt: Vec<InventoryMqipt>,
    /// The key repositories and keystores the console inventories.
    #[serde(default)]
    pub keystores: Vec<InventoryKeystore>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryKeystore {
    pub host: String,
    pub path: String,
    pub purpose: crate::certs::Purpose,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryRegion {
    pub name: String,
    pub load_balancer: String,
    /// Every node of the region, in configuration order.
    pub nodes: Vec<String>,
    /// The region's RDQM HA groups (three nodes each in a real estate). Empty means one group,
    /// named as the region, of all its nodes (the reference estate).
    #[serde(default)]
    pub groups: Vec<InventoryGroup>,
}

/// One RDQM HA group: its nodes know only each other and the queue managers it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryGroup {
    pub name: String,
    pub nodes: Vec<String>,
}

impl InventoryRegion {
    /// The region's HA groups, the implicit single group included.
    pub fn ha_groups(&self) -> Vec<InventoryGroup> {
        if self.groups.is_empty() {
            vec![InventoryGroup { name: self.name.clone(), nodes: self.nodes.clone() }]
        } else {
            self.groups.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryQmgr {
    pub name: String,
    pub listener_port: u16,
    pub route: Option<RouteRef>,
    /// The HA group holding it in each region (its DR pair), when a region has several.
    #[serde(default)]
    pub ha_groups: Vec<String>,
}

/// An MQIPT route: the instance and the route's `ListenerPort`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRef {
    pub instance: String,
    pub listener_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryMqipt {
    pub name: String,
    pub host: String,
    pub conf_path: String,
}

impl Inventory {
    pub fn region_of_node(&self, node: &str) -> Option<&InventoryRegion> {
        self.regions.iter().find(|r| r.nodes.iter().any(|n| n == node))
    }

    /// The region whose load balancer is `host` (compared case-insensitively, as DNS does).
    pub fn region_of_load_balancer(&self, host: &str) -> Option<&InventoryRegion> {
        let host = host.trim().trim_end_matches('.');
        self.regions.iter().find(|r| r.load_balancer.eq_ignore_ascii_case(host))
    }

    /// The nodes of the HA group holding `qmgr` in `region`: the group the queue manager names,
    /// else the region's only group. Empty when the region holds no group for it.
    pub fn qm_nodes(&self, qmgr: &str, region: &str) -> &[String] {
        let Some(region) = self.regions.iter().find(|r| r.name == region) else { return &[] };
        if region.groups.is_empty() {
            return &region.nodes;
        }
        let named = self.qmgrs.iter().find(|q| q.name == qmgr).map(|q| q.ha_groups.as_slice()).unwrap_or_default();
        region
            .groups
            .iter()
            .find(|g| named.contains(&g.name))
            .or_else(|| (region.groups.len() == 1).then(|| &region.groups[0]))
            .map_or(&[], |g| g.nodes.as_slice())
    }

    /// The nodes of `node`'s HA group (itself included); empty for a host that is no MQ node.
    pub fn group_nodes(&self, node: &str) -> &[String] {
        let Some(region) = self.region_of_node(node) else { return &[] };
        if region.groups.is_empty() {
            return &region.nodes;
        }
        region.groups.iter().find(|g| g.nodes.iter().any(|n| n == node)).map_or(&[], |g| g.nodes.as_slice())
    }

    /// The name of `node`'s HA group.
    pub fn group_of_node(&self, node: &str) -> Option<String> {
        let region = self.region_of_node(node)?;
        if region.groups.is_empty() {
            return Some(region.name.clone());
        }
        region.groups.iter().find(|g| g.nodes.iter().any(|n| n == node)).map(|g| g.name.clone())
    }

    /// The queue managers `node`'s HA group holds: the only ones the node can report on.
    pub fn qmgrs_of_node<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a InventoryQmgr> + 'a {
        let region = self.region_of_node(node).map(|r| r.name.clone()).unwrap_or_default();
        self.qmgrs.iter().filter(move |q| self.qm_nodes(&q.name, &region).iter().any(|n| n == node))
    }

    /// Every host the console polls: the MQ nodes, then the MQIPT hosts.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self.regions.iter().flat_map(|r| r.nodes.iter().cloned()).collect();
        for instance in &self.mqipt {
            if !hosts.contains(&instance.host) {
                hosts.push(instance.host.clone());
            }
        }
        hosts
    }
}

/// The whole estate at one refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When the refresh finished, in milliseconds since the Unix epoch.
    pub polled_at: u64,
    /// How long the refresh took, in milliseconds.
    pub poll_duration_ms: u64,
    /// How often the console refreshes, in milliseconds (data older than a few of these is overdue).
    #[serde(default)]
    pub poll_interval_ms: u64,
    /// The poller's refresh number: one more for every published snapshot, so an event
    /// stream's changes can say which snapshot they apply to.
    #[serde(default)]
    pub version: u64,
    pub regions: Vec<RegionView>,
    pub qmgrs: Vec<QmgrView>,
    pub routes: Vec<RouteView>,
    pub mqipt: Vec<MqiptView>,
    /// Most severe first.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionView {
    pub name: String,
    pub load_balancer: String,
    pub nodes: Vec<NodeView>,
    /// The region's HA groups and their nodes (one, named as the region, in the reference estate).
    #[serde(default)]
    pub groups: Vec<InventoryGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeView {
    pub name: String,
    pub region: String,
    /// The last refresh reached the node.
    pub reachable: bool,
    /// The data shown for this node is from an earlier refresh.
    pub stale: bool,
    /// Why the last refresh could not read the node.
    pub error: Option<String>,
    /// When the node last answered, in milliseconds since the Unix epoch.
    pub last_ok_at: Option<u64>,
    /// `rdqmstatus -n` as this node sees its HA group: node → online.
    /// Not read by the browser app, which does not show it (bundle size).
    #[cfg_attr(target_arch = "wasm32", serde(skip_deserializing))]
    pub group_online: BTreeMap<String, Option<bool>>,
    /// DRBD and Pacemaker as this node reported them (the layers beneath rdqmstatus).
    pub layers: Option<crate::layers::NodeLayers>,
}

/// One queue manager across both regions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QmgrView {
    pub name: String,
    pub listener_port: u16,
    /// The DR primary region when exactly one region claims it.
    pub dr_primary_region: Option<String>,
    /// Every region claiming DR primary now (two means partitioned); regions that did not
    /// answer are not counted (see `last_known_primary_regions`).
    pub dr_primary_regions: Vec<String>,
    /// Regions that were DR primary when they last answered and do not answer now.
    pub last_known_primary_regions: Vec<String>,
    /// The node running the queue manager (the first, if several).
    pub running_on: Option<String>,
    pub running_nodes: Vec<String>,
    /// Could this region run (or keep running) the queue manager now?
    pub readiness: BTreeMap<String, Readiness>,
    pub sides: Vec<QmSide>,
    pub route: Option<RouteRef>,
}

impl QmgrView {
    /// Where it lives in `region`, in words: the region, and its HA group when the region has
    /// several (a region that answers may still hold a group that does not).
    pub fn place_in(&self, region: &str) -> String {
        match self.sides.iter().find(|s| s.region == region).and_then(|s| s.ha_group.as_deref()) {
            Some(group) => format!("{region} (HA group {group})"),
            None => region.to_string(),
        }
    }

    /// The regions that were DR primary when they last answered, in words.
    pub fn last_known_primary_places(&self) -> String {
        self.last_known_primary_regions.iter().map(|r| self.place_in(r)).collect::<Vec<_>>().join(" and ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub ready: bool,
    pub reasons: Vec<ReadinessReason>,
}

/// Why a region cannot run (or keep running) a queue manager now: what the app and the
/// planner branch on is `code`, never the words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessReason {
    pub code: ReadinessCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessCode {
    /// Pacemaker has banned the queue manager's resource where it could run.
    PacemakerBanned,
    /// Pacemaker or DRBD report no quorum.
    NoQuorum,
    /// The DRBD disk under it is not UpToDate where it would run.
    DrbdDisk,
    /// Another conclusion of the DRBD/Pacemaker layers.
    Layers,
    /// Half or more of the HA group's nodes do not answer.
    Unreachable,
    /// HA current location: None.
    NoHaLocation,
    /// The HA primary does not answer.
    HaPrimaryUnreachable,
    /// A node's HA status is not Normal.
    HaStatus,
    /// A node answered but its rdqmstatus failed.
    RdqmstatusFailed,
    /// The DR primary's queue manager is starting.
    Starting,
    /// The DR primary's queue manager runs nowhere in the region.
    NotRunningHere,
}

impl ReadinessReason {
    pub fn new(code: ReadinessCode, message: impl Into<String>) -> Self {
        ReadinessReason { code, message: message.into() }
    }
}

impl std::fmt::Display for ReadinessReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The queue manager as one region's HA group reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QmSide {
    pub region: String,
    /// The HA group holding it there, when the region has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_group: Option<String>,
    /// No node of the region answered this refresh: what is shown is the last known state.
    pub stale: bool,
    pub dr_role: Option<DrRole>,
    /// As the HA primary printed it (e.g. `Normal`, `Remote unavailable`).
    pub dr_status: Option<DrStatusField>,
    pub dr_out_of_sync_kb: Option<u64>,
    pub ha_current_location: Option<String>,
    pub ha_preferred_location: Option<String>,
    pub nodes: Vec<QmNode>,
}

/// What one node printed for one queue manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QmNode {
    pub node: String,
    pub stale: bool,
    pub qm_status: Option<QmStatus>,
    pub ha_role: Option<HaRole>,
    pub ha_status: Option<HaStatus>,
    pub dr_role: Option<DrRole>,
    /// A status, or `See <node>` on an HA secondary.
    pub dr_status: Option<DrStatusField>,
    /// Every `rdqmstatus -m` field of the local block, as printed (label → value).
    pub fields: Vec<(String, String)>,
    /// The peers' HA status as this node sees them.
    pub peers: Vec<(String, HaStatus)>,
    /// The command failed or printed nothing the console understands.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteView {
    pub instance: String,
    pub listener_port: String,
    pub name: Option<String>,
    pub destination: Option<String>,
    pub destination_port: Option<String>,
    /// The region whose load balancer the destination names.
    pub destination_region: Option<String>,
    pub active: bool,
    /// `plain`, `SSLProxyMode`, `SSLServer`, `SSLClient` or `SSLServer+SSLClient`.
    pub tls_mode: String,
    /// The queue manager this route serves, from the inventory.
    pub qmgr: Option<String>,
    /// Every property as written (the key as the file spells it; a later line wins).
    pub properties: BTreeMap<String, String>,
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MqiptView {
    pub name: String,
    pub host: String,
    pub conf_path: String,
    pub reachable: bool,
    pub stale: bool,
    pub error: Option<String>,
    /// When the MQIPT host last answered, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub last_ok_at: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

/// Something an operator should know, with the evidence that shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: FindingCode,
    pub message: String,
    /// What it is about: a queue manager, node or route (e.g. `DRHAQM1`, `wdc1-mq1`, `HAMQ:1501`).
    pub subject: String,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub host: String,
    pub command: String,
    pub lines: Vec<String>,
}
