//! The guards under concurrency and hostile users, against the lab's slapd and sshd: one
//! identity whatever the spelling, compare-and-swap transitions, locks on everything a run
//! touches, single-use plans, sessions that end, and undo that tells the truth.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::workflow::Harness;
use console::store::Store as _;
use http_body_util::BodyExt;
use model::run::{RunState, StepState};
use serde_json::{Value, json};
use sim::reference::DAL_LB;
use std::time::Duration;
use tower::ServiceExt;

fn count(commands: &[(String, String)], host: &str, command: &str) -> usize {
    commands.iter().filter(|(h, c)| h == host && c == command).count()
}

/// `MQADMIN` and `ＭＱＡＤＭＩＮ` are mqadmin: they cannot approve mqadmin's failover; ten
/// concurrent approvals by another operator start it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_identity_and_ten_concurrent_approvals_run_the_failover_once() {
    let h = Harness::start().await;
    let upper = h.login_as("MQADMIN", "mqadmin").await;
    let (_, session) = h.get_as(&upper, "/api/session").await;
    assert_eq!(session["user"], "mqadmin", "the directory's name, not the typed one: {session}");
    let wide = h.login_as("ＭＱＡＤＭＩＮ", "mqadmin").await;
    let (_, session) = h.get_as(&wide, "/api/session").await;
    assert_eq!(session["user"], "mqadmin", "full-width letters fold as the directory folds them: {session}");

    let (status, _) = h.post("/api/refresh", json!({})).await;
    assert_eq!(status, StatusCode::OK, "the console has seen WDC as DR primary");
    assert!(h.lab.sim(&["fault", "region-down", "WDC"]).status.success());
    let (status, plan) = h.post_as(&upper, "/api/plans", json!({"kind": "dr-failover", "qmgr": "DRHAQM1", "to_region": "DAL"})).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["created_by"], "mqadmin");
    let (status, started) = h.post_as(&upper, &format!("/api/plans/{}/execute", plan["id"].as_str().unwrap()), json!({"confirm": "DRHAQM1"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    let run = h.wait(&run_id).await;
    assert_eq!((run.state, run.requested_by.as_str()), (RunState::AwaitingApproval, "mqadmin"));

    // The requester, whatever the spelling of his name, cannot approve or deny.
    for session in [&h.admin, &upper, &wide] {
        for decision in ["approve", "deny"] {
            let (status, body) = h.post_as(session, &format!("/api/runs/{run_id}/{decision}"), json!({})).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{decision}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("two-person"), "{body}");
        }
    }

    // Ten approvals at once: one starts the run, nine are told someone was first.
    let second = h.login("mqadmin2").await;
    let path = format!("/api/runs/{run_id}/approve");
    let approvals = (0..10).map(|_| h.post_as(&second, &path, json!({})));
    let answers = futures::future::join_all(approvals).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::ACCEPTED).count(), 1, "{answers:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count(), 9, "{answers:?}");
    for (status, body) in &answers {
        if *status == StatusCode::CONFLICT {
            assert_eq!(body["error"]["code"], "conflict", "{body}");
        }
    }
    let (status, _) = h.post_as(&second, &format!("/api/runs/{run_id}/deny"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "an approved run cannot be denied");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert_eq!(run.approved_by.as_deref(), Some("mqadmin2"));

    // The hosts' own record: each step ran once.
    let commands = h.commands_run();
    assert_eq!(count(&commands, "dal1-mq1", "rdqmdr -p -m DRHAQM1"), 1, "{commands:?}");
    assert_eq!(count(&commands, "wdc-bastion", "mqiptAdmin -refresh -n HAMQ"), 1, "{commands:?}");
    let audit = h.store.audit_log(200).await.unwrap();
    assert!(audit.iter().all(|r| !r.event.actor.eq_ignore_ascii_case("mqadmin") || r.event.actor == "mqadmin"), "one name in the audit");
    assert_eq!(audit.iter().filter(|r| r.event.action == "approve" && r.event.result == "ok").count(), 1);
}

/// A plan runs once, and only for the operator who made it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_are_single_use_and_belong_to_their_author() {
    let h = Harness::start().await;
    let plan = h.plan("DRHAQM2", "WDC").await;
    let id = plan["id"].as_str().unwrap();
    let path = format!("/api/plans/{id}/execute");
    let other = h.login("mqadmin2").await;
    let (status, body) = h.post_as(&other, &path, json!({"confirm": "DRHAQM2"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("make your own preview"), "{body}");

    // A double click: two executes at once, one run.
    let (a, b) = tokio::join!(h.post(&path, json!({"confirm": "DRHAQM2"})), h.post(&path, json!({"confirm": "DRHAQM2"})));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::ACCEPTED, StatusCode::CONFLICT], "{a:?} {b:?}");
    let run_id = [a, b].into_iter().find(|(s, _)| *s == StatusCode::ACCEPTED).unwrap().1["run_id"].as_str().unwrap().to_string();
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    let (status, body) = h.post(&path, json!({"confirm": "DRHAQM2"})).await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::CONFLICT, &json!("plan_used")), "a used plan: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("executed already"), "{body}");
    assert_eq!(count(&h.commands_run(), "dal1-mq1", "rdqmdr -s -m DRHAQM2"), 1);
}

