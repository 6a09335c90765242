//! The console killed mid-run and restarted: the run shows as interrupted at its step, and
//! resuming re-checks the estate and completes it. A real `rdqm-console serve` on the lab.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use common::serve::{Client, Console};
use model::run::{RunState, StepState};
use serde_json::{Value, json};
use sim::lab::Lab;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_run_then_resumed() {
    let lab = Lab::start_default();
    let config = lab.var("LAB_CONSOLE_CONFIG").to_string();
    let base = lab.var("LAB_CONSOLE_URL").to_string();
    let mut console = Console::start(&config);
    let client = Client::login(&base).await;
    let (status, plan) = client.post("/api/plans", json!({"kind": "dr-switchover", "qmgr": "DRHAQM1", "to_region": "DAL"})).await;
    assert_eq!(status, 200, "{plan}");
    // Slow MQIPT's answer so the console can be killed during the refresh (step 5).
    assert!(lab.sim(&["fault", "latency", "wdc-bastion", "2500"]).status.success());
    let (status, started) = client.post(&format!("/api/plans/{}/execute", plan["id"].as_str().unwrap()), json!({"confirm": "DRHAQM1"})).await;
    assert_eq!(status, 202, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    let mut seen_refresh = false;
    for _ in 0..600 {
        let run = client.run(&run_id).await;
        if run.steps[3].state == StepState::Succeeded && run.steps[4].state == StepState::Running {
            seen_refresh = true;
            break;
        }
        assert!(!run.state.is_final(), "{run:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen_refresh, "step 5 never started");
    console.kill();
    assert!(lab.sim(&["fault", "clear"]).status.success());

    let _console = Console::start(&config);
    let client = Client::login(&base).await;
    let run = client.run(&run_id).await;
    assert_eq!(run.state, RunState::Interrupted, "{run:#?}");
    assert!(run.message.as_deref().unwrap_or("").contains("step 5"), "{:?}", run.message);
    assert!(run.steps[..4].iter().all(|s| s.state == StepState::Succeeded), "{run:#?}");

    // Resume and roll back at once (two operators, or a double click): exactly one wins.
    let other = Client::login_as(&base, "mqadmin2").await;
    let (resume_path, rollback_path) = (format!("/api/runs/{run_id}/resume"), format!("/api/runs/{run_id}/rollback"));
    let ((resume, body_a), (rollback, body_b)) = tokio::join!(client.post(&resume_path, json!({})), other.post(&rollback_path, json!({})));
    let mut statuses = [resume, rollback];
    statuses.sort();
    assert_eq!(statuses, [202, 409], "{body_a} {body_b}");
    let last = client.wait(&run_id).await;
    let state = String::from_utf8_lossy(&lab.sim(&["state"]).stdout).into_owned();
    let promotions = serde_json::from_str::<Value>(&state).unwrap()["command_log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["host"] == "dal1-mq1" && c["command"] == "rdqmdr -p -m DRHAQM1")
        .count();
    assert_eq!(promotions, 1, "step 2 ran once, before the restart");
    assert!(last.steps[..4].iter().all(|s| s.state != StepState::Pending && s.state != StepState::Running), "{last:#?}");
    if resume == 202 {
        assert_eq!(last.state, RunState::Succeeded, "{last:#?}");
        assert!(last.steps[..4].iter().all(|s| s.state == StepState::Succeeded), "steps 1-4 are not run again");
        let status = String::from_utf8_lossy(&lab.ssh("dal1-mq1", "rdqmstatus -m DRHAQM1").stdout).into_owned();
        assert!(status.contains("Queue manager status:                   Running"), "{status}");
        let conf = std::fs::read_to_string(lab.var("LAB_MQIPT_CONF")).unwrap();
        assert!(conf.contains("Destination=e8deec77-us-south.lb.appdomain.cloud\nDestinationPort=1501"), "{conf}");
    } else {
        assert_eq!(last.state, RunState::RolledBack, "{last:#?}");
        let status = String::from_utf8_lossy(&lab.ssh("wdc1-mq1", "rdqmstatus -m DRHAQM1").stdout).into_owned();
        assert!(status.contains("Queue manager status:                   Running"), "{status}");
    }
}

/// A failover interrupted after its promotion took effect, then rolled back by an operator:
/// the promotion cannot be undone, so the route follows the queue manager to DAL and the run
/// needs attention; it never says rolled back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_failover_rolled_back_follows_its_promotion() {
    let lab = Lab::start_default();
    let config = lab.var("LAB_CONSOLE_CONFIG").to_string();
    let base = lab.var("LAB_CONSOLE_URL").to_string();
    let mut console = Console::start(&config);
    let client = Client::login(&base).await;
    let (status, _) = client.post("/api/refresh", json!({})).await;
    assert_eq!(status, 200, "the console has seen WDC as DR primary");
    assert!(lab.sim(&["fault", "region-down", "WDC"]).status.success());
    let (status, plan) = client.post("/api/plans", json!({"kind": "dr-failover", "qmgr": "DRHAQM1", "to_region": "DAL"})).await;
    assert_eq!(status, 200, "{plan}");
    let (status, started) = client.post(&format!("/api/plans/{}/execute", plan["id"].as_str().unwrap()), json!({"confirm": "DRHAQM1"})).await;
    assert_eq!(status, 202, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    // DAL answers slowly: the promotion lands, and the console dies while it verifies it.
    assert!(lab.sim(&["fault", "latency", "dal1-mq1", "2000"]).status.success());
    let second = Client::login_as(&base, "mqadmin2").await;
    let (status, body) = second.post(&format!("/api/runs/{run_id}/approve"), json!({})).await;
    assert_eq!(status, 202, "{body}");
    let mut promoted = false;
    for _ in 0..400 {
        let state: Value = serde_json::from_slice(&lab.sim(&["state"]).stdout).unwrap();
        if state["command_log"].as_array().unwrap().iter().any(|c| c["host"] == "dal1-mq1" && c["command"] == "rdqmdr -p -m DRHAQM1") {
            promoted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(promoted, "the promotion never reached dal1-mq1");
    console.kill();
    assert!(lab.sim(&["fault", "latency", "dal1-mq1", "0"]).status.success());

    let _console = Console::start(&config);
    let client = Client::login(&base).await;
    let run = client.run(&run_id).await;
    assert_eq!(run.state, RunState::Interrupted, "{run:#?}");
    let (status, body) = client.post(&format!("/api/runs/{run_id}/rollback"), json!({})).await;
    assert_eq!(status, 202, "{body}");
    let last = client.wait(&run_id).await;
    assert_eq!(last.state, RunState::NeedsAttention, "{last:#?}");
    let message = last.message.clone().unwrap_or_default();
    assert!(message.contains("cannot be undone") && message.contains("asked to roll back"), "{message}");
    assert_eq!(last.steps[0].state, StepState::AlreadyDone, "{last:#?}");

    // Independent reads: DRHAQM1 runs in DAL, and the route in mqipt.conf points there.
    let status = String::from_utf8_lossy(&lab.ssh("dal1-mq1", "rdqmstatus -m DRHAQM1").stdout).into_owned();
    assert!(status.contains("Queue manager status:                   Running"), "{status}");
    let conf = std::fs::read_to_string(lab.var("LAB_MQIPT_CONF")).unwrap();
    assert!(conf.contains("ListenerPort=1501\nDestination=e8deec77-us-south.lb.appdomain.cloud"), "{conf}");
    assert!(last.remediation.iter().any(|r| r.host == "dal1-mq1" && r.command == "rdqmstatus -m DRHAQM1"), "{:#?}", last.remediation);
}
