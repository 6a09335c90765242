//! What every `Store` must do, whatever keeps the data: run against two handles on the same
//! storage (two console instances), so each guarantee is checked across instances, not only
//! within one. SQLite passes it today (`tests/store_semantics.rs`); the etcd store must pass
//! the same.

use console::store::{AuditEvent, SignInAudit, StartRefused, StartRun, Store};
use model::drill::DrillReport;
use model::plan::Plan;
use model::run::{Run, RunState};
use std::sync::Arc;

pub fn run(id: &str, plan_id: &str, state: RunState, created_at: u64) -> Run {
    Run {
        id: id.into(),
        plan_id: plan_id.into(),
        kind: "dr-switchover".into(),
        subject: "DRHAQM1".into(),
        intent: model::plan::Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() },
        requested_by: "mqadmin".into(),
        state,
        created_at,
        updated_at: created_at,
        steps: Vec::new(),
        undo: Vec::new(),
        remediation: Vec::new(),
        message: None,
        approved_by: None,
        approval_expires_at: None,
        denied_by: None,
        owner: None,
        rotation: None,
        signed_certificate: None,
    }
}

pub fn plan(id: &str) -> Plan {
    serde_json::from_value(serde_json::json!({
        "id": id, "kind": "dr-switchover", "intent": {"kind": "dr-switchover", "qmgr": "DRHAQM1", "to_region": "DAL"},
        "subject": "DRHAQM1", "preconditions": [], "steps": [], "diff": null,
        "fingerprint": {"dr_primary_region": null, "running_on": null, "conf_sha256": null},
        "created_at": 1, "expires_at": 2, "created_by": "mqadmin"
    }))
    .unwrap()
}

pub fn start(plan_id: &str, run_id: &str, resources: &[&str], state: RunState) -> StartRun {
    StartRun {
        plan_id: plan_id.into(),
        run: run(run_id, plan_id, state, 10),
        resources: resources.iter().map(|r| r.to_string()).collect(),
        description: format!("run {run_id}"),
        now: 10,
        lock_until: 1000,
    }
}

fn report(run_id: &str, finished_at: u64, outcome: &str) -> DrillReport {
    DrillReport {
        run_id: run_id.into(),
        qmgr: "DRHAQM1".into(),
        to_region: "DAL".into(),
        unplanned: false,
        messages: 1,
        requested_by: "mqadmin".into(),
        approved_by: None,
        state: RunState::Succeeded,
        outcome: Some(outcome.into()),
        started_at: 1,
        finished_at,
        timeline: Vec::new(),
        rto_ms: Some(1),
        dr_out_of_sync_kb_at_cut: Some(0),
        rpo_messages: None,
        ledger: None,
        before: Vec::new(),
        after: Vec::new(),
    }
}

/// Every check, in turn; `a` and `b` are two handles on one storage.
pub async fn all(a: Arc<dyn Store>, b: Arc<dyn Store>) {
    one_audit_chain_from_two_writers(&a, &b).await;
    a_record_is_found_by_its_content(&a, &b).await;
    a_plan_starts_once_across_instances(&a, &b).await;
    locks_are_all_or_none_and_end_with_their_lease(&a, &b).await;
    run_transitions_are_compare_and_swap_across_instances(&a, &b).await;
    revocations_are_seen_everywhere(&a, &b).await;
    runs_and_reports_are_listed_newest_first(&a, &b).await;
}

async fn one_audit_chain_from_two_writers(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    let mut writers = Vec::new();
    for (name, store) in [("a", a), ("b", b)] {
        for i in 0..15 {
            let store = Arc::clone(store);
            writers.push(tokio::spawn(async move {
                store.audit(AuditEvent::new("mqadmin", name, "test", "chain", "ok", format!("{name}{i}"))).await.unwrap()
            }));
        }
    }
    for w in writers {
        w.await.unwrap();
    }
    let log = b.audit_log(100).await.unwrap();
    assert_eq!(log.len(), 30, "every append is in the one chain");
    let ids: Vec<i64> = log.iter().rev().map(|r| r.id).collect();
    assert_eq!(ids, (1..=30).collect::<Vec<_>>(), "no gap, no fork");
    for pair in log.windows(2) {
        assert_eq!(pair[0].prev_hash, pair[1].hash, "record {} links to {}", pair[0].id, pair[1].id);
    }
    let head = a.audit_head().await.unwrap().unwrap();
    assert_eq!((head.id, head.hash.as_str()), (30, log[0].hash.as_str()));
    assert_eq!(a.verify_audit(Some(head.clone())).await.unwrap(), None);
    assert_eq!(b.verify_audit(Some(head)).await.unwrap(), None);
}

