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

// IBM MQ's own client samples, amqsgetc and amqscnxc, on the same host and the same path.

fn amqsgetc(lab: &mut Lab, args: &str) -> sim::commands::Outcome {
    lab.run(CLIENT, &format!("{MQSERVER} amqsgetc {args}"))
}

/// Messages on a queue manager's DR side, by region.
fn held_in(lab: &Lab, region: &str) -> usize {
    let qm = lab.estate.qmgr("DRHAQM1").expect("the seed's queue manager");
    qm.side(region).expect("a side in each region").queues.get("MQIPT.LOCAL.QUEUE").map_or(0, Vec::len)
}

#[test]
fn amqsgetc_gets_every_message_then_waits_15_seconds() {
    let mut lab = Lab::new();
    lab.estate.timing = sim::estate::Timing::lab(1.0);
    assert!(put(&mut lab, "-b2 -m1 -s0").stdout.ends_with("Completed\n"));
    let out = amqsgetc(&mut lab, "MQIPT.LOCAL.QUEUE DRHAQM1");
    let expected = "Sample AMQSGET0 start\nmessage <Batch 1, Message 1>\nmessage <Batch 2, Message 1>\nno more messages\nSample AMQSGET0 end\n";
    assert_eq!((out.stdout.as_str(), out.stderr.as_str(), out.code), (expected, "", 0));
    assert_eq!(out.takes_ms, 15_000, "the last MQGET waits its WaitInterval");
    let again = amqsgetc(&mut lab, "MQIPT.LOCAL.QUEUE");
    assert_eq!((again.stdout.as_str(), again.code), ("Sample AMQSGET0 start\nno more messages\nSample AMQSGET0 end\n", 0), "the gets were destructive; a blank name takes the queue manager MQSERVER leads to");
}

#[test]
fn amqsgetc_on_an_empty_queue_only_waits() {
    let mut lab = Lab::new();
    let out = amqsgetc(&mut lab, "MQIPT.LOCAL.QUEUE DRHAQM1");
    assert_eq!((out.stdout.as_str(), out.code), ("Sample AMQSGET0 start\nno more messages\nSample AMQSGET0 end\n", 0));
}

#[test]
fn amqsgetc_drains_the_dr_secondary_too_while_replication_flows() {
    let mut lab = Lab::new();
    assert!(put(&mut lab, "-b3 -m2 -s0").stdout.ends_with("Completed\n"));
    assert_eq!((held_in(&lab, "WDC"), held_in(&lab, "DAL")), (6, 6));
    assert_eq!(amqsgetc(&mut lab, "MQIPT.LOCAL.QUEUE DRHAQM1").stdout.matches("message <").count(), 6);
    assert_eq!((held_in(&lab, "WDC"), held_in(&lab, "DAL")), (0, 0));
}

#[test]
fn amqsgetc_with_dr_cut_leaves_the_secondary_behind() {
    let mut lab = Lab::new();
    assert!(put(&mut lab, "-b1 -m2 -s0").stdout.ends_with("Completed\n"));
    lab.fault("dr-link-down");
    assert_eq!(amqsgetc(&mut lab, "MQIPT.LOCAL.QUEUE DRHAQM1").code, 0);
    assert_eq!((held_in(&lab, "WDC"), held_in(&lab, "DAL")), (0, 2), "the gets wait as out-of-sync data");
}

#[test]
fn amqsgetc_fails_as_amqsget0_does() {
    let mut lab = Lab::new();
    let missing = lab.run(CLIENT, &format!("{MQSERVER} amqsgetc"));
    assert_eq!((missing.stdout.as_str(), missing.code), ("Sample AMQSGET0 start\nRequired parameter missing - queue name\n", 99));
    // A failed MQOPEN skips the gets and ends normally.
    let queue = amqsgetc(&mut lab, "NO.SUCH.QUEUE DRHAQM1");
    let expected = "Sample AMQSGET0 start\nMQOPEN ended with reason code 2085\nunable to open queue for input\nSample AMQSGET0 end\n";
    assert_eq!((queue.stdout.as_str(), queue.code, queue.takes_ms), (expected, 0, 0));
    // exit((int)CReason): the status keeps the reason's low 8 bits.
    let other_qm = amqsgetc(&mut lab, "MQIPT.LOCAL.QUEUE DRHAQM2");
    assert_eq!((other_qm.stdout.as_str(), other_qm.code), ("Sample AMQSGET0 start\nMQCONNX ended with reason code 2058\n", 2058 & 0xff));
}

