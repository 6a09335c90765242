#![allow(clippy::unwrap_used)]

use super::*;
use crate::finding_code::FindingCode;
use crate::estate::{Evidence, Severity};
use proptest::prelude::*;

fn reference() -> Snapshot {
    let mut snapshot: Snapshot = serde_json::from_str(include_str!("../../tests/fixtures/reference-snapshot.json")).unwrap();
    snapshot.version = 41;
    snapshot
}

/// Another refresh in which nothing changed: the hosts answered a little later.
fn tick(s: &mut Snapshot, ms: u64) {
    s.polled_at += ms.max(1);
    s.poll_duration_ms = 9 + ms % 40;
    let at = s.polled_at;
    for node in s.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()) {
        if node.reachable {
            node.last_ok_at = Some(at - 3);
            if let Some(summary) = node.layers.as_mut().and_then(|l| l.pacemaker.as_mut()).map(|p| &mut p.summary) {
                summary.insert("last_update".into(), format!("t{at}"));
                summary.insert("last_change".into(), format!("t{at}"));
            }
        }
    }
    for instance in s.mqipt.iter_mut().filter(|m| m.reachable) {
        instance.last_ok_at = Some(at - 5);
    }
}

fn nodes_mut(s: &mut Snapshot) -> Vec<&mut NodeView> {
    s.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()).collect()
}

fn node_down(s: &mut Snapshot, name: &str) {
    for node in nodes_mut(s).into_iter().filter(|n| n.name == name) {
        node.reachable = false;
        node.stale = node.last_ok_at.is_some();
        node.error = Some(format!("ssh: connect to host {name} port 22: Connection refused"));
    }
    for qm_node in s.qmgrs.iter_mut().flat_map(|q| q.sides.iter_mut()).flat_map(|side| side.nodes.iter_mut()).filter(|n| n.node == name) {
        qm_node.stale = true;
    }
    s.findings.insert(
        0,
        Finding {
            severity: Severity::Critical,
            code: FindingCode::NodeUnreachable,
            message: format!("{name} is unreachable (last answered 0 s ago; its data below is stale)"),
            subject: name.into(),
            evidence: vec![Evidence { host: name.into(), command: "ssh".into(), lines: vec!["Connection refused".into()] }],
        },
    );
}

/// One queue manager's change: DR replication behind on DRHAQM1's primary in WDC.
fn dr_behind(s: &mut Snapshot, kb: u64) {
    let mut value = serde_json::to_value(&*s).unwrap();
    let qm = value["qmgrs"].as_array_mut().unwrap().iter_mut().find(|q| q["name"] == "DRHAQM1").unwrap();
    let side = &mut qm["sides"][0];
    side["dr_status"] = "Synchronization in progress".into();
    side["dr_out_of_sync_kb"] = kb.into();
    let node = &mut side["nodes"][0];
    node["dr_status"] = "Synchronization in progress".into();
    let fields = node["fields"].as_array_mut().unwrap();
    fields.retain(|f| f[0] != "DR out of sync data");
    let at = fields.iter().position(|f| f[0] == "DR status").unwrap();
    fields[at][1] = "Synchronization in progress".into();
    // rdqmstatus prints it after the DR status.
    fields.insert(at + 1, serde_json::json!(["DR out of sync data", format!("{kb} KB")]));
    *s = serde_json::from_value(value).unwrap();
    s.findings.retain(|f| f.code != FindingCode::DrNotNormal);
    s.findings.push(Finding {
        severity: Severity::Warning,
        code: FindingCode::DrNotNormal,
        message: format!("DRHAQM1: DR status in WDC is Synchronization in progress, {kb} KB not yet replicated"),
        subject: "DRHAQM1".into(),
        evidence: vec![Evidence {
            host: "wdc1-mq1".into(),
            command: "rdqmstatus -m DRHAQM1".into(),
            lines: vec!["DR status:                              Synchronization in progress".into(), format!("DR out of sync data:                    {kb} KB")],
        }],
    });
}

