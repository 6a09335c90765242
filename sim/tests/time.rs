//! Transitions take time, as on real systems, and every intermediate state shows to whoever
//! polls: a queue manager `Starting` before `Running`, `rdqmdr` returning after the role
//! change, a node that comes back resynchronising with progress and an estimated end.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Lab, T0};
use sim::estate::Timing;

fn line<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(label)).map(|l| l[label.len()..].trim())
}

fn realistic() -> Lab {
    let mut lab = Lab::new();
    lab.estate.timing = Timing::lab(1.0);
    lab
}

#[test]
fn a_promotion_takes_time_and_the_queue_manager_starts_before_it_runs() {
    let mut lab = realistic();
    let demoted = lab.run("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    assert_eq!((demoted.code, demoted.takes_ms), (0, 4000), "rdqmdr returns after the role change");
    let promoted = lab.run("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    assert_eq!((promoted.code, promoted.takes_ms), (0, 4000));
    assert_eq!(promoted.stdout, "Queue manager 'DRHAQM1' has been made the DR primary on this node.\n");
    let status = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "Queue manager status:"), Some("Starting"), "{status}");
    assert_eq!(line(&status, "CPU:"), None, "no CPU while starting: {status}");
    assert_eq!(line(&status, "HA role:"), Some("Primary"));
    assert!(lab.ok("dal1-mq1", "dspmq").contains("STATUS(Starting)"));
    lab.now_ms = T0 + 5_999;
    assert_eq!(line(&lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1"), "Queue manager status:"), Some("Starting"));
    lab.now_ms = T0 + 6_000;
    let status = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "Queue manager status:"), Some("Running"), "{status}");
    assert_eq!(line(&status, "CPU:"), Some("0.00%"));
}

#[test]
fn a_suspended_nodes_queue_managers_start_on_another_node() {
    let mut lab = realistic();
    lab.ok("wdc1-mq1", "rdqmadm -s");
    let status = lab.ok("wdc2-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "Queue manager status:"), Some("Starting"), "{status}");
    lab.now_ms += 6_000;
    assert_eq!(line(&lab.ok("wdc2-mq1", "rdqmstatus -m DRHAQM1"), "Queue manager status:"), Some("Running"));
    // Resumed, the node first resynchronises; only then do its queue managers start back on it.
    lab.ok("wdc1-mq1", "rdqmadm -r");
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "Queue manager status:"), Some("Running elsewhere"), "{status}");
    assert_eq!(line(&status, "HA status:"), Some("Synchronization in progress"), "{status}");
    lab.now_ms += 12_000;
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "Queue manager status:"), Some("Starting"), "{status}");
    assert_eq!(line(&status, "HA status:"), Some("Normal"), "{status}");
    lab.now_ms += 6_000;
    assert_eq!(line(&lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), "Queue manager status:"), Some("Running"));
}

#[test]
fn a_returning_node_resynchronises_with_progress_until_normal() {
    let mut lab = realistic();
    lab.fault("node-down wdc2-mq1");
    lab.fault("node-up wdc2-mq1");
    lab.now_ms = T0 + 3_000;
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(
        status.contains(
            "HA status:                              Synchronization in progress\nHA control:"
        ),
        "the local block says so: {status}"
    );
    assert!(
        status.contains(
            "Node:                                   wdc2-mq1\n\
             HA status:                              Synchronization in progress\n\
             HA synchronization progress:            25.0%\n\
             HA estimated time to completion:        2022-06-02 19:26:23\n"
        ),
        "the returning peer's block, as IBM's capture shows it: {status}"
    );
    assert!(status.contains("Node:                                   wdc3-mq1\nHA status:                              Normal\n"), "{status}");
    let source = lab.ok("wdc1-mq1", "drbdadm status");
    assert!(source.contains("  wdc2-mq1 role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:25.00\n"), "{source}");
    let target = lab.ok("wdc2-mq1", "drbdadm status");
    assert!(target.contains("replication:SyncTarget peer-disk:UpToDate done:25.00"), "{target}");
    lab.now_ms = T0 + 12_000;
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(!status.contains("Synchronization"), "{status}");
    assert!(!lab.ok("wdc1-mq1", "drbdadm status").contains("replication:"));
}

