//! Several HA groups per region: a node is asked only about the queue managers its group
//! holds, and a queue manager's side, readiness and plans count only its own group's nodes.
#![allow(clippy::unwrap_used)]

use model::estate::{Inventory, InventoryGroup, InventoryQmgr, InventoryRegion, ReadinessCode};
use model::probe::{self, HostReport, Observed, Probe, ProbeResult};

const WDC1_PRIMARY: &str = include_str!("fixtures/rdqmstatus_wdc1_initial.txt");
const WDC2_SECONDARY: &str = include_str!("fixtures/rdqmstatus_wdc2_secondary.txt");
const DAL1_PRIMARY: &str = include_str!("fixtures/rdqmstatus_dal1_initial.txt");

fn group(region: &str, g: u32) -> InventoryGroup {
    let prefix = region.to_lowercase();
    InventoryGroup { name: format!("{region}-{g}"), nodes: (1..=3).map(|n| format!("{prefix}{n}-mq{g}")).collect() }
}

fn region(name: &str, lb: &str) -> InventoryRegion {
    let groups = vec![group(name, 1), group(name, 2)];
    InventoryRegion { name: name.into(), load_balancer: lb.into(), nodes: groups.iter().flat_map(|g| g.nodes.clone()).collect(), groups }
}

fn qmgr(name: &str, port: u16, g: u32) -> InventoryQmgr {
    InventoryQmgr { name: name.into(), listener_port: port, route: None, ha_groups: vec![format!("WDC-{g}"), format!("DAL-{g}")] }
}

fn inventory() -> Inventory {
    Inventory {
        regions: vec![region("WDC", "wdc.lb"), region("DAL", "dal.lb")],
        qmgrs: vec![qmgr("DRHAQM1", 1501, 1), qmgr("G2QM1", 1601, 2)],
        mqipt: Vec::new(),
        keystores: Vec::new(),
    }
}

/// What node `n` (1..=3) of group `g` in `region` prints for any of its group's queue
/// managers: seed 000's outputs with the group's node names.
fn rdqmstatus(region: &str, g: u32, n: u32) -> String {
    let text = match (region, n) {
        ("WDC", 1) => WDC1_PRIMARY.to_string(),
        ("WDC", 2) => WDC2_SECONDARY.to_string(),
        ("WDC", _) => WDC2_SECONDARY.replace("wdc2-mq1", "@").replace("wdc3-mq1", "wdc2-mq1").replace('@', "wdc3-mq1"),
        (_, 1) => DAL1_PRIMARY.to_string(),
        (_, n) => {
            let secondary = WDC2_SECONDARY.replace("wdc", "dal").replace("DR role:                                Primary", "DR role:                                Secondary");
            if n == 2 { secondary } else { secondary.replace("dal2-mq1", "@").replace("dal3-mq1", "dal2-mq1").replace('@', "dal3-mq1") }
        }
    };
    text.replace("-mq1", &format!("-mq{g}"))
}

fn report(inventory: &Inventory, host: &str, down: bool) -> HostReport {
    let region = if host.starts_with("wdc") { "WDC" } else { "DAL" };
    let n: u32 = host[3..4].parse().unwrap();
    let g: u32 = host.rsplit("-mq").next().unwrap().parse().unwrap();
    let results = probe::probes_for(inventory, host)
        .into_iter()
        .filter(|p| matches!(p, Probe::QmStatus(_)))
        .map(|probe| ProbeResult { probe, output: rdqmstatus(region, g, n), exit_code: Some(0) })
        .collect();
    // A host lost keeps what it answered last (the poller's last good data), marked stale.
    let error = down.then(|| "ssh: connect to host: Connection refused".to_string());
    HostReport { host: host.into(), error, data: Some(Observed { at_ms: 1_000, started_ms: 990, results }) }
}

