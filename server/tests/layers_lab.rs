//! DRBD and Pacemaker beneath rdqmstatus, against the lab over real SSH: readiness per region,
//! the hidden ban, its guarded cleanup, DRBD disk findings, and the HA primary as the target.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::workflow::Harness;
use model::run::RunState;
use serde_json::{Value, json};

const LAYER_CODES: &[&str] = &["pacemaker_banned", "no_quorum", "drbd_disk", "drbd_peer", "layers_disagree", "layer_unreadable"];

fn layer_findings(snapshot: &Value) -> Vec<String> {
    snapshot["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| LAYER_CODES.contains(&f["code"].as_str().unwrap()))
        .map(|f| format!("{}: {}", f["code"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect()
}

fn readiness<'a>(snapshot: &'a Value, qm: &str, region: &str) -> &'a Value {
    &snapshot["qmgrs"].as_array().unwrap().iter().find(|q| q["name"] == qm).unwrap()["readiness"][region]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_ban_blocks_the_switchover_until_cleaned_up() {
    let h = Harness::start().await;
    let (_, healthy) = h.post("/api/refresh", json!({})).await;
    assert_eq!(layer_findings(&healthy), Vec::<String>::new());
    for qm in ["DRHAQM1", "DRHAQM2", "SSLDRHAQM1"] {
        for region in ["WDC", "DAL"] {
            assert_eq!(readiness(&healthy, qm, region)["ready"], true, "{qm} in {region}: {}", readiness(&healthy, qm, region));
        }
    }

    assert!(h.lab.sim(&["fault", "pacemaker-ban", "DAL", "DRHAQM1"]).status.success());
    for node in ["dal1-mq1", "dal2-mq1", "dal3-mq1"] {
        assert_eq!(h.field(node, "DRHAQM1", "HA status:"), "Normal", "rdqmstatus hides the ban on {node}");
    }
    let (_, banned) = h.post("/api/refresh", json!({})).await;
    let dal = readiness(&banned, "DRHAQM1", "DAL");
    assert_eq!(dal["ready"], false);
    assert_eq!(dal["reasons"][0]["code"], "pacemaker_banned", "{dal}");
    assert!(dal["reasons"][0]["message"].as_str().unwrap().contains("banned"), "{dal}");
    let finding = banned["findings"].as_array().unwrap().iter().find(|f| f["code"] == "pacemaker_banned").unwrap();
    assert_eq!(finding["severity"], "critical");
    assert!(finding["evidence"][0]["lines"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("fail-count")), "{finding}");

    let plan = h.plan("DRHAQM1", "DAL").await;
    let block = plan["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "readiness").unwrap();
    assert_eq!(block["status"], "block");
    assert!(block["message"].as_str().unwrap().contains("banned"));

    let (status, cleanup) = h.post("/api/plans", json!({"kind": "pacemaker-cleanup", "qmgr": "DRHAQM1", "region": "DAL"})).await;
    assert_eq!(status, StatusCode::OK, "{cleanup}");
    assert_eq!(cleanup["steps"][0]["command"], "crm_resource --cleanup --resource drhaqm1");
    assert_eq!(cleanup["steps"][0]["host"], "dal1-mq1");
    let erased = &cleanup["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "failures").unwrap()["evidence"][0]["lines"];
    assert!(erased.as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("INFINITY")), "{cleanup}");
    let (status, started) = h.execute(&cleanup, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run = h.wait(started["run_id"].as_str().unwrap()).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    let crm = String::from_utf8_lossy(&h.lab.ssh("dal2-mq1", "crm_mon --one-shot --inactive --output-as=xml").stdout).into_owned();
    assert!(model::crm::parse(&crm).fail_count("dal2-mq1", "drhaqm1") == 0, "ban gone, read over ssh: {crm}");
    let (_, after) = h.post("/api/refresh", json!({})).await;
    assert_eq!(readiness(&after, "DRHAQM1", "DAL")["ready"], true);

    let run = h.switch("DRHAQM1", "DAL").await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drbd_disk_faults_show_then_clear() {
    let h = Harness::start().await;
    assert!(h.lab.sim(&["fault", "drbd-disk", "wdc2-mq1", "DRHAQM1", "Inconsistent"]).status.success());
    assert!(h.lab.sim(&["fault", "drbd-disk", "wdc3-mq1", "DRHAQM1", "SyncTarget:42.50"]).status.success());
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    let found = layer_findings(&snapshot);
    assert!(found.iter().any(|f| f.starts_with("drbd_disk") && f.contains("wdc2-mq1") && f.contains("Inconsistent")), "{found:#?}");
    assert!(found.iter().any(|f| f.starts_with("layers_disagree") && f.contains("42.5")), "{found:#?}");
    let wdc2 = snapshot["regions"][0]["nodes"][1].clone();
    assert_eq!(wdc2["name"], "wdc2-mq1");
    assert_eq!(wdc2["layers"]["drbd"]["resources"][0]["disk"], "Inconsistent");
    assert!(h.lab.sim(&["fault", "clear"]).status.success());
    let (_, cleared) = h.post("/api/refresh", json!({})).await;
    assert_eq!(layer_findings(&cleared), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_promotion_runs_on_the_ha_primary_not_a_fixed_node() {
    let h = Harness::start().await;
    assert!(h.lab.ssh("dal1-mq1", "rdqmadm -s").status.success());
    let plan = h.plan("DRHAQM1", "DAL").await;
    assert_eq!(plan["steps"][1]["command"], "rdqmdr -p -m DRHAQM1");
    assert_eq!(plan["steps"][1]["host"], "dal2-mq1", "{plan}");
    let refused = h.lab.ssh("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stdout).starts_with("AMQ3705E"));
}