/// What the sign-in spool relies on: whether a record it keeps is in the chain already.
async fn a_record_is_found_by_its_content(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    let event = AuditEvent::new("mqviewer", "10.1.1.1", "login", "mqviewer", "ok", "role=\"viewer\"".into());
    let before = a.audit_head().await.unwrap().map_or(0, |h| h.id);
    assert_eq!(b.audit_find(before, event.clone()).await.unwrap(), None);
    let record = match b.audit_sign_in(event.clone()).await.unwrap() {
        SignInAudit::Chained(record) => record,
        spooled => panic!("a writable store chains a sign-in: {spooled:?}"),
    };
    assert_eq!(a.audit_find(before, event.clone()).await.unwrap(), Some(record.id));
    assert_eq!(a.audit_find(0, event.clone()).await.unwrap(), Some(record.id), "from the first record on");
    assert_eq!(a.audit_find(record.id, event.clone()).await.unwrap(), None, "only after the record given");
    let mut other = event.clone();
    other.at += 1;
    assert_eq!(a.audit_find(before, other).await.unwrap(), None, "every field counts");
    assert_eq!(b.verify_audit(None).await.unwrap(), None);
}

async fn a_plan_starts_once_across_instances(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a.save_plan(plan("plan-once")).await.unwrap();
    assert_eq!(b.load_plan("plan-once".into()).await.unwrap().unwrap().consumed_by_run, None);
    let (sa, sb) = (Arc::clone(a), Arc::clone(b));
    let first = tokio::spawn(async move { sa.start_run(start("plan-once", "run-a", &["qmgr:ONCE"], RunState::Running)).await.unwrap() });
    let second = tokio::spawn(async move { sb.start_run(start("plan-once", "run-b", &["qmgr:ONCE"], RunState::Running)).await.unwrap() });
    let outcomes = [first.await.unwrap(), second.await.unwrap()];
    let won: Vec<usize> = (0..2).filter(|i| outcomes[*i].is_ok()).collect();
    assert_eq!(won.len(), 1, "exactly one start wins: {outcomes:?}");
    let winner = if won[0] == 0 { "run-a" } else { "run-b" };
    let loser = &outcomes[1 - won[0]];
    assert!(matches!(loser, Err(StartRefused::PlanConsumed { run_id }) if run_id == winner), "{loser:?}");
    assert_eq!(a.load_plan("plan-once".into()).await.unwrap().unwrap().consumed_by_run.as_deref(), Some(winner));
    assert!(b.load_run(winner.into()).await.unwrap().is_some());
    assert_eq!(b.start_run(start("no-such-plan", "run-c", &[], RunState::Running)).await.unwrap(), Err(StartRefused::PlanMissing));
    a.release_locks(winner.into()).await.unwrap();
}

