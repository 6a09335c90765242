//! IBM's output formats, as seed 000 and IBM's documentation show them.

use crate::estate::{Estate, Node, QueueManager, Region};
use model::status::{DrRole, DrStatus, HaRole, HaStatus, QmStatus};
use std::fmt::Write as _;

/// rdqmstatus pads every label to 40 columns; a line that would reach 80 columns wraps at
/// its last space, as IBM's capture of a 40-character node name shows: the label padded to
/// 39 (trailing spaces kept), the value alone on the next line.
pub fn field(out: &mut String, label: &str, value: &str) {
    if label.len().max(40) + value.len() >= 80 {
        let _ = writeln!(out, "{label:<39}\n{value}");
    } else {
        let _ = writeln!(out, "{label:<40}{value}");
    }
}

fn here_or(name: &str, local: &str) -> String {
    if name == local { "This node".to_string() } else { name.to_string() }
}

/// `HA blocked location`: the nodes of the group where the queue manager may not run, a
/// suspended node (`rdqmadm -s`) or one where Pacemaker banned it (INFINITY fail-count).
/// No capture found shows a node in it: several are comma-separated here, as the DR address
/// list is.
fn blocked_locations(qm: &QueueManager, region: &Region, local: &str) -> String {
    let blocked: Vec<String> =
        region.nodes.iter().filter(|n| n.suspended || qm.banned_on(&n.name)).map(|n| here_or(&n.name, local)).collect();
    if blocked.is_empty() { "None".to_string() } else { blocked.join(",") }
}

/// `Queue manager status` of `qm` as `node` (in `region`) sees it.
pub fn qm_status_on(estate: &Estate, qm: &QueueManager, region: &Region, node: &Node, now_ms: u64) -> QmStatus {
    let Some(side) = region.side_of(qm) else {
        return QmStatus::StatusNotAvailable;
    };
    if qm.disabled {
        return QmStatus::EndedNormally;
    }
    if estate.ending_on(qm, &node.name, now_ms) {
        return QmStatus::Ending;
    }
    match estate.ha_location(qm, region) {
        None => QmStatus::StatusNotAvailable,
        Some(_) if side.dr_role == DrRole::Secondary => QmStatus::EndedImmediately,
        // Pacemaker has banned it from the node where its HA resources run (every node of
        // the group): it is not running anywhere, and rdqmstatus says no more than that.
        Some(location) if qm.banned_on(&location.name) => QmStatus::EndedUnexpectedly,
        Some(location) if location.name == node.name && estate.starting_on(qm, &node.name, now_ms) => QmStatus::Starting,
        Some(location) if location.name == node.name => QmStatus::Running,
        Some(_) => QmStatus::RunningElsewhere,
    }
}

fn kb_text(kb: u64) -> String {
    format!("{kb}KB")
}

