//! States real RDQM prints that an ideal estate never reaches: a queue manager `Ending` while
//! it is demoted, DR catching up with its progress, blocked locations, a split-brained HA
//! resource, an empty key repository, and the faults of a host (sudo, a cut-off output, a
//! skewed clock).

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
fn a_demoted_queue_manager_shows_ending_while_rdqmdr_runs() {
    let mut lab = realistic();
    let demoted = lab.run("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    assert_eq!(demoted.takes_ms, 4000);
    // Seen by anyone polling while the command has not returned yet.
    lab.now_ms = T0 + 1_000;
    assert_eq!(line(&lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), "Queue manager status:"), Some("Ending"));
    assert!(lab.ok("wdc1-mq1", "dspmq").contains("STATUS(Ending"), "dspmq agrees");
    lab.now_ms = T0 + 4_000;
    assert_eq!(line(&lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), "Queue manager status:"), Some("Ended immediately"));
}

#[test]
fn a_suspended_node_ends_its_queue_managers_and_is_blocked() {
    let mut lab = realistic();
    lab.ok("wdc1-mq1", "rdqmadm -s");
    let here = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&here, "Queue manager status:"), Some("Ending"), "{here}");
    assert_eq!(line(&here, "HA blocked location:"), Some("This node"), "{here}");
    let there = lab.ok("wdc2-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&there, "HA blocked location:"), Some("wdc1-mq1"), "{there}");
    lab.now_ms += 4_000;
    assert_eq!(line(&lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), "Queue manager status:"), Some("Running elsewhere"));
    // A Pacemaker ban blocks the queue manager on the nodes it names.
    lab.ok("wdc1-mq1", "rdqmadm -r");
    lab.fault("pacemaker-ban DAL DRHAQM1");
    let dal = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&dal, "HA blocked location:"), Some("This node,dal2-mq1,dal3-mq1"), "{dal}");
    let summary = lab.ok("dal2-mq1", "rdqmstatus");
    assert!(summary.contains("HA blocked location:                    dal1-mq1,This node,dal3-mq1\n"), "{summary}");
}

#[test]
fn dr_catches_up_with_progress_and_an_estimated_end() {
    let mut lab = realistic();
    lab.fault("dr-link-down");
    lab.now_ms += 5_000;
    lab.fault("dr-link-up");
    lab.now_ms += 6_000;
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "DR status:"), Some("Synchronization in progress"), "{status}");
    assert_eq!(line(&status, "DR synchronization progress:"), Some("50.0%"), "{status}");
    assert_eq!(line(&status, "DR estimated time to completion:"), Some("2022-06-02 19:26:28"), "{status}");
    lab.now_ms += 6_000;
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "DR status:"), Some("Normal"), "{status}");
    assert_eq!(line(&status, "DR synchronization progress:"), None);
}

#[test]
fn a_split_brained_ha_resource_stands_alone_and_is_partitioned() {
    let mut lab = realistic();
    lab.fault("drbd-split-brain DRHAQM1");
    let drbd = lab.ok("wdc2-mq1", "drbdadm status drhaqm1");
    assert_eq!(drbd, "drhaqm1 role:Secondary\n  disk:UpToDate\n  wdc1-mq1 connection:StandAlone\n  wdc3-mq1 connection:StandAlone\n\n");
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(line(&status, "HA status:"), Some("Partitioned"), "{status}");
    assert!(status.contains("Node:                                   wdc2-mq1\nHA status:                              Partitioned\n"), "{status}");
    // Only that queue manager's resource; DRHAQM2's replicates on.
    assert_eq!(line(&lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM2"), "HA status:"), Some("Normal"));
    lab.fault("clear");
    assert_eq!(line(&lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1"), "HA status:"), Some("Normal"));
}

#[test]
fn host_faults_sudo_cut_off_output_and_a_skewed_clock() {
    let mut lab = realistic();
    lab.fault("sudo-required dal1-mq1 on");
    let refused = lab.run("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.ends_with("sudo: a password is required\n"), "{refused:?}");
    let drbd = lab.run("dal1-mq1", "drbdadm status");
    assert_eq!((drbd.code, drbd.stderr.as_str()), (1, "drbdadm: Permission denied (you must be root)\n"));
    assert_eq!(lab.run("dal2-mq1", "rdqmstatus -m DRHAQM1").code, 0, "only on that host");

    lab.fault("truncate-next wdc1-mq1 rdqmstatus");
    assert!(lab.run("wdc1-mq1", "rdqmstatus -m DRHAQM1").cut_off);
    assert!(!lab.run("wdc1-mq1", "rdqmstatus -m DRHAQM1").cut_off, "once");

    assert_eq!(lab.ok("dal2-mq1", "date -u +%s"), format!("{}\n", T0 / 1000));
    lab.fault("clock-skew dal2-mq1 -90");
    assert_eq!(lab.ok("dal2-mq1", "date -u +%s"), format!("{}\n", T0 / 1000 - 90));
    assert_eq!(lab.ok("dal3-mq1", "date +%s"), format!("{}\n", T0 / 1000));
    lab.fault("clear");
    assert_eq!(lab.ok("dal2-mq1", "date -u +%s"), format!("{}\n", T0 / 1000));
}

#[test]
fn every_new_knob_says_what_it_expects() {
    for (knob, usage) in [
        ("key-revoke", "HOST"),
        ("sudo-required wdc1-mq1", "HOST on|off"),
        ("disk-full", "HOST on|off"),
        ("truncate-next wdc1-mq1", "HOST COMMAND"),
        ("clock-skew wdc1-mq1", "HOST SECONDS"),
        ("drbd-split-brain", "QM"),
    ] {
        let args: Vec<String> = knob.split_whitespace().map(str::to_string).collect();
        let error = sim::control::Fault::parse(&args).unwrap_err().to_string();
        assert!(error.ends_with(usage), "{knob}: {error}");
    }
}

#[test]
fn an_empty_key_repository_lists_no_certificates() {
    use sim::fs::HostFs;
    let mut lab = Lab::new();
    lab.fs.write("/var/mqm/empty.kdb", "{\"entries\":[]}").unwrap();
    assert_eq!(lab.ok("wdc1-mq1", "runmqakm -cert -list -db /var/mqm/empty.kdb -stashed"), "No certificates were found.\n");
    let parsed = model::runmqakm::parse_list("No certificates were found.\n");
    assert!(parsed.certificates.is_empty());
}
