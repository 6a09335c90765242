//! The console against the states real RDQM passes through, over real SSH on a lab whose
//! transitions take time: a switchover whose target shows `Starting` for several polls, a
//! resynchronising node, an isolated node, a DR link cut with both regions up and the split
//! it allows.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::workflow::Harness;
use model::run::RunState;
use serde_json::{Value, json};
use std::time::Duration;

fn findings(snapshot: &Value) -> Vec<(String, String, String)> {
    snapshot["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string(), f["subject"].as_str().unwrap().to_string()))
        .collect()
}

fn has(snapshot: &Value, code: &str, subject: &str) -> bool {
    findings(snapshot).iter().any(|(c, _, s)| c == code && s == subject)
}

fn qm<'a>(snapshot: &'a Value, name: &str) -> &'a Value {
    snapshot["qmgrs"].as_array().unwrap().iter().find(|q| q["name"] == name).unwrap()
}

/// A quarter of real time: a start lasts 1.5 s, a resynchronisation 3 s.
const SCALE: &str = "0.25";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switchover_waits_through_starting_and_is_verified() {
    let h = Harness::start_scaled(SCALE).await;
    let plan = h.plan("DRHAQM1", "DAL").await;
    let (status, started) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    // Independent reads of DAL while the run goes on: the queue manager is seen starting.
    let mut starting_seen = 0;
    let mut snapshot_starting = false;
    for _ in 0..100 {
        let status = h.field("dal1-mq1", "DRHAQM1", "Queue manager status:");
        if status == "Starting" {
            starting_seen += 1;
            if !snapshot_starting {
                let (_, snapshot) = h.post("/api/refresh", json!({})).await;
                snapshot_starting = has(&snapshot, "qm_starting", "DRHAQM1");
                assert!(!has(&snapshot, "qm_not_running", "DRHAQM1"), "starting is not lost: {:?}", findings(&snapshot));
            }
        }
        if status == "Running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(starting_seen >= 2, "Starting lasted {starting_seen} polls");
    assert!(snapshot_starting, "the console said it was starting");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert!(run.steps[1].verification.as_deref().unwrap().contains("Running"), "{:?}", run.steps[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resync_isolation_and_a_cut_dr_link_are_shown_as_they_are() {
    let h = Harness::start_scaled(SCALE).await;

    // A node back from an outage resynchronises: the group is not healthy meanwhile.
    assert!(h.lab.sim(&["fault", "node-down", "wdc2-mq1"]).status.success());
    assert!(h.lab.sim(&["fault", "node-up", "wdc2-mq1"]).status.success());
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    let wdc = &qm(&snapshot, "DRHAQM1")["readiness"]["WDC"];
    let reasons = wdc["reasons"].to_string();
    assert!(reasons.contains("Synchronization in progress"), "{wdc}");
    let (_, plan) = h.post("/api/plans", json!({"kind": "ha-suspend", "node": "wdc1-mq1"})).await;
    assert!(plan["preconditions"].to_string().contains("not in sync"), "no suspension during a resync: {plan}");
    h.lab.wait_ha_normal("wdc1-mq1", "DRHAQM1");

    // An isolated node: up, answering, cut off from both peers.
    assert!(h.lab.sim(&["fault", "node-isolate", "wdc1-mq1"]).status.success());
    let moved = h.lab.wait_for("wdc2-mq1", "rdqmstatus -m DRHAQM1", Duration::from_secs(10), |o| o.contains("Queue manager status:                   Running\n"));
    assert!(moved.contains("HA status:                              Mixed"), "{moved}");
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    assert!(has(&snapshot, "node_isolated", "wdc1-mq1"), "{:?}", findings(&snapshot));
    let isolated = snapshot["findings"].as_array().unwrap().iter().find(|f| f["code"] == "node_isolated").unwrap();
    assert_eq!(isolated["severity"], "critical");
    assert!(isolated["evidence"][0]["lines"].to_string().contains("Remote unavailable"), "{isolated}");
    assert_eq!(qm(&snapshot, "DRHAQM1")["running_on"], "wdc2-mq1");
    let wdc1 = snapshot["regions"][0]["nodes"].as_array().unwrap().iter().find(|n| n["name"] == "wdc1-mq1").unwrap();
    assert_eq!(wdc1["reachable"], true, "isolated is not down");
    assert!(h.lab.sim(&["fault", "node-rejoin", "wdc1-mq1"]).status.success());
    h.lab.wait_ha_normal("wdc2-mq1", "DRHAQM1");

    // The DR link cut while both regions run: replication stops, nothing is lost yet.
    assert!(h.lab.sim(&["fault", "dr-link-down"]).status.success());
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    let codes = findings(&snapshot);
    assert!(codes.iter().any(|(c, _, s)| c == "dr_not_normal" && s == "DRHAQM1"), "{codes:?}");
    assert!(!codes.iter().any(|(c, _, _)| c == "qm_not_running" || c == "node_unreachable"), "{codes:?}");
    let sides = qm(&snapshot, "DRHAQM1")["sides"].as_array().unwrap().clone();
    assert!(sides.iter().all(|s| s["dr_status"] == "Remote unavailable"), "{sides:?}");

    // A failover across the cut link: WDC runs on, so the split is real and shown.
    let (status, plan) = h.post("/api/plans", json!({"kind": "dr-failover", "qmgr": "DRHAQM1", "to_region": "DAL"})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(plan["preconditions"].to_string().contains("Remote unavailable"), "{plan}");
    let (status, started) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    let second = h.login("mqadmin2").await;
    let (status, body) = h.post_as(&second, &format!("/api/runs/{run_id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = h.wait(&run_id).await;
    assert!(matches!(run.state, RunState::Succeeded | RunState::NeedsAttention), "{run:#?}");
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    let split = snapshot["findings"].as_array().unwrap().iter().find(|f| f["code"] == "dr_partitioned").cloned();
    let split = split.unwrap_or_else(|| panic!("{:?}", findings(&snapshot)));
    assert_eq!((split["severity"].as_str(), split["subject"].as_str()), (Some("critical"), Some("DRHAQM1")));
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary");
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "DR role:"), "Primary");
}

/// A host that presents a new SSH host key is refused loudly, never accepted; a bastion whose
/// MQIPT directory may not be written leaves mqipt.conf intact and the run rolled back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_host_key_and_an_unwritable_mqipt_conf() {
    let h = Harness::start().await;
    assert!(h.lab.sim(&["fault", "host-key-rotate", "wdc3-mq1"]).status.success());
    let mut snapshot = Value::Null;
    for _ in 0..20 {
        snapshot = h.post("/api/refresh", json!({})).await.1;
        if has(&snapshot, "host_key_changed", "wdc3-mq1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let changed = snapshot["findings"].as_array().unwrap().iter().find(|f| f["code"] == "host_key_changed").cloned();
    let changed = changed.unwrap_or_else(|| panic!("{:?}", findings(&snapshot)));
    assert_eq!(changed["severity"], "critical");
    assert!(changed["message"].as_str().unwrap().contains("known_hosts"), "{changed}");
    let wdc3 = snapshot["regions"][0]["nodes"].as_array().unwrap().iter().find(|n| n["name"] == "wdc3-mq1").unwrap();
    assert_eq!(wdc3["reachable"], false, "the new key is not accepted");
    assert!(h.lab.sim(&["fault", "clear"]).status.success());
    let mut back = false;
    for _ in 0..20 {
        let (_, snapshot) = h.post("/api/refresh", json!({})).await;
        if !has(&snapshot, "host_key_changed", "wdc3-mq1") && !has(&snapshot, "node_unreachable", "wdc3-mq1") {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(back, "the known key is accepted again");

    // The SSH user not in haclient on one node: refused, and the console says how to fix it.
    assert!(h.lab.sim(&["fault", "not-haclient", "dal2-mq1", "on"]).status.success());
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    let refused = snapshot["findings"].as_array().unwrap().iter().find(|f| f["code"] == "not_authorized").cloned();
    let refused = refused.unwrap_or_else(|| panic!("{:?}", findings(&snapshot)));
    assert_eq!((refused["severity"].as_str(), refused["subject"].as_str()), (Some("critical"), Some("dal2-mq1")));
    assert!(refused["message"].as_str().unwrap().contains("haclient"), "{refused}");
    assert!(refused["evidence"][0]["lines"].to_string().contains("AMQ7077E"), "{refused}");
    let dal = &qm(&snapshot, "DRHAQM2")["readiness"]["DAL"];
    assert_eq!(dal["ready"], false, "a node whose view is unknown is not called ready: {dal}");
    assert!(h.lab.sim(&["fault", "not-haclient", "dal2-mq1", "off"]).status.success());

    let before = h.conf();
    assert!(h.lab.sim(&["fault", "mqipt-conf-readonly", "on"]).status.success());
    let run = h.switch("DRHAQM1", "DAL").await;
    assert_eq!(run.state, RunState::RolledBack, "{run:#?}");
    assert_eq!(h.conf(), before, "mqipt.conf is intact");
    assert!(run.steps[2].stderr.to_lowercase().contains("permission denied"), "{:?}", run.steps[2]);
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary", "the switchover was undone");
    assert!(h.lab.sim(&["fault", "mqipt-conf-readonly", "off"]).status.success());

    // MQIPT not running: the refresh fails with MQIPT's own words; the file is put back, but
    // the undo's own refresh fails too, so a person finishes the undo, told exactly what to run.
    assert!(h.lab.sim(&["fault", "mqipt-down"]).status.success());
    let run = h.switch("DRHAQM1", "DAL").await;
    assert_eq!(run.state, RunState::NeedsAttention, "{run:#?}");
    assert!(run.steps[4].stdout.contains("MQCAI159 MQIPT instance with name HAMQ is not active"), "{:?}", run.steps[4]);
    assert_eq!(h.conf(), before, "mqipt.conf restored");
    let todo: Vec<(&str, &str)> = run.remediation.iter().map(|r| (r.host.as_str(), r.command.as_str())).collect();
    assert!(todo.contains(&("wdc-bastion", "mqiptAdmin -refresh -n HAMQ")), "{todo:?}");
    assert!(todo.contains(&("dal1-mq1", "rdqmdr -s -m DRHAQM1")) && todo.contains(&("wdc1-mq1", "rdqmdr -p -m DRHAQM1")), "{todo:?}");
    assert!(h.lab.sim(&["fault", "mqipt-up"]).status.success());
}
