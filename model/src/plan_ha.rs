//! Planning HA maintenance: suspend and resume a node, set a preferred location.

use crate::estate::{QmgrView, Snapshot};
use crate::plan::{Action, CheckStatus, PlanContext, Precondition, PreconditionCode, Verify, check};
use crate::plan_builder::{PlanBuilder, undo};
use crate::status::HaStatus;

/// The node's region and whether the last refresh reached it.
fn node_state(ctx: &PlanContext, node: &str) -> Option<(String, bool)> {
    ctx.snapshot
        .regions
        .iter()
        .flat_map(|r| r.nodes.iter())
        .find(|n| n.name == node)
        .map(|n| (n.region.clone(), n.reachable && !n.stale))
}

/// A node is suspended when a peer sees it as `Remote node in standby`.
pub fn is_suspended(snapshot: &Snapshot, node: &str) -> bool {
    snapshot
        .qmgrs
        .iter()
        .flat_map(|q| q.sides.iter())
        .flat_map(|s| s.nodes.iter())
        .filter(|n| !n.stale)
        .flat_map(|n| n.peers.iter())
        .any(|(peer, status)| peer == node && *status == HaStatus::RemoteNodeInStandby)
}

fn running_on<'a>(snapshot: &'a Snapshot, node: &str) -> Vec<&'a QmgrView> {
    snapshot.qmgrs.iter().filter(|q| q.running_nodes.iter().any(|n| n == node)).collect()
}

fn known_node(ctx: &PlanContext, node: &str, pre: &mut Vec<Precondition>) -> Option<String> {
    match node_state(ctx, node) {
        None => {
            pre.push(check(CheckStatus::Block, PreconditionCode::Node, format!("no node {node} in the estate")));
            None
        }
        Some((_, false)) => {
            pre.push(check(CheckStatus::Block, PreconditionCode::Node, format!("{node} is unreachable")));
            None
        }
        Some((region, true)) => {
            let group = ctx.inventory.group_of_node(node).unwrap_or_else(|| region.clone());
            pre.push(check(CheckStatus::Pass, PreconditionCode::Node, format!("{node} answers (HA group {group})")));
            Some(region)
        }
    }
}

fn names(qms: &[&QmgrView]) -> Vec<String> {
    qms.iter().map(|q| q.name.clone()).collect()
}

/// `ha-suspend`: `rdqmadm -s` on the node, unless that would cost the HA group its quorum.
pub fn suspend(ctx: &PlanContext, node: &str, b: &mut PlanBuilder) {
    let Some(region) = known_node(ctx, node, &mut b.pre) else { return };
    if is_suspended(ctx.snapshot, node) {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Suspended, format!("{node} is already suspended")));
        return;
    }
    let group: Vec<String> = ctx.inventory.group_nodes(node).to_vec();
    let mut problems = Vec::new();
    for other in group.iter().filter(|n| *n != node) {
        match node_state(ctx, other) {
            Some((_, true)) => {}
            _ => problems.push(format!("{other} is unreachable")),
        }
        if is_suspended(ctx.snapshot, other) {
            problems.push(format!("{other} is suspended"));
        }
        let not_in_sync = ctx
            .snapshot
            .qmgrs
            .iter()
            .flat_map(|q| q.sides.iter())
            .flat_map(|s| s.nodes.iter())
            .filter(|n| &n.node == other && !n.stale)
            .any(|n| n.ha_status.as_ref().is_some_and(|s| *s != HaStatus::Normal));
        if not_in_sync {
            problems.push(format!("{other} is not in sync (HA status not Normal)"));
        }
    }
    if problems.is_empty() {
        b.pre.push(check(CheckStatus::Pass, PreconditionCode::Quorum, format!("every other node of {region} answers, in sync and not suspended")));
    } else {
        problems.dedup();
        b.pre.push(check(
            CheckStatus::Block,
            PreconditionCode::Quorum,
            format!("suspending {node} would leave {region}'s HA group without a safe quorum: {}", problems.join("; ")),
        ));
        return;
    }
    let moving = names(&running_on(ctx.snapshot, node));
    b.fingerprint.running_on = Some(moving.join(","));
    if !moving.is_empty() {
        b.pre.push(check(CheckStatus::Warn, PreconditionCode::Moves, format!("{} will move from {node} to another node of {region}", moving.join(" and "))));
    }
    b.step(
        node,
        format!("Suspend {node}"),
        Action::exec("rdqmadm", &["-s"]),
        format!("The replicated data node '{node}' has been suspended."),
        Verify::NothingRunsOn { node: node.into(), timeout_secs: 60 },
    )
    .undo = vec![undo(node, Action::exec("rdqmadm", &["-r"]), Verify::ExitZero)];
}

/// `ha-resume`: `rdqmadm -r`; queue managers preferring the node move back to it.
pub fn resume(ctx: &PlanContext, node: &str, b: &mut PlanBuilder) {
    let Some(region) = known_node(ctx, node, &mut b.pre) else { return };
    if !is_suspended(ctx.snapshot, node) {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Suspended, format!("{node} is not suspended (no peer sees it in standby)")));
        return;
    }
    let returning: Vec<String> = ctx
        .snapshot
        .qmgrs
        .iter()
        .filter(|q| q.sides.iter().any(|s| s.region == region && s.ha_preferred_location.as_deref() == Some(node)))
        .filter(|q| q.dr_primary_regions.contains(&region))
        .map(|q| q.name.clone())
        .collect();
    b.fingerprint.running_on = Some(returning.join(","));
    if !returning.is_empty() {
        b.pre.push(check(
            CheckStatus::Warn,
            PreconditionCode::Moves,
            format!("{} prefer {node} and will move back to it (their clients reconnect)", returning.join(" and ")),
        ));
    }
    let verify = if returning.is_empty() { Verify::ExitZero } else { Verify::RunsOn { node: node.into(), qmgrs: returning, timeout_secs: 60 } };
    b.step(node, format!("Resume {node}"), Action::exec("rdqmadm", &["-r"]), format!("The replicated data node '{node}' has been resumed."), verify).undo =
        vec![undo(node, Action::exec("rdqmadm", &["-s"]), Verify::ExitZero)];
}

