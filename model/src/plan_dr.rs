//! Planning the unplanned: failover to the surviving region, and resolving a partition.

use crate::estate::{Evidence, QmgrView};
use crate::plan::{
    Action, CheckStatus, Fingerprint, PlanContext, Precondition, Step, Verify, check, conf_steps, final_check_with, qm_evidence,
    route_edit, sha256_hex, unified_diff, with_evidence,
};
use crate::status::{DrRole, DrStatus};

fn find<'a>(ctx: &'a PlanContext, qmgr: &str, pre: &mut Vec<Precondition>) -> Option<&'a QmgrView> {
    let qm = ctx.snapshot.qmgrs.iter().find(|q| q.name == qmgr);
    if qm.is_none() {
        pre.push(check(CheckStatus::Block, "qmgr", format!("no queue manager {qmgr} in the estate")));
    }
    qm
}

fn ha_location(qm: &QmgrView, region: &str) -> Option<String> {
    qm.sides.iter().find(|s| s.region == region && !s.stale).and_then(|s| s.ha_current_location.clone())
}

/// The route steps towards `region`, if the route does not point there yet.
#[allow(clippy::too_many_arguments)]
fn route_towards(
    ctx: &PlanContext,
    qm: &QmgrView,
    region: &str,
    stamp: &str,
    pre: &mut Vec<Precondition>,
    steps: &mut Vec<Step>,
    diff: &mut Option<String>,
    fingerprint: &mut Fingerprint,
) {
    if let Some((conf, old, new)) = route_edit(ctx, qm, region, pre) {
        fingerprint.conf_sha256 = Some(sha256_hex(&old));
        *diff = Some(unified_diff(&old, &new, &conf.path));
        conf_steps(ctx, &conf, &old, &new, stamp, steps);
    }
}

