//! Whole plans, made from a fixture snapshot of the reference estate (as the console's poller
//! read the simulated estate of seed 000), kept as insta snapshots: a change to any
//! precondition, step, command, undo, verification or diff shows up whole in review.
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test -p model --test planning`) after a
//! deliberate change.
#![allow(clippy::unwrap_used)]

use model::estate::{Inventory, Snapshot};
use model::plan::{self, ConfRead, Intent, PlanContext, PreconditionCode};

const SNAPSHOT: &str = include_str!("fixtures/reference-snapshot.json");
const INVENTORY: &str = include_str!("fixtures/reference-inventory.json");
const MQIPT_CONF: &str = include_str!("fixtures/reference-mqipt.conf");
const CONF_PATH: &str = "/opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf";

fn plan_on(snapshot: &Snapshot, intent: Intent, edit: impl FnOnce(&mut PlanContext)) -> plan::Plan {
    let inventory: Inventory = serde_json::from_str(INVENTORY).unwrap();
    let mut ctx = PlanContext {
        snapshot,
        inventory: &inventory,
        conf: Some(ConfRead { instance: "HAMQ".into(), host: "wdc-bastion".into(), path: CONF_PATH.into(), text: Ok(MQIPT_CONF.into()) }),
        backup_text: None,
        operator: true,
        held_locks: Vec::new(),
        last_switchover_at: None,
        flap_window_ms: 15 * 60_000,
        now_ms: 1_796_400_000_000,
        refresh: ("mqiptAdmin".into(), vec!["-refresh".into(), "-n".into(), "HAMQ".into()], Some("MQCAI025".into())),
        certs: None,
        client: None,
        cert_policy: Default::default(),
        tls_clients: Vec::new(),
    };
    edit(&mut ctx);
    plan::plan(&ctx, &intent, "1")
}

fn reference() -> Snapshot {
    serde_json::from_str(SNAPSHOT).unwrap()
}

fn plan(intent: Intent) -> plan::Plan {
    plan_on(&reference(), intent, |_| {})
}

#[test]
fn dr_switchover() {
    insta::assert_json_snapshot!(plan(Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() }));
}

#[test]
fn dr_failover_while_the_primary_region_answers_is_blocked() {
    insta::assert_json_snapshot!(plan(Intent::DrFailover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() }));
}

#[test]
fn route_retarget_to_where_it_already_points() {
    insta::assert_json_snapshot!(plan(Intent::RouteRetarget { qmgr: "DRHAQM2".into(), to_region: "DAL".into() }));
}

#[test]
fn ha_suspend_resume_and_prefer() {
    insta::assert_json_snapshot!("ha_suspend", plan(Intent::HaSuspend { node: "wdc1-mq1".into() }));
    insta::assert_json_snapshot!("ha_resume_of_a_node_not_suspended", plan(Intent::HaResume { node: "wdc1-mq1".into() }));
    insta::assert_json_snapshot!("ha_prefer", plan(Intent::HaPrefer { qmgr: "DRHAQM1".into(), node: "wdc2-mq1".into() }));
}

#[test]
fn pacemaker_cleanup_with_nothing_to_clean() {
    insta::assert_json_snapshot!(plan(Intent::PacemakerCleanup { qmgr: "DRHAQM1".into(), region: "DAL".into() }));
}

#[test]
fn restore_route_config_from_a_backup() {
    let backup = format!("{CONF_PATH}.rdqm-console.1796399000000");
    let edited = MQIPT_CONF.replacen("Active=true", "Active=false", 1);
    let restore = Intent::RestoreRouteConfig { instance: "HAMQ".into(), backup };
    insta::assert_json_snapshot!(plan_on(&reference(), restore, |ctx| ctx.backup_text = Some(Ok(edited))));
}

#[test]
fn a_viewer_and_a_held_lock_are_blocked_first() {
    let lock = model::plan::HeldLock { resource: "qmgr:DRHAQM1".into(), run_id: "r1".into(), description: "run r1 (dr-switchover of DRHAQM1) by mqadmin2".into() };
    let switch = Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() };
    let blocked = plan_on(&reference(), switch, |ctx| {
        ctx.operator = false;
        ctx.held_locks = vec![lock];
    });
    insta::assert_json_snapshot!(blocked.preconditions);
}

#[test]
fn verifications_name_what_is_read() {
    use model::plan::Verify;
    let text = Verify::Estate { qmgr: "DRHAQM1".into(), region: "DAL".into(), check_route: true, ignore_unreachable: false }.describe();
    assert!(text.contains("DRHAQM1 DR primary only in DAL") && text.contains("MQIPT route"), "{text}");
    assert_eq!(Verify::OutputContains { text: "MQCAI025".into() }.describe(), "exit code 0 and “MQCAI025” in the output");
    let text = Verify::RunningHere { qmgr: "Q".into(), timeout_secs: 60 }.describe();
    assert!(text.ends_with("(checked for up to 60 s)"), "{text}");
    for v in [
        Verify::ExitZero,
        Verify::DrRole { qmgr: "Q".into(), role: model::status::DrRole::Secondary },
        Verify::FileHash { path: "/p".into(), sha256: "ab".into() },
        Verify::DrNormal { qmgr: "Q".into(), timeout_secs: 5 },
        Verify::NothingRunsOn { node: "n".into(), timeout_secs: 5 },
        Verify::RunsOn { node: "n".into(), qmgrs: vec!["Q".into()], timeout_secs: 5 },
        Verify::Preferred { qmgr: "Q".into(), node: "n".into() },
        Verify::NoFailCounts { resource: "q".into(), nodes: vec!["n".into()] },
    ] {
        let text = v.describe();
        assert!(!text.contains('?') && !text.contains("the console's check"), "{text}");
    }
}

#[test]
fn every_kind_says_what_it_does() {
    let text = Intent::DrFailover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() }.describe();
    assert_eq!(text, "Fail DRHAQM1 over to DAL (unplanned failover)");
}

#[test]
fn a_run_journals_which_file_a_step_copies_and_where() {
    let switch = plan(Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() });
    let copies: Vec<Option<model::run::BackupCopy>> = switch.steps.iter().map(|s| model::run::RunStep::of_step(s).backup).collect();
    let expected = model::run::BackupCopy { of: CONF_PATH.into(), to: format!("{CONF_PATH}.rdqm-console.1") };
    assert_eq!(copies.iter().filter(|c| c.is_some()).count(), 1, "{copies:?}");
    assert_eq!(copies[2], Some(expected));
}

fn seed_client() -> plan::ClientCheck {
    plan::ClientCheck {
        host: "wdc-mq-client".into(),
        mqserver: "DRHAMQ1.MQIPT/TCP/10.241.1.4(1501)".into(),
        queue: "MQIPT.LOCAL.QUEUE".into(),
        bin_dir: None,
    }
}

#[test]
fn dr_drill_planned_and_without_a_client() {
    let drill = Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: "DAL".into(), messages: 50, unplanned: false, switch_back: false };
    insta::assert_json_snapshot!("dr_drill_planned", plan_on(&reference(), drill.clone(), |ctx| ctx.client = Some(seed_client())));
    let without = plan(drill);
    assert!(without.preconditions.iter().any(|p| p.code == PreconditionCode::Client && p.status == plan::CheckStatus::Block), "{without:#?}");
    assert!(without.steps.is_empty());
}

#[test]
fn an_unplanned_drill_while_dr_replicates_is_blocked() {
    let drill = Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: "DAL".into(), messages: 20, unplanned: true, switch_back: false };
    let blocked = plan_on(&reference(), drill, |ctx| ctx.client = Some(seed_client()));
    let codes: Vec<(PreconditionCode, plan::CheckStatus)> = blocked.preconditions.iter().map(|p| (p.code, p.status)).collect();
    assert!(codes.contains(&(PreconditionCode::PrimaryLost, plan::CheckStatus::Block)), "{codes:?}");
    assert!(blocked.needs_approval && blocked.steps.is_empty());
}

#[test]
fn dr_switchover_with_a_client_check() {
    let switch = Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() };
    insta::assert_json_snapshot!(plan_on(&reference(), switch, |ctx| ctx.client = Some(seed_client())));
    let bad = plan::ClientCheck { mqserver: "no slashes".into(), ..seed_client() };
    assert_eq!(bad.connect("DRHAQM1", 5), None, "an MQSERVER that is not CHANNEL/TCP/host(port) gives no connect check");
}

#[test]
fn dr_drill_and_back() {
    let drill = Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: "DAL".into(), messages: 10, unplanned: false, switch_back: true };
    let plan = plan_on(&reference(), drill, |ctx| ctx.client = Some(seed_client()));
    let steps: Vec<(&str, &str)> = plan.steps.iter().map(|s| (s.host.as_str(), s.title.as_str())).collect();
    insta::assert_debug_snapshot!(steps);
}
