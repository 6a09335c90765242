//! The console against the faults of a real estate the lab now makes, over real SSH: the
//! console's key refused, output cut off mid-stream, a host's clock off, a split-brained HA
//! resource, a full disk under mqipt.conf, and an estate whose MQ commands need sudo.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use common::workflow::Harness;
use model::run::RunState;
use serde_json::{Value, json};
use std::time::Duration;

fn finding(snapshot: &Value, code: &str, subject: &str) -> Option<Value> {
    snapshot["findings"].as_array().unwrap().iter().find(|f| f["code"] == code && f["subject"] == subject).cloned()
}

fn codes(snapshot: &Value) -> Vec<String> {
    snapshot["findings"].as_array().unwrap().iter().map(|f| format!("{}:{}", f["code"].as_str().unwrap(), f["subject"].as_str().unwrap())).collect()
}

fn node<'a>(snapshot: &'a Value, name: &str) -> &'a Value {
    snapshot["regions"].as_array().unwrap().iter().flat_map(|r| r["nodes"].as_array().unwrap()).find(|n| n["name"] == name).unwrap()
}

/// Refreshes until `ready` holds (a fault's effect may need a reconnect); the last snapshot.
async fn refresh_until(h: &Harness, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let mut snapshot = Value::Null;
    for _ in 0..30 {
        snapshot = h.post("/api/refresh", json!({})).await.1;
        if ready(&snapshot) {
            return snapshot;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what}: never seen; findings {:?}", codes(&snapshot));
}

fn sim(h: &Harness, knob: &[&str]) {
    let out = h.lab.sim(&[&["fault"], knob].concat());
    assert!(out.status.success(), "fault {knob:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_key_cut_output_skewed_clock_and_split_brain() {
    let h = Harness::start_scaled(sim::lab::TEST_TIME_SCALE).await;

    // The console's key is no longer accepted: refused loudly, with how to put it back.
    sim(&h, &["key-revoke", "wdc2-mq1"]);
    let snapshot = refresh_until(&h, "ssh_key_refused", |s| finding(s, "ssh_key_refused", "wdc2-mq1").is_some()).await;
    let refused = finding(&snapshot, "ssh_key_refused", "wdc2-mq1").unwrap();
    assert_eq!(refused["severity"], "critical");
    assert!(refused["evidence"][0]["lines"].to_string().contains("Permission denied (publickey"), "{refused}");
    assert_eq!(node(&snapshot, "wdc2-mq1")["reachable"], false);
    sim(&h, &["key-restore", "wdc2-mq1"]);
    refresh_until(&h, "wdc2-mq1 back", |s| node(s, "wdc2-mq1")["reachable"] == true).await;

    // rdqmstatus stops halfway and the connection drops: that poll's answer is not used, the
    // node is reported as not answering, and the next poll reads it whole again.
    sim(&h, &["truncate-next", "wdc1-mq1", "rdqmstatus"]);
    let cut = h.post("/api/refresh", json!({})).await.1;
    let wdc1 = node(&cut, "wdc1-mq1");
    assert_eq!(wdc1["reachable"], false, "a cut-off answer is not a complete one: {wdc1}");
    assert!(!wdc1["error"].is_null(), "{wdc1}");
    let lost = finding(&cut, "node_unreachable", "wdc1-mq1").unwrap_or_else(|| panic!("{:?}", codes(&cut)));
    assert!(lost["message"].as_str().unwrap().contains("stale"), "the last complete answer is kept, marked stale: {lost}");
    let again = refresh_until(&h, "wdc1-mq1 read whole", |s| node(s, "wdc1-mq1")["reachable"] == true).await;
    assert!(finding(&again, "node_unreachable", "wdc1-mq1").is_none());

    // A clock five minutes ahead.
    sim(&h, &["clock-skew", "dal2-mq1", "300"]);
    let snapshot = refresh_until(&h, "clock_skew", |s| finding(s, "clock_skew", "dal2-mq1").is_some()).await;
    let skew = finding(&snapshot, "clock_skew", "dal2-mq1").unwrap();
    assert_eq!(skew["severity"], "warning");
    assert!(skew["message"].as_str().unwrap().contains("ahead of the console's"), "{skew}");
    assert!(finding(&snapshot, "clock_skew", "dal1-mq1").is_none(), "only the skewed host");
    sim(&h, &["clock-skew", "dal2-mq1", "0"]);

    // DRBD split brain on DRHAQM2's HA resource in WDC: every node StandAlone, HA status
    // Partitioned; never healthy, and the region is not called ready for it.
    sim(&h, &["drbd-split-brain", "DRHAQM2"]);
    let drbd = h.lab.ssh("wdc1-mq1", "drbdadm status drhaqm2");
    let text = String::from_utf8_lossy(&drbd.stdout).to_string();
    assert!(text.contains("  wdc2-mq1 connection:StandAlone\n") && text.contains("  wdc3-mq1 connection:StandAlone\n"), "{text}");
    assert_eq!(h.field("wdc2-mq1", "DRHAQM2", "HA status:"), "Partitioned");
    let snapshot = h.post("/api/refresh", json!({})).await.1;
    let critical: Vec<String> = snapshot["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "critical" && f["message"].as_str().unwrap().contains("DRHAQM2"))
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    let split = finding(&snapshot, "ha_split_brain", "DRHAQM2").unwrap_or_else(|| panic!("{critical:?}"));
    assert_eq!(split["severity"], "critical");
    assert!(split["evidence"][1]["lines"].to_string().contains("wdc2-mq1 connection:StandAlone"), "{split}");
    let qm2 = snapshot["qmgrs"].as_array().unwrap().iter().find(|q| q["name"] == "DRHAQM2").unwrap();
    let wdc = &qm2["readiness"]["WDC"];
    assert_eq!(wdc["ready"], false, "a split group cannot take DRHAQM2 over: {wdc}");
    assert!(wdc["reasons"].to_string().contains("Partitioned"), "{wdc}");
    sim(&h, &["clear"]);
}

/// A full disk under mqipt.conf: the kernel's own ENOSPC, the file intact, the run undone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_mqipt_conf_leaves_it_intact() {
    let h = Harness::start_scaled(sim::lab::TEST_TIME_SCALE).await;
    if h.lab.var("LAB_REAL_PATHS") != "1" {
        return; // disk-full needs a mount namespace per host (a lab run as root)
    }
    let before = h.conf();
    sim(&h, &["disk-full", "wdc-bastion", "on"]);
    let full = h.lab.ssh("wdc-bastion", "echo x | cat > /opt/mqipt/installation1/mqipt/HAMQ/probe");
    assert!(String::from_utf8_lossy(&full.stderr).contains("No space left on device"), "{full:?}");
    let run = h.switch("DRHAQM1", "DAL").await;
    assert!(matches!(run.state, RunState::RolledBack | RunState::NeedsAttention), "{run:#?}");
    let failed = run.steps.iter().find(|s| s.exit_code.is_some_and(|c| c != 0)).unwrap();
    assert!(failed.stderr.contains("No space left on device"), "{failed:?}");
    sim(&h, &["disk-full", "wdc-bastion", "off"]);
    assert_eq!(h.conf(), before, "mqipt.conf is intact");
    let cat = h.lab.ssh("wdc-bastion", "cat /opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf");
    assert_eq!(String::from_utf8_lossy(&cat.stdout), before, "and the bastion sees it so");
    if run.state == RunState::RolledBack {
        assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary", "the switchover was undone");
    }
}

/// An estate whose MQ commands need sudo: the console told so says how to fix it; a console
/// configured with `sudo = true` reads everything and switches over (refreshing MQIPT with
/// the seed's `systemctl reload`), and back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sudo_estate_is_read_and_switched() {
    if !std::path::Path::new("/etc/sudoers").exists() {
        panic!("Debian's sudo is needed (./setup installs it)");
    }
    let h = Harness::start_configured(sim::lab::TEST_TIME_SCALE, |config| {
        for node in &mut config.nodes {
            node.sudo = node.name.starts_with("wdc");
        }
        for mqipt in &mut config.mqipt {
            mqipt.refresh = console::config::RefreshCommand::SystemctlReload { instance: mqipt.name.clone() };
        }
    })
    .await;
    if h.lab.var("LAB_REAL_PATHS") != "1" {
        return; // the lab's sudoers is mounted in each host's namespace
    }
    for host in ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1", "dal1-mq1", "dal2-mq1", "dal3-mq1"] {
        sim(&h, &["sudo-required", host, "on"]);
    }
    let bare = h.lab.ssh("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(bare.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("sudo: a password is required"), "{bare:?}");
    let with_sudo = h.lab.ssh("dal1-mq1", "sudo -n rdqmstatus -m DRHAQM1");
    assert_eq!(with_sudo.status.code(), Some(0), "{with_sudo:?}");

    // DAL's nodes are configured without sudo: refused, and the console says what to set.
    let snapshot = refresh_until(&h, "sudo_required", |s| finding(s, "sudo_required", "dal1-mq1").is_some()).await;
    let needs = finding(&snapshot, "sudo_required", "dal1-mq1").unwrap();
    assert!(needs["message"].as_str().unwrap().contains("sudo = true"), "{needs}");
    for host in ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"] {
        assert!(finding(&snapshot, "sudo_required", host).is_none(), "{host} runs through sudo: {:?}", codes(&snapshot));
    }
    for host in ["dal1-mq1", "dal2-mq1", "dal3-mq1"] {
        sim(&h, &["sudo-required", host, "off"]);
    }
    let snapshot = h.post("/api/refresh", json!({})).await.1;
    assert!(snapshot["findings"].as_array().unwrap().iter().all(|f| f["code"] != "sudo_required"), "{:?}", codes(&snapshot));

    // WDC's commands (rdqmdr -s on wdc1-mq1 and back) go through sudo -n.
    let run = h.switch("DRHAQM1", "DAL").await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    let back = h.switch("DRHAQM1", "WDC").await;
    assert_eq!(back.state, RunState::Succeeded, "{back:#?}");
    let refreshed = back.steps.iter().any(|s| s.command.starts_with("systemctl reload mqipt-@HAMQ.service"));
    assert!(refreshed, "{:?}", back.steps.iter().map(|s| &s.command).collect::<Vec<_>>());
    let role = h.lab.ssh("wdc1-mq1", "sudo -n rdqmstatus -m DRHAQM1");
    let primary = String::from_utf8_lossy(&role.stdout).lines().any(|l| l.starts_with("DR role:") && l.ends_with(" Primary"));
    assert!(primary, "{role:?}");
}