/// `dr-failover`: the DR primary region is lost (or has lost the link); promote `to_region`.
#[allow(clippy::too_many_arguments)]
pub fn failover(
    ctx: &PlanContext,
    qmgr: &str,
    to_region: &str,
    stamp: &str,
    pre: &mut Vec<Precondition>,
    steps: &mut Vec<Step>,
    diff: &mut Option<String>,
    fingerprint: &mut Fingerprint,
) {
    let Some(qm) = find(ctx, qmgr, pre) else { return };
    fingerprint.dr_primary_region = qm.dr_primary_region.clone();
    fingerprint.running_on = qm.running_on.clone();
    let Some(target) = qm.sides.iter().find(|s| s.region == to_region) else {
        pre.push(check(CheckStatus::Block, "target_region", format!("{qmgr} has no HA group in {to_region}")));
        return;
    };
    if qm.dr_primary_regions.iter().any(|r| r == to_region) {
        pre.push(check(CheckStatus::Block, "dr_primary", format!("{qmgr} is already DR primary in {to_region}")));
        return;
    }
    let lost: Vec<&String> = qm.last_known_primary_regions.iter().filter(|r| *r != to_region).collect();
    let answering: Vec<&String> = qm.dr_primary_regions.iter().filter(|r| *r != to_region).collect();
    let mut old_region = None;
    match (answering.as_slice(), lost.as_slice()) {
        ([primary], _) => {
            let side = qm.sides.iter().find(|s| &s.region == *primary);
            let status = side.and_then(|s| s.dr_status.clone()).unwrap_or_default();
            if DrStatus::parse(&status) == DrStatus::RemoteUnavailable {
                pre.push(with_evidence(
                    check(CheckStatus::Pass, "primary_lost", format!("{primary} is DR primary but reports DR status Remote unavailable")),
                    qm_evidence(qm, primary, &["DR status", "DR out of sync data"]),
                ));
                old_region = Some((*primary).clone());
            } else {
                pre.push(with_evidence(
                    check(
                        CheckStatus::Block,
                        "primary_lost",
                        format!("{primary} is DR primary and answering (DR status {status}): use a planned switchover, which loses no data"),
                    ),
                    qm_evidence(qm, primary, &["DR status"]),
                ));
                return;
            }
        }
        ([], [lost_region, ..]) => {
            pre.push(check(
                CheckStatus::Pass,
                "primary_lost",
                format!("{lost_region}, the last known DR primary of {qmgr}, does not answer"),
            ));
            old_region = Some((*lost_region).clone());
        }
        ([], []) => pre.push(check(CheckStatus::Warn, "primary_lost", format!("no region is DR primary for {qmgr}; {to_region} will become it"))),
        (many, _) => {
            pre.push(check(CheckStatus::Block, "dr_primary", format!("{qmgr} is DR primary in {} (partitioned): resolve the partition", many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" and "))));
            return;
        }
    }
    if let Some(old) = &old_region {
        let side = qm.sides.iter().find(|s| &s.region == old);
        let kb = side.and_then(|s| s.dr_out_of_sync_kb);
        let seen = ctx
            .snapshot
            .regions
            .iter()
            .filter(|r| &r.name == old)
            .flat_map(|r| r.nodes.iter())
            .filter_map(|n| n.last_ok_at)
            .max();
        let when = seen.map_or("never".to_string(), |t| format!("{} s ago", ctx.now_ms.saturating_sub(t) / 1000));
        let risk = match kb {
            Some(kb) => format!("{kb} KB written in {old} had not reached {to_region} (DR out of sync data, last seen {when}): it will be lost"),
            None => format!("{old} last reported no out-of-sync data ({when}); anything written after that and not replicated will be lost"),
        };
        pre.push(with_evidence(check(CheckStatus::Warn, "data_at_risk", risk), qm_evidence(qm, old, &["DR status", "DR out of sync data"])));
    }
    if let Some(readiness) = qm.readiness.get(to_region) {
        let reasons: Vec<&String> = readiness.reasons.iter().filter(|r| !r.contains("not running here")).collect();
        if !reasons.is_empty() {
            pre.push(check(CheckStatus::Block, "readiness", format!("{to_region} cannot run {qmgr} now: {}", reasons.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; "))));
        }
    }
    let Some(host) = ha_location(qm, to_region) else {
        pre.push(check(CheckStatus::Block, "ha_location", format!("{to_region}'s HA primary for {qmgr} is unknown")));
        return;
    };
    let _ = target;
    crate::plan::tls_check(ctx, qm, to_region, pre);
    steps.push(Step {
        index: 0,
        title: format!("Make {to_region} DR primary"),
        host: host.clone(),
        command: format!("rdqmdr -p -m {qmgr}"),
        action: Action::exec("rdqmdr", &["-p", "-m", qmgr]),
        expect: format!("{qmgr} running on {host} (RDQM starts it; no strmqm)"),
        verify: Verify::RunningHere { qmgr: qmgr.into(), timeout_secs: 60 },
        undo: Vec::new(),
        irreversible: Some(format!(
            "{qmgr} now runs in {to_region}: with the old DR primary lost, undoing the promotion would leave it running nowhere"
        )),
    });
    route_towards(ctx, qm, to_region, stamp, pre, steps, diff, fingerprint);
    final_check_with(qmgr, to_region, qm.route.is_some(), true, steps);
}

/// `dr-resolve-partition`: both regions are DR primary; `keep_region`'s data survives.
#[allow(clippy::too_many_arguments)]
pub fn resolve_partition(
    ctx: &PlanContext,
    qmgr: &str,
    keep_region: &str,
    stamp: &str,
    pre: &mut Vec<Precondition>,
    steps: &mut Vec<Step>,
    diff: &mut Option<String>,
    fingerprint: &mut Fingerprint,
) {
    let Some(qm) = find(ctx, qmgr, pre) else { return };
    fingerprint.dr_primary_region = Some(qm.dr_primary_regions.join("+"));
    fingerprint.running_on = Some(qm.running_nodes.join("+"));
    if qm.dr_primary_regions.len() < 2 {
        pre.push(check(
            CheckStatus::Block,
            "partitioned",
            format!("{qmgr} is not partitioned: DR primary in [{}] among the regions that answer", qm.dr_primary_regions.join(", ")),
        ));
        return;
    }
    if !qm.dr_primary_regions.iter().any(|r| r == keep_region) {
        pre.push(check(CheckStatus::Block, "keep_region", format!("{keep_region} is not one of the DR primaries")));
        return;
    }
    let Some(lose) = qm.dr_primary_regions.iter().find(|r| *r != keep_region).cloned() else { return };
    let evidence: Vec<Evidence> = [keep_region, lose.as_str()].iter().flat_map(|r| qm_evidence(qm, r, &["DR role", "DR status"])).collect();
    pre.push(with_evidence(check(CheckStatus::Pass, "partitioned", format!("{qmgr} is DR primary in both {keep_region} and {lose}")), evidence));
    pre.push(check(
        CheckStatus::Warn,
        "data_discarded",
        format!("everything {qmgr} received in {lose} since the regions split is DISCARDED; {keep_region}'s data is kept and replicated to {lose}"),
    ));
    let (Some(loser_host), Some(keeper_host)) = (ha_location(qm, &lose), ha_location(qm, keep_region)) else {
        pre.push(check(CheckStatus::Block, "ha_location", "the HA primary of a region is unknown"));
        return;
    };
    steps.push(Step {
        index: 0,
        title: format!("Make {lose} DR secondary, discarding its changes"),
        host: loser_host,
        command: format!("rdqmdr -s -m {qmgr}"),
        action: Action::exec("rdqmdr", &["-s", "-m", qmgr]),
        expect: format!("Queue manager '{qmgr}' has been made the DR secondary on this node."),
        verify: Verify::DrRole { qmgr: qmgr.into(), role: DrRole::Secondary },
        undo: Vec::new(),
        irreversible: Some(format!(
            "{lose}'s changes to {qmgr} are discarded and cannot be brought back; making it primary again would split the estate again"
        )),
    });
    steps.push(Step {
        index: 1,
        title: "Wait for DR replication to be Normal".into(),
        host: keeper_host,
        command: format!("rdqmstatus -m {qmgr} (until DR status: Normal)"),
        action: Action::CheckEstate,
        expect: "Synchronization in progress, then Normal".into(),
        verify: Verify::DrNormal { qmgr: qmgr.into(), timeout_secs: 120 },
        undo: Vec::new(),
        irreversible: None,
    });
    route_towards(ctx, qm, keep_region, stamp, pre, steps, diff, fingerprint);
    final_check_with(qmgr, keep_region, qm.route.is_some(), false, steps);
}
