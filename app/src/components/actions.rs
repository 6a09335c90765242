//! Which workflow actions the estate calls for, from the snapshot: a planned switchover while
//! one region is DR primary, a failover when the DR primary is lost, a partition resolution
//! when both claim it, a Pacemaker cleanup where a ban is why a region is not ready, HA
//! maintenance per node, a route retarget where a route points away from the DR primary, and
//! DR drills beside the switchover and the failover they rehearse. Each only opens a plan: the
//! server re-checks everything and the preview shows it.

use crate::components::plan::ActionSpec;
use model::estate::{QmgrView, RouteView, Snapshot};
use model::plan::Intent;
use model::run::Run;
use model::run::StepState;
use model::status::DrStatus;

/// How many messages a drill puts through MQIPT unless the preview is asked for another
/// number (seed 000's test puts 50).
pub const DRILL_MESSAGES: u32 = 50;

fn drill(qmgr: &str, to_region: &str, unplanned: bool, switch_back: bool) -> Intent {
    Intent::DrDrill { qmgr: qmgr.to_string(), to_region: to_region.to_string(), messages: DRILL_MESSAGES, unplanned, switch_back }
}

/// The DR actions for a queue manager, and a sentence when none applies.
pub fn dr_actions(qm: &QmgrView) -> (Vec<ActionSpec>, Option<String>) {
    let name = &qm.name;
    let regions: Vec<&String> = qm.sides.iter().map(|s| &s.region).collect();
    let mut out = Vec::new();
    let mut why_none = None;
    match (qm.dr_primary_regions.as_slice(), qm.last_known_primary_regions.as_slice()) {
        ([primary], _) => {
            let link_lost = qm
                .sides
                .iter()
                .find(|s| &s.region == primary)
                .and_then(|s| s.dr_status.as_ref())
                .is_some_and(|s| s.is(DrStatus::RemoteUnavailable));
            for other in regions.iter().filter(|r| **r != primary) {
                out.push(
                    ActionSpec::new(format!("Switch DR to {other}"), Intent::DrSwitchover { qmgr: name.clone(), to_region: (*other).clone() })
                        .note(format!("planned: {primary} becomes DR secondary, {other} DR primary, the route follows")),
                );
                out.push(ActionSpec::new(format!("DR drill to {other} (planned)"), drill(name, other, false, false)).note(format!(
                    "the switchover above, proven by a client: {DRILL_MESSAGES} messages put through MQIPT before it and got back after it; reports RTO and RPO"
                )));
                out.push(ActionSpec::new(format!("DR drill to {other} and back (planned)"), drill(name, other, false, true)).note(format!(
                    "the same drill, then {name} switches back to {primary} the same way and a client connects there; the estate ends as it began"
                )));
                if link_lost {
                    out.push(
                        ActionSpec::new(format!("Fail over to {other}"), Intent::DrFailover { qmgr: name.clone(), to_region: (*other).clone() })
                            .note(format!("{primary} reports DR status Remote unavailable; unreplicated data is lost; needs a second operator")),
                    );
                    out.push(ActionSpec::new(format!("Unplanned DR drill to {other}"), drill(name, other, true, false)).note(format!(
                        "the failover above, proven by a client: {DRILL_MESSAGES} messages put through MQIPT before it; {primary}'s unreplicated data is discarded and the report says which were lost; needs a second operator"
                    )));
                }
            }
        }
        // No drill here: its ledger is put through the one DR primary, and none answers.
        ([], lost) if !lost.is_empty() => {
            for other in regions.iter().filter(|r| !lost.contains(r)) {
                out.push(
                    ActionSpec::new(format!("Fail over to {other}"), Intent::DrFailover { qmgr: name.clone(), to_region: (*other).clone() }).note(format!(
                        "{} was DR primary and does not answer; data not yet replicated is lost; needs a second operator",
                        lost.join(" and ")
                    )),
                );
            }
        }
        ([], _) => why_none = Some(format!("No DR action: no region reports {name} as DR primary, and none did when last heard from.")),
        (many, _) => {
            for keep in many {
                let others: Vec<&str> = many.iter().filter(|r| *r != keep).map(String::as_str).collect();
                out.push(
                    ActionSpec::new(format!("Resolve partition keeping {keep}"), Intent::DrResolvePartition { qmgr: name.clone(), keep_region: keep.clone() })
                        .note(format!("{keep}'s data survives; changes made in {} since the split are discarded; needs a second operator", others.join(" and "))),
                );
            }
        }
    }
    for (region, readiness) in &qm.readiness {
        if readiness.reasons.iter().any(|r| r.code == model::estate::ReadinessCode::PacemakerBanned) {
            out.push(
                ActionSpec::new(format!("Clean up Pacemaker failures in {region}"), Intent::PacemakerCleanup { qmgr: name.clone(), region: region.clone() })
                    .note(format!("a Pacemaker ban is why {region} is not ready; crm_resource --cleanup starts nothing")),
            );
        }
    }
    if out.is_empty() && why_none.is_none() {
        why_none = Some(format!("No DR action applies to {name} now."));
    }
    (out, why_none)
}

