//! Building the snapshot of the estate from the hosts' answers.

use crate::estate::{ReadinessCode, ReadinessReason, 
    Inventory, MqiptView, NodeView, QmNode, QmSide, QmgrView, Readiness, RegionView, RouteView, Snapshot,
};
use crate::findings;
use crate::mqipt::MqiptConf;
use crate::probe::{HostReport, Probe};
use crate::rdqmstatus::{self, QmStatusView};
use crate::status::{DrRole, HaRole, HaStatus, QmStatus};
use std::collections::BTreeMap;

fn report<'a>(reports: &'a [HostReport], host: &str) -> Option<&'a HostReport> {
    reports.iter().find(|r| r.host == host)
}

/// What `node` printed for `qm`: the typed view, or why there is none.
fn qm_node(report: Option<&HostReport>, node: &str, qm: &str) -> (QmNode, Option<QmStatusView>) {
    let mut out = QmNode {
        node: node.to_string(),
        stale: report.is_some_and(HostReport::stale),
        qm_status: None,
        ha_role: None,
        ha_status: None,
        dr_role: None,
        dr_status: None,
        fields: Vec::new(),
        peers: Vec::new(),
        error: None,
    };
    let Some(result) = report.and_then(|r| r.result(&Probe::QmStatus(qm.to_string()))) else {
        out.error = Some(report.and_then(|r| r.error.clone()).unwrap_or_else(|| "no data yet".into()));
        return (out, None);
    };
    let parsed = rdqmstatus::parse(&result.output);
    if let Some(local) = parsed.nodes.first() {
        out.fields = local.fields.iter().map(|f| (f.label.clone(), f.value.clone())).collect();
    }
    let view = parsed.qm_view();
    match &view {
        Some(view) => {
            out.qm_status = Some(view.qm_status.clone());
            out.ha_role = view.ha_role.clone();
            out.ha_status = view.ha_status.clone();
            out.dr_role = view.dr.as_ref().map(|d| d.role.clone());
            out.dr_status = view.dr.as_ref().and_then(|d| d.status.clone());
            out.peers = view.peers.iter().map(|p| (p.node.clone(), p.ha_status.clone())).collect();
            if result.exit_code != Some(0) {
                out.error = Some(format!("exit code {}", exit_text(result.exit_code)));
            }
        }
        None => {
            let first = result.output.lines().find(|l| !l.trim().is_empty()).unwrap_or("(no output)");
            out.error = Some(format!("exit code {}: {}", exit_text(result.exit_code), first.trim()));
        }
    }
    (out, view)
}

pub fn exit_text(code: Option<i32>) -> String {
    code.map_or("unknown (killed)".to_string(), |c| c.to_string())
}

fn side(inventory: &Inventory, inventory_region: &crate::estate::InventoryRegion, reports: &[HostReport], qm: &str) -> (QmSide, Vec<QmStatusView>) {
    let mut nodes = Vec::new();
    let mut views = Vec::new();
    for node in inventory.qm_nodes(qm, &inventory_region.name) {
        let (qm_node, view) = qm_node(report(reports, node), node, qm);
        nodes.push(qm_node);
        views.extend(view);
    }
    // The HA primary speaks for the region's DR details; fresh data before stale.
    let fresh: Vec<&QmNode> = nodes.iter().filter(|n| !n.stale && n.error.is_none()).collect();
    let primary_view = views
        .iter()
        .filter(|v| v.ha_role == Some(HaRole::Primary))
        .find(|v| fresh.iter().any(|n| n.node == v.local_node))
        .or_else(|| views.iter().find(|v| v.ha_role == Some(HaRole::Primary)));
    let any_view = primary_view.or_else(|| views.first());
    let side = QmSide {
        region: inventory_region.name.clone(),
        ha_group: (inventory_region.groups.len() > 1)
            .then(|| inventory_region.groups.iter().find(|g| g.nodes.iter().any(|n| inventory.qm_nodes(qm, &inventory_region.name).contains(n))).map(|g| g.name.clone()))
            .flatten(),
        stale: fresh.is_empty(),
        dr_role: any_view.and_then(|v| v.dr.as_ref()).map(|d| d.role.clone()),
        dr_status: primary_view.and_then(|v| v.dr.as_ref()).and_then(|d| d.status.clone()),
        dr_out_of_sync_kb: primary_view.and_then(|v| v.dr.as_ref()).and_then(|d| d.out_of_sync_kb),
        ha_current_location: any_view.and_then(|v| v.ha_current_location.clone()),
        ha_preferred_location: any_view.and_then(|v| v.ha_preferred_location.clone()),
        nodes,
    };
    (side, views)
}

