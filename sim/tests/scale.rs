//! A scaled estate (`LAB_SCALE=N`): N HA groups per region, each with three nodes that know
//! only their own group's queue managers, as RDQM nodes do; faults of a region reach every
//! group; every queue manager is reached through its own MQIPT route.

#![allow(clippy::unwrap_used)]

mod common;

use common::Lab;
use model::crm;
use sim::estate::Estate;
use sim::reference::{self, MQIPT_CONF, MQIPT_CONF_PATH};
use std::collections::BTreeSet;

const SCALE: u32 = 10;
const CLIENT: &str = "wdc-mq-client";

/// The queue managers of group `g`, by name.
fn group(g: u32) -> Vec<String> {
    if g == 1 {
        return ["DRHAQM1", "DRHAQM2", "SSLDRHAQM1"].map(String::from).to_vec();
    }
    reference::group_qmgrs(g).into_iter().map(|(name, ..)| name).collect()
}

fn nodes(region: &str, g: u32) -> Vec<String> {
    (1..=3).map(|i| format!("{}{i}-mq{g}", region.to_lowercase())).collect()
}

/// Values of `Label: value` lines (bare rdqmstatus's `Queue manager name:`).
fn values(text: &str, label: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.strip_prefix(label)).map(|v| v.trim().to_string()).collect()
}

/// The `QMNAME(...)` of each dspmq entry.
fn dspmq_names(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| l.strip_prefix("QMNAME(")).filter_map(|l| l.split_once(')')).map(|(n, _)| n.to_string()).collect()
}

/// The resources of `drbdadm status` (the unindented lines' first word).
fn drbd_resources(text: &str) -> Vec<String> {
    text.lines().filter(|l| !l.is_empty() && !l.starts_with(' ')).filter_map(|l| l.split_whitespace().next()).map(String::from).collect()
}

/// The peers `drbdadm status` names (indented two spaces, not `disk:`).
fn drbd_peers(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' ') && !l.starts_with("disk:"))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

#[test]
fn scale_one_is_the_reference_estate_exactly() {
    assert_eq!(reference::scaled_estate(MQIPT_CONF_PATH, 1), reference::estate(MQIPT_CONF_PATH));
    assert_eq!(reference::mqipt_conf(1), MQIPT_CONF);
    // Nothing new in the state file of a reference lab.
    let json = serde_json::to_string(&reference::estate(MQIPT_CONF_PATH)).unwrap();
    assert!(!json.contains("\"group\""), "{json}");
}

#[test]
fn ten_groups_make_sixty_nodes_and_thirty_queue_managers_with_distinct_ports() {
    let estate: Estate = reference::scaled_estate(MQIPT_CONF_PATH, SCALE);
    let all_nodes: Vec<&str> = estate.regions.iter().flat_map(|r| r.nodes.iter()).map(|n| n.name.as_str()).collect();
    assert_eq!(all_nodes.len(), 60);
    assert_eq!(all_nodes.iter().collect::<BTreeSet<_>>().len(), 60, "node names are unique");
    let ips: BTreeSet<&str> = estate.regions.iter().flat_map(|r| r.nodes.iter()).map(|n| n.ip.as_str()).collect();
    assert_eq!(ips.len(), 60, "node addresses are unique");
    assert_eq!(estate.qmgrs.len(), 30);
    for g in 1..=SCALE {
        for region in ["WDC", "DAL"] {
            let entry = estate.regions.iter().find(|r| r.name == region && r.group == g).unwrap();
            assert_eq!(entry.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>(), nodes(region, g));
        }
    }
    let listeners: BTreeSet<u16> = estate.qmgrs.iter().map(|q| q.listener_port).collect();
    let dr_ports: BTreeSet<u16> = estate.qmgrs.iter().map(|q| q.dr_port).collect();
    assert_eq!((listeners.len(), dr_ports.len()), (30, 30));
    assert!(listeners.iter().all(|p| *p < 1881), "below MQIPT's command port: {listeners:?}");
    // DR primaries in both regions, as in the reference.
    let wdc_primaries = estate.qmgrs.iter().filter(|q| q.dr_primary_regions() == ["WDC"]).count();
    let dal_primaries = estate.qmgrs.iter().filter(|q| q.dr_primary_regions() == ["DAL"]).count();
    assert_eq!((wdc_primaries, dal_primaries), (20, 10));
    // One route per queue manager, to its DR primary region's load balancer, on its own port.
    let routes = &estate.bastions[0].mqipt[0].active_routes;
    assert_eq!(routes.len(), 30);
    for qm in &estate.qmgrs {
        let route = routes.iter().find(|r| r.destination_port.as_deref() == Some(qm.listener_port.to_string().as_str())).unwrap();
        assert_eq!(route.listener_port, qm.listener_port.to_string());
        assert_eq!(route.destination.as_deref(), Some(reference::load_balancer(qm.dr_primary_regions()[0])), "{}", qm.name);
    }
    // Every name MQ allows: at most 48 characters of A-Z, 0-9, '.', '_', '/', '%'.
    assert!(estate.qmgrs.iter().all(|q| q.name.len() <= 48 && q.name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())));
}