/// What a delta's JSON on the wire costs, as a server-sent event.
fn event_bytes(delta: &EstateDelta) -> usize {
    format!("event: {}\ndata: {}\n\n", delta.event_name(), serde_json::to_string(delta).unwrap()).len()
}

fn next(a: &Snapshot, change: impl FnOnce(&mut Snapshot)) -> Snapshot {
    let mut b = a.clone();
    b.version = a.version + 1;
    tick(&mut b, 2000);
    change(&mut b);
    b
}

/// Applies `delta` to a copy of `held`.
fn applied(held: &Snapshot, delta: &EstateDelta) -> Snapshot {
    let mut out = held.clone();
    apply(&mut out, delta).unwrap();
    out
}

#[test]
fn a_refresh_that_changed_nothing_is_a_small_heartbeat() {
    let a = reference();
    let b = next(&a, |_| {});
    let delta = diff(&a, &b);
    assert!(delta.is_heartbeat(), "{delta:?}");
    assert_eq!(delta.event_name(), EVENT_HEARTBEAT);
    assert!(event_bytes(&delta) < 200, "{}", event_bytes(&delta));
    let held = applied(&a, &delta);
    assert_eq!(held.version, b.version);
    assert_eq!(held.polled_at, b.polled_at);
    // Every host answered in that refresh: its polled_at stands for their answers.
    assert_eq!(settle(&held), settle(&b));
    assert!(held.regions.iter().flat_map(|r| &r.nodes).all(|n| n.last_ok_at == Some(b.polled_at)));
}

#[test]
fn one_queue_managers_change_costs_under_two_kilobytes() {
    let a = reference();
    let b = next(&a, |s| dr_behind(s, 2048));
    let delta = diff(&a, &b);
    assert_eq!(delta.event_name(), EVENT_DELTA);
    assert!(event_bytes(&delta) < 2048, "{}: {}", event_bytes(&delta), serde_json::to_string(&delta).unwrap());
    assert_eq!(settle(&applied(&a, &delta)), settle(&b));
    // The data grows: the next refresh carries only the numbers.
    let c = next(&b, |s| dr_behind(s, 4096));
    let delta = diff(&b, &c);
    assert!(event_bytes(&delta) < 1024, "{}: {}", event_bytes(&delta), serde_json::to_string(&delta).unwrap());
}

#[test]
fn a_typical_delta() {
    let a = reference();
    let b = next(&a, |s| {
        node_down(s, "dal2-mq1");
        dr_behind(s, 2048);
    });
    let delta = diff(&a, &b);
    insta::assert_json_snapshot!(delta);
    assert_eq!(settle(&applied(&a, &delta)), settle(&b));
}

#[test]
fn a_delta_for_another_version_is_refused() {
    let a = reference();
    let b = next(&a, |s| dr_behind(s, 1));
    let c = next(&b, |s| dr_behind(s, 2));
    let mut held = a.clone();
    assert_eq!(apply(&mut held, &diff(&b, &c)), Err(DeltaError::Gap { held: 41, from: 42 }));
}

#[test]
fn a_node_that_stops_answering_keeps_the_time_it_last_answered() {
    let a = reference();
    let b = next(&a, |_| {});
    let before = b.regions[0].nodes[1].last_ok_at;
    let c = next(&b, |s| {
        node_down(s, "wdc2-mq1");
        s.regions[0].nodes[1].last_ok_at = before;
    });
    // The viewer derived wdc2-mq1's answer time from b's heartbeat; c carries the exact one.
    let held = applied(&applied(&a, &diff(&a, &b)), &diff(&b, &c));
    let node = |s: &Snapshot| s.regions.iter().flat_map(|r| &r.nodes).find(|n| n.name == "wdc2-mq1").unwrap().clone();
    assert_eq!(node(&settle(&held)), node(&settle(&c)));
    assert_eq!(node(&held).last_ok_at, Some(b.polled_at - 3));
}

