//! Planning the unplanned: failover to the surviving region, and resolving a partition.

use crate::estate::{Evidence, QmgrView, ReadinessCode};
use crate::plan::{
    Action, CheckStatus, PlanContext, Precondition, PreconditionCode, Verify, check, conf_steps, final_check_with, qm_evidence, route_edit, sha256_hex,
    unified_diff, with_evidence,
};
use crate::plan_builder::PlanBuilder;
use crate::status::{DrRole, DrStatus};

fn find<'a>(ctx: &'a PlanContext, qmgr: &str, pre: &mut Vec<Precondition>) -> Option<&'a QmgrView> {
    let qm = ctx.snapshot.qmgrs.iter().find(|q| q.name == qmgr);
    if qm.is_none() {
        pre.push(check(CheckStatus::Block, PreconditionCode::Qmgr, format!("no queue manager {qmgr} in the estate")));
    }
    qm
}

pub(crate) fn ha_location(qm: &QmgrView, region: &str) -> Option<String> {
    qm.sides.iter().find(|s| s.region == region && !s.stale).and_then(|s| s.ha_current_location.clone())
}

/// The route steps towards `region`, if the route does not point there yet.
pub(crate) fn route_towards(ctx: &PlanContext, qm: &QmgrView, region: &str, stamp: &str, b: &mut PlanBuilder) {
    if let Some((conf, old, new)) = route_edit(ctx, qm, region, &mut b.pre) {
        b.fingerprint.conf_sha256 = Some(sha256_hex(&old));
        b.diff = Some(unified_diff(&old, &new, &conf.path));
        conf_steps(ctx, &conf, &old, &new, stamp, b);
    }
}

/// `dr-failover`: the DR primary region is lost (or has lost the link); promote `to_region`.
pub fn failover(ctx: &PlanContext, qmgr: &str, to_region: &str, stamp: &str, b: &mut PlanBuilder) {
    let Some(qm) = find(ctx, qmgr, &mut b.pre) else { return };
    if promote(ctx, qm, to_region, b).is_none() {
        return;
    }
    route_towards(ctx, qm, to_region, stamp, b);
    final_check_with(qmgr, to_region, qm.route.is_some(), true, b);
}

/// The checks of an unplanned failover and its promotion step; `None` when blocked, else the
/// region that was DR primary (if one is known).
pub(crate) fn promote(ctx: &PlanContext, qm: &QmgrView, to_region: &str, b: &mut PlanBuilder) -> Option<Option<String>> {
    let qmgr = qm.name.as_str();
    b.fingerprint.dr_primary_region = qm.dr_primary_region.clone();
    b.fingerprint.running_on = qm.running_on.clone();
    let Some(target) = qm.sides.iter().find(|s| s.region == to_region) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::TargetRegion, format!("{qmgr} has no HA group in {to_region}")));
        return None;
    };
    if qm.dr_primary_regions.iter().any(|r| r == to_region) {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::DrPrimary, format!("{qmgr} is already DR primary in {to_region}")));
        return None;
    }
    let lost: Vec<&String> = qm.last_known_primary_regions.iter().filter(|r| *r != to_region).collect();
    let answering: Vec<&String> = qm.dr_primary_regions.iter().filter(|r| *r != to_region).collect();
    let mut old_region = None;
    match (answering.as_slice(), lost.as_slice()) {
        ([primary], _) => {
            let side = qm.sides.iter().find(|s| &s.region == *primary);
            let field = side.and_then(|s| s.dr_status.clone());
            let status = field.as_ref().map(ToString::to_string).unwrap_or_default();
            if field.is_some_and(|f| f.is(DrStatus::RemoteUnavailable)) {
                b.pre.push(with_evidence(
                    check(CheckStatus::Pass, PreconditionCode::PrimaryLost, format!("{primary} is DR primary but reports DR status Remote unavailable")),
                    qm_evidence(qm, primary, &["DR status", "DR out of sync data"]),
                ));
                old_region = Some((*primary).clone());
            } else {
                b.pre.push(with_evidence(
                    check(
                        CheckStatus::Block,
                        PreconditionCode::PrimaryLost,
                        format!("{primary} is DR primary and answering (DR status {status}): use a planned switchover, which loses no data"),
                    ),
                    qm_evidence(qm, primary, &["DR status"]),
                ));
                return None;
            }
        }
        ([], [lost_region, ..]) => {
            b.pre.push(check(
                CheckStatus::Pass,
                PreconditionCode::PrimaryLost,
                format!("{}, the last known DR primary of {qmgr}, does not answer", qm.place_in(lost_region)),
            ));
            old_region = Some((*lost_region).clone());
        }
        ([], []) => b.pre.push(check(CheckStatus::Warn, PreconditionCode::PrimaryLost, format!("no region is DR primary for {qmgr}; {to_region} will become it"))),
        (many, _) => {
            b.pre.push(check(CheckStatus::Block, PreconditionCode::DrPrimary, format!("{qmgr} is DR primary in {} (partitioned): resolve the partition", many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" and "))));
            return None;
        }
    }
    if let Some(old) = &old_region {
        let side = qm.sides.iter().find(|s| &s.region == old);
        let kb = side.and_then(|s| s.dr_out_of_sync_kb);
        let group = ctx.inventory.qm_nodes(&qm.name, old);
        let seen = ctx
            .snapshot
            .regions
            .iter()
            .filter(|r| &r.name == old)
            .flat_map(|r| r.nodes.iter())
            .filter(|n| group.contains(&n.name))
            .filter_map(|n| n.last_ok_at)
            .max();
        let when = seen.map_or("never".to_string(), |t| format!("{} s ago", ctx.now_ms.saturating_sub(t) / 1000));
        let risk = match kb {
            Some(kb) => format!("{kb} KB written in {old} had not reached {to_region} (DR out of sync data, last seen {when}): it will be lost"),
            None => format!("{old} last reported no out-of-sync data ({when}); anything written after that and not replicated will be lost"),
        };
        b.pre.push(with_evidence(check(CheckStatus::Warn, PreconditionCode::DataAtRisk, risk), qm_evidence(qm, old, &["DR status", "DR out of sync data"])));
    }
    if let Some(readiness) = qm.readiness.get(to_region) {
        // That it does not run there yet is what a failover changes.
        let reasons: Vec<&str> = readiness.reasons.iter().filter(|r| r.code != ReadinessCode::NotRunningHere).map(|r| r.message.as_str()).collect();
        if !reasons.is_empty() {
            b.pre.push(check(CheckStatus::Block, PreconditionCode::Readiness, format!("{to_region} cannot run {qmgr} now: {}", reasons.join("; "))));
        }
    }
    let Some(host) = ha_location(qm, to_region) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::HaLocation, format!("{to_region}'s HA primary for {qmgr} is unknown")));
        return None;
    };
    let _ = target;
    crate::plan::tls_check(ctx, qm, to_region, &mut b.pre);
    b.step(
        &host,
        format!("Make {to_region} DR primary"),
        Action::exec("rdqmdr", &["-p", "-m", qmgr]),
        format!("{qmgr} running on {host} (RDQM starts it; no strmqm)"),
        Verify::RunningHere { qmgr: qmgr.into(), timeout_secs: 60 },
    )
    .irreversible = Some(format!("{qmgr} now runs in {to_region}: with the old DR primary lost, undoing the promotion would leave it running nowhere"));
    Some(old_region)
}

