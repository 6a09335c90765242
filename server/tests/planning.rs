//! Planning is pure: these check the plans made from snapshots of the in-process estate.

use console::fleet::RemoteExec;
use console::fleet::inproc::InProcessExec;
use console::fleet::poller::Poller;
use model::estate::Snapshot;
use model::plan::{self, Action, CheckStatus, ConfRead, Intent, PlanContext, PreconditionCode};
use sim::reference::{MQIPT_CONF, MQIPT_CONF_PATH};
use std::sync::Arc;
use std::time::Duration;

async fn snapshot_after(change: impl FnOnce(&mut sim::Estate)) -> (Snapshot, model::estate::Inventory) {
    let exec = Arc::new(InProcessExec::reference());
    exec.with_estate(change);
    let inventory = console::fleet::inproc::demo_inventory();
    let poller = Poller::new(inventory.clone(), exec as Arc<dyn RemoteExec>, Duration::from_secs(60), Duration::from_secs(5));
    ((*poller.refresh().await).clone(), inventory)
}

fn ctx<'a>(snapshot: &'a Snapshot, inventory: &'a model::estate::Inventory, conf: &str) -> PlanContext<'a> {
    PlanContext {
        snapshot,
        inventory,
        conf: Some(ConfRead { instance: "HAMQ".into(), host: "wdc-bastion".into(), path: MQIPT_CONF_PATH.into(), text: Ok(conf.into()) }),
        backup_text: None,
        operator: true,
        held_locks: Vec::new(),
        last_switchover_at: None,
        flap_window_ms: 15 * 60_000,
        now_ms: 1_000_000,
        refresh: ("mqiptAdmin".into(), vec!["-refresh".into(), "-n".into(), "HAMQ".into()], Some("MQCAI025".into())),
        certs: None,
        client: None,
        cert_policy: Default::default(),
        tls_clients: Vec::new(),
    }
}

fn switchover(qmgr: &str, to: &str) -> Intent {
    Intent::DrSwitchover { qmgr: qmgr.into(), to_region: to.into() }
}

fn status_of(p: &model::plan::Plan, code: PreconditionCode) -> CheckStatus {
    p.preconditions.iter().find(|c| c.code == code).unwrap_or_else(|| panic!("no {code} in {:#?}", p.preconditions)).status
}

#[tokio::test]
async fn a_healthy_switchover_has_every_step_with_its_undo() {
    let (snapshot, inventory) = snapshot_after(|_| {}).await;
    let p = plan::plan(&ctx(&snapshot, &inventory, MQIPT_CONF), &switchover("DRHAQM1", "DAL"), "1");
    assert!(!p.blocked(), "{:#?}", p.preconditions);
    let shown: Vec<String> = p.steps.iter().map(|s| format!("{}: {}", s.host, s.command)).collect();
    assert_eq!(shown[0], "wdc1-mq1: rdqmdr -s -m DRHAQM1");
    assert_eq!(shown[1], "dal1-mq1: rdqmdr -p -m DRHAQM1");
    assert_eq!(shown[2], format!("wdc-bastion: cp -p {MQIPT_CONF_PATH} {MQIPT_CONF_PATH}.rdqm-console.1"));
    assert_eq!(shown[4], "wdc-bastion: mqiptAdmin -refresh -n HAMQ");
    assert_eq!(p.steps.len(), 6);
    assert!(p.steps.iter().all(|s| !s.command.contains("strmqm")), "never strmqm");
    assert_eq!(p.steps[0].undo[0].command, "rdqmdr -p -m DRHAQM1");
    assert_eq!(p.steps[1].undo[0].command, "rdqmdr -s -m DRHAQM1");
    assert_eq!(p.fingerprint.conf_sha256.as_deref(), Some(plan::sha256_hex(MQIPT_CONF).as_str()));
    let Action::WriteFile { contents, .. } = &p.steps[3].action else { panic!("step 4 writes the file") };
    assert_eq!(contents.len(), MQIPT_CONF.len() + 1, "only the host name changed (DAL's is one byte longer)");
}

#[tokio::test]
async fn steps_target_the_ha_primary_not_a_fixed_node() {
    let (snapshot, inventory) = snapshot_after(|e| {
        e.node_mut("dal1-mq1").unwrap().suspended = true;
        e.node_mut("wdc1-mq1").unwrap().suspended = true;
    })
    .await;
    let p = plan::plan(&ctx(&snapshot, &inventory, MQIPT_CONF), &switchover("DRHAQM1", "DAL"), "1");
    assert!(!p.blocked(), "{:#?}", p.preconditions);
    assert_eq!(p.steps[0].host, "wdc2-mq1");
    assert_eq!(p.steps[1].host, "dal2-mq1");
}

