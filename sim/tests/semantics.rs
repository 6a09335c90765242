//! RDQM's rules as the simulator applies them, checked against seed 000's outputs.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use common::Lab;
use model::mqipt::MqiptConf;
use sim::control::{self, Fault, HostEvent};
use sim::fs::HostFs;
use sim::reference::{DAL_LB, MQIPT_CONF_PATH};

impl Lab {
    fn dr_roles(&self, qm: &str) -> Vec<String> {
        self.estate.qmgr(qm).unwrap().sides.iter().map(|s| format!("{}={}", s.region, s.dr_role)).collect()
    }
}

fn seed(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/seed/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The seed captured `CPU: 1.09%` once; CPU is the one value that moves on its own.
fn without_cpu(text: &str) -> String {
    text.lines().filter(|l| !l.starts_with("CPU:")).collect::<Vec<_>>().join("\n")
}

#[test]
fn initial_status_matches_the_seed_byte_for_byte() {
    let mut lab = Lab::new();
    assert_eq!(lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), seed("rdqmstatus_wdc1_initial.txt"));
    assert_eq!(lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1"), seed("rdqmstatus_dal1_initial.txt"));
}

#[test]
fn regional_failover_of_the_seed() {
    let mut lab = Lab::new();
    assert_eq!(
        lab.ok("wdc1-mq1", "rdqmdr -s -m DRHAQM1"),
        "Queue manager 'DRHAQM1' has been made the DR secondary on this node.\n"
    );
    assert_eq!(lab.running_on("DRHAQM1"), Vec::<String>::new());
    assert_eq!(
        lab.ok("dal1-mq1", "rdqmdr -p -m DRHAQM1"),
        "Queue manager 'DRHAQM1' has been made the DR primary on this node.\n"
    );
    assert_eq!(lab.running_on("DRHAQM1"), vec!["dal1-mq1"]);
    let dal = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(without_cpu(&dal), without_cpu(&seed("rdqmstatus_dal1_after_failover.txt")));
    assert_eq!(lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), seed("rdqmstatus_wdc1_after_failover.txt"));
    let dspmq = lab.ok("dal1-mq1", "dspmq -a -x -s");
    assert!(dspmq.starts_with(&seed("dspmq_dal1_after_failover.txt")), "{dspmq}");
    // and back, as the seed fails it back
    lab.ok("dal1-mq1", "rdqmdr -s -m DRHAQM1");
    lab.ok("wdc1-mq1", "rdqmdr -p -m DRHAQM1");
    assert_eq!(lab.running_on("DRHAQM1"), vec!["wdc1-mq1"]);
    assert_eq!(lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), seed("rdqmstatus_wdc1_initial.txt"));
}

