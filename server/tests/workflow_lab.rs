//! The guarded DR switchover against the lab over real SSH: success both ways, and each
//! injected fault ending rolled back (or refused), always visible as failed.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::workflow::Harness;
use console::store::Store as _;
use model::run::{RunState, StepState};
use sim::reference::{DAL_LB, MQIPT_CONF, WDC_LB};

const DEST: &str = "Destination=";

fn route_1501_destination(conf: &str) -> String {
    let conf = model::mqipt::MqiptConf::parse(conf);
    conf.route_by_listener_port("1501").unwrap().destination().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switchover_to_dal_and_back() {
    let h = Harness::start().await;
    let plan = h.plan("DRHAQM1", "DAL").await;
    assert!(plan["preconditions"].as_array().unwrap().iter().all(|p| p["status"] != "block"), "{plan}");
    let commands: Vec<(String, String)> = plan["steps"].as_array().unwrap().iter().map(|s| (s["host"].as_str().unwrap().to_string(), s["command"].as_str().unwrap().to_string())).collect();
    assert_eq!(commands[0], ("wdc1-mq1".into(), "rdqmdr -s -m DRHAQM1".into()));
    assert_eq!(commands[1], ("dal1-mq1".into(), "rdqmdr -p -m DRHAQM1".into()));
    assert_eq!(commands[4], ("wdc-bastion".into(), "mqiptAdmin -refresh -n HAMQ".into()));
    // It ends by proving the path a client takes: a marker put and got back through MQIPT.
    let client = "MQSERVER=DRHAMQ1.MQIPT/TCP/10.241.1.4(1501)";
    assert_eq!(commands[6], ("wdc-mq-client".into(), format!("env {client} rdqmput -b1 -m1 -s0 DRHAQM1 MQIPT.LOCAL.QUEUE")));
    assert_eq!(commands[7], ("wdc-mq-client".into(), format!("env {client} rdqmget -b1 -m1 -s0 DRHAQM1 MQIPT.LOCAL.QUEUE")));
    assert_eq!(commands.len(), 8);
    let diff = plan["diff"].as_str().unwrap();
    assert!(diff.contains(&format!("-{DEST}{WDC_LB}")) && diff.contains(&format!("+{DEST}{DAL_LB}")), "{diff}");

    let (status, body) = h.execute(&plan, "drhaqm1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the confirmation must be the exact name: {body}");
    let (status, body) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = h.wait(body["run_id"].as_str().unwrap()).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert!(run.steps.iter().all(|s| s.state == StepState::Succeeded));
    assert!(run.steps[6].stdout.starts_with("Connected to queue manager DRHAQM1\n") && run.steps[7].stdout.ends_with("Completed\n"), "{run:#?}");
    // The marker went and came back: the queue is as it was.
    let state: serde_json::Value = serde_json::from_slice(&h.lab.sim(&["state"]).stdout).unwrap();
    assert_eq!(state["qmgrs"][0]["sides"][1]["queues"]["MQIPT.LOCAL.QUEUE"], serde_json::json!([]));

    // Independent reads: the QM runs in DAL, the route points at DAL, only that value changed.
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "DR role:"), "Primary");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Secondary");
    let conf = h.conf();
    assert_eq!(conf, MQIPT_CONF.replacen(&format!("{DEST}{WDC_LB}"), &format!("{DEST}{DAL_LB}"), 1));
    let dir = std::path::Path::new(h.lab.var("LAB_MQIPT_CONF")).parent().unwrap().to_path_buf();
    let backups: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("mqipt.conf.rdqm-console."))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(std::fs::read_to_string(dir.join(&backups[0])).unwrap(), MQIPT_CONF);
    let state: serde_json::Value = serde_json::from_slice(&h.lab.sim(&["state"]).stdout).unwrap();
    assert_eq!(state["bastions"][0]["mqipt"][0]["active_routes"][0]["destination"], DAL_LB, "MQIPT reloaded the route");

    // And back, as the seed fails it back; the flapping warning shows.
    let plan = h.plan("DRHAQM1", "WDC").await;
    assert!(plan["preconditions"].as_array().unwrap().iter().any(|p| p["code"] == "flapping" && p["status"] == "warn"), "{plan}");
    let (status, body) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = h.wait(body["run_id"].as_str().unwrap()).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
    assert_eq!(h.conf(), MQIPT_CONF);

    // The audit chain recorded it all and holds.
    let log = h.store.audit_log(100).await.unwrap();
    assert!(log.iter().any(|r| r.event.action == "step" && r.event.details.contains("rdqmdr -p -m DRHAQM1 on dal1-mq1")));
    assert_eq!(h.store.verify_audit(None).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_promotion_rolls_back() {
    let h = Harness::start().await;
    h.lab.sim(&["fault", "fail-next", "dal1-mq1", "rdqmdr"]);
    let run = h.switch("DRHAQM1", "DAL").await;
    assert_eq!(run.state, RunState::RolledBack, "{run:#?}");
    assert_eq!(run.steps[1].state, StepState::Failed);
    assert_eq!(run.steps[1].exit_code, Some(71));
    assert!(run.message.as_deref().unwrap().contains("step 2"), "{:?}", run.message);
    assert_eq!(run.undo[0].command, "rdqmdr -p -m DRHAQM1");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary");
    assert_eq!(h.conf(), MQIPT_CONF, "the route was never touched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_mqipt_refresh_restores_the_route_and_the_regions() {
    let h = Harness::start().await;
    h.lab.sim(&["fault", "fail-next", "wdc-bastion", "mqiptAdmin"]);
    let run = h.switch("DRHAQM1", "DAL").await;
    assert_eq!(run.state, RunState::RolledBack, "{run:#?}");
    assert_eq!(run.steps[4].state, StepState::Failed);
    let undone: Vec<&str> = run.undo.iter().map(|u| u.command.as_str()).collect();
    assert!(undone[0].starts_with("restore "), "{undone:?}");
    // The undo ends with a client connecting through MQIPT where the queue manager was.
    let connect = "amqscnxc -x 10.241.1.4(1501) -c DRHAMQ1.MQIPT DRHAQM1";
    assert_eq!(&undone[1..], ["mqiptAdmin -refresh -n HAMQ", "rdqmdr -s -m DRHAQM1", "rdqmdr -p -m DRHAQM1", connect]);
    assert_eq!(h.conf(), MQIPT_CONF, "mqipt.conf restored byte for byte");
    assert_eq!(route_1501_destination(&h.conf()), WDC_LB);
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "DR role:"), "Secondary");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_target_node_lost_after_step_one_undoes_step_one_and_says_step_two_is_unknown() {
    let h = Harness::start().await;
    h.lab.sim(&["fault", "latency", "dal1-mq1", "1200"]);
    let plan = h.plan("DRHAQM1", "DAL").await;
    let (status, body) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run_id = body["run_id"].as_str().unwrap().to_string();
    for _ in 0..300 {
        let (_, run) = h.get(&format!("/api/runs/{run_id}")).await;
        if run["steps"][0]["state"] == "succeeded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(h.lab.sim(&["fault", "node-down", "dal1-mq1"]).status.success());
    let run = h.wait(&run_id).await;
    // Whether the promotion reached dal1-mq1 before it went cannot be known: step 1 is undone,
    // and the run does not claim to be rolled back.
    assert_eq!(run.state, RunState::NeedsAttention, "{run:#?}");
    assert_eq!(run.steps[1].state, StepState::Failed);
    assert!(run.message.as_deref().unwrap().contains("find out whether step 2 took effect"), "{:?}", run.message);
    let first = &run.remediation[0];
    assert_eq!((first.host.as_str(), first.command.as_str()), ("dal1-mq1", "rdqmstatus -m DRHAQM1"), "{:#?}", run.remediation);
    assert!(first.why.starts_with("first find out whether step 2"), "{first:?}");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_before_anything_runs() {
    let h = Harness::start().await;
    // mqipt.conf edited by someone else between plan and execute.
    let plan = h.plan("DRHAQM1", "DAL").await;
    let path = h.lab.var("LAB_MQIPT_CONF").to_string();
    std::fs::write(&path, format!("{MQIPT_CONF}# edited by hand\n")).unwrap();
    let (status, body) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::CONFLICT, &serde_json::json!("estate_changed")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("mqipt.conf was edited"), "{body}");
    std::fs::write(&path, MQIPT_CONF).unwrap();

    // DR replication behind: blocked at planning and at execution.
    h.lab.sim(&["fault", "dr-status", "DRHAQM1", "Synchronization in progress", "2048"]);
    let plan = h.plan("DRHAQM1", "DAL").await;
    let block = plan["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "dr_status").unwrap().clone();
    assert_eq!(block["status"], "block");
    assert!(block["message"].as_str().unwrap().contains("2048 KB"), "{block}");
    assert!(block["evidence"][0]["lines"].as_array().unwrap().iter().any(|l| l.as_str().unwrap().contains("Synchronization in progress")));
    assert!(plan["steps"].as_array().unwrap().is_empty());
    let (status, body) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    h.lab.sim(&["fault", "clear"]);

    // A viewer may not plan; an unknown kind is a clear 400.
    let (status, body) = h.post("/api/plans", serde_json::json!({"kind": "dr-explode", "qmgr": "DRHAQM1"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let viewer = common::login(&h.app, "mqviewer", "mqviewer").await;
    let request = axum::http::Request::post("/api/plans")
        .header(axum::http::header::COOKIE, &viewer.0)
        .header("X-CSRF-Token", &viewer.1)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(r#"{"kind":"dr-switchover","qmgr":"DRHAQM1","to_region":"DAL"}"#))
        .unwrap();
    let (status, _, _) = common::send(&h.app, request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary", "nothing ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_executions_one_runs_one_gets_409() {
    let h = Harness::start().await;
    let first = h.plan("DRHAQM1", "DAL").await;
    let second = h.plan("DRHAQM1", "DAL").await;
    let (a, b) = tokio::join!(h.execute(&first, "DRHAQM1"), h.execute(&second, "DRHAQM1"));
    let statuses = [a.0, b.0];
    assert!(statuses.contains(&StatusCode::ACCEPTED) && statuses.contains(&StatusCode::CONFLICT), "{a:?} {b:?}");
    let (winner, loser) = if a.0 == StatusCode::ACCEPTED { (a.1, b.1) } else { (b.1, a.1) };
    assert_eq!(loser["error"]["code"], "run_locked", "{loser}");
    assert!(loser["error"]["message"].as_str().unwrap().contains("mqadmin"), "{loser}");
    let run = h.wait(winner["run_id"].as_str().unwrap()).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
}

/// A switchover whose client cannot get through (DAL's load balancer forwards nothing) is not
/// a success: the client's own error is the evidence, and everything is put back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switchover_the_client_cannot_reach_is_rolled_back() {
    let h = Harness::start().await;
    assert!(h.lab.sim(&["fault", "lb-down", "DAL"]).status.success());
    let plan = h.plan("DRHAQM1", "DAL").await;
    let (status, body) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = h.wait(body["run_id"].as_str().unwrap()).await;
    assert_eq!(run.state, RunState::RolledBack, "{run:#?}");
    let client = &run.steps[6];
    assert_eq!(client.state, StepState::Failed, "{run:#?}");
    assert_eq!(client.stderr, "MQCONNX returned MQCC_FAILED\nReason is 2538\n", "{run:#?}");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary");
    assert_eq!(h.conf(), MQIPT_CONF);
}

/// A route whose listener cannot bind when it restarts (its port taken): nothing the console
/// reads shows it, only the client. The switchover's client check fails and everything is
/// undone, but the route, restarted by the undo, still does not listen: the run says so
/// (needs attention, the client's error as evidence) instead of "rolled back".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_that_fails_to_start_is_caught_by_the_client_and_not_called_rolled_back() {
    let h = Harness::start().await;
    assert!(h.lab.sim(&["fault", "route-fail", "1501"]).status.success());
    let plan = h.plan("DRHAQM1", "DAL").await;
    let (status, body) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = h.wait(body["run_id"].as_str().unwrap()).await;
    assert_eq!(run.steps[6].stderr, "MQCONNX returned MQCC_FAILED\nReason is 2538\n", "{run:#?}");
    assert_eq!(run.state, RunState::NeedsAttention, "{run:#?}");
    let last = run.undo.last().unwrap();
    assert!(last.command.starts_with("amqscnxc -x 10.241.1.4(1501)"), "{last:#?}");
    assert!(last.verification.as_deref().unwrap().contains("reason code 2538"), "{last:#?}");
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary", "the queue manager itself is back");
    assert_eq!(h.conf(), MQIPT_CONF);

    // Once the port is free and the route starts again, the client gets through.
    assert!(h.lab.sim(&["fault", "route-free", "1501"]).status.success());
    let out = h.lab.ssh("wdc-bastion", "mqiptAdmin -refresh -n HAMQ");
    assert!(out.status.success());
    let out = h.lab.ssh("wdc-mq-client", "amqscnxc -x '10.241.1.4(1501)' -c DRHAMQ1.MQIPT DRHAQM1");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Connection established"), "{out:?}");
}