/// Changes a refresh can bring, as the property test draws them.
#[derive(Debug, Clone)]
enum Mutation {
    Tick(u16),
    NodeDown(u8),
    NodeUp(u8),
    QmField(u8, u8, u8, u8),
    RunningOn(u8),
    OutOfSync(u8, u32),
    RemoveQm(u8),
    CopyQm(u8, u8, u8),
    ReverseQms,
    RemoveRoute(u8),
    CopyRoute(u8, u8),
    RouteProperty(u8, u8),
    AddFinding(u8, u8, u8),
    RemoveFinding(u8),
    FindingMessage(u8, u8),
    ReverseFindings,
    LayersGone(u8),
    CrmSummary(u8, u8),
    GroupOnline(u8),
    RegionBalancer(u8, u8),
    RemoveNode(u8),
    CopyNode(u8, u8),
    CopyRegion(u8),
    ReverseRegions,
    PollInterval(u16),
    MqiptDown,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    use Mutation::*;
    let n = || any::<u8>();
    prop_oneof![
        any::<u16>().prop_map(Tick),
        n().prop_map(NodeDown),
        n().prop_map(NodeUp),
        (n(), n(), n(), n()).prop_map(|(a, b, c, d)| QmField(a, b, c, d)),
        n().prop_map(RunningOn),
        (n(), any::<u32>()).prop_map(|(a, b)| OutOfSync(a, b)),
        n().prop_map(RemoveQm),
        (n(), n(), n()).prop_map(|(a, b, c)| CopyQm(a, b, c)),
        Just(ReverseQms),
        n().prop_map(RemoveRoute),
        (n(), n()).prop_map(|(a, b)| CopyRoute(a, b)),
        (n(), n()).prop_map(|(a, b)| RouteProperty(a, b)),
        (n(), n(), n()).prop_map(|(a, b, c)| AddFinding(a, b, c)),
        n().prop_map(RemoveFinding),
        (n(), n()).prop_map(|(a, b)| FindingMessage(a, b)),
        Just(ReverseFindings),
        n().prop_map(LayersGone),
        (n(), n()).prop_map(|(a, b)| CrmSummary(a, b)),
        n().prop_map(GroupOnline),
        (n(), n()).prop_map(|(a, b)| RegionBalancer(a, b)),
        n().prop_map(RemoveNode),
        (n(), n()).prop_map(|(a, b)| CopyNode(a, b)),
        n().prop_map(CopyRegion),
        Just(ReverseRegions),
        any::<u16>().prop_map(PollInterval),
        Just(MqiptDown),
    ]
}

fn pick(len: usize, i: u8) -> Option<usize> {
    (len > 0).then(|| i as usize % len)
}