/// A run locks its queue manager, the hosts it acts on and the MQIPT configuration it
/// writes: a restore of that file, or a preferred-location change, waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_locks_everything_it_touches() {
    // At scale 1 each `rdqmdr` role change takes 4 s while the reads a plan makes stay quick,
    // so the switchover back is still running while the plans below are made.
    let h = Harness::start_scaled("1").await;
    let first = h.switch("DRHAQM1", "DAL").await;
    assert_eq!(first.state, RunState::Succeeded, "{first:#?}");
    let (status, route_plan) = h.post("/api/plans", json!({"kind": "dr-switchover", "qmgr": "DRHAQM1", "to_region": "WDC"})).await;
    assert_eq!(status, StatusCode::OK);
    let backups: Vec<String> = std::fs::read_dir(std::path::Path::new(h.lab.var("LAB_MQIPT_CONF")).parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.contains(".rdqm-console."))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let restore = json!({"kind": "restore-route-config", "instance": "HAMQ", "backup": h.bastion_path(&backups[0])});
    let (status, restore_plan) = h.post("/api/plans", restore.clone()).await;
    assert_eq!(status, StatusCode::OK, "{restore_plan}");
    assert!(restore_plan["resources"].as_array().unwrap().contains(&json!("mqipt:HAMQ")), "{restore_plan}");
    assert!(route_plan["resources"].as_array().unwrap().contains(&json!("mqipt:HAMQ")), "{route_plan}");

    let (status, started) = h.execute(&route_plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();

    let (status, body) = h.execute(&restore_plan, "HAMQ").await;
    assert_eq!((status, &body["error"]["code"]), (StatusCode::CONFLICT, &json!("run_locked")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("mqipt:HAMQ") && message.contains(&run_id), "{message}");
    let (status, again) = h.post("/api/plans", restore).await;
    assert_eq!(status, StatusCode::OK);
    let lock = again["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "run_lock").unwrap().clone();
    assert_eq!(lock["status"], "block", "{lock}");
    let (_, prefer) = h.post("/api/plans", json!({"kind": "ha-prefer", "qmgr": "DRHAQM1", "node": "wdc2-mq1"})).await;
    let lock = prefer["preconditions"].as_array().unwrap().iter().find(|p| p["code"] == "run_lock").unwrap().clone();
    assert_eq!(lock["status"], "block", "a preferred-location change of the queue manager waits: {lock}");
    assert!(lock["message"].as_str().unwrap().contains("qmgr:DRHAQM1"), "{lock}");

    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
    assert!(h.store.held_locks(0).await.unwrap().is_empty(), "the run's locks end with it");
}

/// The compare-and-swap write of `mqipt.conf` refuses a file edited since planning, and an
/// undo never overwrites an edit made after the run wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_does_not_overwrite_an_edit_made_since() {
    let h = Harness::start().await;
    // The refresh fails; before the undo restores the file, someone edits it.
    assert!(h.lab.sim(&["fault", "fail-next", "wdc-bastion", "mqiptAdmin"]).status.success());
    assert!(h.lab.sim(&["fault", "latency", "wdc-bastion", "800"]).status.success());
    let plan = h.plan("DRHAQM1", "DAL").await;
    let (status, started) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    let conf_path = h.lab.var("LAB_MQIPT_CONF").to_string();
    let mut edited = false;
    for _ in 0..400 {
        let (_, run) = h.get(&format!("/api/runs/{run_id}")).await;
        if run["steps"][4]["state"] == "failed" || run["steps"][4]["state"] == "running" {
            let text = std::fs::read_to_string(&conf_path).unwrap();
            if text.contains(DAL_LB) {
                std::fs::write(&conf_path, format!("{text}# edited by hand\n")).unwrap();
                edited = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(edited, "the file was never written");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::NeedsAttention, "{run:#?}");
    let conf = std::fs::read_to_string(&conf_path).unwrap();
    assert!(conf.ends_with("# edited by hand\n"), "the hand edit survives: {conf}");
    let undo = run.undo.iter().find(|u| u.command.starts_with("restore")).unwrap();
    assert_eq!(undo.state, StepState::Failed, "{undo:#?}");
    assert!(undo.verification.as_deref().unwrap().contains("changed since planning"), "{undo:#?}");
    assert!(run.remediation.iter().any(|r| r.host == "wdc-bastion" && r.command.starts_with("restore")), "{:#?}", run.remediation);
}

/// A failover whose MQIPT refresh fails after the promotion: the promotion stays, so the
/// route is not sent back to the lost region; the run needs attention and says what to run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_whose_refresh_fails_keeps_the_route_with_the_queue_manager() {
    let h = Harness::start().await;
    let (status, _) = h.post("/api/refresh", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.lab.sim(&["fault", "region-down", "WDC"]).status.success());
    assert!(h.lab.sim(&["fault", "fail-next", "wdc-bastion", "mqiptAdmin"]).status.success());
    let (_, run_id) = h.start_run(json!({"kind": "dr-failover", "qmgr": "DRHAQM1", "to_region": "DAL"}), "DRHAQM1").await;
    let second = h.login("mqadmin2").await;
    let (status, body) = h.post_as(&second, &format!("/api/runs/{run_id}/approve"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::NeedsAttention, "{run:#?}");
    let message = run.message.clone().unwrap();
    assert!(message.contains("cannot be undone") && !message.contains("every completed step was undone"), "{message}");
    assert!(run.undo.is_empty(), "nothing was undone: {:#?}", run.undo);
    assert_eq!(run.steps[0].state, StepState::Succeeded, "the promotion stays in the journal as it ran");

    // Independent reads: DRHAQM1 runs in DAL and the route in the file points there.
    assert_eq!(h.field("dal1-mq1", "DRHAQM1", "Queue manager status:"), "Running");
    assert!(h.conf().contains(&format!("ListenerPort=1501\nDestination={DAL_LB}")), "{}", h.conf());
    let first = &run.remediation[0];
    assert_eq!((first.host.as_str(), first.command.as_str()), ("wdc-bastion", "mqiptAdmin -refresh -n HAMQ"), "{:#?}", run.remediation);
    assert!(run.remediation.iter().any(|r| r.host == "dal1-mq1" && r.command == "rdqmstatus -m DRHAQM1"), "{:#?}", run.remediation);
    assert!(!run.remediation.iter().any(|r| r.why.contains("connection was lost")), "{:#?}", run.remediation);

    // When WDC returns, the partition shows, and so does the route against where DRHAQM1 runs.
    assert!(h.lab.sim(&["fault", "region-up", "WDC"]).status.success());
    let (_, snapshot) = h.post("/api/refresh", json!({})).await;
    let codes: Vec<&str> = snapshot["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"dr_partitioned"), "{codes:?}");
}

/// The audit log cannot be written: the next step does not start, and the run says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_whose_audit_record_cannot_be_written_does_not_start() {
    let h = Harness::start().await;
    // DAL's promotion (step 2) arrives slowly, so the audit breaks while it runs.
    assert!(h.lab.sim(&["fault", "latency", "dal1-mq1", "1000"]).status.success());
    let plan = h.plan("DRHAQM1", "DAL").await;
    let (status, started) = h.execute(&plan, "DRHAQM1").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    let mut caught = false;
    for _ in 0..400 {
        let (_, run) = h.get(&format!("/api/runs/{run_id}")).await;
        if run["steps"][1]["state"] == "running" {
            caught = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(caught, "step 2 was never seen running");
    // The audit table refuses every new record from now on (a full disk, a broken file).
    let db = rusqlite::Connection::open(h.store_path()).unwrap();
    db.execute_batch("CREATE TRIGGER audit_full BEFORE INSERT ON audit BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;").unwrap();
    let run = h.wait(&run_id).await;
    assert_eq!(run.state, RunState::NeedsAttention, "{run:#?}");
    assert!(run.steps[2..].iter().all(|s| s.state == StepState::Pending), "nothing more started: {run:#?}");
    assert_eq!(count(&h.commands_run(), "wdc-bastion", "mqiptAdmin -refresh -n HAMQ"), 0);
    assert!(!h.conf().contains(&format!("ListenerPort=1501\nDestination={DAL_LB}")), "the route was not written");
    let message = run.message.unwrap();
    assert!(message.contains("audit log cannot be written"), "{message}");
    assert!(run.remediation.iter().any(|r| r.host == "dal1-mq1" && r.command == "rdqmdr -s -m DRHAQM1"), "{:#?}", run.remediation);
}

/// Sessions end: a user removed from mqadmins loses operator rights within the re-check
/// interval, `sessions revoke` ends every session of a user, an event stream closes at
/// logout, and a session may hold only so many streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_rights_or_sessions_are_withdrawn() {
    let h = Harness::start_with(|auth| {
        auth.recheck = Duration::from_secs(1);
        auth.streams = console::http::streams::StreamRegistry::new(console::http::streams::StreamLimits { per_session: 2, per_user: 3, total: 100 });
    })
    .await;
    let second = h.login("mqadmin2").await;
    let (status, _) = h.post_as(&second, "/api/refresh", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let ldif = "dn: cn=mqadmins,ou=groups,dc=ibm,dc=com\nchangetype: modify\ndelete: uniqueMember\nuniqueMember: uid=mqadmin2,ou=people,dc=ibm,dc=com\n";
    h.lab.ldapmodify(ldif);
    let mut status = StatusCode::OK;
    for _ in 0..50 {
        status = h.post_as(&second, "/api/refresh", json!({})).await.0;
        if status != StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED, "mqadmin2 is in no group of the console any more");
    let audit = h.store.audit_log(20).await.unwrap();
    assert!(audit.iter().any(|r| r.event.actor == "mqadmin2" && r.event.action == "session_ended"), "{audit:?}");

    // An event stream ends at logout.
    let viewer = h.login("mqviewer").await;
    let events = |session: &(String, String)| Request::get("/api/events").header(header::COOKIE, &session.0).body(Body::empty()).unwrap();
    let response = h.app.clone().oneshot(events(&viewer)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = response.into_body();
    let first = tokio::time::timeout(Duration::from_secs(10), stream.frame()).await.unwrap().unwrap().unwrap();
    assert!(String::from_utf8_lossy(first.data_ref().unwrap()).starts_with("event: estate"));
    let second_stream = h.app.clone().oneshot(events(&viewer)).await.unwrap();
    assert_eq!(second_stream.status(), StatusCode::OK);
    let (status, _, body) = common::send(&h.app, events(&viewer)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "a third stream for one session: {body}");
    drop(second_stream);
    let logout = Request::delete("/api/session").header(header::COOKIE, &viewer.0).header("X-CSRF-Token", &viewer.1).body(Body::empty()).unwrap();
    assert_eq!(common::send(&h.app, logout).await.0, StatusCode::NO_CONTENT);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.frame().await {
                None => return true,
                Some(Err(_)) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the stream closed after logout");

    // `rdqm-console sessions revoke` (another process, the same store) ends mqadmin's sessions.
    let config = h.config_with_store();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rdqm-console")).args(["sessions", "revoke", "--config", &config, "MQADMIN"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (status, _) = h.get("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked");
    // Revocation has a resolution of a second: a session begun in that second ends too.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh = h.login("mqadmin").await;
    assert_eq!(h.get_as(&fresh, "/api/session").await.0, StatusCode::OK, "a new sign-in works");
}

/// The API's answers: the JSON error shape for every malformed body to every endpoint, and
/// for a method an endpoint does not answer; never cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_the_json_error_shape() {
    let h = Harness::start().await;
    // Signing out comes last: it ends the session the other requests use.
    let (delete, others): (Vec<_>, Vec<_>) = console::http::API_ENDPOINTS.iter().partition(|(method, _)| *method == "DELETE");
    visit_with_bad_bodies(&h, &others).await;
    let (status, body) = h.get("/api/audit?limit=many").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{body}");
    // Reading the session changes nothing: the same CSRF token, no new cookie.
    let session = |cookie: &str| Request::get("/api/session").header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let (_, headers, one) = common::send(&h.app, session(&h.admin.0)).await;
    let (_, _, two) = common::send(&h.app, session(&h.admin.0)).await;
    let (one, two): (Value, Value) = (serde_json::from_str(&one).unwrap(), serde_json::from_str(&two).unwrap());
    assert_eq!(one["csrf"], two["csrf"]);
    assert_eq!(one["csrf"].as_str(), Some(h.admin.1.as_str()));
    assert!(!headers.contains_key(header::SET_COOKIE));
    // Viewers read runs but not the audit log; /metrics wants a session.
    let viewer = h.login("mqviewer").await;
    assert_eq!(h.get_as(&viewer, "/api/runs").await.0, StatusCode::OK);
    assert_eq!(h.get_as(&viewer, "/api/audit").await.0, StatusCode::FORBIDDEN);
    assert_eq!(h.get("/api/audit").await.0, StatusCode::OK);
    let (status, _, _) = common::send(&h.app, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = common::send(&h.app, Request::get("/metrics").header(header::COOKIE, &viewer.0).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    visit_with_bad_bodies(&h, &delete).await;
}

/// Sends every malformed body to each endpoint (a PUT to a GET endpoint): each answer is a
/// success that ignored the body or the JSON error shape; an endpoint that reads a body says
/// `bad_request`.
async fn visit_with_bad_bodies(h: &Harness, endpoints: &[&(&str, &str)]) {
    // The endpoints that read a body refuse a malformed one; the others ignore it.
    let reads_body = ["/api/session", "/api/plans", "/api/plans/{id}/execute", "/api/tls/sslpeer-check"];
    let bodies: [(&str, Option<&str>); 5] = [
        ("not json", Some("application/json")),
        ("{\"kind\": \"dr-switchover\"}", Some("application/json")),
        ("{\"username\": 1, \"kind\": 7, \"confirm\": [], \"dn\": null}", Some("application/json")),
        ("{}", None),
        ("{\"kind\": \"no-such-plan\", \"qmgr\": \"X\"}", Some("text/plain")),
    ];
    let assert_shape = |what: &str, status: StatusCode, headers: &axum::http::HeaderMap, text: &str| {
        let json: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"));
        let code = json["error"]["code"].as_str().unwrap_or_else(|| panic!("{what}: no error code: {text}"));
        assert!(!json["error"]["message"].as_str().unwrap().is_empty(), "{what}: {text}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{what}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
        (status, code.to_string())
    };
    for (method, template) in endpoints {
        let path = template.replace("{id}", "0123456789abcdef");
        if *method == "GET" {
            // Each GET endpoint refuses PUT in the same shape.
            let request = Request::put(&path).header(header::COOKIE, &h.admin.0).header("X-CSRF-Token", &h.admin.1);
            let (status, headers, text) = common::send(&h.app, request.body(Body::from("{}")).unwrap()).await;
            let what = format!("PUT {path}");
            assert_eq!(assert_shape(&what, status, &headers, &text), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into()), "{what}");
            continue;
        }
        for (body, content_type) in bodies {
            let mut request = Request::builder().method(*method).uri(&path).header(header::COOKIE, &h.admin.0).header("X-CSRF-Token", &h.admin.1);
            if let Some(ct) = content_type {
                request = request.header(header::CONTENT_TYPE, ct);
            }
            let (status, headers, text) = common::send(&h.app, request.body(Body::from(body)).unwrap()).await;
            let what = format!("{method} {path} {body:?} {content_type:?}");
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}: {text}");
            if reads_body.contains(template) && *method == "POST" {
                assert_eq!(assert_shape(&what, status, &headers, &text), (StatusCode::BAD_REQUEST, "bad_request".into()), "{what}");
            } else if !status.is_success() {
                assert_shape(&what, status, &headers, &text);
            }
        }
    }
}