#[test]
fn a_node_lists_only_its_own_groups_queue_managers_and_nodes() {
    let mut lab = Lab::scaled(SCALE);
    for (host, g) in [("wdc1-mq1", 1), ("wdc2-mq4", 4), ("dal3-mq7", 7), ("dal1-mq10", 10)] {
        let summary = lab.ok(host, "rdqmstatus");
        assert_eq!(values(&summary, "Queue manager name:"), group(g), "{host}");
        let region = if host.starts_with("wdc") { "WDC" } else { "DAL" };
        let online: Vec<String> = lab.ok(host, "rdqmstatus -n").lines().map(String::from).collect();
        let expected: Vec<String> = nodes(region, g).iter().map(|n| format!("Node {n} is online")).collect();
        assert_eq!(online, expected, "{host}");
        assert_eq!(dspmq_names(&lab.ok(host, "dspmq")), group(g), "{host}");
        let status = lab.ok(host, &format!("rdqmstatus -m {}", group(g)[0]));
        let peers: Vec<String> = values(&status, "Node:").into_iter().skip(1).collect();
        let mut others = nodes(region, g);
        others.retain(|n| n != host);
        assert_eq!(peers, others, "{host}: its HA peers");
    }
}

#[test]
fn another_groups_queue_manager_is_unknown_on_a_node() {
    let mut lab = Lab::scaled(SCALE);
    for (host, qm) in [("wdc1-mq4", "G5QM1"), ("wdc1-mq2", "DRHAQM1"), ("dal1-mq1", "G2QM2")] {
        let status = lab.run(host, &format!("rdqmstatus -m {qm}"));
        assert_eq!((status.stdout.as_str(), status.code), (format!("AMQ8118E: IBM MQ queue manager '{qm}' does not exist.\n").as_str(), 1), "{host}");
        let dspmq = lab.run(host, &format!("dspmq -m {qm}"));
        assert_eq!((dspmq.stdout.as_str(), dspmq.code), ("AMQ7048E: The queue manager name is either not valid or not known.\n", 72), "{host}");
        let dr = lab.run(host, &format!("rdqmdr -s -m {qm}"));
        assert!(dr.stdout.starts_with("AMQ8118E") && dr.code != 0, "{host}: {dr:?}");
        let preferred = lab.run(host, &format!("rdqmadm -p -m {qm}"));
        assert!(preferred.stdout.starts_with("AMQ8118E") && preferred.code != 0, "{host}: {preferred:?}");
        let mqsc = lab.run_with_input(host, &format!("runmqsc {qm}"), "DISPLAY QMGR\n");
        assert!(mqsc.stdout.starts_with("AMQ8118E") && mqsc.code != 0, "{host}: {mqsc:?}");
        let end = lab.run(host, &format!("endmqm {qm}"));
        assert!(end.stdout.starts_with("AMQ7048E") && end.code != 0, "{host}: {end:?}");
    }
    // A node of another group is not a member of this one.
    let refused = lab.run("wdc1-mq2", "rdqmadm -p -m G2QM1 -n wdc2-mq3");
    assert!(refused.stdout.starts_with("AMQ3764E"), "{refused:?}");
    assert_eq!(lab.estate.qmgr("G2QM1").unwrap().sides[0].preferred, "wdc1-mq2");
}

#[test]
fn drbd_and_pacemaker_show_only_the_groups_resources_and_nodes() {
    let mut lab = Lab::scaled(SCALE);
    // wdc1-mq3 is where group 3's queue managers run in WDC: it also holds the DR resources.
    let status = lab.ok("wdc1-mq3", "drbdadm status");
    assert_eq!(drbd_resources(&status), ["g3qm1", "g3qm1.dr", "g3qm2", "g3qm2.dr", "g3qm3", "g3qm3.dr"]);
    let peers: BTreeSet<String> = ["wdc2-mq3", "wdc3-mq3", "dal1-mq3"].map(String::from).into();
    assert_eq!(drbd_peers(&status), peers, "its HA peers and the DR peer of its group");
    let other = lab.run("wdc1-mq3", "drbdadm status drhaqm1");
    assert!(other.code != 0 && other.stderr.contains("not defined"), "{other:?}");
    let mon = crm::parse(&lab.ok("dal2-mq5", "crm_mon --one-shot --inactive --output-as=xml"));
    let names: Vec<String> = mon.nodes.iter().map(|n| n.name.clone()).collect();
    assert_eq!(names, nodes("DAL", 5));
    let ids: BTreeSet<String> = mon.resources.iter().map(|r| r.id.clone()).collect();
    assert!(ids.contains("g5qm2") && ids.iter().all(|id| id.contains("g5qm")), "{ids:?}");
    let cleanup = lab.run("dal2-mq5", "crm_resource --cleanup --resource drhaqm1");
    assert!(cleanup.code != 0 && cleanup.stderr.contains("not found"), "{cleanup:?}");
}

