//! The client host's `rdqmput`/`rdqmget` through MQIPT, as seed 000 uses them: the path a
//! client takes (MQIPT's loaded routes → load balancer → the region's running queue manager)
//! and where messages live (the HA group's copy; the DR secondary's only while replication
//! flows).

mod common;

use common::Lab;
use sim::reference::{MQIPT_CONF, MQIPT_CONF_PATH};

const CLIENT: &str = "wdc-mq-client";
const MQSERVER: &str = "MQSERVER=DRHAMQ1.MQIPT/TCP/10.241.1.4(1501)";

fn seed_lines(verb: &str, batches: u32) -> String {
    let mut out = String::from("Connected to queue manager DRHAQM1\nOpened queue MQIPT.LOCAL.QUEUE\n");
    for b in 1..=batches {
        out.push_str(&format!("Batch {b} {verb} successfully, committing...\nBatch {b} committed successfully\n"));
    }
    out + "Completed\n"
}

fn put(lab: &mut Lab, options: &str) -> sim::commands::Outcome {
    lab.run(CLIENT, &format!("{MQSERVER} rdqmput {options} DRHAQM1 MQIPT.LOCAL.QUEUE"))
}

fn get(lab: &mut Lab, options: &str) -> sim::commands::Outcome {
    lab.run(CLIENT, &format!("{MQSERVER} rdqmget {options} DRHAQM1 MQIPT.LOCAL.QUEUE"))
}

fn route_1501_to(lab: &mut Lab, lb: &str) {
    let text = MQIPT_CONF.replacen("Destination=3bdf30c3-us-east.lb.appdomain.cloud\nDestinationPort=1501", &format!("Destination={lb}\nDestinationPort=1501"), 1);
    use sim::fs::HostFs as _;
    lab.fs.write(MQIPT_CONF_PATH, &text).expect("the in-memory file system takes it");
}

#[test]
fn the_seeds_ha_failover_test_through_mqipt() {
    let mut lab = Lab::new();
    let out = put(&mut lab, "-b10 -m5 -v1");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str(), out.code), (seed_lines("put", 10).as_str(), "", 0));
    lab.ok("wdc1-mq1", "rdqmadm -s");
    assert_eq!(lab.running_on("DRHAQM1"), ["wdc2-mq1"]);
    let out = get(&mut lab, "-b10 -m5 -v1");
    assert_eq!((out.stdout.as_str(), out.code), (seed_lines("got", 10).as_str(), 0), "the HA group shares one copy");
    // The queue is empty now: MQGET waits without limit, as the sample's does.
    let out = get(&mut lab, "-b1 -m1 -v1");
    assert!(out.hang && !out.stdout.contains("Completed"), "{out:?}");
}

#[test]
fn the_path_is_what_mqipt_loaded_not_what_the_file_says() {
    let mut lab = Lab::new();
    assert!(put(&mut lab, "-b2 -m5 -s0").stdout.ends_with("Completed\n"));
    // DR switched to DAL by hand; the route still points at WDC: nothing listens there.
    lab.ok("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    lab.ok("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    let out = get(&mut lab, "-b2 -m5 -s0");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str(), out.code), ("", "MQCONNX returned MQCC_FAILED\nReason is 2538\n", 0));
    // The file edited but MQIPT not refreshed: still the old way.
    route_1501_to(&mut lab, sim::reference::DAL_LB);
    assert!(get(&mut lab, "-b2 -m5 -s0").stderr.contains("Reason is 2538"));
    lab.ok("wdc-bastion", "mqiptAdmin -refresh -n HAMQ");
    let out = get(&mut lab, "-b2 -m5 -s0 -v1");
    assert!(out.stdout.ends_with("Batch 2 committed successfully\nCompleted\n"), "a planned switchover loses nothing: {out:?}");
}