#[tokio::test]
async fn blocks_with_evidence() {
    let (snapshot, inventory) = snapshot_after(|e| {
        e.qmgr_mut("DRHAQM1").unwrap().forced_dr = Some((model::status::DrStatus::SynchronizationInProgress, 512));
        e.node_mut("dal3-mq1").unwrap().up = false;
    })
    .await;
    let p = plan::plan(&ctx(&snapshot, &inventory, MQIPT_CONF), &switchover("DRHAQM1", "DAL"), "1");
    assert_eq!(status_of(&p, PreconditionCode::DrStatus), CheckStatus::Block);
    assert_eq!(status_of(&p, PreconditionCode::TargetGroup), CheckStatus::Block);
    assert!(p.steps.is_empty(), "a blocked plan has nothing to run");

    let (snapshot, inventory) = snapshot_after(|_| {}).await;
    let p = plan::plan(&ctx(&snapshot, &inventory, MQIPT_CONF), &switchover("DRHAQM1", "WDC"), "1");
    assert_eq!(status_of(&p, PreconditionCode::DrPrimary), CheckStatus::Block);
    let mut viewer = ctx(&snapshot, &inventory, MQIPT_CONF);
    viewer.operator = false;
    viewer.held_locks = vec![model::plan::HeldLock {
        resource: "qmgr:DRHAQM1".into(),
        run_id: "x".into(),
        description: "run x (ha-prefer of DRHAQM1) by mqadmin2".into(),
    }];
    let p = plan::plan(&viewer, &switchover("DRHAQM1", "DAL"), "1");
    assert_eq!(status_of(&p, PreconditionCode::Operator), CheckStatus::Block);
    assert_eq!(status_of(&p, PreconditionCode::RunLock), CheckStatus::Block);
}

#[tokio::test]
async fn partitioned_queue_managers_are_not_switched_over() {
    let (snapshot, inventory) = snapshot_after(|e| {
        let qm = e.qmgr_mut("DRHAQM1").unwrap();
        for side in &mut qm.sides {
            side.dr_role = model::status::DrRole::Primary;
        }
        qm.split_survivor = Some("DAL".into());
    })
    .await;
    let p = plan::plan(&ctx(&snapshot, &inventory, MQIPT_CONF), &switchover("DRHAQM1", "DAL"), "1");
    let block = p.preconditions.iter().find(|c| c.code == PreconditionCode::DrPrimary).unwrap();
    assert_eq!(block.status, CheckStatus::Block);
    assert!(block.message.contains("partitioned"), "{}", block.message);
}

/// During a partition the route is judged against where the queue manager runs: DR primary
/// in both regions, banned from every WDC node, it runs only in DAL while route 1501 still
/// points at WDC.
#[tokio::test]
async fn during_a_partition_the_route_follows_where_the_queue_manager_runs() {
    let (snapshot, _) = snapshot_after(|e| {
        let qm = e.qmgr_mut("DRHAQM1").unwrap();
        for side in &mut qm.sides {
            side.dr_role = model::status::DrRole::Primary;
        }
        qm.split_survivor = Some("DAL".into());
        for node in ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"] {
            qm.fail_counts.insert(node.into(), sim::estate::INFINITY);
        }
    })
    .await;
    let qm = snapshot.qmgrs.iter().find(|q| q.name == "DRHAQM1").unwrap();
    assert_eq!(qm.dr_primary_region, None, "partitioned");
    assert_eq!(qm.running_nodes, ["dal1-mq1"]);
    let wrong = snapshot.findings.iter().find(|f| f.code == model::estate::FindingCode::RouteWrongRegion && f.subject == "HAMQ:1501");
    let wrong = wrong.unwrap_or_else(|| panic!("{:#?}", snapshot.findings.iter().map(|f| &f.code).collect::<Vec<_>>()));
    assert!(wrong.message.contains("runs in DAL"), "{}", wrong.message);
    assert_eq!(wrong.severity, model::estate::Severity::Critical);
}

#[tokio::test]
async fn a_route_already_at_the_target_is_left_alone_with_a_warning() {
    let (snapshot, inventory) = snapshot_after(|_| {}).await;
    let conf = MQIPT_CONF.replacen(sim::reference::WDC_LB, sim::reference::DAL_LB, 1);
    let p = plan::plan(&ctx(&snapshot, &inventory, &conf), &switchover("DRHAQM1", "DAL"), "1");
    assert_eq!(status_of(&p, PreconditionCode::RouteAlreadyAtTarget), CheckStatus::Warn);
    assert!(p.diff.is_none());
    assert_eq!(p.steps.len(), 3, "the two rdqmdr steps and the final check");
}