fn readiness(inventory: &Inventory, qmgr: &str, side: &QmSide, reports: &[HostReport], layers: &crate::layers::LayerMap, is_primary: bool) -> Readiness {
    let mut reasons = Vec::new();
    let region = inventory.regions.iter().find(|r| r.name == side.region);
    if let Some(region) = region {
        let location = side.ha_current_location.as_deref();
        for issue in crate::layers::issues(qmgr, &region.name, inventory.qm_nodes(qmgr, &region.name), reports, layers, &side.nodes, location) {
            if issue.blocks_readiness {
                let code = match issue.code {
                    crate::finding_code::FindingCode::PacemakerBanned => ReadinessCode::PacemakerBanned,
                    crate::finding_code::FindingCode::NoQuorum => ReadinessCode::NoQuorum,
                    crate::finding_code::FindingCode::DrbdDisk => ReadinessCode::DrbdDisk,
                    _ => ReadinessCode::Layers,
                };
                reasons.push(ReadinessReason::new(code, issue.message));
            }
        }
    }
    let group = inventory.qm_nodes(qmgr, &side.region);
    let total = group.len();
    let reachable = group.iter().filter(|n| report(reports, n).is_some_and(|rep| rep.error.is_none())).count();
    if reachable * 2 <= total {
        reasons.push(ReadinessReason::new(ReadinessCode::Unreachable, format!("only {reachable} of {total} nodes reachable: the HA group has no quorum")));
    }
    match &side.ha_current_location {
        None => reasons.push(ReadinessReason::new(ReadinessCode::NoHaLocation, "no node of the HA group can run the queue manager (HA current location: None)")),
        Some(location) => {
            if report(reports, location).is_none_or(|r| r.error.is_some()) {
                reasons.push(ReadinessReason::new(ReadinessCode::HaPrimaryUnreachable, format!("the HA primary {location} is unreachable")));
            }
        }
    }
    for node in &side.nodes {
        if let Some(status) = node.ha_status.as_ref().filter(|s| **s != HaStatus::Normal && !node.stale) {
            reasons.push(ReadinessReason::new(ReadinessCode::HaStatus, format!("{}: HA status {status}", node.node)));
        }
        // A node that answers but whose rdqmstatus failed: its view is unknown, not healthy.
        if let Some(error) = node.error.as_ref().filter(|_| !node.stale && report(reports, &node.node).is_some_and(|r| r.error.is_none())) {
            reasons.push(ReadinessReason::new(ReadinessCode::RdqmstatusFailed, format!("{}: rdqmstatus failed ({error})", node.node)));
        }
    }
    if is_primary && !side.nodes.iter().any(|n| n.qm_status == Some(QmStatus::Running) && !n.stale) {
        let starting = side.nodes.iter().find(|n| n.qm_status == Some(QmStatus::Starting) && !n.stale);
        reasons.push(match starting {
            Some(n) => ReadinessReason::new(ReadinessCode::Starting, format!("the queue manager is still starting on {}", n.node)),
            None => ReadinessReason::new(ReadinessCode::NotRunningHere, "the queue manager is not running here"),
        });
    }
    Readiness { ready: reasons.is_empty(), reasons }
}

fn route_views(inventory: &Inventory, reports: &[HostReport]) -> (Vec<RouteView>, Vec<MqiptView>) {
    let mut routes = Vec::new();
    let mut instances = Vec::new();
    for instance in &inventory.mqipt {
        let host_report = report(reports, &instance.host);
        let probe = Probe::MqiptConf { instance: instance.name.clone(), path: instance.conf_path.clone() };
        let result = host_report.and_then(|r| r.result(&probe));
        let stale = host_report.is_some_and(HostReport::stale);
        let error = match (host_report.and_then(|r| r.error.clone()), result) {
            (Some(e), _) => Some(e),
            (None, Some(r)) if r.exit_code != Some(0) => {
                Some(format!("cat {} exited {}: {}", instance.conf_path, exit_text(r.exit_code), r.output.trim()))
            }
            (None, None) => Some("no data yet".into()),
            (None, Some(_)) => None,
        };
        instances.push(MqiptView {
            name: instance.name.clone(),
            host: instance.host.clone(),
            conf_path: instance.conf_path.clone(),
            reachable: host_report.is_some_and(|r| r.error.is_none()),
            stale,
            error,
            last_ok_at: host_report.and_then(|r| r.data.as_ref()).map(|d| d.at_ms),
        });
        let Some(result) = result.filter(|r| r.exit_code == Some(0)) else { continue };
        for route in MqiptConf::parse(&result.output).routes() {
            // Keys as the file spells them; a later line (MQIPT's winner) replaces an earlier one.
            let mut properties: BTreeMap<String, String> = BTreeMap::new();
            for p in &route.properties {
                properties.retain(|k, _| !k.eq_ignore_ascii_case(&p.key));
                // Passwords never leave the server, whoever looks.
                let value = if crate::mqipt::is_secret_key(&p.key) { crate::mqipt::REDACTED.to_string() } else { p.value.clone() };
                properties.insert(p.key.clone(), value);
            }
            let port = route.listener_port().unwrap_or("").trim().to_string();
            let flag = |key: &str| route.get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            let tls_mode = match (flag("SSLProxyMode"), flag("SSLServer"), flag("SSLClient")) {
                (true, _, _) => "SSLProxyMode",
                (false, true, true) => "SSLServer+SSLClient",
                (false, true, false) => "SSLServer",
                (false, false, true) => "SSLClient",
                (false, false, false) => "plain",
            };
            let destination = route.destination().map(|d| d.trim().to_string());
            routes.push(RouteView {
                instance: instance.name.clone(),
                qmgr: inventory
                    .qmgrs
                    .iter()
                    .find(|q| {
                        q.route.as_ref().is_some_and(|r| r.instance == instance.name && r.listener_port.to_string() == port)
                    })
                    .map(|q| q.name.clone()),
                listener_port: port,
                name: route.name().map(str::to_string),
                destination_region: destination
                    .as_deref()
                    .and_then(|d| inventory.region_of_load_balancer(d))
                    .map(|r| r.name.clone()),
                destination,
                destination_port: route.destination_port().map(|d| d.trim().to_string()),
                active: route.is_active(),
                tls_mode: tls_mode.to_string(),
                properties,
                stale,
            });
        }
    }
    (routes, instances)
}

