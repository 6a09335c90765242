//! The truth beneath rdqmstatus: what DRBD and Pacemaker say on each node, what the console
//! concludes from them (findings with the lines that prove them), and whether a region could
//! run a queue manager now.

use crate::finding_code::FindingCode;
use crate::crm::{self, CrmMon, INFINITY};
use crate::drbd::{self, DrbdStatus};
use crate::estate::{Evidence, QmNode, Severity};
use crate::probe::{HostReport, Probe};
use crate::status::HaStatus;
use serde::{Deserialize, Serialize};

pub const DRBD_COMMAND: &str = "drbdadm status";
pub const CRM_COMMAND: &str = "crm_mon --one-shot --inactive --output-as=xml";

/// The two lower layers as one node reported them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeLayers {
    pub drbd: Option<DrbdStatus>,
    pub pacemaker: Option<CrmMon>,
    /// Why a layer could not be read (tool missing, command failed).
    pub errors: Vec<String>,
}

fn read<T>(report: &HostReport, probe: &Probe, parse: impl Fn(&str) -> T, errors: &mut Vec<String>) -> Option<T> {
    let result = report.result(probe)?;
    match result.exit_code {
        Some(0) => Some(parse(&result.output)),
        Some(127) => {
            errors.push(format!("{} is not installed on {} (exit 127)", probe.program(), report.host));
            None
        }
        code => {
            let first = result.output.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string();
            errors.push(format!("{} on {} exited {code:?}: {first}", probe.command_line(), report.host));
            None
        }
    }
}

/// The layers of one node, from its probes (none when it never answered).
pub fn node_layers(report: Option<&HostReport>) -> Option<NodeLayers> {
    let report = report?;
    report.data.as_ref()?;
    let mut errors = Vec::new();
    let drbd = read(report, &Probe::DrbdStatus, drbd::parse, &mut errors);
    let pacemaker = read(report, &Probe::CrmMon, crm::parse, &mut errors);
    if let Some(e) = pacemaker.as_ref().and_then(|c| c.error.clone()) {
        errors.push(format!("{CRM_COMMAND} on {}: {e}", report.host));
    }
    Some(NodeLayers { drbd, pacemaker, errors })
}

/// A conclusion about one queue manager in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerIssue {
    pub severity: Severity,
    pub code: FindingCode,
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// The region cannot run (or keep running) the queue manager because of it.
    pub blocks_readiness: bool,
}

fn lines_with(report: Option<&HostReport>, probe: &Probe, needles: &[&str]) -> Vec<String> {
    report
        .and_then(|r| r.result(probe))
        .map(|r| {
            r.output
                .lines()
                .filter(|l| needles.iter().all(|n| l.contains(n)))
                .map(|l| l.trim().to_string())
                .take(6)
                .collect()
        })
        .unwrap_or_default()
}

fn drbd_block(report: Option<&HostReport>, resource: &str) -> Vec<String> {
    let Some(result) = report.and_then(|r| r.result(&Probe::DrbdStatus)) else { return Vec::new() };
    let mut out = Vec::new();
    let mut inside = false;
    for line in result.output.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            inside = line.split_whitespace().next() == Some(resource);
        }
        if inside && !line.trim().is_empty() {
            out.push(line.trim_end().to_string());
        }
    }
    out
}

/// Every node's layers, parsed once per refresh (fresh data only).
pub type LayerMap = std::collections::BTreeMap<String, NodeLayers>;

pub fn layer_map(reports: &[HostReport]) -> LayerMap {
    reports.iter().filter(|r| r.error.is_none()).filter_map(|r| node_layers(Some(r)).map(|l| (r.host.clone(), l))).collect()
}