#[test]
fn an_unplanned_failover_loses_exactly_what_was_not_replicated() {
    let mut lab = Lab::new();
    assert!(put(&mut lab, "-b2 -m10 -s0").stdout.ends_with("Completed\n"));
    lab.fault("dr-link-down");
    assert!(put(&mut lab, "-b1 -m10 -s0").stdout.ends_with("Completed\n"));
    let status = lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(status.contains("DR out of sync data:                    20KB"), "ten 2 KB messages wait: {status}");
    // WDC is lost; DAL is promoted across the cut link and the route follows it.
    lab.fault("region-down WDC");
    lab.ok("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    route_1501_to(&mut lab, sim::reference::DAL_LB);
    lab.ok("wdc-bastion", "mqiptAdmin -refresh -n HAMQ");
    assert!(get(&mut lab, "-b2 -m10 -s0").stdout.ends_with("Completed\n"), "the 20 replicated messages are there");
    assert!(get(&mut lab, "-b1 -m1 -s0").hang, "the 10 that were not replicated are gone");
}

#[test]
fn a_partition_keeps_both_sides_until_it_is_resolved() {
    let mut lab = Lab::new();
    lab.fault("dr-link-down");
    lab.ok("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    assert!(put(&mut lab, "-b1 -m3 -s0").stdout.ends_with("Completed\n"), "WDC still runs and takes messages");
    let held = |lab: &Lab, region: &str| lab.estate.qmgr("DRHAQM1").unwrap().side(region).unwrap().queues.get("MQIPT.LOCAL.QUEUE").map_or(0, Vec::len);
    assert_eq!((held(&lab, "WDC"), held(&lab, "DAL")), (3, 0));
    lab.fault("dr-link-up");
    // WDC's side is discarded: once caught up it holds DAL's (empty) queue.
    lab.ok("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    lab.now_ms += 600_000;
    lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    let qm = lab.estate.qmgr("DRHAQM1").unwrap();
    assert!(qm.sides.iter().all(|s| s.queues.get("MQIPT.LOCAL.QUEUE").is_none_or(Vec::is_empty)), "{:?}", qm.sides);
}

#[test]
fn wrong_names_fail_as_mq_clients_fail() {
    let mut lab = Lab::new();
    let other_qm = lab.run(CLIENT, &format!("{MQSERVER} rdqmput -b1 -m1 -s0 DRHAQM2 MQIPT.LOCAL.QUEUE"));
    assert_eq!(other_qm.stderr, "MQCONNX returned MQCC_FAILED\nReason is 2058\n");
    let channel = lab.run(CLIENT, "MQSERVER=NO.SUCH.CHANNEL/TCP/10.241.1.4(1501) rdqmput -b1 -m1 -s0 DRHAQM1 MQIPT.LOCAL.QUEUE");
    assert_eq!(channel.stderr, "MQCONNX returned MQCC_FAILED\nReason is 2540\n");
    let queue = lab.run(CLIENT, &format!("{MQSERVER} rdqmput -b1 -m1 -s0 DRHAQM1 NO.SUCH.QUEUE"));
    assert_eq!((queue.stdout.as_str(), queue.stderr.as_str(), queue.code), ("Connected to queue manager DRHAQM1\n", "MQOPEN returned MQCC_FAILED\nReason is 2085\n", 0));
    let no_env = lab.run(CLIENT, "rdqmput -b1 -m1 DRHAQM1 MQIPT.LOCAL.QUEUE");
    assert_eq!(no_env.stderr, "MQCONNX returned MQCC_FAILED\nReason is 2058\n");
    let usage = lab.run(CLIENT, "rdqmget DRHAQM1");
    assert_eq!((usage.code, usage.stderr.starts_with("Usage: rdqmget [-b batches]")), (1, true));
    lab.fault("mqipt-down");
    assert!(put(&mut lab, "-b1 -m1 -s0").stderr.contains("Reason is 2538"));
    assert_eq!(lab.run("wdc1-mq1", "rdqmput").code, 127, "the samples are on the client host only");
}

#[test]
fn a_load_balancer_that_forwards_nothing_fails_the_client() {
    let mut lab = Lab::new();
    lab.fault("lb-down WDC");
    assert_eq!(put(&mut lab, "-b1 -m1 -s0").stderr, "MQCONNX returned MQCC_FAILED\nReason is 2538\n");
    lab.fault("lb-up WDC");
    assert!(put(&mut lab, "-b1 -m1 -s0").stdout.ends_with("Completed\n"));
}
