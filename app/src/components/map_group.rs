//! What one HA group of a region with several says on the estate map's group line, whether it
//! is open or collapsed: its nodes, the queue managers it holds and how they are there, and the
//! findings about them. A group that needs attention opens by default, so this decides it.

use crate::checks::{Tone, dr_status_tone, ha_status_tone, qm_status_tone, worst};
use model::estate::{InventoryGroup, QmNode, QmSide, QmgrView, RegionView, Severity, Snapshot};
use model::status::{HaStatus, QmStatus};

/// One HA group in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupHealth {
    /// "HA group WDC-5: 3 of 3 nodes reachable · DR primary for G5QM1, G5QM3".
    pub line: String,
    /// The queue managers it holds, those in the same state together, the worst first:
    /// ("G4QM1 not running", Bad), ("G4QM2, G4QM3 running", Good).
    pub qmgrs: Vec<(String, Tone)>,
    /// Findings about its nodes or its queue managers, and the most severe of them.
    pub findings: usize,
    pub worst_finding: Option<Severity>,
    /// Why it needs attention (nothing: all is well), e.g. "2 of 3 nodes unreachable".
    pub problems: Vec<String>,
    /// How the group looks as a whole.
    pub tone: Tone,
}

impl GroupHealth {
    /// Opened by default: a node lost, a queue manager not running or not ready, a finding of
    /// warning or worse.
    pub fn needs_attention(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The findings badge: "no findings", "1 finding, warning", "5 findings, critical".
    pub fn findings_text(&self) -> String {
        match (self.findings, self.worst_finding) {
            (0, _) | (_, None) => "no findings".to_string(),
            (1, Some(worst)) => format!("1 finding, {}", severity_word(worst)),
            (n, Some(worst)) => format!("{n} findings, worst {}", severity_word(worst)),
        }
    }

    pub fn findings_tone(&self) -> Tone {
        match self.worst_finding {
            None => Tone::Good,
            Some(Severity::Critical) => Tone::Bad,
            Some(Severity::Warning) => Tone::Warn,
            Some(Severity::Info) => Tone::Neutral,
        }
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// The queue managers `group` holds in `region`, in the snapshot's order, with their side there.
pub fn held<'a>(snapshot: &'a Snapshot, region: &'a str, group: &'a str) -> impl Iterator<Item = (&'a QmgrView, &'a QmSide)> + 'a {
    snapshot
        .qmgrs
        .iter()
        .filter_map(move |q| q.sides.iter().find(|s| s.region == region && s.ha_group.as_deref() == Some(group)).map(|s| (q, s)))
}

/// What a queue manager is in this group, in a word or two, and how that looks; what is wrong
/// with it beyond that is `trouble`.
fn state(qm: &QmgrView, side: &QmSide) -> (String, Tone) {
    let fresh: Vec<&QmNode> = side.nodes.iter().filter(|n| !n.stale && n.qm_status.is_some()).collect();
    if side.stale || fresh.is_empty() {
        // Nothing read now: what was read last, never called healthy.
        let seen: Vec<&QmNode> = side.nodes.iter().filter(|n| n.qm_status.is_some()).collect();
        let word = match where_word(&seen, qm.last_known_primary_regions.contains(&side.region)) {
            (_, _) if seen.is_empty() => "no data".to_string(),
            (word, _) => format!("last seen {word}"),
        };
        return (word, Tone::Unknown);
    }
    where_word(&fresh, qm.dr_primary_regions.contains(&side.region))
}

/// Running, starting, not running (DR primary here), or standby, from the nodes' statuses.
fn where_word(nodes: &[&QmNode], primary_here: bool) -> (String, Tone) {
    let any = |status: QmStatus| nodes.iter().any(|n| n.qm_status.as_ref() == Some(&status));
    let odd = nodes.iter().filter_map(|n| n.qm_status.as_ref()).find(|s| qm_status_tone(Some(s)) == Tone::Bad);
    let (word, tone) = if any(QmStatus::Running) {
        ("running", Tone::Good)
    } else if any(QmStatus::Starting) {
        ("starting", Tone::Warn)
    } else if any(QmStatus::Ending) {
        ("ending", Tone::Warn)
    } else if primary_here {
        ("not running", Tone::Bad)
    } else if let Some(status) = odd {
        // A DR secondary that is not simply ended: "ended unexpectedly", "status not available".
        return (status.as_str().to_lowercase(), Tone::Bad);
    } else {
        ("standby", Tone::Neutral)
    };
    (word.to_string(), tone)
}

/// What is wrong with a queue manager in this group besides where it runs: its HA status on a
/// node that answers, its DR status here, data not replicated, or the region not ready for it.
fn trouble(qm: &QmgrView, side: &QmSide, state_tone: Tone) -> Option<(String, Tone)> {
    if side.stale {
        return None;
    }
    let ha = side
        .nodes
        .iter()
        .filter(|n| !n.stale)
        .filter_map(|n| n.ha_status.as_ref())
        .filter(|s| **s != HaStatus::Normal)
        .max_by_key(|s| if ha_status_tone(Some(s)) == Tone::Bad { 1 } else { 0 });
    if let Some(status) = ha {
        return Some((format!("HA {status}"), ha_status_tone(Some(status))));
    }
    if let Some(status) = side.dr_status.as_ref().filter(|s| s.status().is_some_and(|s| *s != model::status::DrStatus::Normal)) {
        return Some((format!("DR {status}"), dr_status_tone(Some(status))));
    }
    if let Some(kb) = side.dr_out_of_sync_kb.filter(|kb| *kb > 0) {
        return Some((format!("DR out of sync {kb} KB"), Tone::Warn));
    }
    // Not running or starting says it already.
    let ready = qm.readiness.get(&side.region).is_none_or(|r| r.ready);
    (!ready && !matches!(state_tone, Tone::Bad | Tone::Warn)).then(|| ("not ready".to_string(), Tone::Warn))
}

/// Worst first; then running before standby.
fn rank(tone: Tone) -> u8 {
    match tone {
        Tone::Bad => 0,
        Tone::Warn => 1,
        Tone::Unknown => 2,
        Tone::Good => 3,
        Tone::Neutral => 4,
    }
}

/// The group line, its queue managers and its findings, as the map shows them.
pub fn group_health(snapshot: &Snapshot, region: &RegionView, group: &InventoryGroup) -> GroupHealth {
    let members: Vec<_> = group.nodes.iter().filter_map(|n| region.nodes.iter().find(|v| &v.name == n)).collect();
    let reachable = members.iter().filter(|n| n.reachable).count();
    let held: Vec<(&QmgrView, &QmSide)> = held(snapshot, &region.name, &group.name).collect();

    let mut line = format!("HA group {}: {reachable} of {} nodes reachable", group.name, members.len());
    let names = |pick: fn(&QmgrView) -> &Vec<String>| -> Vec<&str> {
        held.iter().filter(|(q, _)| pick(q).contains(&region.name)).map(|(q, _)| q.name.as_str()).collect()
    };
    let primary_for = names(|q| &q.dr_primary_regions);
    let last_known_for = names(|q| &q.last_known_primary_regions);
    if !primary_for.is_empty() {
        line.push_str(&format!(" · DR primary for {}", primary_for.join(", ")));
    }
    if !last_known_for.is_empty() {
        line.push_str(&format!(" · last known DR primary for {} (no answer now)", last_known_for.join(", ")));
    }

    let mut problems = Vec::new();
    if reachable < members.len() {
        problems.push(format!("{} of {} nodes unreachable", members.len() - reachable, members.len()));
    }
    // Each queue manager's phrase; those with the same phrase share it.
    let mut phrases: Vec<(String, Tone, Vec<&str>)> = Vec::new();
    for (qm, side) in &held {
        let (word, state_tone) = state(qm, side);
        let (phrase, tone) = match trouble(qm, side, state_tone) {
            Some((what, tone)) => (format!("{word}, {what}"), worst([state_tone, tone])),
            None => (word, state_tone),
        };
        if matches!(tone, Tone::Bad | Tone::Warn | Tone::Unknown) {
            problems.push(format!("{} {phrase}", qm.name));
        }
        match phrases.iter_mut().find(|(p, _, _)| *p == phrase) {
            Some((_, _, names)) => names.push(&qm.name),
            None => phrases.push((phrase, tone, vec![&qm.name])),
        }
    }
    phrases.sort_by_key(|(_, tone, _)| rank(*tone));
    let qmgrs: Vec<(String, Tone)> = phrases.into_iter().map(|(phrase, tone, names)| (format!("{} {phrase}", names.join(", ")), tone)).collect();

    let about = |subject: &str| group.nodes.iter().any(|n| n == subject) || held.iter().any(|(q, _)| q.name == subject);
    let findings: Vec<Severity> = snapshot.findings.iter().filter(|f| about(&f.subject)).map(|f| f.severity).collect();
    let worst_finding = findings.iter().min().copied();
    let serious = findings.iter().filter(|s| **s <= Severity::Warning).count();
    if serious > 0 {
        let plural = if serious == 1 { "" } else { "s" };
        problems.push(format!("{serious} finding{plural} of warning or worse"));
    }

    let node_tone = if reachable < members.len() { Tone::Bad } else { Tone::Good };
    let finding_tone = match worst_finding {
        Some(Severity::Critical) => Tone::Bad,
        Some(Severity::Warning) => Tone::Warn,
        _ => Tone::Good,
    };
    // Standby and running are both well; unknown is not.
    let qm_tones = qmgrs.iter().map(|(_, t)| if *t == Tone::Neutral { Tone::Good } else { *t });
    let tone = worst(qm_tones.chain([node_tone, finding_tone]));
    GroupHealth { line, qmgrs, findings: findings.len(), worst_finding, problems, tone }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn node(name: &str, reachable: bool) -> Value {
        json!({"name": name, "region": "WDC", "reachable": reachable, "stale": !reachable, "error": if reachable { Value::Null } else { json!("ssh: connect refused") }, "last_ok_at": null, "group_online": {}, "layers": null})
    }

    /// One node's view of a queue manager.
    fn view(node: &str, stale: bool, status: &str, ha_status: &str) -> Value {
        json!({"node": node, "stale": stale, "qm_status": status, "ha_role": null, "ha_status": ha_status, "dr_role": null, "dr_status": null, "fields": [], "peers": [], "error": null})
    }

    /// A queue manager held by WDC-`group` (nodes wdc1..3-mq`group`), running on the first node
    /// when `primary`, else standing by; `stale`: none of its nodes answered.
    fn qmgr(name: &str, group: u32, primary: bool, stale: bool, dr_status: &str) -> Value {
        let status = if primary { "Running" } else { "Ended immediately" };
        let nodes: Vec<Value> = (1..=3)
            .map(|i| view(&format!("wdc{i}-mq{group}"), stale, if i == 1 { status } else { "Running elsewhere" }, "Normal"))
            .collect();
        let (now, last_known): (Vec<&str>, Vec<&str>) = match (primary, stale) {
            (true, false) => (vec!["WDC"], vec![]),
            (true, true) => (vec![], vec!["WDC"]),
            _ => (vec!["DAL"], vec![]),
        };
        json!({
            "name": name, "listener_port": 1500, "dr_primary_region": now.first(), "dr_primary_regions": now,
            "last_known_primary_regions": last_known, "running_on": null, "running_nodes": [], "route": null,
            "readiness": {"WDC": {"ready": !stale, "reasons": []}},
            "sides": [{"region": "WDC", "ha_group": format!("WDC-{group}"), "stale": stale, "dr_role": if primary { "Primary" } else { "Secondary" },
                       "dr_status": dr_status, "dr_out_of_sync_kb": 0, "ha_current_location": format!("wdc1-mq{group}"),
                       "ha_preferred_location": null, "nodes": nodes}]
        })
    }

    fn snapshot(nodes_up: [bool; 6], qmgrs: Vec<Value>, findings: Value) -> Snapshot {
        let names = ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1", "wdc1-mq2", "wdc2-mq2", "wdc3-mq2"];
        serde_json::from_value(json!({
            "polled_at": 0, "poll_duration_ms": 0, "qmgrs": qmgrs, "routes": [], "mqipt": [], "findings": findings,
            "regions": [{
                "name": "WDC", "load_balancer": "wdc.lb",
                "nodes": names.iter().zip(nodes_up).map(|(n, up)| node(n, up)).collect::<Vec<_>>(),
                "groups": [{"name": "WDC-1", "nodes": &names[..3]}, {"name": "WDC-2", "nodes": &names[3..]}]
            }]
        }))
        .unwrap()
    }

    fn health(snapshot: &Snapshot, group: usize) -> GroupHealth {
        let region = &snapshot.regions[0];
        group_health(snapshot, region, &region.groups[group])
    }

    fn finding(severity: &str, subject: &str) -> Value {
        json!({"severity": severity, "code": "probe_failed", "message": "x", "subject": subject, "evidence": []})
    }

    fn estate() -> Vec<Value> {
        vec![
            qmgr("G1QM1", 1, true, false, "Normal"),
            qmgr("G1QM2", 1, false, false, "Normal"),
            qmgr("G1QM3", 1, true, false, "Normal"),
            qmgr("G2QM1", 2, true, false, "Normal"),
        ]
    }

    #[test]
    fn a_healthy_group_names_its_queue_managers_running_then_standby_and_stays_collapsed() {
        let s = snapshot([true; 6], estate(), json!([finding("info", "G1QM1")]));
        let g = health(&s, 0);
        assert_eq!(g.line, "HA group WDC-1: 3 of 3 nodes reachable · DR primary for G1QM1, G1QM3");
        assert_eq!(g.qmgrs, [("G1QM1, G1QM3 running".to_string(), Tone::Good), ("G1QM2 standby".to_string(), Tone::Neutral)]);
        assert_eq!((g.findings, g.findings_text()), (1, "1 finding, info".to_string()), "an info finding is counted, not a problem");
        assert!(!g.needs_attention(), "{:?}", g.problems);
        assert_eq!(g.tone, Tone::Good);
        let other = health(&s, 1);
        assert_eq!((other.qmgrs.len(), other.findings_text().as_str()), (1, "no findings"));
    }

    #[test]
    fn a_lost_group_says_what_it_was_last_seen_doing_and_needs_attention() {
        let mut qmgrs = estate();
        qmgrs[0] = qmgr("G1QM1", 1, true, true, "Normal");
        qmgrs[1] = qmgr("G1QM2", 1, false, true, "Normal");
        qmgrs[2] = qmgr("G1QM3", 1, true, true, "Normal");
        let findings = json!([finding("critical", "wdc1-mq1"), finding("critical", "G1QM1"), finding("warning", "G1QM2"), finding("critical", "G2QM1")]);
        let s = snapshot([false, false, false, true, true, true], qmgrs, findings);
        let g = health(&s, 0);
        assert_eq!(g.line, "HA group WDC-1: 0 of 3 nodes reachable · last known DR primary for G1QM1, G1QM3 (no answer now)");
        assert_eq!(g.qmgrs, [("G1QM1, G1QM3 last seen running".to_string(), Tone::Unknown), ("G1QM2 last seen standby".to_string(), Tone::Unknown)]);
        assert_eq!(g.findings_text(), "3 findings, worst critical", "the other group's finding is not this group's");
        assert_eq!(g.problems[0], "3 of 3 nodes unreachable");
        assert!(g.needs_attention());
        assert_eq!(g.tone, Tone::Bad);
        assert_eq!(health(&s, 1).problems, ["1 finding of warning or worse"], "G2QM1's finding is WDC-2's");
    }

    #[test]
    fn a_queue_manager_not_running_where_it_is_dr_primary_or_with_dr_trouble_opens_its_group() {
        let mut qmgrs = estate();
        qmgrs[0]["sides"][0]["nodes"][0]["qm_status"] = json!("Ended unexpectedly");
        qmgrs[1] = qmgr("G1QM2", 1, false, false, "Remote unavailable");
        let s = snapshot([true; 6], qmgrs, json!([]));
        let g = health(&s, 0);
        assert_eq!(
            g.qmgrs,
            [
                ("G1QM1 not running".to_string(), Tone::Bad),
                ("G1QM2 standby, DR Remote unavailable".to_string(), Tone::Bad),
                ("G1QM3 running".to_string(), Tone::Good)
            ]
        );
        assert_eq!(g.problems, ["G1QM1 not running", "G1QM2 standby, DR Remote unavailable"]);
        assert_eq!(g.tone, Tone::Bad);
    }

    #[test]
    fn a_warning_about_a_node_or_a_starting_or_unready_queue_manager_needs_attention() {
        let s = snapshot([true; 6], estate(), json!([finding("warning", "wdc2-mq2")]));
        assert_eq!(health(&s, 1).problems, ["1 finding of warning or worse"]);
        assert_eq!(health(&s, 1).tone, Tone::Warn);

        let mut qmgrs = estate();
        qmgrs[3]["sides"][0]["nodes"][0]["qm_status"] = json!("Starting");
        qmgrs[1]["readiness"]["WDC"]["ready"] = json!(false);
        let s = snapshot([true; 6], qmgrs, json!([]));
        assert_eq!(health(&s, 1).qmgrs, [("G2QM1 starting".to_string(), Tone::Warn)]);
        assert_eq!(health(&s, 0).problems, ["G1QM2 standby, not ready"]);
    }
}