fn mutate(s: &mut Snapshot, m: &Mutation) {
    use Mutation::*;
    match *m {
        Tick(ms) => tick(s, u64::from(ms)),
        NodeDown(i) => {
            let names: Vec<String> = s.regions.iter().flat_map(|r| &r.nodes).map(|n| n.name.clone()).collect();
            if let Some(i) = pick(names.len(), i) {
                node_down(s, &names[i]);
            }
        }
        NodeUp(i) => {
            let at = s.polled_at;
            let mut nodes = nodes_mut(s);
            if let Some(i) = pick(nodes.len(), i) {
                let node = &mut nodes[i];
                node.reachable = true;
                node.stale = false;
                node.error = None;
                node.last_ok_at = Some(at - 1);
            }
        }
        QmField(q, side, node, v) => {
            if let Some(q) = pick(s.qmgrs.len(), q) {
                let sides = &mut s.qmgrs[q].sides;
                if let Some(side) = pick(sides.len(), side) {
                    let nodes = &mut sides[side].nodes;
                    if let Some(node) = pick(nodes.len(), node) {
                        let fields = &mut nodes[node].fields;
                        match pick(fields.len(), v) {
                            Some(f) if v % 3 == 0 => {
                                fields.remove(f);
                            }
                            Some(f) if v % 3 == 1 => fields[f].1 = format!("{v}%"),
                            Some(f) => fields.insert(f, ("HA synchronization progress".into(), format!("{v}%"))),
                            None => fields.push(("CPU".into(), format!("{v}%"))),
                        }
                    }
                }
            }
        }
        RunningOn(q) => {
            if let Some(q) = pick(s.qmgrs.len(), q) {
                let qm = &mut s.qmgrs[q];
                qm.running_on = if qm.running_on.is_some() { None } else { Some("dal3-mq1".into()) };
            }
        }
        OutOfSync(q, kb) => {
            if let Some(side) = pick(s.qmgrs.len(), q).and_then(|q| s.qmgrs[q].sides.first_mut()) {
                side.dr_out_of_sync_kb = Some(u64::from(kb));
            }
        }
        RemoveQm(q) => {
            if let Some(q) = pick(s.qmgrs.len(), q) {
                s.qmgrs.remove(q);
            }
        }
        CopyQm(q, name, at) => {
            if let Some(q) = pick(s.qmgrs.len(), q) {
                let mut copy = s.qmgrs[q].clone();
                copy.name = format!("QM{}", name % 4);
                if s.qmgrs.iter().all(|other| other.name != copy.name) {
                    s.qmgrs.insert(at as usize % (s.qmgrs.len() + 1), copy);
                }
            }
        }
        ReverseQms => s.qmgrs.reverse(),
        RemoveRoute(i) => {
            if let Some(i) = pick(s.routes.len(), i) {
                s.routes.remove(i);
            }
        }
        CopyRoute(i, at) => {
            // The same instance and port again (a file that repeats one).
            if let Some(i) = pick(s.routes.len(), i) {
                let mut copy = s.routes[i].clone();
                copy.active = !copy.active;
                s.routes.insert(at as usize % (s.routes.len() + 1), copy);
            }
        }
        RouteProperty(i, v) => {
            if let Some(i) = pick(s.routes.len(), i) {
                s.routes[i].properties.insert(format!("Key/{}~", v % 3), format!("{v}"));
            }
        }
        AddFinding(code, subject, at) => {
            let finding = Finding {
                severity: [Severity::Critical, Severity::Warning, Severity::Info][code as usize % 3],
                code: [FindingCode::NodeUnreachable, FindingCode::DrNotNormal, FindingCode::RouteMissing][code as usize % 3],
                message: format!("message {code} {subject}"),
                subject: format!("subject/{}", subject % 2),
                evidence: vec![Evidence { host: "wdc1-mq1".into(), command: "true".into(), lines: vec![format!("{at}")] }],
            };
            s.findings.insert(at as usize % (s.findings.len() + 1), finding);
        }
        RemoveFinding(i) => {
            if let Some(i) = pick(s.findings.len(), i) {
                s.findings.remove(i);
            }
        }
        FindingMessage(i, v) => {
            if let Some(i) = pick(s.findings.len(), i) {
                s.findings[i].message = format!("changed {v}");
                s.findings[i].evidence[0].lines.insert(0, format!("line {v}"));
            }
        }
        ReverseFindings => s.findings.reverse(),
        LayersGone(i) => {
            let mut nodes = nodes_mut(s);
            if let Some(i) = pick(nodes.len(), i) {
                nodes[i].layers = None;
            }
        }
        CrmSummary(i, v) => {
            let mut nodes = nodes_mut(s);
            if let Some(crm) = pick(nodes.len(), i).and_then(|i| nodes[i].layers.as_mut()).and_then(|l| l.pacemaker.as_mut()) {
                crm.summary.insert("dc".into(), format!("node{v}"));
                if v % 2 == 0 {
                    crm.resources.pop();
                }
            }
        }
        GroupOnline(i) => {
            let mut nodes = nodes_mut(s);
            if let Some(i) = pick(nodes.len(), i) {
                let online = &mut nodes[i].group_online;
                let first = online.keys().next().cloned();
                if let Some(first) = first {
                    online.insert(first, None);
                }
            }
        }
        RegionBalancer(r, v) => {
            if let Some(r) = pick(s.regions.len(), r) {
                s.regions[r].load_balancer = format!("lb{v}.example");
            }
        }
        RemoveNode(i) => {
            if let Some(r) = pick(s.regions.len(), i) {
                let nodes = &mut s.regions[r].nodes;
                if let Some(n) = pick(nodes.len(), i / 2) {
                    nodes.remove(n);
                }
            }
        }
        CopyNode(i, name) => {
            if let Some(r) = pick(s.regions.len(), i) {
                let nodes = &mut s.regions[r].nodes;
                if let Some(n) = pick(nodes.len(), i / 2) {
                    let mut copy = nodes[n].clone();
                    copy.name = format!("extra{}-mq1", name % 3);
                    if nodes.iter().all(|other| other.name != copy.name) {
                        nodes.insert(0, copy);
                    }
                }
            }
        }
        CopyRegion(r) => {
            if let Some(r) = pick(s.regions.len(), r) {
                let mut copy = s.regions[r].clone();
                copy.name = format!("R{}", r % 2);
                if s.regions.iter().all(|other| other.name != copy.name) {
                    s.regions.push(copy);
                }
            }
        }
        ReverseRegions => s.regions.reverse(),
        PollInterval(ms) => s.poll_interval_ms = u64::from(ms),
        MqiptDown => {
            for instance in &mut s.mqipt {
                instance.reachable = false;
                instance.stale = true;
                instance.error = Some("ssh: Connection refused".into());
            }
        }
    }
}