/// "Prefer <node>" for every node of each HA group but its current preferred one.
pub fn prefer_actions(qm: &QmgrView) -> Vec<(String, Option<String>, Vec<ActionSpec>)> {
    qm.sides
        .iter()
        .map(|side| {
            let actions = side
                .nodes
                .iter()
                .filter(|n| side.ha_preferred_location.as_deref() != Some(n.node.as_str()))
                .map(|n| ActionSpec::new(format!("Prefer {}", n.node), Intent::HaPrefer { qmgr: qm.name.clone(), node: n.node.clone() }))
                .collect();
            (side.region.clone(), side.ha_preferred_location.clone(), actions)
        })
        .collect()
}

/// Suspend or resume a node, whichever applies (a peer sees a suspended node in standby).
pub fn node_action(snapshot: &Snapshot, node: &str) -> ActionSpec {
    if model::plan_ha::is_suspended(snapshot, node) {
        ActionSpec::new(format!("Resume node {node}"), Intent::HaResume { node: node.to_string() })
            .note("rdqmadm -r: it rejoins; queue managers preferring it move back".into())
    } else {
        ActionSpec::new(format!("Suspend node {node}"), Intent::HaSuspend { node: node.to_string() })
            .note("rdqmadm -s: its queue managers move to another node of its HA group".into())
    }
}

/// "Point route 1501 at DAL" when a route forwards away from its queue manager's single DR
/// primary region.
pub fn retarget_action(route: &RouteView, snapshot: &Snapshot) -> Option<ActionSpec> {
    let qmgr = route.qmgr.as_deref()?;
    let qm = snapshot.qmgrs.iter().find(|q| q.name == qmgr)?;
    let [primary] = qm.dr_primary_regions.as_slice() else { return None };
    if route.destination_region.as_deref() == Some(primary.as_str()) {
        return None;
    }
    Some(
        ActionSpec::new(format!("Point route {} at {primary}", route.listener_port.trim()), Intent::RouteRetarget { qmgr: qmgr.to_string(), to_region: primary.clone() })
            .note(format!("{primary} is {qmgr}'s DR primary region")),
    )
}

