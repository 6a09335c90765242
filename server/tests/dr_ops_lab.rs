//! Unplanned failover with two-person approval, partition resolution and HA maintenance,
//! against the lab over real SSH.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::workflow::Harness;
use console::store::Store as _;
use model::run::RunState;
use serde_json::json;
use sim::reference::DAL_LB;

fn codes(plan: &serde_json::Value) -> Vec<String> {
    plan["preconditions"].as_array().unwrap().iter().map(|p| format!("{}:{}", p["status"].as_str().unwrap(), p["code"].as_str().unwrap())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn region_lost_failover_approved_by_a_second_operator_then_partition_resolved() {
    let h = Harness::start().await;
    let (status, _) = h.post("/api/refresh", json!({})).await;
    assert_eq!(status, StatusCode::OK, "the console has seen WDC as DR primary");
    assert!(h.lab.sim(&["fault", "region-down", "WDC"]).status.success());

    // A planned switchover is refused...
    let (status, plan) = h.post("/api/plans", json!({"kind": "dr-switchover", "qmgr": "DRHAQM1", "to_region": "DAL"})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(codes(&plan).contains(&"block:dr_primary".to_string()), "{plan}");

    // ...a failover is possible, states the data at risk, and needs a second operator.
    let (plan, run_id) = h.start_run(json!({"kind": "dr-failover", "qmgr": "DRHAQM1", "to_region": "DAL"}), "DRHAQM1").await;
    let c = codes(&plan);
    assert!(c.contains(&"pass:primary_lost".into()) && c.contains(&"warn:data_at_risk".into()) && c.contains(&"warn:approval".into()), "{c:?}");
    assert_eq!(plan["needs_approval"], true);
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::AwaitingApproval);
    let (status, body) = h.post(&format!("/api/runs/{run_id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the requester cannot approve: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("two-person"));
    let second = h.login("mqadmin2").await;
    let (status, body) = h.post_as(&second, &format!("/api/runs/{run_id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert_eq!(run.approved_by.as_deref(), Some("mqadmin2"));
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
    assert!(h.conf().contains(&format!("ListenerPort=1501\nDestination={DAL_LB}")), "route 1501 now goes to DAL");

    // WDC returns still claiming DR primary: the console shows the partition.
    assert!(h.lab.sim(&["fault", "region-up", "WDC"]).status.success());
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    let partition = snapshot["findings"].as_array().unwrap().iter().find(|f| f["code"] == "dr_partitioned").cloned();
    let partition = partition.unwrap_or_else(|| panic!("no partition finding: {}", snapshot["findings"]));
    assert_eq!(partition["subject"], "DRHAQM1");
    assert_eq!(partition["severity"], "critical");

    // Resolve it keeping DAL's data: WDC's changes since the split are discarded.
    let (plan, run_id) = h.start_run(json!({"kind": "dr-resolve-partition", "qmgr": "DRHAQM1", "keep_region": "DAL"}), "DRHAQM1").await;
    let discarded = plan["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "data_discarded").unwrap();
    assert!(discarded["message"].as_str().unwrap().contains("DISCARDED"), "{discarded}");
    assert_eq!(plan["steps"][0]["host"], "wdc1-mq1");
    assert_eq!(plan["steps"][0]["command"], "rdqmdr -s -m DRHAQM1");
    let (status, _) = h.post_as(&second, &format!("/api/runs/{run_id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "DR status:"), "Normal");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Secondary");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_request_runs_nothing() {
    let h = Harness::start().await;
    assert!(h.lab.sim(&["fault", "region-down", "WDC"]).status.success());
    let (_, run_id) = h.start_run(json!({"kind": "dr-failover", "qmgr": "DRHAQM1", "to_region": "DAL"}), "DRHAQM1").await;
    let viewer = h.login("mqviewer").await;
    let (status, _) = h.post_as(&viewer, &format!("/api/runs/{run_id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "viewers cannot approve");
    let second = h.login("mqadmin2").await;
    let (status, body) = h.post_as(&second, &format!("/api/runs/{run_id}/deny"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Failed);
    assert!(run.message.as_deref().unwrap().contains("denied by mqadmin2"));
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "DR role:"), "Secondary", "nothing ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_nobody_approves_in_time_ends_and_frees_the_queue_manager() {
    let h = Harness::start().await;
    assert!(h.lab.sim(&["fault", "region-down", "WDC"]).status.success());
    let (_, run_id) = h.start_run(json!({"kind": "dr-failover", "qmgr": "DRHAQM1", "to_region": "DAL"}), "DRHAQM1").await;
    let mut events = h.engine.subscribe();
    assert_eq!(h.engine.expire_approvals().await.unwrap(), 0, "the window is still open");
    // The window passes (its end moved into the past, as the clock would).
    let mut run = h.store.load_run(run_id.clone()).await.unwrap().unwrap();
    assert_eq!(run.state, RunState::AwaitingApproval);
    run.approval_expires_at = Some(run.created_at);
    h.store.update_run(run, RunState::AwaitingApproval).await.unwrap().unwrap();
    assert_eq!(h.engine.expire_approvals().await.unwrap(), 1);
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Failed);
    assert!(run.message.as_deref().unwrap().contains("approval window ended"), "{run:?}");
    let told = events.recv().await.unwrap();
    assert_eq!((told.id.as_str(), told.state), (run_id.as_str(), RunState::Failed), "viewers hear of it");
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "DR role:"), "Secondary", "nothing ran");
    let audit = h.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|a| a.event.action == "approval-expired" && a.event.actor == "console"), "{audit:?}");
    // The queue manager is free again: a new request is accepted.
    let (_, again) = h.start_run(json!({"kind": "dr-failover", "qmgr": "DRHAQM1", "to_region": "DAL"}), "DRHAQM1").await;
    assert_ne!(again, run_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_maintenance_keeps_quorum_and_moves_queue_managers() {
    let h = Harness::start().await;
    assert!(h.lab.sim(&["fault", "node-down", "wdc3-mq1"]).status.success());
    let (status, plan) = h.post("/api/plans", json!({"kind": "ha-suspend", "node": "wdc2-mq1"})).await;
    assert_eq!(status, StatusCode::OK);
    let quorum = plan["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "quorum").unwrap();
    assert_eq!(quorum["status"], "block", "{plan}");
    assert!(quorum["message"].as_str().unwrap().contains("wdc3-mq1 is unreachable"));
    // The returning node resynchronises first (a slow disk holds it there, however long the
    // planning below takes); a suspension must wait for it.
    assert!(h.lab.sim(&["fault", "slow-disk", "wdc3-mq1", "on"]).status.success());
    assert!(h.lab.sim(&["fault", "node-up", "wdc3-mq1"]).status.success());
    let (_, plan) = h.post("/api/plans", json!({"kind": "ha-suspend", "node": "wdc1-mq1"})).await;
    let quorum = plan["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "quorum").unwrap().clone();
    assert_eq!(quorum["status"], "block", "{plan}");
    assert!(h.lab.sim(&["fault", "slow-disk", "wdc3-mq1", "off"]).status.success());
    h.lab.wait_ha_normal("wdc1-mq1", "DRHAQM1");

    let (plan, run_id) = h.start_run(json!({"kind": "ha-suspend", "node": "wdc1-mq1"}), "wdc1-mq1").await;
    assert!(codes(&plan).contains(&"warn:moves".into()), "{plan}");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    let moved = String::from_utf8_lossy(&h.lab.ssh("wdc2-mq1", "dspmq -a -x -s").stdout).into_owned();
    assert!(moved.contains("INSTANCE(wdc2-mq1) MODE(Active)"), "{moved}");

    let (plan, run_id) = h.start_run(json!({"kind": "ha-resume", "node": "wdc1-mq1"}), "wdc1-mq1").await;
    let moves = plan["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "moves").unwrap();
    assert!(moves["message"].as_str().unwrap().contains("DRHAQM1"), "{moves}");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "Queue manager status:"), "Running");

    let (_, run_id) = h.start_run(json!({"kind": "ha-prefer", "qmgr": "DRHAQM1", "node": "wdc3-mq1"}), "wdc3-mq1").await;
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert_eq!(h.field("wdc3-mq1", "DRHAQM1", "Queue manager status:"), "Running");
}