/// `rdqmstatus -m QM` on `node`: the local block, then one short block per HA peer.
///
/// The HA primary prints the DR details; an HA secondary refers to the primary for them
/// (`DR status: See <node>`), as MQ 9.4.5 does.
pub fn rdqmstatus_qm(estate: &Estate, qm: &QueueManager, region: &Region, node: &Node, now_ms: u64) -> String {
    let mut out = String::new();
    let status = qm_status_on(estate, qm, region, node, now_ms);
    let location = estate.ha_location(qm, region);
    let side = region.side_of(qm);
    let is_location = location.is_some_and(|l| l.name == node.name);
    field(&mut out, "Node:", &node.name);
    field(&mut out, "Queue manager status:", status.as_str());
    if status == QmStatus::Running {
        field(&mut out, "CPU:", "0.00%");
        field(&mut out, "Memory:", "182MB");
        field(&mut out, "Queue manager file system:", "58MB used, 2.9GB allocated [2%]");
    }
    let ha_role = match location {
        None => HaRole::Unknown_,
        Some(_) if is_location => HaRole::Primary,
        Some(_) => HaRole::Secondary,
    };
    field(&mut out, "HA role:", ha_role.as_str());
    // A split-brained HA resource: every node StandAlone, each with its own data.
    let split = estate.faults.split_brain.contains(&qm.name);
    let local_ha = if split { HaStatus::Partitioned } else { estate.local_ha_status(region, node, now_ms) };
    field(&mut out, "HA status:", local_ha.as_str());
    // endmqm takes the queue manager out of Pacemaker's hands until strmqm.
    field(&mut out, "HA control:", if qm.disabled { "Disabled" } else { "Enabled" });
    field(&mut out, "HA current location:", &location.map_or("None".to_string(), |l| here_or(&l.name, &node.name)));
    let preferred = side.map_or("None".to_string(), |s| here_or(&s.preferred, &node.name));
    field(&mut out, "HA preferred location:", &preferred);
    field(&mut out, "HA blocked location:", &blocked_locations(qm, region, &node.name));
    let (interface, address) = qm.floating_ip.as_ref().map_or(("None", "None"), |ip| (ip.interface.as_str(), ip.address.as_str()));
    field(&mut out, "HA floating IP interface:", interface);
    field(&mut out, "HA floating IP address:", address);
    if let Some(side) = side {
        field(&mut out, "DR role:", side.dr_role.as_str());
        match location {
            Some(primary) if !is_location => {
                field(&mut out, "DR status:", &format!("See {}", primary.name));
            }
            _ => dr_details(&mut out, estate, qm, region, node, now_ms),
        }
    }
    for peer in region.nodes.iter().filter(|n| n.name != node.name) {
        out.push('\n');
        let peer_status = if split {
            HaStatus::Partitioned
        } else if estate.isolated(&node.name) {
            HaStatus::RemoteUnavailable
        } else {
            estate.peer_ha_status(peer, now_ms)
        };
        field(&mut out, "Node:", &peer.name);
        field(&mut out, "HA status:", peer_status.as_str());
        // As IBM's capture of a resynchronising group shows: progress and an absolute ETA.
        if let Some(window) = estate.resyncing(peer, now_ms) {
            field(&mut out, "HA synchronization progress:", &format!("{:.1}%", window.percent(now_ms)));
            field(&mut out, "HA estimated time to completion:", &crate::layers::local_time(window.until_ms));
        }
        if peer_status == HaStatus::RemoteUnavailable {
            field(&mut out, "HA out of sync data:", "0KB");
        }
    }
    out
}

fn dr_details(out: &mut String, estate: &Estate, qm: &QueueManager, region: &Region, node: &Node, now_ms: u64) {
    let (dr_status, out_of_sync) = estate.dr_status(qm, &region.name, now_ms);
    field(out, "DR status:", dr_status.as_str());
    if dr_status != DrStatus::Normal
        && let Some(kb) = out_of_sync
    {
        field(out, "DR out of sync data:", &kb_text(kb));
    }
    // While DR catches up, progress and an estimated completion, worded as IBM's HA lines are
    // (no capture of DR's was found).
    if dr_status == DrStatus::SynchronizationInProgress
        && let Some(until) = qm.resync_until_ms.filter(|_| qm.forced_dr.is_none())
    {
        let window = crate::estate::Window { since_ms: qm.resync_since_ms.unwrap_or(until), until_ms: until };
        let percent = window.percent(now_ms);
        field(out, "DR synchronization progress:", &format!("{percent:.1}%"));
        field(out, "DR estimated time to completion:", &crate::layers::local_time(until));
    }
    field(out, "DR port:", &qm.dr_port.to_string());
    field(out, "DR local IP address:", &node.ip);
    let remote = qm.sides.iter().find(|s| s.region != region.name).and_then(|s| estate.group_for(qm, &s.region));
    let remote_ips = remote.map(|r| r.nodes.iter().map(|n| n.ip.as_str()).collect::<Vec<_>>().join(","));
    field(out, "DR remote IP address list:", remote_ips.as_deref().unwrap_or("None"));
    let current = remote.and_then(|r| estate.ha_location(qm, r)).map_or("None", |n| n.ip.as_str());
    field(out, "DR current remote IP address:", current);
}