#[test]
fn promotion_is_refused_while_the_other_region_is_primary_and_linked() {
    let mut lab = Lab::new();
    let refused = lab.run("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    assert_eq!(refused.code, 1);
    assert!(refused.stdout.starts_with("AMQ3693E"), "{}", refused.stdout);
    assert_eq!(lab.dr_roles("DRHAQM1"), ["WDC=Primary", "DAL=Secondary"]);
}

#[test]
fn rdqmdr_off_the_ha_primary_is_refused_with_amq3705e() {
    let mut lab = Lab::new();
    for (host, command) in [("wdc2-mq1", "rdqmdr -s -m DRHAQM1"), ("dal3-mq1", "rdqmdr -p -m DRHAQM1")] {
        let refused = lab.run(host, command);
        assert_eq!(refused.code, 2, "{host}");
        assert!(refused.stdout.starts_with("AMQ3705E"), "{}", refused.stdout);
        assert!(refused.stdout.lines().all(|l| l.len() <= 75), "not wrapped: {}", refused.stdout);
    }
    assert_eq!(lab.dr_roles("DRHAQM1"), ["WDC=Primary", "DAL=Secondary"]);
}

#[test]
fn rdqmdr_follows_the_ha_primary_when_a_node_is_suspended() {
    let mut lab = Lab::new();
    lab.ok("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    lab.ok("dal1-mq1", "rdqmadm -s");
    assert!(lab.run("dal1-mq1", "rdqmdr -p -m DRHAQM1").stdout.starts_with("AMQ3705E"));
    lab.ok("dal2-mq1", "rdqmdr -p -m DRHAQM1");
    assert_eq!(lab.running_on("DRHAQM1"), vec!["dal2-mq1"]);
}

#[test]
fn unplanned_failover_loses_unreplicated_data_then_partition_is_resolved() {
    let mut lab = Lab::new();
    lab.fault("dr-status DRHAQM1 Normal 2048");
    let events = lab.fault("region-down WDC");
    assert_eq!(events.len(), 3);
    assert!(events.contains(&HostEvent::Down("wdc1-mq1".into())));
    let dal = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(dal.contains("DR status:                              Remote unavailable\n"), "{dal}");
    assert!(dal.contains("DR out of sync data:                    2048KB\n"), "{dal}");
    assert!(dal.contains("DR current remote IP address:           None\n"), "{dal}");
    // The primary region is lost: promotion succeeds.
    lab.ok("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    let qm = lab.estate.qmgr("DRHAQM1").unwrap();
    assert_eq!((qm.lost_kb, qm.out_of_sync_kb), (2048, 0));
    assert_eq!(lab.running_on("DRHAQM1"), vec!["dal1-mq1"]);
    // WDC returns still claiming Primary: both sides run it (a split).
    lab.fault("region-up WDC");
    assert_eq!(lab.dr_roles("DRHAQM1"), ["WDC=Primary", "DAL=Primary"]);
    assert_eq!(lab.running_on("DRHAQM1"), vec!["wdc1-mq1", "dal1-mq1"]);
    let wdc = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(wdc.contains("DR status:                              Unknown\n"), "{wdc}");
    let dal = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(dal.contains("DR status:                              Remote unavailable\n"), "{dal}");
    // Keep DAL's data: WDC becomes secondary, resynchronises, then Normal.
    lab.ok("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    assert_eq!(lab.running_on("DRHAQM1"), vec!["dal1-mq1"]);
    let syncing = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(syncing.contains("DR status:                              Synchronization in progress\n"));
    lab.now_ms += lab.estate.resync_ms;
    let normal = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(normal.contains("DR status:                              Normal\n"), "{normal}");
}

#[test]
fn suspend_and_resume_move_the_queue_managers_as_the_seed_shows() {
    let mut lab = Lab::new();
    assert_eq!(lab.ok("wdc1-mq1", "rdqmadm -s"), "The replicated data node 'wdc1-mq1' has been suspended.\n");
    assert_eq!(lab.running_on("DRHAQM1"), vec!["wdc2-mq1"]);
    let dspmq = lab.ok("wdc2-mq1", "dspmq -a -x -s");
    assert!(dspmq.starts_with(&seed("dspmq_wdc2_suspended.txt")), "{dspmq}");
    let peer_view = lab.ok("wdc2-mq1", "rdqmstatus -m DRHAQM1");
    assert!(peer_view.contains("Node:                                   wdc1-mq1\nHA status:                              Remote node in standby\n"));
    assert!(lab.run("wdc1-mq1", "rdqmadm -s").code != 0, "suspending twice must be refused");
    assert_eq!(lab.ok("wdc1-mq1", "rdqmadm -r"), "The replicated data node 'wdc1-mq1' has been resumed.\n");
    assert_eq!(lab.running_on("DRHAQM1"), vec!["wdc1-mq1"]);
    assert!(lab.ok("wdc1-mq1", "dspmq -a -x -s").starts_with(&seed("dspmq_wdc1_resumed.txt")));
}

#[test]
fn preferred_location_moves_the_queue_manager() {
    let mut lab = Lab::new();
    let message = lab.ok("wdc1-mq1", "rdqmadm -p -m DRHAQM1 -n wdc3-mq1");
    assert_eq!(message, "The preferred replicated data node has been set to 'wdc3-mq1' for queue\nmanager 'DRHAQM1'.\n");
    assert_eq!(lab.running_on("DRHAQM1"), vec!["wdc3-mq1"]);
    assert!(lab.run("wdc1-mq1", "rdqmadm -p -m DRHAQM1 -n dal1-mq1").code != 0);
}

#[test]
fn lost_nodes_show_in_ha_status_and_quorum_loss_stops_the_queue_manager() {
    let mut lab = Lab::new();
    lab.fault("node-down wdc1-mq1");
    assert_eq!(lab.running_on("DRHAQM1"), vec!["wdc2-mq1"]);
    let view = lab.ok("wdc2-mq1", "rdqmstatus -m DRHAQM1");
    assert!(view.contains("HA status:                              Mixed\n"), "{view}");
    assert!(view.contains("Node:                                   wdc1-mq1\nHA status:                              Remote unavailable\nHA out of sync data:                    0KB\n"));
    lab.fault("node-down wdc2-mq1");
    assert_eq!(lab.running_on("DRHAQM1"), Vec::<String>::new());
    let isolated = lab.ok("wdc3-mq1", "rdqmstatus -m DRHAQM1");
    assert!(isolated.contains("Queue manager status:                   Status not available\n"), "{isolated}");
    assert!(isolated.contains("HA role:                                Unknown\n"));
    assert!(isolated.contains("HA status:                              Remote unavailable\n"));
    lab.fault("clear");
    assert_eq!(lab.running_on("DRHAQM1"), vec!["wdc1-mq1"]);
}

#[test]
fn forced_dr_status_shows_out_of_sync_data_on_both_sides() {
    let mut lab = Lab::new();
    let args = ["dr-status", "DRHAQM1", "Synchronization in progress", "4096"].map(String::from);
    control::apply(&mut lab.estate, &Fault::parse(&args).unwrap()).unwrap();
    for host in ["wdc1-mq1", "dal1-mq1"] {
        let out = lab.ok(host, "rdqmstatus -m DRHAQM1");
        assert!(out.contains("DR status:                              Synchronization in progress\nDR out of sync data:                    4096KB\n"), "{out}");
    }
    lab.fault("clear");
    assert!(lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1").contains("DR status:                              Normal\nDR port:"));
}

#[test]
fn mqipt_refresh_restarts_only_changed_routes() {
    let mut lab = Lab::new();
    let mut conf = MqiptConf::parse(&lab.fs.read(MQIPT_CONF_PATH).unwrap());
    conf.set_route_property("1501", "Destination", DAL_LB).unwrap();
    lab.fs.write(MQIPT_CONF_PATH, &conf.render()).unwrap();
    let out = lab.ok("wdc-bastion", "mqiptAdmin -refresh -n HAMQ");
    assert_eq!(out, seed("mqiptadmin_refresh.txt"));
    let routes = &lab.estate.bastions[0].mqipt[0].active_routes;
    let starts: Vec<(String, u64)> = routes.iter().map(|r| (r.listener_port.clone(), r.starts)).collect();
    assert_eq!(starts, [("1501".to_string(), 2), ("1502".to_string(), 1), ("1503".to_string(), 1)]);
    assert_eq!(routes[0].destination.as_deref(), Some(DAL_LB));
    let unknown = lab.run("wdc-bastion", "mqiptAdmin -refresh -n NOPE");
    assert_eq!(unknown.code, 1);
}

#[test]
fn commands_exist_only_where_they_are_installed() {
    let mut lab = Lab::new();
    assert_eq!(lab.run("wdc-bastion", "rdqmstatus").code, 127);
    assert_eq!(lab.run("wdc1-mq1", "mqiptAdmin -refresh -n HAMQ").code, 127);
}

#[test]
fn fault_knobs_shape_the_output() {
    let mut lab = Lab::new();
    lab.fault("sudo wdc1-mq1 on");
    let out = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(out.ends_with("HA status:                              Normal\nCommand '/opt/mqm/bin/rdqmstatus' run with sudo.\n"));
    lab.fault("stderr wdc1-mq1 on");
    let moved = lab.run("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(moved.stdout.is_empty() && moved.stderr.starts_with("Node:"));
    lab.fault("fail-next wdc-bastion mqiptAdmin");
    let failed = lab.run("wdc-bastion", "mqiptAdmin -refresh -n HAMQ");
    assert_eq!(failed.code, 1);
    assert_eq!(lab.run("wdc-bastion", "mqiptAdmin -refresh -n HAMQ").code, 0, "fail-next is one-shot");
    lab.fault("hang-next dal1-mq1 rdqmdr");
    assert!(lab.run("dal1-mq1", "rdqmdr -s -m DRHAQM2").hang);
    lab.fault("latency dal2-mq1 250");
    assert_eq!(lab.run("dal2-mq1", "dspmq").delay_ms, 250);
    lab.fault("clear");
    assert_eq!(lab.run("dal2-mq1", "dspmq").delay_ms, 0);
}

#[test]
fn bad_knobs_get_clear_errors() {
    let parse = |s: &str| Fault::parse(&s.split_whitespace().map(str::to_string).collect::<Vec<_>>());
    assert!(parse("explode wdc1-mq1").unwrap_err().to_string().contains("unknown fault"));
    assert!(parse("latency wdc1-mq1 soon").unwrap_err().to_string().contains("not a whole number"));
    assert!(parse("dr-status DRHAQM1 Sideways").unwrap_err().to_string().contains("not a DR status"));
    let mut lab = Lab::new();
    let err = control::apply(&mut lab.estate, &parse("node-down nowhere").unwrap()).unwrap_err();
    assert!(err.to_string().contains("nowhere"));
}

#[test]
fn usage_errors_do_not_change_state() {
    let mut lab = Lab::new();
    let before = lab.estate.clone();
    for line in ["rdqmdr -m DRHAQM1", "rdqmdr -p -s -m DRHAQM1", "rdqmdr -p -m", "rdqmadm -x", "dspmq -z", "rdqmstatus -m NOPE"] {
        assert_ne!(lab.run("wdc1-mq1", line).code, 0, "{line}");
    }
    // The host's record of commands keeps the refused ones too; nothing else changed.
    let refused: Vec<(&str, i32)> = lab.estate.command_log.iter().map(|c| (c.command.as_str(), c.exit_code)).collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|(c, code)| c.starts_with("rdqmdr -p") && *code != 0), "{refused:?}");
    let mut after = lab.estate.clone();
    after.command_log.clear();
    after.clock_ms = before.clock_ms;
    // What the queue managers and MQIPT loaded when they started (read at the first command)
    // is not a change either.
    for qm in &mut after.qmgrs {
        qm.tls = None;
    }
    for route in after.bastions.iter_mut().flat_map(|b| b.mqipt.iter_mut()).flat_map(|i| i.active_routes.iter_mut()) {
        route.tls = None;
    }
    for node in after.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()) {
        node.tlshd = None;
    }
    (after.tls_links, after.tls_signatures, after.tls_loads) = Default::default();
    assert_eq!(after, before);
}