/// `dr-resolve-partition`: both regions are DR primary; `keep_region`'s data survives.
pub fn resolve_partition(ctx: &PlanContext, qmgr: &str, keep_region: &str, stamp: &str, b: &mut PlanBuilder) {
    let Some(qm) = find(ctx, qmgr, &mut b.pre) else { return };
    b.fingerprint.dr_primary_region = Some(qm.dr_primary_regions.join("+"));
    b.fingerprint.running_on = Some(qm.running_nodes.join("+"));
    if qm.dr_primary_regions.len() < 2 {
        b.pre.push(check(
            CheckStatus::Block,
            PreconditionCode::Partitioned,
            format!("{qmgr} is not partitioned: DR primary in [{}] among the regions that answer", qm.dr_primary_regions.join(", ")),
        ));
        return;
    }
    if !qm.dr_primary_regions.iter().any(|r| r == keep_region) {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::KeepRegion, format!("{keep_region} is not one of the DR primaries")));
        return;
    }
    let Some(lose) = qm.dr_primary_regions.iter().find(|r| *r != keep_region).cloned() else { return };
    let evidence: Vec<Evidence> = [keep_region, lose.as_str()].iter().flat_map(|r| qm_evidence(qm, r, &["DR role", "DR status"])).collect();
    b.pre.push(with_evidence(check(CheckStatus::Pass, PreconditionCode::Partitioned, format!("{qmgr} is DR primary in both {keep_region} and {lose}")), evidence));
    b.pre.push(check(
        CheckStatus::Warn,
        PreconditionCode::DataDiscarded,
        format!("everything {qmgr} received in {lose} since the regions split is DISCARDED; {keep_region}'s data is kept and replicated to {lose}"),
    ));
    let (Some(loser_host), Some(keeper_host)) = (ha_location(qm, &lose), ha_location(qm, keep_region)) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::HaLocation, "the HA primary of a region is unknown"));
        return;
    };
    b.step(
        loser_host,
        format!("Make {lose} DR secondary, discarding its changes"),
        Action::exec("rdqmdr", &["-s", "-m", qmgr]),
        format!("Queue manager '{qmgr}' has been made the DR secondary on this node."),
        Verify::DrRole { qmgr: qmgr.into(), role: DrRole::Secondary },
    )
    .irreversible = Some(format!("{lose}'s changes to {qmgr} are discarded and cannot be brought back; making it primary again would split the estate again"));
    b.step(
        keeper_host,
        "Wait for DR replication to be Normal",
        Action::CheckEstate,
        "Synchronization in progress, then Normal",
        Verify::DrNormal { qmgr: qmgr.into(), timeout_secs: 120 },
    );
    route_towards(ctx, qm, keep_region, stamp, b);
    final_check_with(qmgr, keep_region, qm.route.is_some(), false, b);
}
