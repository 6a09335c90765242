//! Reading the lab's estate over real SSH: the poller's snapshot follows the seed's failover,
//! flags the route left behind, and marks a lost node unreachable while the rest stays current.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

use console::config::Config;
use console::fleet::RemoteExec;
use console::fleet::poller::Poller;
use console::fleet::ssh::SshExec;
use model::estate::Snapshot;
use sim::lab::Lab;
use std::sync::Arc;
use std::time::Duration;

fn exec_for(lab: &Lab) -> (Config, Arc<SshExec>, tempfile::TempDir) {
    let config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).expect("lab config is valid");
    let control = tempfile::Builder::new().prefix("rc").tempdir_in("/tmp").unwrap();
    let ssh = Arc::new(config.ssh_exec(control.path().to_path_buf()));
    (config, ssh, control)
}

fn node<'a>(snapshot: &'a Snapshot, name: &str) -> &'a model::estate::NodeView {
    snapshot.regions.iter().flat_map(|r| &r.nodes).find(|n| n.name == name).unwrap()
}

fn qm<'a>(snapshot: &'a Snapshot, name: &str) -> &'a model::estate::QmgrView {
    snapshot.qmgrs.iter().find(|q| q.name == name).unwrap()
}

fn codes(snapshot: &Snapshot) -> Vec<String> {
    snapshot.findings.iter().map(|f| format!("{}:{}", f.code, f.subject)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_follows_the_seed_failover_over_ssh() {
    let lab = Lab::start_default();
    let (config, ssh, _control) = exec_for(&lab);
    let poller = Poller::new(config.inventory(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_secs(1), Duration::from_secs(10));

    let before = poller.refresh().await;
    let drhaqm1 = qm(&before, "DRHAQM1");
    assert_eq!(drhaqm1.running_on.as_deref(), Some("wdc1-mq1"));
    assert_eq!(drhaqm1.dr_primary_region.as_deref(), Some("WDC"));
    assert_eq!(qm(&before, "DRHAQM2").running_on.as_deref(), Some("dal1-mq1"));
    assert!(before.findings.iter().all(|f| f.severity != model::estate::Severity::Critical), "{:?}", codes(&before));
    let route = before.routes.iter().find(|r| r.listener_port == "1501").unwrap();
    assert_eq!(route.destination_region.as_deref(), Some("WDC"));
    assert_eq!(before.routes.iter().find(|r| r.listener_port == "1503").unwrap().tls_mode, "SSLServer+SSLClient");
    // One channel per host per refresh.
    assert_eq!(ssh.channels_opened(), 7);

    assert!(lab.ssh("wdc1-mq1", "rdqmdr -s -m DRHAQM1").status.success());
    assert!(lab.ssh("dal1-mq1", "rdqmdr -p -m DRHAQM1").status.success());
    // The queue manager starts before it runs (the lab's time scale keeps it short).
    let mut after = poller.refresh().await;
    let mut refreshes = 2;
    for _ in 0..100 {
        if qm(&after, "DRHAQM1").running_on.is_some() {
            break;
        }
        assert!(after.findings.iter().any(|f| f.code == model::estate::FindingCode::QmStarting), "{:?}", codes(&after));
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = poller.refresh().await;
        refreshes += 1;
    }
    let drhaqm1 = qm(&after, "DRHAQM1");
    assert_eq!(drhaqm1.running_on.as_deref(), Some("dal1-mq1"));
    assert_eq!(drhaqm1.dr_primary_region.as_deref(), Some("DAL"));
    let wrong = after.findings.iter().find(|f| f.code == model::estate::FindingCode::RouteWrongRegion).expect("route 1501 flagged");
    assert_eq!(wrong.subject, "HAMQ:1501");
    assert!(wrong.message.contains("3bdf30c3-us-east.lb.appdomain.cloud"), "{}", wrong.message);
    assert_eq!(after.findings[0].severity, model::estate::Severity::Critical);
    assert_eq!(ssh.channels_opened(), 7 * refreshes, "one channel per host per refresh");
    ssh.close_all().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_node_turns_unreachable_within_two_refreshes_and_the_rest_stays_current() {
    let lab = Lab::start_default();
    let (config, ssh, _control) = exec_for(&lab);
    let poller = Arc::new(Poller::new(config.inventory(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_millis(500), Duration::from_secs(5)));
    let mut updates = poller.subscribe();
    let polling = poller.spawn();
    updates.changed().await.unwrap();
    let first = updates.borrow_and_update().clone().unwrap();
    assert!(node(&first, "wdc3-mq1").reachable);

    // Stop wdc3-mq1's sshd, as a lost host vanishes.
    assert!(lab.script("hook", &["down", "wdc3-mq1"]).status.success());
    let mut seen = None;
    for _ in 0..2 {
        updates.changed().await.unwrap();
        let snapshot = updates.borrow_and_update().clone().unwrap();
        if !node(&snapshot, "wdc3-mq1").reachable {
            seen = Some(snapshot);
            break;
        }
    }
    let snapshot = seen.expect("wdc3-mq1 unreachable within two refreshes");
    let lost = node(&snapshot, "wdc3-mq1");
    assert!(lost.stale && lost.error.is_some() && lost.last_ok_at.is_some(), "{lost:?}");
    assert!(snapshot.findings.iter().any(|f| f.code == model::estate::FindingCode::NodeUnreachable && f.subject == "wdc3-mq1"));
    for other in ["wdc1-mq1", "wdc2-mq1", "dal1-mq1", "dal2-mq1", "dal3-mq1"] {
        let n = node(&snapshot, other);
        assert!(n.reachable && !n.stale, "{other}: {n:?}");
    }
    assert_eq!(qm(&snapshot, "DRHAQM1").running_on.as_deref(), Some("wdc1-mq1"));
    polling.abort();
    ssh.close_all().await;
}
