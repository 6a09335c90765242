//! DR drills against the lab over real SSH: a planned drill loses nothing and measures RTO;
//! an unplanned drill with DR replication cut reports exactly the unreplicated messages as
//! lost, matching the ledger. The report is stored, listed, downloadable, and its digest is
//! in the audit chain.

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::workflow::Harness;
use console::store::Store as _;
use console::workflow::schedule::{self, Scheduled};
use model::drill::{DrillReport, Fate};
use model::run::RunState;
use serde_json::json;

async fn report(h: &Harness, run_id: &str) -> DrillReport {
    let (status, body) = h.get(&format!("/api/drills/{run_id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_drill_loses_nothing_and_an_unplanned_one_loses_exactly_what_was_not_replicated() {
    let h = Harness::start().await;

    // Planned: WDC → DAL, 50 messages as in seed 000's test.
    let drill = json!({"kind": "dr-drill", "qmgr": "DRHAQM1", "to_region": "DAL", "messages": 50});
    let (plan, run_id) = h.start_run(drill, "DRHAQM1").await;
    let commands: Vec<&str> = plan["steps"].as_array().unwrap().iter().map(|s| s["command"].as_str().unwrap()).collect();
    let client = "env MQSERVER=DRHAMQ1.MQIPT/TCP/10.241.1.4(1501)";
    assert_eq!(commands[0], format!("{client} amqsgetc MQIPT.LOCAL.QUEUE DRHAQM1"));
    assert_eq!(commands[1], format!("{client} rdqmput -b50 -m1 -s0 -v3 DRHAQM1 MQIPT.LOCAL.QUEUE"));
    assert_eq!(commands[2], "rdqmstatus -m DRHAQM1");
    assert_eq!(commands[3], "rdqmdr -s -m DRHAQM1");
    assert!(commands.contains(&"amqscnxc -x 10.241.1.4(1501) -c DRHAMQ1.MQIPT DRHAQM1"), "{commands:?}");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    let planned = report(&h, &run_id).await;
    let ledger = planned.ledger.clone().unwrap();
    assert_eq!((ledger.committed, ledger.got, ledger.confirmed, ledger.lost, ledger.duplicated, ledger.unexpected), (50, 50, 50, 0, 0, 0), "{planned:#?}");
    let rto = planned.rto_ms.unwrap();
    let cut = planned.timeline[3].started_at.unwrap();
    let back = planned.timeline.iter().find(|t| t.command.starts_with("amqscnxc")).unwrap().finished_at.unwrap();
    assert_eq!(rto, back - cut, "RTO runs from the cut to the first client connect");
    assert_eq!(planned.dr_out_of_sync_kb_at_cut, Some(0));
    assert_eq!(planned.before.iter().find(|s| s.region == "WDC").unwrap().running_on.as_deref(), Some("wdc1-mq1"));
    assert_eq!(planned.after.iter().find(|s| s.region == "DAL").unwrap().running_on.as_deref(), Some("dal1-mq1"));
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "DR role:"), "Primary");

    // The digest of the stored report is in the audit chain; the document downloads.
    let audit = h.store.audit_log(50).await.unwrap();
    let recorded = audit.iter().find(|r| r.event.action == "drill-report" && r.event.details.contains(&run_id)).expect("the report's digest is audited");
    assert!(recorded.event.details.ends_with(&planned.digest()), "{}", recorded.event.details);
    let (status, document) = h.get(&format!("/api/drills/{run_id}/report.html")).await;
    assert_eq!(status, StatusCode::OK);
    let document = document.as_str().unwrap().to_string();
    assert!(document.contains("0 of 50 committed messages lost") && document.contains(&planned.digest()), "{document}");

    // Unplanned, DAL → WDC with DR replication cut: what DAL commits never reaches WDC.
    assert!(h.lab.sim(&["fault", "dr-link-down"]).status.success());
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    assert!(snapshot["qmgrs"].is_array());
    let drill = json!({"kind": "dr-drill", "qmgr": "DRHAQM1", "to_region": "WDC", "messages": 20, "unplanned": true});
    let (plan, run_id) = h.start_run(drill, "DRHAQM1").await;
    assert_eq!(plan["needs_approval"], true, "an unplanned drill discards data: {plan}");
    assert_eq!(h.wait(&run_id).await.state, RunState::AwaitingApproval);
    let second = h.login("mqadmin2").await;
    let (status, body) = h.post_as(&second, &format!("/api/runs/{run_id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    let unplanned = report(&h, &run_id).await;
    let ledger = unplanned.ledger.clone().unwrap();
    assert_eq!((ledger.committed, ledger.got, ledger.confirmed, ledger.lost), (20, 0, 0, 20), "{unplanned:#?}");
    let lost: Vec<String> = ledger.exceptions.iter().filter(|(_, f)| *f == Fate::Lost).map(|(t, _)| t.clone()).collect();
    let put: Vec<String> = (1..=20).map(|b| format!("Batch {b}, Message 1")).collect();
    assert_eq!(lost, put, "exactly the ledger's messages, none of which was replicated");
    assert!(unplanned.dr_out_of_sync_kb_at_cut.unwrap() > 0, "{unplanned:#?}");
    assert_eq!(unplanned.approved_by.as_deref(), Some("mqadmin2"));
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary");

    // Both reports are listed, newest first.
    let (status, list) = h.get("/api/drills").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["run_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [run_id.as_str(), planned.run_id.as_str()]);

    // A scheduled drill while DR replication is still cut refuses to start, and says why in
    // the audit log; once DR is Normal again the next due time starts it.
    let config = format!(
        "{}\n[[drills]]\nqmgr = \"DRHAQM1\"\nto_region = \"DAL\"\nmessages = 10\nschedule = \"*/5 * * * *\"\nenabled = true\n",
        std::fs::read_to_string(h.lab.var("LAB_CONSOLE_CONFIG")).unwrap()
    );
    let path = h.store_path().with_extension("drills.toml");
    std::fs::write(&path, config).unwrap();
    let drills = console::config::Config::load(&path).unwrap().drills;
    let tick = |minute: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 6, 3, minute, 0).unwrap();
    let refused = schedule::run_due(&h.engine, &drills, tick(4), tick(5)).await;
    assert!(matches!(&refused[..], [Scheduled::Refused { why, .. }] if why.contains("dr_status")), "{refused:?}");
    let audit = h.store.audit_log(5).await.unwrap();
    assert!(audit.iter().any(|r| r.event.actor == "scheduler" && r.event.result == "refused" && r.event.details.contains("dr_status")), "{audit:#?}");
    assert!(schedule::run_due(&h.engine, &drills, tick(5), tick(6)).await.is_empty(), "not due between :05 and :06");

    assert!(h.lab.sim(&["fault", "dr-link-up"]).status.success());
    h.until_plan_passes(json!({"kind": "dr-switchover", "qmgr": "DRHAQM1", "to_region": "DAL"})).await;
    let started = schedule::run_due(&h.engine, &drills, tick(9), tick(10)).await;
    let [Scheduled::Started { run_id, .. }] = &started[..] else { panic!("{started:?}") };
    let run = h.wait(run_id).await;
    assert_eq!((run.state, run.requested_by.as_str()), (RunState::Succeeded, "scheduler"), "{run:#?}");
    assert_eq!(report(&h, run_id).await.ledger.unwrap().lost, 0);
    assert_eq!(h.field("wdc1-mq1", "DRHAQM1", "DR role:"), "Primary", "a scheduled drill switches back by default");
    assert!(h.conf().contains(&format!("ListenerPort=1501\nDestination={}", sim::reference::WDC_LB)), "and its route with it");
}