#[test]
fn dr_and_ha_commands_act_within_the_group() {
    let mut lab = Lab::scaled(SCALE);
    lab.ok("wdc1-mq6", "rdqmdr -s -m G6QM1");
    lab.ok("dal1-mq6", "rdqmdr -p -m G6QM1");
    assert_eq!(lab.running_on("G6QM1"), ["dal1-mq6"]);
    assert_eq!(lab.running_on("G6QM3"), ["wdc1-mq6"], "the group's other queue managers stay");
    assert_eq!(lab.running_on("DRHAQM1"), ["wdc1-mq1"]);
    // Suspending a node moves only its group's queue managers.
    lab.ok("wdc1-mq2", "rdqmadm -s");
    assert_eq!(lab.running_on("G2QM1"), ["wdc2-mq2"]);
    assert_eq!(lab.running_on("G2QM3"), ["wdc2-mq2"]);
    assert_eq!(lab.running_on("G3QM1"), ["wdc1-mq3"]);
    lab.ok("wdc2-mq2", "rdqmadm -p -m G2QM1 -n wdc3-mq2");
    lab.ok("wdc1-mq2", "rdqmadm -r");
    assert_eq!(lab.running_on("G2QM1"), ["wdc3-mq2"]);
    assert_eq!(lab.running_on("G2QM3"), ["wdc1-mq2"]);
}

#[test]
fn faults_reach_every_group_of_a_region_and_any_node() {
    let mut lab = Lab::scaled(SCALE);
    lab.fault("node-down wdc1-mq9");
    assert_eq!(lab.running_on("G9QM1"), ["wdc2-mq9"]);
    assert_eq!(lab.running_on("G8QM1"), ["wdc1-mq8"]);
    lab.fault("region-down WDC");
    let down: Vec<&str> = lab.estate.regions.iter().flat_map(|r| r.nodes.iter()).filter(|n| !n.up).map(|n| n.name.as_str()).collect();
    assert_eq!(down.len(), 30);
    assert!(down.iter().all(|n| n.starts_with("wdc")), "{down:?}");
    // A group's DR failover in DAL after its WDC group is lost (unplanned).
    lab.ok("dal1-mq4", "rdqmdr -p -m G4QM1");
    assert_eq!(lab.running_on("G4QM1"), ["dal1-mq4"]);
    assert!(lab.running_on("G4QM3").is_empty());
    lab.fault("region-up WDC");
    assert!(lab.estate.regions.iter().flat_map(|r| r.nodes.iter()).all(|n| n.up));
    lab.fault("pacemaker-ban DAL G2QM2");
    let banned: Vec<String> = lab.estate.qmgr("G2QM2").unwrap().fail_counts.keys().cloned().collect();
    assert_eq!(banned, nodes("DAL", 2));
}

#[test]
fn a_client_reaches_a_scaled_queue_manager_through_its_mqipt_route() {
    let mut lab = Lab::scaled(SCALE);
    let (name, port, _, primary) = reference::group_qmgrs(7).remove(1);
    assert_eq!(primary, "DAL");
    let mqserver = format!("MQSERVER={name}.MQIPT/TCP/10.241.1.4({port})");
    let put = lab.run(CLIENT, &format!("{mqserver} rdqmput -b2 -m3 -s0 {name} MQIPT.LOCAL.QUEUE"));
    assert_eq!((put.stdout.ends_with("Completed\n"), put.stderr.as_str()), (true, ""), "{put:?}");
    // The messages are on the DR primary's copy; the group's HA failover keeps them.
    lab.fault("node-down dal1-mq7");
    assert_eq!(lab.running_on(&name), ["dal2-mq7"]);
    let get = lab.run(CLIENT, &format!("{mqserver} rdqmget -b2 -m3 -s0 {name} MQIPT.LOCAL.QUEUE"));
    assert_eq!((get.stdout.ends_with("Completed\n"), get.stderr.as_str()), (true, ""), "{get:?}");
    // Another group's route reaches another queue manager.
    let (other, ..) = reference::group_qmgrs(7).remove(0);
    let wrong = lab.run(CLIENT, &format!("MQSERVER={name}.MQIPT/TCP/10.241.1.4({}) rdqmput -b1 -m1 -s0 {name} MQIPT.LOCAL.QUEUE", port - 1));
    assert_eq!(wrong.stderr, "MQCONNX returned MQCC_FAILED\nReason is 2058\n", "{other} answers there");
}