#[test]
fn amqsgetc_through_a_load_balancer_that_forwards_nothing() {
    let mut lab = Lab::new();
    assert!(put(&mut lab, "-b1 -m1 -s0").stdout.ends_with("Completed\n"));
    lab.fault("lb-down WDC");
    let out = amqsgetc(&mut lab, "MQIPT.LOCAL.QUEUE DRHAQM1");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str(), out.code), ("Sample AMQSGET0 start\nMQCONNX ended with reason code 2538\n", "", 2538 & 0xff));
    assert_eq!(held_in(&lab, "WDC"), 1, "nothing was got");
}

/// printf's `%-48.48s`, as amqscnx0.c prints queue manager names.
fn padded(name: &str) -> String {
    format!("{name:<48}")
}

#[test]
fn amqscnxc_connects_with_its_own_channel_definition_or_mqserver() {
    let mut lab = Lab::new();
    let out = lab.run(CLIENT, "amqscnxc -x 10.241.1.4(1501) -c DRHAMQ1.MQIPT DRHAQM1");
    let expected = format!(
        "Sample AMQSCNXC start\nConnecting to queue manager {}\nusing the server connection channel DRHAMQ1.MQIPT\non connection name 10.241.1.4(1501).\nConnection established to queue manager {}\nSample AMQSCNXC end\n",
        padded("DRHAQM1"),
        padded("DRHAQM1")
    );
    assert_eq!((out.stdout.as_str(), out.stderr.as_str(), out.code), (expected.as_str(), "", 0));
    let out = lab.run(CLIENT, &format!("{MQSERVER} amqscnxc"));
    let expected = format!(
        "Sample AMQSCNXC start\nConnecting to the default queue manager\nwith no client connection information specified.\nConnection established to queue manager {}\nSample AMQSCNXC end\n",
        padded("DRHAQM1")
    );
    assert_eq!((out.stdout.as_str(), out.code), (expected.as_str(), 0));
    // With -u it asks for a password (no newline) and takes any.
    let out = lab.run(CLIENT, &format!("{MQSERVER} amqscnxc -u app DRHAQM1"));
    assert!(out.stdout.contains("specified.\nEnter password: Connection established to queue manager DRHAQM1"), "{out:?}");
    // The first address of a list that answers; the flags' values attached or not.
    let out = lab.run(CLIENT, "amqscnxc -x10.9.9.9(1501),10.241.1.4(1501) /C DRHAMQ1.MQIPT DRHAQM1");
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn amqscnxc_fails_as_amqscnx0_does() {
    let mut lab = Lab::new();
    lab.fault("lb-down WDC");
    let out = lab.run(CLIENT, "amqscnxc -x 10.241.1.4(1501) -c DRHAMQ1.MQIPT DRHAQM1");
    let expected = format!(
        "Sample AMQSCNXC start\nConnecting to queue manager {}\nusing the server connection channel DRHAMQ1.MQIPT\non connection name 10.241.1.4(1501).\nMQCONNX ended with reason code 2538\n",
        padded("DRHAQM1")
    );
    assert_eq!((out.stdout.as_str(), out.code), (expected.as_str(), 2538 & 0xff), "exit((int)CReason) before the end line");
    lab.fault("lb-up WDC");
    // Without -c the channel is SYSTEM.DEF.SVRCONN. The simulator defines no such channel
    // (2540); a real queue manager has it, blocked by its default CHLAUTH rule (2035).
    let out = lab.run(CLIENT, "amqscnxc -x 10.241.1.4(1501) DRHAQM1");
    assert!(out.stdout.contains("using the server connection channel SYSTEM.DEF.SVRCONN\n"), "{out:?}");
    assert!(out.stdout.contains("MQCONNX ended with reason code ") && out.code != 0, "{out:?}");
    let usage = "Sample AMQSCNXC start\nUsage:\n\tamqscnxc [-x ConnName [-c SvrconnChannelName]] [-u User] [QMgrName]\n";
    for args in ["-c DRHAMQ1.MQIPT DRHAQM1", "-x", "-q DRHAQM1", "DRHAQM1 DRHAQM2", "?"] {
        let out = lab.run(CLIENT, &format!("{MQSERVER} amqscnxc {args}"));
        assert_eq!((out.stdout.as_str(), out.code), (usage, 99), "amqscnxc {args}");
    }
    assert_eq!(lab.run("wdc1-mq1", "amqsgetc Q").code, 127, "the samples are on the client host only");
}
