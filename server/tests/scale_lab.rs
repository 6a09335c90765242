//! A 60-node estate (`LAB_SCALE=10`: ten HA groups per region, 30 queue managers) over real
//! SSH: one channel per host per refresh, every queue manager seen by its own group's nodes
//! only, and a switchover that acts on its group and nothing else.
#![allow(clippy::unwrap_used)]

mod common;

use common::workflow::Harness;
use console::fleet::RemoteExec;
use model::estate::{Severity, Snapshot};
use model::run::RunState;
use serde_json::json;

/// The HA group number of a lab queue manager (`DRHAQM1` … in 1, `G<g>QM<i>` in g).
fn group_of(qmgr: &str) -> u32 {
    qmgr.strip_prefix('G').and_then(|rest| rest.split_once("QM")).map_or(1, |(g, _)| g.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_nodes_are_read_one_channel_per_host_and_a_switchover_stays_in_its_group() {
    let h = Harness::start_groups(10).await;
    let hosts = h.lab.var("LAB_CONSOLE_CONFIG").to_string();
    let config = console::config::Config::load(std::path::Path::new(&hosts)).unwrap();
    let polled_hosts = config.inventory().hosts().len();
    assert_eq!(polled_hosts, 61, "60 MQ nodes and the MQIPT bastion");

    let before = h.ssh.channels_opened();
    let (status, body) = h.post("/api/refresh", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.ssh.channels_opened() - before, polled_hosts as u64, "one channel per host per refresh");
    let snapshot: Snapshot = serde_json::from_value(body).unwrap();

    let nodes: Vec<_> = snapshot.regions.iter().flat_map(|r| &r.nodes).collect();
    assert_eq!(nodes.len(), 60);
    assert!(nodes.iter().all(|n| n.reachable && n.error.is_none()), "{:?}", nodes.iter().filter(|n| !n.reachable).map(|n| &n.name).collect::<Vec<_>>());
    assert!(snapshot.regions.iter().all(|r| r.groups.len() == 10));
    assert_eq!(snapshot.qmgrs.len(), 30);
    for qm in &snapshot.qmgrs {
        let suffix = format!("-mq{}", group_of(&qm.name));
        for side in &qm.sides {
            let names: Vec<&str> = side.nodes.iter().map(|n| n.node.as_str()).collect();
            assert_eq!(names.len(), 3, "{}: {names:?}", qm.name);
            assert!(names.iter().all(|n| n.ends_with(&suffix)), "{} in {}: {names:?}", qm.name, side.region);
            assert!(side.nodes.iter().all(|n| n.error.is_none()), "{}: {:?}", qm.name, side.nodes);
        }
        let primary = qm.dr_primary_region.as_deref().unwrap_or_else(|| panic!("{} has one DR primary", qm.name));
        assert!(qm.running_on.as_deref().is_some_and(|n| n.ends_with(&suffix)), "{} runs in its group: {:?}", qm.name, qm.running_on);
        assert!(qm.readiness[primary].ready, "{}: {:?}", qm.name, qm.readiness[primary]);
    }
    let critical: Vec<_> = snapshot.findings.iter().filter(|f| f.severity == Severity::Critical).map(|f| format!("{}:{}", f.code, f.subject)).collect();
    assert!(critical.is_empty(), "{critical:?}");

    // G7QM2 switches to the other region; only group 7's nodes are told anything.
    let g7 = snapshot.qmgrs.iter().find(|q| q.name == "G7QM2").unwrap();
    let from = g7.dr_primary_region.clone().unwrap();
    let to = if from == "WDC" { "DAL" } else { "WDC" };
    let run = h.switch("G7QM2", to).await;
    assert_eq!(run.state, RunState::Succeeded, "{run:?}");
    // Proven as a client would: a marker put and got through MQIPT's route 1572 from wdc-mq-client.
    let put = run.steps.iter().find(|s| s.command.contains("rdqmput") && s.command.contains("G7QM2")).unwrap_or_else(|| panic!("a client check: {run:#?}"));
    assert!(put.command.contains("G7QM2.MQIPT/TCP/10.241.1.4(1572)") && put.stdout.contains("Completed"), "{put:?}");
    let new_primary = format!("{}1-mq7", to.to_lowercase());
    assert_eq!(h.field(&new_primary, "G7QM2", "DR role:"), "Primary");
    let acting: Vec<(String, String)> = h.commands_run().into_iter().filter(|(_, c)| c.starts_with("rdqmdr") || c.starts_with("rdqmadm")).collect();
    assert!(!acting.is_empty());
    assert!(acting.iter().all(|(host, _)| host.ends_with("-mq7")), "{acting:?}");
    // A node of another group knows nothing of G7QM2 (as RDQM: it is not its queue manager).
    let other = h.lab.ssh("wdc1-mq3", "rdqmstatus -m G7QM2");
    assert!(!other.status.success());
}