/// Builds the snapshot from one refresh's host reports.
pub fn build(inventory: &Inventory, reports: &[HostReport], polled_at: u64, poll_duration_ms: u64) -> Snapshot {
    let layers = crate::layers::layer_map(reports);
    let regions = inventory
        .regions
        .iter()
        .map(|region| RegionView {
            name: region.name.clone(),
            load_balancer: region.load_balancer.clone(),
            nodes: region
                .nodes
                .iter()
                .map(|node| {
                    let rep = report(reports, node);
                    let group_online = rep
                        .and_then(|r| r.result(&Probe::GroupNodes))
                        .map(|r| rdqmstatus::parse_nodes(&r.output).into_iter().map(|n| (n.node, n.online)).collect())
                        .unwrap_or_default();
                    NodeView {
                        name: node.clone(),
                        region: region.name.clone(),
                        reachable: rep.is_some_and(|r| r.error.is_none()),
                        stale: rep.is_some_and(HostReport::stale),
                        error: rep.map_or(Some("not polled yet".into()), |r| r.error.clone()),
                        last_ok_at: rep.and_then(|r| r.data.as_ref()).map(|d| d.at_ms),
                        group_online,
                        layers: layers.get(node).cloned().or_else(|| crate::layers::node_layers(rep)),
                    }
                })
                .collect(),
            groups: region.ha_groups(),
        })
        .collect();

    let qmgrs = inventory
        .qmgrs
        .iter()
        .map(|qm| {
            let sides: Vec<QmSide> = inventory.regions.iter().map(|r| side(inventory, r, reports, &qm.name).0).collect();
            let primary = |stale: bool| -> Vec<String> {
                sides.iter().filter(|s| s.dr_role == Some(DrRole::Primary) && s.stale == stale).map(|s| s.region.clone()).collect()
            };
            let dr_primary_regions = primary(false);
            let last_known_primary_regions = primary(true);
            let running_nodes: Vec<String> = sides
                .iter()
                .flat_map(|s| s.nodes.iter())
                .filter(|n| n.qm_status == Some(QmStatus::Running) && !n.stale)
                .map(|n| n.node.clone())
                .collect();
            let readiness = sides
                .iter()
                .map(|s| {
                    let primary = dr_primary_regions.contains(&s.region);
                    (s.region.clone(), readiness(inventory, &qm.name, s, reports, &layers, primary))
                })
                .collect();
            QmgrView {
                name: qm.name.clone(),
                listener_port: qm.listener_port,
                dr_primary_region: (dr_primary_regions.len() == 1).then(|| dr_primary_regions[0].clone()),
                dr_primary_regions,
                last_known_primary_regions,
                running_on: running_nodes.first().cloned(),
                running_nodes,
                readiness,
                sides,
                route: qm.route.clone(),
            }
        })
        .collect();

    let (routes, mqipt) = route_views(inventory, reports);
    let mut snapshot = Snapshot { polled_at, poll_duration_ms, poll_interval_ms: 0, version: 0, regions, qmgrs, routes, mqipt, findings: Vec::new() };
    snapshot.findings = findings::derive(inventory, &snapshot, reports, &layers);
    snapshot
}