#[test]
fn at_scale_zero_every_transition_is_instant() {
    let mut lab = Lab::new();
    lab.ok("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    assert_eq!(lab.run("dal1-mq1", "rdqmdr -p -m DRHAQM1").takes_ms, 0);
    assert_eq!(line(&lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1"), "Queue manager status:"), Some("Running"));
}

#[test]
fn an_isolated_node_loses_its_peers_and_its_queue_manager_moves() {
    let mut lab = realistic();
    lab.fault("node-isolate wdc1-mq1");
    // The isolated node, as IBM's capture of a node cut off from both peers shows it.
    let isolated = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&isolated, "Queue manager status:"), Some("Running elsewhere"), "{isolated}");
    assert_eq!(line(&isolated, "HA role:"), Some("Secondary"));
    assert_eq!(line(&isolated, "HA status:"), Some("Remote unavailable"));
    assert_eq!(line(&isolated, "HA current location:"), Some("wdc2-mq1"));
    assert!(isolated.contains("Node:                                   wdc2-mq1\nHA status:                              Remote unavailable\nHA out of sync data:                    0KB\n"), "{isolated}");
    // The others keep quorum: the queue manager starts on the next node.
    let majority = lab.ok("wdc2-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&majority, "Queue manager status:"), Some("Starting"), "{majority}");
    assert_eq!(line(&majority, "HA status:"), Some("Mixed"));
    assert!(lab.ok("wdc2-mq1", "drbdadm status").contains("  wdc1-mq1 connection:Connecting\n"));
    // Back in touch, it resynchronises before taking its queue managers back.
    lab.now_ms += 10_000;
    lab.fault("node-rejoin wdc1-mq1");
    let back = lab.ok("wdc2-mq1", "rdqmstatus -m DRHAQM1");
    assert!(back.contains("Node:                                   wdc1-mq1\nHA status:                              Synchronization in progress\n"), "{back}");
    assert_eq!(line(&back, "Queue manager status:"), Some("Running"));
}

#[test]
fn a_dr_link_cut_with_both_regions_up() {
    let mut lab = realistic();
    lab.fault("dr-link-down");
    for host in ["wdc1-mq1", "dal1-mq1"] {
        let status = lab.ok(host, "rdqmstatus -m DRHAQM1");
        assert_eq!(line(&status, "DR status:"), Some("Remote unavailable"), "{host}: {status}");
        assert!(line(&status, "DR out of sync data:").is_some(), "{status}");
    }
    assert_eq!(line(&lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), "Queue manager status:"), Some("Running"), "the primary region runs on");
    // With the link cut the other region may be promoted: a true split.
    assert_eq!(lab.run("dal1-mq1", "rdqmdr -p -m DRHAQM1").code, 0);
    assert_eq!(lab.running_on("DRHAQM1").len(), 2, "both regions run it");
    lab.fault("dr-link-up");
    let wdc = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    let dal = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!((line(&wdc, "DR role:"), line(&dal, "DR role:")), (Some("Primary"), Some("Primary")), "the split stays until resolved");
}

/// Long host names wrap as rdqmstatus wraps them at 80 columns, and the console's parser
/// reads them back whole.
#[test]
fn long_node_names_wrap_at_80_columns_and_read_back() {
    let mut lab = Lab::new();
    let long = "ip-10-0-2-244.us-west-2.compute.internal";
    lab.estate.regions[0].nodes[1].name = long.to_string();
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(status.contains(&format!("\nNode:{}\n{long}\nHA status:", " ".repeat(34))), "{status}");
    assert!(status.lines().all(|l| l.len() < 80), "{status}");
    let parsed = model::rdqmstatus::parse(&status);
    let names: Vec<&str> = parsed.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, ["wdc1-mq1", long, "wdc3-mq1"], "{status}");
}

#[test]
fn endmqm_disables_ha_control_and_strmqm_enables_it() {
    let mut lab = Lab::new();
    lab.ok("wdc1-mq1", "endmqm DRHAQM1");
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "HA control:"), Some("Disabled"), "{status}");
    assert_eq!(line(&status, "Queue manager status:"), Some("Ended normally"), "ended on every node");
    lab.ok("wdc1-mq1", "strmqm DRHAQM1");
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "HA control:"), Some("Enabled"));
    assert_eq!(line(&status, "Queue manager status:"), Some("Running"));
    // Under HA control strmqm is refused: HA starts the queue manager by itself.
    let refused = lab.run("wdc1-mq1", "strmqm DRHAQM1");
    assert_eq!(refused.code, 5);
    assert!(refused.stdout.starts_with("AMQ3681E"), "{refused:?}");
}

#[test]
fn writes_pile_up_while_the_dr_link_is_cut_and_a_slow_disk_stalls_a_resync() {
    let mut lab = realistic();
    lab.fault("dr-write-rate DRHAQM1 100");
    lab.fault("dr-link-down");
    lab.now_ms += 10_000;
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "DR out of sync data:"), Some("1000KB"), "{status}");
    lab.now_ms += 5_000;
    assert_eq!(line(&lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), "DR out of sync data:"), Some("1500KB"));
    lab.fault("dr-link-up");
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "DR status:"), Some("Synchronization in progress"), "{status}");
    lab.now_ms += 20_000;
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "DR status:"), Some("Normal"), "{status}");

    // A slow disk: the returning node's resynchronisation does not move.
    lab.fault("slow-disk wdc2-mq1 on");
    lab.fault("node-down wdc2-mq1");
    lab.fault("node-up wdc2-mq1");
    lab.now_ms += 60_000;
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(status.contains("HA synchronization progress:            0.0%"), "{status}");
    lab.fault("slow-disk wdc2-mq1 off");
    lab.now_ms += 6_000;
    assert!(lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1").contains("HA synchronization progress:            50.0%"));
    lab.now_ms += 6_000;
    assert!(!lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1").contains("Synchronization"));
}