#[tokio::test]
async fn route_retarget_only_towards_the_dr_primary_and_restores_only_our_backups() {
    let (snapshot, inventory) = snapshot_after(|_| {}).await;
    let wrong = MQIPT_CONF.replacen(sim::reference::WDC_LB, sim::reference::DAL_LB, 1);
    let p = plan::plan(&ctx(&snapshot, &inventory, &wrong), &Intent::RouteRetarget { qmgr: "DRHAQM1".into(), to_region: "WDC".into() }, "7");
    assert!(!p.blocked(), "{:#?}", p.preconditions);
    assert_eq!(p.steps.iter().map(|s| s.host.as_str()).collect::<Vec<_>>(), ["wdc-bastion", "wdc-bastion", "wdc-bastion", "console"]);
    let p = plan::plan(&ctx(&snapshot, &inventory, MQIPT_CONF), &Intent::RouteRetarget { qmgr: "DRHAQM1".into(), to_region: "DAL".into() }, "7");
    assert_eq!(status_of(&p, PreconditionCode::DrPrimary), CheckStatus::Block);

    assert!(plan::is_backup_name(MQIPT_CONF_PATH, &format!("{MQIPT_CONF_PATH}.rdqm-console.1795378637396")));
    for bad in ["/etc/passwd", &format!("{MQIPT_CONF_PATH}.rdqm-console."), &format!("{MQIPT_CONF_PATH}.rdqm-console.1/../../x")] {
        assert!(!plan::is_backup_name(MQIPT_CONF_PATH, bad), "{bad}");
    }
    let mut restore = ctx(&snapshot, &inventory, &wrong);
    restore.backup_text = Some(Ok(MQIPT_CONF.into()));
    let backup = format!("{MQIPT_CONF_PATH}.rdqm-console.5");
    let p = plan::plan(&restore, &Intent::RestoreRouteConfig { instance: "HAMQ".into(), backup }, "9");
    assert!(!p.blocked(), "{:#?}", p.preconditions);
    assert!(p.diff.as_deref().unwrap().contains(&format!("+Destination={}", sim::reference::WDC_LB)));
}

#[tokio::test]
async fn a_tls_route_is_only_moved_where_mqipt_trusts_the_certificate() {
    use model::certs::{CertInventory, CertView, Purpose};
    let (snapshot, inventory) = snapshot_after(|_| {}).await;
    let cert = |host: &str, purpose: Purpose, label: &str, personal: bool, subject: &str, issuer: &str, not_after: u64| CertView {
        host: host.into(),
        store: "/keys".into(),
        purpose,
        label: label.into(),
        personal,
        trusted: !personal,
        subject: subject.into(),
        issuer: issuer.into(),
        serial: "01".into(),
        key_bits: Some(2048),
        signature: None,
        not_before: Some(0),
        not_after: Some(not_after),
        san_dns: Vec::new(),
    };
    let qm = || Purpose::QmgrKeyRepository { qmgr: "SSLDRHAQM1".into() };
    let client = Purpose::MqiptClient { instance: "HAMQ".into() };
    let certs = CertInventory {
        collected_at: 1,
        certificates: vec![
            cert("dal1-mq1", qm(), "ssldrhaqm1certlabel", true, "CN=SSLDRHAQM1", "CN=Rogue CA", u64::MAX / 4),
            cert("wdc1-mq1", qm(), "ssldrhaqm1certlabel", true, "CN=SSLDRHAQM1", "CN=Lab Root CA", u64::MAX / 4),
            cert("wdc-bastion", client, "Lab Root CA", false, "CN=Lab Root CA", "CN=Lab Root CA", u64::MAX / 4),
        ],
        channels: Vec::new(),
        errors: Vec::new(),
        findings: Vec::new(),
        qmgr_labels: Default::default(),
        tlshd: Vec::new(),
    };
    let mut with_certs = ctx(&snapshot, &inventory, MQIPT_CONF);
    with_certs.certs = Some(&certs);
    let p = plan::plan(&with_certs, &switchover("SSLDRHAQM1", "DAL"), "1");
    let tls = p.preconditions.iter().find(|c| c.code == PreconditionCode::Tls).unwrap();
    assert_eq!(tls.status, CheckStatus::Block, "{tls:#?}");
    assert!(tls.message.contains("Rogue CA"), "{}", tls.message);
    assert!(p.steps.is_empty());
    // A plain route does not need the check.
    let p = plan::plan(&with_certs, &switchover("DRHAQM1", "DAL"), "1");
    assert!(p.preconditions.iter().all(|c| c.code != PreconditionCode::Tls));
}