/// What the lower layers say about `qmgr` in a region whose nodes are `nodes`.
/// `qm_nodes` is what rdqmstatus printed on those nodes; `location` the HA current location.
pub fn issues(
    qmgr: &str,
    region: &str,
    nodes: &[String],
    reports: &[HostReport],
    layers: &LayerMap,
    qm_nodes: &[QmNode],
    location: Option<&str>,
) -> Vec<LayerIssue> {
    let resource = qmgr.to_lowercase();
    let report = |n: &str| reports.iter().find(|r| r.host == n && r.error.is_none());
    let mut out = Vec::new();

    // Pacemaker: bans (INFINITY fail-counts) and failures; the cluster's view from any node.
    let mut banned = Vec::new();
    let mut ban_evidence = Vec::new();
    let mut quorum_lost = None;
    for node in nodes {
        let Some(crm) = layers.get(node).and_then(|l| l.pacemaker.as_ref()) else { continue };
        if crm.summary.get("with_quorum").is_some_and(|q| crm::parse_bool(q) == Some(false)) {
            quorum_lost = Some(node.clone());
        }
        for target in nodes {
            if crm.fail_count(target, &resource) >= INFINITY && !banned.contains(target) {
                banned.push(target.clone());
            }
        }
        if ban_evidence.is_empty() && !banned.is_empty() {
            ban_evidence.push(Evidence {
                host: node.clone(),
                command: CRM_COMMAND.into(),
                lines: lines_with(report(node), &Probe::CrmMon, &[&format!("id=\"{resource}\""), "fail-count"]),
            });
        }
    }
    if !banned.is_empty() {
        let all = banned.len() == nodes.len();
        let ha_normal = qm_nodes.iter().filter(|n| !n.stale).all(|n| n.ha_status == Some(HaStatus::Normal));
        let hidden = if ha_normal { " (rdqmstatus still says HA status Normal)" } else { "" };
        out.push(LayerIssue {
            severity: if all { Severity::Critical } else { Severity::Warning },
            code: FindingCode::PacemakerBanned,
            message: format!(
                "Pacemaker has banned {qmgr} on {} in {region} (fail-count INFINITY){hidden}: {}",
                banned.join(", "),
                if all { format!("{region} cannot run it; clean up with pacemaker-cleanup") } else { "it cannot run on those nodes".into() }
            ),
            evidence: ban_evidence,
            blocks_readiness: all || location.is_some_and(|l| banned.iter().any(|b| b == l) && banned.len() + 1 >= nodes.len()),
        });
    }
    if let Some(node) = quorum_lost {
        out.push(LayerIssue {
            severity: Severity::Critical,
            code: FindingCode::NoQuorum,
            message: format!("Pacemaker on {node} reports no quorum in {region}: nothing can run there"),
            evidence: vec![Evidence { host: node.clone(), command: CRM_COMMAND.into(), lines: lines_with(report(&node), &Probe::CrmMon, &["with_quorum"]) }],
            blocks_readiness: true,
        });
    }

    // DRBD: the queue manager's HA resource on each node, and its peers.
    for node in nodes {
        let Some(drbd) = layers.get(node).and_then(|l| l.drbd.as_ref()) else { continue };
        let Some(res) = drbd.resource(&resource) else { continue };
        let evidence = vec![Evidence { host: node.clone(), command: DRBD_COMMAND.into(), lines: drbd_block(report(node), &resource) }];
        if let Some(disk) = res.disk.as_deref().filter(|d| !d.eq_ignore_ascii_case("UpToDate")) {
            out.push(LayerIssue {
                severity: Severity::Warning,
                code: FindingCode::DrbdDisk,
                message: format!("DRBD on {node}: {qmgr}'s disk is {disk}, not UpToDate"),
                evidence: evidence.clone(),
                blocks_readiness: location == Some(node.as_str()),
            });
        }
        let rdqm_normal = qm_nodes.iter().find(|n| &n.node == node).is_some_and(|n| n.ha_status == Some(HaStatus::Normal) && !n.stale);
        for peer in &res.peers {
            let connection = peer.connection.as_deref().unwrap_or("Connected");
            let peer_disk = peer.peer_disk.as_deref().unwrap_or("UpToDate");
            let bad_link = !connection.eq_ignore_ascii_case("Connected");
            let bad_disk = !peer_disk.eq_ignore_ascii_case("UpToDate");
            if !(bad_link || bad_disk) {
                continue;
            }
            let what = if bad_link { format!("connection {connection}") } else { format!("peer disk {peer_disk}") };
            let sync = peer.done.map(|d| format!(" (sync {d:.1}% done)")).unwrap_or_default();
            out.push(LayerIssue {
                severity: Severity::Warning,
                code: if rdqm_normal { FindingCode::LayersDisagree } else { FindingCode::DrbdPeer },
                message: if rdqm_normal {
                    format!("layers disagree on {node}: rdqmstatus says HA status Normal for {qmgr}, DRBD says {} has {what}{sync}", peer.name)
                } else {
                    format!("DRBD on {node}: {qmgr}'s peer {} has {what}{sync}", peer.name)
                },
                evidence: evidence.clone(),
                blocks_readiness: false,
            });
        }
    }
    out.dedup_by(|a, b| a.message == b.message);
    out
}

/// Layer problems of the estate's hosts themselves (tools missing or failing).
pub fn host_errors(layers: &LayerMap, nodes: &[String]) -> Vec<(String, String)> {
    nodes
        .iter()
        .filter_map(|n| layers.get(n).map(|l| (n.clone(), l.errors.clone())))
        .flat_map(|(host, errors)| errors.into_iter().map(move |e| (host.clone(), e)))
        .collect()
}