#[test]
fn a_node_is_asked_only_about_its_own_groups_queue_managers() {
    let inventory = inventory();
    let asked = |host: &str| -> Vec<String> {
        probe::probes_for(&inventory, host)
            .into_iter()
            .filter_map(|p| match p {
                Probe::QmStatus(qm) => Some(qm),
                _ => None,
            })
            .collect()
    };
    assert_eq!(asked("wdc1-mq1"), ["DRHAQM1"]);
    assert_eq!(asked("dal3-mq2"), ["G2QM1"]);
    assert_eq!(inventory.qm_nodes("G2QM1", "DAL"), ["dal1-mq2", "dal2-mq2", "dal3-mq2"]);
    assert_eq!(inventory.group_nodes("wdc2-mq2"), ["wdc1-mq2", "wdc2-mq2", "wdc3-mq2"]);
    assert_eq!(inventory.group_of_node("wdc2-mq2").as_deref(), Some("WDC-2"));
}

#[test]
fn a_whole_group_down_costs_only_its_own_queue_managers() {
    let inventory = inventory();
    let reports: Vec<HostReport> = inventory.hosts().iter().map(|h| report(&inventory, h, h.starts_with("wdc") && h.ends_with("-mq2"))).collect();
    let snapshot = model::snapshot::build(&inventory, &reports, 2_000, 10);

    let drhaqm1 = snapshot.qmgrs.iter().find(|q| q.name == "DRHAQM1").unwrap();
    let sides: Vec<Vec<&str>> = drhaqm1.sides.iter().map(|s| s.nodes.iter().map(|n| n.node.as_str()).collect()).collect();
    assert_eq!(sides, [["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"], ["dal1-mq1", "dal2-mq1", "dal3-mq1"]]);
    assert_eq!(drhaqm1.running_on.as_deref(), Some("wdc1-mq1"));
    assert!(drhaqm1.readiness["WDC"].ready, "group 1 is whole: {:?}", drhaqm1.readiness["WDC"]);

    let g2 = snapshot.qmgrs.iter().find(|q| q.name == "G2QM1").unwrap();
    let wdc = &g2.readiness["WDC"];
    assert!(!wdc.ready);
    let unreachable = wdc.reasons.iter().find(|r| r.code == ReadinessCode::Unreachable).unwrap();
    assert_eq!(unreachable.message, "only 0 of 3 nodes reachable: the HA group has no quorum");
    assert_eq!(g2.sides[0].nodes.len(), 3);
    assert!(g2.readiness["DAL"].reasons.iter().all(|r| r.code != ReadinessCode::Unreachable));

    assert_eq!(g2.sides[0].ha_group.as_deref(), Some("WDC-2"));
    let not_running = snapshot.findings.iter().find(|f| f.code == model::estate::FindingCode::QmNotRunning && f.subject == "G2QM1").unwrap();
    assert_eq!(
        not_running.message,
        "G2QM1 is running in no region that answers: WDC (HA group WDC-2), its last known DR primary, does not answer; an unplanned failover (dr-failover) may be needed"
    );
    assert!(snapshot.findings.iter().all(|f| f.subject != "DRHAQM1"), "group 1 is whole: {:?}", snapshot.findings);

    let groups: Vec<&str> = snapshot.regions[0].groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(groups, ["WDC-1", "WDC-2"]);
}

#[test]
fn a_region_of_one_group_needs_no_group_names() {
    let mut inventory = inventory();
    for region in &mut inventory.regions {
        region.groups.clear();
        region.nodes.retain(|n| n.ends_with("-mq1"));
    }
    inventory.qmgrs.iter_mut().for_each(|q| q.ha_groups.clear());
    assert_eq!(inventory.qm_nodes("G2QM1", "WDC"), ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"]);
    assert_eq!(inventory.group_of_node("dal2-mq1").as_deref(), Some("DAL"));
    assert_eq!(inventory.regions[1].ha_groups(), [InventoryGroup { name: "DAL".into(), nodes: vec!["dal1-mq1".into(), "dal2-mq1".into(), "dal3-mq1".into()] }]);
}