async fn locks_are_all_or_none_and_end_with_their_lease(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a.save_plan(plan("plan-l1")).await.unwrap();
    a.save_plan(plan("plan-l2")).await.unwrap();
    a.start_run(start("plan-l1", "run-l1", &["qmgr:L", "mqipt:HAMQ"], RunState::Running)).await.unwrap().unwrap();
    let refused = b.start_run(start("plan-l2", "run-l2", &["host:wdc-bastion", "mqipt:HAMQ"], RunState::Running)).await.unwrap();
    assert!(matches!(&refused, Err(StartRefused::Locked(l)) if l.resource == "mqipt:HAMQ" && l.run_id == "run-l1"), "{refused:?}");
    let held: Vec<String> = b.held_locks(10).await.unwrap().into_iter().map(|l| l.resource).collect();
    assert_eq!(held, ["mqipt:HAMQ", "qmgr:L"], "nothing of the refused start was taken");
    assert!(a.load_run("run-l2".into()).await.unwrap().is_none());
    assert_eq!(a.load_plan("plan-l2".into()).await.unwrap().unwrap().consumed_by_run, None, "the refused plan stays usable");
    // Taking them again for the same run renews them; another run is refused.
    assert_eq!(b.acquire_locks(vec!["qmgr:L".into()], "run-l1".into(), "run run-l1".into(), 20, 2000).await.unwrap(), Ok(()));
    let other = a.acquire_locks(vec!["host:x".into(), "qmgr:L".into()], "run-x".into(), "run x".into(), 20, 2000).await.unwrap();
    assert!(matches!(&other, Err(l) if l.resource == "qmgr:L"), "{other:?}");
    assert!(b.held_locks(20).await.unwrap().iter().all(|l| l.resource != "host:x"), "all or none");
    // A lease that ended frees the resource for another run.
    assert_eq!(a.acquire_locks(vec!["mqipt:HAMQ".into()], "run-y".into(), "run y".into(), 1500, 3000).await.unwrap(), Ok(()), "run-l1's lease on it ended at 1000");
    a.release_locks("run-l1".into()).await.unwrap();
    b.release_locks("run-y".into()).await.unwrap();
    assert_eq!(a.held_locks(20).await.unwrap(), Vec::new());
}

async fn run_transitions_are_compare_and_swap_across_instances(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a.save_plan(plan("plan-cas")).await.unwrap();
    a.start_run(start("plan-cas", "run-cas", &[], RunState::AwaitingApproval)).await.unwrap().unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = Arc::clone(if i % 2 == 0 { a } else { b });
        let to = if i % 3 == 0 { RunState::Failed } else { RunState::Running };
        tasks.push(tokio::spawn(async move { (to, store.update_run(run("run-cas", "plan-cas", to, 10), RunState::AwaitingApproval).await.unwrap()) }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let winners: Vec<RunState> = outcomes.iter().filter(|(_, o)| o.is_ok()).map(|(to, _)| *to).collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert!(outcomes.iter().filter(|(_, o)| o.is_err()).all(|(_, o)| *o == Err(winners[0])), "the losers learn the state they lost to");
    assert_eq!(b.load_run("run-cas".into()).await.unwrap().unwrap().state, winners[0]);
}

async fn revocations_are_seen_everywhere(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    a.revoke_session("jti-1".into(), 10_000).await.unwrap();
    assert!(b.is_revoked("jti-1".into(), "someone".into(), 1).await.unwrap());
    b.revoke_user("mqadmin".into(), 200).await.unwrap();
    assert!(a.is_revoked("jti-2".into(), "mqadmin".into(), 150).await.unwrap(), "a session begun before the revocation");
    assert!(!a.is_revoked("jti-3".into(), "mqadmin".into(), 201).await.unwrap(), "a session begun after it");
    assert!(!a.is_revoked("jti-4".into(), "mqadmin2".into(), 150).await.unwrap());
}

async fn runs_and_reports_are_listed_newest_first(a: &Arc<dyn Store>, b: &Arc<dyn Store>) {
    for (i, id) in ["list-1", "list-2", "list-3"].iter().enumerate() {
        let plan_id = format!("plan-{id}");
        a.save_plan(plan(&plan_id)).await.unwrap();
        let mut s = start(&plan_id, id, &[], RunState::Running);
        s.run.created_at = 1_000_000 + i as u64;
        b.start_run(s).await.unwrap().unwrap();
    }
    let newest: Vec<String> = a.list_runs(2).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(newest, ["list-3", "list-2"]);
    a.save_drill_report(report("drill-1", 100, "first")).await.unwrap();
    b.save_drill_report(report("drill-2", 200, "second")).await.unwrap();
    a.save_drill_report(report("drill-1", 300, "first, ended again after a resume")).await.unwrap();
    let listed: Vec<(String, Option<String>)> = b.list_drill_reports(10).await.unwrap().into_iter().map(|r| (r.run_id, r.outcome)).collect();
    assert_eq!(listed, [("drill-1".into(), Some("first, ended again after a resume".into())), ("drill-2".into(), Some("second".into()))]);
    assert_eq!(b.load_drill_report("drill-2".into()).await.unwrap().unwrap().finished_at, 200);
    assert!(a.load_drill_report("nothing".into()).await.unwrap().is_none());
}