/// Backups of mqipt.conf the console made in earlier runs (newest first), for the restore form.
pub fn backups_from_runs(runs: &[Run], conf_path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in runs {
        for step in &run.steps {
            let made = matches!(step.state, StepState::Succeeded | StepState::AlreadyDone);
            let Some(copy) = &step.backup else { continue };
            if made && copy.of == conf_path && model::plan::is_backup_name(conf_path, &copy.to) && !out.contains(&copy.to) {
                out.push(copy.to.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn qm(primaries: &[&str], last_known: &[&str], readiness: serde_json::Value) -> QmgrView {
        serde_json::from_value(json!({
            "name": "DRHAQM1", "listener_port": 1501, "dr_primary_region": null,
            "dr_primary_regions": primaries, "last_known_primary_regions": last_known,
            "running_on": null, "running_nodes": [], "readiness": readiness, "route": null,
            "sides": [
                {"region": "WDC", "stale": false, "dr_role": null, "dr_status": "Normal", "dr_out_of_sync_kb": null,
                 "ha_current_location": "wdc1-mq1", "ha_preferred_location": "wdc1-mq1",
                 "nodes": [{"node": "wdc1-mq1", "stale": false, "qm_status": null, "ha_role": null, "ha_status": null,
                            "dr_role": null, "dr_status": null, "fields": [], "peers": [], "error": null},
                           {"node": "wdc2-mq1", "stale": false, "qm_status": null, "ha_role": null, "ha_status": null,
                            "dr_role": null, "dr_status": null, "fields": [], "peers": [], "error": null}]},
                {"region": "DAL", "stale": false, "dr_role": null, "dr_status": "Normal", "dr_out_of_sync_kb": null,
                 "ha_current_location": "dal1-mq1", "ha_preferred_location": "dal1-mq1", "nodes": []}
            ]
        }))
        .expect("a valid queue manager")
    }

    fn labels(actions: &[ActionSpec]) -> Vec<&str> {
        actions.iter().map(|a| a.label.as_str()).collect()
    }

    #[test]
    fn one_primary_offers_a_switchover_to_the_other_region() {
        let (actions, none) = dr_actions(&qm(&["WDC"], &[], json!({})));
        assert_eq!(labels(&actions), vec!["Switch DR to DAL", "DR drill to DAL (planned)", "DR drill to DAL and back (planned)"]);
        assert_eq!(actions[0].intent, Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() });
        assert_eq!(actions[1].intent, Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: "DAL".into(), messages: 50, unplanned: false, switch_back: false });
        assert_eq!(actions[2].intent, Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: "DAL".into(), messages: 50, unplanned: false, switch_back: true });
        assert!(none.is_none());
    }

    #[test]
    fn a_lost_link_offers_the_failover_and_its_unplanned_drill_too() {
        let mut qm = qm(&["WDC"], &[], json!({}));
        qm.sides[0].dr_status = Some(serde_json::from_value(json!("Remote unavailable")).expect("a DR status"));
        let (actions, _) = dr_actions(&qm);
        assert_eq!(
            labels(&actions),
            vec!["Switch DR to DAL", "DR drill to DAL (planned)", "DR drill to DAL and back (planned)", "Fail over to DAL", "Unplanned DR drill to DAL"]
        );
        assert_eq!(actions[4].intent, Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: "DAL".into(), messages: 50, unplanned: true, switch_back: false });
        assert!(actions[4].intent.needs_approval());
        assert!(actions[4].note.as_deref().unwrap_or("").contains("WDC's unreplicated data is discarded"));
    }

    #[test]
    fn a_lost_primary_offers_a_failover_and_no_switchover() {
        let (actions, _) = dr_actions(&qm(&[], &["WDC"], json!({})));
        // Nor a drill: its ledger goes through the DR primary, and none answers.
        assert_eq!(labels(&actions), vec!["Fail over to DAL"]);
    }

    #[test]
    fn a_partition_offers_to_keep_either_side() {
        let (actions, _) = dr_actions(&qm(&["WDC", "DAL"], &[], json!({})));
        assert_eq!(labels(&actions), vec!["Resolve partition keeping WDC", "Resolve partition keeping DAL"]);
        assert!(actions[1].note.as_deref().unwrap_or("").contains("changes made in WDC since the split are discarded"));
    }

    #[test]
    fn a_ban_among_the_reasons_offers_a_cleanup() {
        let ban = "Pacemaker has banned DRHAQM1 on dal1-mq1, dal2-mq1, dal3-mq1 in DAL (fail-count INFINITY)";
        let readiness = json!({"DAL": {"ready": false, "reasons": [{"code": "pacemaker_banned", "message": ban}]}});
        let (actions, _) = dr_actions(&qm(&["WDC"], &[], readiness));
        assert_eq!(labels(&actions), vec!["Switch DR to DAL", "DR drill to DAL (planned)", "DR drill to DAL and back (planned)", "Clean up Pacemaker failures in DAL"]);
    }

    #[test]
    fn every_node_but_the_preferred_one_can_be_preferred() {
        let groups = prefer_actions(&qm(&["WDC"], &[], json!({})));
        assert_eq!(labels(&groups[0].2), vec!["Prefer wdc2-mq1"]);
        assert_eq!(groups[0].1.as_deref(), Some("wdc1-mq1"));
    }
}