fn mutated(from: &Snapshot, version: u64, mutations: &[Mutation]) -> Snapshot {
    let mut s = from.clone();
    s.version = version;
    tick(&mut s, 1000);
    for m in mutations {
        mutate(&mut s, m);
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A delta turns the snapshot it was made from into the next one: exactly when both
    /// are as a viewer of deltas holds them (settled), and up to the values a delta leaves
    /// out otherwise, over a chain of refreshes, from a delta that went over the wire.
    #[test]
    fn applying_the_diff_gives_the_next_snapshot(
        first in prop::collection::vec(mutation(), 0..6),
        second in prop::collection::vec(mutation(), 0..6),
        third in prop::collection::vec(mutation(), 0..6),
        independent in any::<bool>(),
    ) {
        let reference = reference();
        let a = mutated(&reference, 7, &first);
        let b = mutated(if independent { &reference } else { &a }, 8, &second);
        let c = mutated(&b, 9, &third);

        let (sa, sb) = (settle(&a), settle(&b));
        prop_assert_eq!(applied(&sa, &diff(&sa, &sb)), sb.clone());

        let wire = |d: EstateDelta| -> EstateDelta {
            let text = serde_json::to_string(&d).unwrap();
            let back: EstateDelta = serde_json::from_str(&text).unwrap();
            assert_eq!(back, d);
            back
        };
        let ab = wire(diff(&a, &b));
        let bc = wire(diff(&b, &c));
        // A viewer that started from the whole `a`, and one that started settled.
        for start in [a.clone(), sa.clone()] {
            let at_b = applied(&start, &ab);
            prop_assert_eq!(settle(&at_b), sb.clone());
            let at_c = applied(&at_b, &bc);
            prop_assert_eq!(settle(&at_c), settle(&c));
        }
        // Nothing but another refresh: a heartbeat.
        let mut later = c.clone();
        later.version = 10;
        tick(&mut later, 500);
        prop_assert!(diff(&c, &later).is_heartbeat());
    }
}