/// Bare `rdqmstatus`: the node's DRBD details, then a summary of every RDQM.
pub fn rdqmstatus_summary(estate: &Estate, region: &Region, node: &Node, now_ms: u64) -> String {
    let mut out = String::new();
    field(&mut out, "Node:", &node.name);
    field(&mut out, "OS kernel version:", "4.18.0-305");
    field(&mut out, "DRBD OS kernel version:", "4.18.0-305");
    field(&mut out, "DRBD version:", "9.1.5");
    field(&mut out, "DRBD kernel module status:", "Loaded");
    for qm in estate.qmgrs.iter().filter(|q| region.holds(q)) {
        let location = estate.ha_location(qm, region);
        out.push('\n');
        field(&mut out, "Queue manager name:", &qm.name);
        field(&mut out, "Queue manager status:", qm_status_on(estate, qm, region, node, now_ms).as_str());
        field(&mut out, "HA current location:", &location.map_or("None".into(), |l| here_or(&l.name, &node.name)));
        if let Some(side) = region.side_of(qm) {
            field(&mut out, "HA preferred location:", &here_or(&side.preferred, &node.name));
            field(&mut out, "HA blocked location:", &blocked_locations(qm, region, &node.name));
            field(&mut out, "DR role:", side.dr_role.as_str());
        }
    }
    out
}

/// `rdqmstatus -n`: the HA group's nodes and whether each is online.
pub fn rdqmstatus_nodes(region: &Region) -> String {
    let mut out = String::new();
    for node in &region.nodes {
        let state = if node.up { "online" } else { "offline" };
        let _ = writeln!(out, "Node {} is {state}", node.name);
    }
    out
}

/// One `dspmq` entry: `QMNAME(...)` padded to 58 columns, then the attributes.
pub fn dspmq_entry(out: &mut String, name: &str, attributes: &[(&str, String)], instances: &[String]) {
    let head = format!("QMNAME({name})");
    let attrs: Vec<String> = attributes.iter().map(|(k, v)| format!("{k}({v})")).collect();
    let _ = writeln!(out, "{head:<58}{}", attrs.join(" "));
    for instance in instances {
        let _ = writeln!(out, "    INSTANCE({instance}) MODE(Active)");
    }
}

/// RDQM's messages wrap at word boundaries before column 76.
pub fn wrap(message: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in message.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > 75 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// `rdqmstatus -m QM -a`: after the queue manager's status, each failed resource action
/// Pacemaker recorded for it on this HA group's nodes. IBM documents the option and the soft,
/// hard and fatal kinds; no capture of the block was found, so its labels are ours, padded as
/// the rest. The kind is Pacemaker's reading of the OCF exit code ("Pacemaker Explained", How
/// are OCF return codes interpreted): 2, 3, 4 hard (this node), 5, 6 fatal (every node), soft
/// otherwise; a soft failure whose fail-count reached INFINITY blocks the node all the same.
pub fn rdqmstatus_failed_actions(qm: &QueueManager, region: &Region) -> String {
    let mut out = String::new();
    let in_region = |node: &str| region.nodes.iter().any(|n| n.name == node);
    for failure in qm.failures.iter().filter(|f| in_region(&f.node)) {
        let kind = match failure.exit_code {
            2..=4 => "Hard",
            5 | 6 => "Fatal",
            _ if qm.fail_count(&failure.node) >= model::crm::INFINITY => "Hard",
            _ => "Soft",
        };
        out.push('\n');
        field(&mut out, "Failed resource action:", &failure.task);
        field(&mut out, "Failed resource:", &qm.resource_name());
        field(&mut out, "Failed resource node:", &failure.node);
        field(&mut out, "Failure type:", kind);
        field(&mut out, "Failure exit status:", &format!("{} ({})", failure.exit_code, crate::layers::ocf_exit_text(failure.exit_code)));
        if !failure.exit_reason.is_empty() {
            field(&mut out, "Failure reason:", &failure.exit_reason);
        }
        field(&mut out, "Failure time:", &crate::layers::ctime(failure.at_ms));
    }
    out
}