/// `ha-prefer`: `rdqmadm -p -m QM -n NODE`.
pub fn prefer(ctx: &PlanContext, qmgr: &str, node: &str, b: &mut PlanBuilder) {
    let Some(region) = known_node(ctx, node, &mut b.pre) else { return };
    let Some(qm) = ctx.snapshot.qmgrs.iter().find(|q| q.name == qmgr) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Qmgr, format!("no queue manager {qmgr} in the estate")));
        return;
    };
    let current = qm.sides.iter().find(|s| s.region == region).and_then(|s| s.ha_preferred_location.clone());
    b.fingerprint.running_on = qm.running_on.clone();
    if current.as_deref() == Some(node) {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Preferred, format!("{node} is already the preferred node of {qmgr} in {region}")));
        return;
    }
    if qm.dr_primary_regions.contains(&region) && qm.running_on.as_deref() != Some(node) {
        b.pre.push(check(CheckStatus::Warn, PreconditionCode::Moves, format!("{qmgr} runs in {region} and will move to {node} (its clients reconnect)")));
    }
    let back = current.iter().map(|old| undo(node, Action::exec("rdqmadm", &["-p", "-m", qmgr, "-n", old]), Verify::Preferred { qmgr: qmgr.into(), node: old.clone() }));
    let back = back.collect();
    b.step(
        node,
        format!("Prefer {node} for {qmgr}"),
        Action::exec("rdqmadm", &["-p", "-m", qmgr, "-n", node]),
        format!("HA preferred location of {qmgr}: {node}"),
        Verify::Preferred { qmgr: qmgr.into(), node: node.into() },
    )
    .undo = back;
}

/// `pacemaker-cleanup`: erase the failure history of `<qm>` in a region (starts nothing).
pub fn cleanup(ctx: &PlanContext, qmgr: &str, region: &str, b: &mut PlanBuilder) {
    let Some(qm) = ctx.snapshot.qmgrs.iter().find(|q| q.name == qmgr) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Qmgr, format!("no queue manager {qmgr} in the estate")));
        return;
    };
    let Some(view) = ctx.snapshot.regions.iter().find(|r| r.name == region) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Region, format!("no region {region}")));
        return;
    };
    let resource = qmgr.to_lowercase();
    // The HA group holding the queue manager: Pacemaker there is the only one that knows it.
    let group = ctx.inventory.qm_nodes(qmgr, region);
    let group_views: Vec<&crate::estate::NodeView> = view.nodes.iter().filter(|n| group.contains(&n.name)).collect();
    let nodes: Vec<String> = group_views.iter().map(|n| n.name.clone()).collect();
    // What the cleanup erases, as Pacemaker reports it now.
    let mut erased = Vec::new();
    for node in group_views.iter().filter(|n| n.reachable && !n.stale) {
        let Some(crm) = node.layers.as_ref().and_then(|l| l.pacemaker.as_ref()) else { continue };
        for f in crm.fail_counts.iter().filter(|f| f.resource == resource) {
            let count = if f.fail_count >= crate::crm::INFINITY { "INFINITY".to_string() } else { f.fail_count.to_string() };
            let line = format!("{} on {}: fail-count {count}{}", f.resource, f.node, f.last_failure.as_ref().map(|t| format!(", last failure {t}")).unwrap_or_default());
            if !erased.contains(&line) {
                erased.push(line);
            }
        }
        for f in crm.failures.iter().filter(|f| f.resource.as_deref() == Some(resource.as_str())) {
            let line = format!("failed {} of {} on {}: {}", f.task.clone().unwrap_or_default(), resource, f.node.clone().unwrap_or_default(), f.exitreason.clone().unwrap_or_default());
            if !erased.contains(&line) {
                erased.push(line);
            }
        }
        if !erased.is_empty() {
            break;
        }
    }
    if erased.is_empty() {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Failures, format!("Pacemaker reports no failures of {resource} in {region}: nothing to clean up")));
        return;
    }
    b.pre.push(crate::plan::with_evidence(
        check(CheckStatus::Pass, PreconditionCode::Failures, format!("the cleanup erases {} failure records of {resource} in {region}", erased.len())),
        vec![crate::estate::Evidence { host: region.into(), command: crate::layers::CRM_COMMAND.into(), lines: erased }],
    ));
    b.pre.push(check(CheckStatus::Warn, PreconditionCode::History, "the failure history is gone afterwards; the audit log keeps what was erased"));
    let side = qm.sides.iter().find(|s| s.region == region);
    let host = side
        .and_then(|s| s.ha_current_location.clone())
        .filter(|h| group_views.iter().any(|n| &n.name == h && n.reachable))
        .or_else(|| group_views.iter().find(|n| n.reachable && !n.stale).map(|n| n.name.clone()));
    let Some(host) = host else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Node, format!("no node of {region} answers")));
        return;
    };
    b.fingerprint.running_on = qm.running_on.clone();
    b.step(
        host,
        format!("Clean up {resource}'s failures in {region}"),
        Action::exec("crm_resource", &["--cleanup", "--resource", &resource]),
        format!("Cleaned up {resource} on each node of {region}; nothing is started by it"),
        Verify::NoFailCounts { resource: resource.clone(), nodes },
    );
}
