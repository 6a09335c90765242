//! The layers beneath rdqmstatus: `drbdadm status`, `crm_mon` XML and `crm_resource
//! --cleanup`, consistent with what rdqmstatus prints, read back with model's parsers; and
//! the `pacemaker-ban` / `drbd-disk` knobs.

#![allow(clippy::unwrap_used)]

mod common;

use common::Lab;
use model::crm::{self, CrmMon, INFINITY};
use model::drbd::{self, DrbdStatus};
use model::rdqmstatus;
use sim::control::{self, Fault};
use sim::estate::{DiskState, Estate};
use sim::reference::{self, MQIPT_CONF_PATH};

const WDC: [&str; 3] = ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"];
const DAL: [&str; 3] = ["dal1-mq1", "dal2-mq1", "dal3-mq1"];
const CRM_MON: &str = "crm_mon --one-shot --inactive --output-as=xml";

impl Lab {
    fn drbd(&mut self, host: &str) -> DrbdStatus {
        let status = drbd::parse(&self.ok(host, "drbdadm status"));
        assert!(status.unparsed.is_empty(), "{host}: {:?}", status.unparsed);
        status
    }

    fn crm(&mut self, host: &str) -> CrmMon {
        let mon = crm::parse(&self.ok(host, CRM_MON));
        assert_eq!(mon.error, None, "{host}");
        mon
    }

    /// `(Queue manager status, HA status, HA current location)` from rdqmstatus on `host`.
    fn rdqmstatus(&mut self, host: &str, qm: &str) -> (String, String, String) {
        let view = rdqmstatus::parse(&self.ok(host, &format!("rdqmstatus -m {qm}"))).qm_view().unwrap();
        (
            view.qm_status.to_string(),
            view.ha_status.map(|s| s.to_string()).unwrap_or_default(),
            view.ha_current_location.unwrap_or_default(),
        )
    }
}

/// `(node, role)` of every running instance of `id`.
fn placed(mon: &CrmMon, id: &str) -> Vec<(String, String)> {
    mon.resources_named(id)
        .flat_map(|r| r.nodes.iter().map(move |n| (n.clone(), r.role.clone().unwrap_or_default())))
        .collect()
}

fn role_of(mon: &CrmMon, id: &str) -> Vec<String> {
    mon.resources_named(id).map(|r| r.role.clone().unwrap_or_default()).collect()
}

#[test]
fn healthy_drbd_status_on_the_ha_and_dr_primary() {
    let mut lab = Lab::new();
    let text = lab.ok("wdc1-mq1", "drbdadm status drhaqm1 drhaqm1.dr");
    assert_eq!(
        text,
        "drhaqm1 role:Primary\n  disk:UpToDate\n  wdc2-mq1 role:Secondary\n    peer-disk:UpToDate\n  wdc3-mq1 role:Secondary\n    peer-disk:UpToDate\n\n\
         drhaqm1.dr role:Primary\n  disk:UpToDate\n  dal1-mq1 role:Secondary\n    peer-disk:UpToDate\n\n"
    );
    let all = lab.drbd("wdc1-mq1");
    let names: Vec<&str> = all.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["drhaqm1", "drhaqm1.dr", "drhaqm2", "drhaqm2.dr", "ssldrhaqm1", "ssldrhaqm1.dr"]);
    // DRHAQM2 is DR primary in DAL: wdc1 holds the DR secondary side.
    let dr2 = all.resource("drhaqm2.dr").unwrap();
    assert_eq!(dr2.role.as_deref(), Some("Secondary"));
    assert_eq!(dr2.peer("dal1-mq1").unwrap().role.as_deref(), Some("Primary"));
    // An HA secondary has no DR resource.
    let wdc2 = lab.drbd("wdc2-mq1");
    assert!(wdc2.resources.iter().all(|r| !r.name.ends_with(".dr")));
    assert_eq!(wdc2.resource("drhaqm1").unwrap().role.as_deref(), Some("Secondary"));
    assert_eq!(wdc2.resource("drhaqm1").unwrap().peer("wdc1-mq1").unwrap().role.as_deref(), Some("Primary"));
}

#[test]
fn every_layer_agrees_with_rdqmstatus_in_the_reference_estate() {
    let mut lab = Lab::new();
    for host in WDC.iter().chain(DAL.iter()) {
        let drbd = lab.drbd(host);
        let mon = lab.crm(host);
        assert_eq!(mon.summary.get("with_quorum").map(String::as_str), Some("true"));
        assert_eq!(mon.summary.get("nodes_configured").map(String::as_str), Some("3"));
        assert_eq!(mon.summary.get("resources_configured").map(String::as_str), Some("18"));
        assert!(mon.fail_counts.is_empty() && mon.failures.is_empty(), "{host}");
        assert!(mon.nodes.iter().all(|n| n.online == Some(true) && n.standby == Some(false)));
        for qm in ["DRHAQM1", "DRHAQM2", "SSLDRHAQM1"] {
            let rsc = qm.to_lowercase();
            let (status, ha_status, location) = lab.rdqmstatus(host, qm);
            assert_eq!(ha_status, "Normal");
            // DRBD: Primary exactly where rdqmstatus says the HA resources are.
            let ha = drbd.resource(&rsc).unwrap();
            assert_eq!(ha.role.as_deref() == Some("Primary"), location == *host, "{host} {qm}");
            assert_eq!(ha.disk.as_deref(), Some("UpToDate"));
            assert!(ha.peers.iter().all(|p| p.peer_disk.as_deref() == Some("UpToDate") && p.connection.is_none()));
            assert_eq!(drbd.resource(&format!("{rsc}.dr")).is_some(), location == *host);
            // Pacemaker: promoted and the stack started on the same node.
            let promoted: Vec<String> =
                placed(&mon, &format!("p_drbd_{rsc}")).into_iter().filter(|(_, r)| r == "Promoted").map(|(n, _)| n).collect();
            assert_eq!(promoted, std::slice::from_ref(&location), "{host} {qm}");
            assert_eq!(placed(&mon, &format!("p_fs_{rsc}")), [(location.clone(), "Started".to_string())]);
            assert_eq!(placed(&mon, &format!("p_rdqmx_{rsc}")), [(location.clone(), "Started".to_string())]);
            assert!(mon.resources_named(&format!("p_drbd_{rsc}")).all(|r| r.parent.as_deref() == Some(format!("ms_drbd_{rsc}").as_str())));
            assert_eq!(mon.resources_named(&format!("p_ip_{rsc}")).count(), 0, "no floating IP in the reference estate");
            // The queue manager resource runs exactly where rdqmstatus says it runs.
            let running_here = status == "Running" || status == "Running elsewhere";
            let qm_placed = placed(&mon, &rsc);
            assert_eq!(!qm_placed.is_empty(), running_here, "{host} {qm}: {status}");
            if running_here {
                assert_eq!(qm_placed, [(location.clone(), "Started".to_string())]);
            }
        }
    }
    // The 2.1 words are printed, the parser normalises them.
    let xml = lab.ok("dal2-mq1", CRM_MON);
    assert!(xml.starts_with("<pacemaker-result api-version=\"2.25\" request=\"crm_mon --one-shot --inactive --output-as=xml\">\n  <summary>\n"));
    assert!(xml.contains("<clone id=\"ms_drbd_drhaqm1\" multi_state=\"true\""));
    assert!(xml.contains("role=\"Master\"") && xml.contains("role=\"Slave\""));
    assert!(xml.ends_with("  <status code=\"0\" message=\"OK\"/>\n</pacemaker-result>\n"));
    assert!(!xml.contains("<failures>") && !xml.contains("<node_history>"));
    // Without --inactive, what is stopped is left out (DRHAQM2 is DR secondary in WDC).
    let active = crm::parse(&lab.ok("wdc1-mq1", "crm_mon -1 --output-as xml"));
    assert_eq!(active.error, None);
    assert_eq!(active.resources_named("drhaqm2").count(), 0);
    assert_eq!(placed(&active, "drhaqm1"), [("wdc1-mq1".to_string(), "Started".to_string())]);
}

#[test]
fn a_region_banned_by_pacemaker_still_says_normal_and_cannot_run_the_queue_manager() {
    let mut lab = Lab::new();
    lab.fault("pacemaker-ban DAL DRHAQM1");
    // rdqmstatus does not show the ban.
    for host in DAL {
        let (status, ha_status, location) = lab.rdqmstatus(host, "DRHAQM1");
        assert_eq!((status.as_str(), ha_status.as_str(), location.as_str()), ("Ended immediately", "Normal", "dal1-mq1"));
    }
    // crm_mon does.
    let mon = lab.crm("dal2-mq1");
    let counts: Vec<(&str, &str, u64)> = mon.fail_counts.iter().map(|f| (f.node.as_str(), f.resource.as_str(), f.fail_count)).collect();
    assert_eq!(counts, [("dal1-mq1", "drhaqm1", INFINITY), ("dal2-mq1", "drhaqm1", INFINITY), ("dal3-mq1", "drhaqm1", INFINITY)]);
    assert!(mon.fail_counts.iter().all(|f| f.last_failure.is_some()));
    let failures: Vec<(Option<&str>, Option<&str>, Option<&str>)> =
        mon.failures.iter().map(|f| (f.node.as_deref(), f.resource.as_deref(), f.task.as_deref())).collect();
    assert_eq!(
        failures,
        [
            (Some("dal1-mq1"), Some("drhaqm1"), Some("start")),
            (Some("dal2-mq1"), Some("drhaqm1"), Some("start")),
            (Some("dal3-mq1"), Some("drhaqm1"), Some("start")),
        ]
    );
    assert!(mon.failures.iter().all(|f| f.attributes.get("op_key").map(String::as_str) == Some("drhaqm1_start_0")));
    assert!(mon.failures.iter().all(|f| f.attributes.get("exitstatus").map(String::as_str) == Some("error")));
    let xml = lab.ok("dal1-mq1", CRM_MON);
    assert!(xml.contains("fail-count=\"1000000\""), "Pacemaker prints INFINITY as its number");
    // The other region and queue managers are untouched.
    assert!(lab.crm("wdc1-mq1").fail_counts.is_empty());
    assert_eq!(mon.fail_count("dal1-mq1", "drhaqm2"), 0);

    // Switch DRHAQM1 to DAL: RDQM accepts it, the queue manager does not start there.
    lab.ok("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    assert_eq!(lab.ok("dal1-mq1", "rdqmdr -p -m DRHAQM1"), "Queue manager 'DRHAQM1' has been made the DR primary on this node.\n");
    assert_eq!(lab.running_on("DRHAQM1"), Vec::<String>::new());
    let (status, ha_status, location) = lab.rdqmstatus("dal1-mq1", "DRHAQM1");
    assert_eq!((status.as_str(), ha_status.as_str(), location.as_str()), ("Ended unexpectedly", "Normal", "dal1-mq1"));
    for host in DAL {
        assert_eq!(lab.rdqmstatus(host, "DRHAQM1").1, "Normal", "{host}");
    }
    assert!(lab.ok("dal1-mq1", "dspmq -m DRHAQM1").contains("STATUS(Ended unexpectedly)"));
    let mon = lab.crm("dal1-mq1");
    assert_eq!(role_of(&mon, "drhaqm1"), ["Stopped"]);
    assert_eq!(placed(&mon, "p_fs_drhaqm1"), [("dal1-mq1".to_string(), "Started".to_string())]);
    assert_eq!(lab.drbd("dal1-mq1").resource("drhaqm1.dr").unwrap().role.as_deref(), Some("Primary"));

    // Cleanup erases the history; with the ban gone RDQM's rules run it on dal1.
    let cleaned = lab.ok("dal1-mq1", "crm_resource --cleanup --resource drhaqm1");
    assert_eq!(
        cleaned,
        "Cleaned up drhaqm1 on dal1-mq1\nCleaned up drhaqm1 on dal2-mq1\nCleaned up drhaqm1 on dal3-mq1\n\
         Waiting for 1 reply from the controller\n... got reply (done)\n"
    );
    let mon = lab.crm("dal3-mq1");
    assert!(mon.fail_counts.is_empty() && mon.failures.is_empty());
    assert_eq!(placed(&mon, "drhaqm1"), [("dal1-mq1".to_string(), "Started".to_string())]);
    assert_eq!(lab.running_on("DRHAQM1"), ["dal1-mq1"]);
    assert_eq!(lab.rdqmstatus("dal1-mq1", "DRHAQM1").0, "Running");
    // Nothing left to clean: no controller round trip.
    assert_eq!(lab.ok("dal2-mq1", "crm_resource -C -r drhaqm1"), "Cleaned up drhaqm1 on dal1-mq1\nCleaned up drhaqm1 on dal2-mq1\nCleaned up drhaqm1 on dal3-mq1\n");
}

#[test]
fn cleanup_starts_nothing_by_itself() {
    let mut lab = Lab::new();
    lab.fault("pacemaker-ban DAL DRHAQM1");
    lab.ok("dal1-mq1", "crm_resource --cleanup --resource drhaqm1");
    assert_eq!(lab.running_on("DRHAQM1"), ["wdc1-mq1"], "DAL stays DR secondary");
    assert_eq!(lab.rdqmstatus("dal1-mq1", "DRHAQM1").0, "Ended immediately");
    assert!(lab.estate.qmgr("DRHAQM1").unwrap().fail_counts.is_empty());
}

#[test]
fn a_ban_on_some_nodes_moves_the_queue_manager_to_an_allowed_one() {
    let mut lab = Lab::new();
    lab.estate.qmgr_mut("DRHAQM1").unwrap().fail_counts.insert("wdc1-mq1".into(), INFINITY);
    assert_eq!(lab.running_on("DRHAQM1"), ["wdc2-mq1"]);
    assert_eq!(lab.rdqmstatus("wdc1-mq1", "DRHAQM1"), ("Running elsewhere".into(), "Normal".into(), "wdc2-mq1".into()));
    assert_eq!(lab.drbd("wdc2-mq1").resource("drhaqm1").unwrap().role.as_deref(), Some("Primary"));
    assert_eq!(placed(&lab.crm("wdc1-mq1"), "drhaqm1"), [("wdc2-mq1".to_string(), "Started".to_string())]);
    // rdqmdr follows the HA primary.
    assert_eq!(lab.run("wdc1-mq1", "rdqmdr -s -m DRHAQM1").code, 2);
    lab.ok("wdc2-mq1", "rdqmdr -s -m DRHAQM1");
}

#[test]
fn drbd_disk_states_show_on_the_node_and_on_its_peers() {
    let mut lab = Lab::new();
    lab.fault("drbd-disk wdc2-mq1 DRHAQM1 Outdated");
    lab.fault("drbd-disk wdc3-mq1 DRHAQM1 SyncTarget:45.2");
    let own = lab.drbd("wdc2-mq1");
    let ha = own.resource("drhaqm1").unwrap();
    assert_eq!(ha.disk.as_deref(), Some("Outdated"));
    // wdc2 sees wdc3 resynchronising from it.
    assert_eq!(ha.peer("wdc3-mq1").unwrap().replication.as_deref(), Some("SyncSource"));
    let primary = lab.drbd("wdc1-mq1");
    let ha = primary.resource("drhaqm1").unwrap();
    assert_eq!(ha.disk.as_deref(), Some("UpToDate"));
    assert_eq!(ha.peer("wdc2-mq1").unwrap().peer_disk.as_deref(), Some("Outdated"));
    let syncing = ha.peer("wdc3-mq1").unwrap();
    assert_eq!(
        (syncing.replication.as_deref(), syncing.peer_disk.as_deref(), syncing.done),
        (Some("SyncSource"), Some("Inconsistent"), Some(45.2))
    );
    assert!(lab.ok("wdc1-mq1", "drbdadm status drhaqm1").contains("  wdc3-mq1 role:Secondary\n    replication:SyncSource peer-disk:Inconsistent done:45.20\n"));
    let target = lab.drbd("wdc3-mq1");
    let ha = target.resource("drhaqm1").unwrap();
    assert_eq!(ha.disk.as_deref(), Some("Inconsistent"));
    let source = ha.peer("wdc1-mq1").unwrap();
    assert_eq!((source.replication.as_deref(), source.peer_disk.as_deref(), source.done), (Some("SyncTarget"), Some("UpToDate"), Some(45.2)));
    // Only DRHAQM1's resource is touched, and rdqmstatus does not show it.
    assert_eq!(target.resource("drhaqm2").unwrap().disk.as_deref(), Some("UpToDate"));
    assert_eq!(lab.rdqmstatus("wdc1-mq1", "DRHAQM1").1, "Normal");
    // Pacemaker would not promote a node without an UpToDate disk.
    let xml = lab.ok("wdc1-mq1", CRM_MON);
    assert!(xml.contains("<node name=\"wdc2-mq1\">\n      <attribute name=\"master-p_drbd_drhaqm1\" value=\"0\"/>"), "{xml}");

    lab.fault("drbd-disk wdc2-mq1 DRHAQM1 Diskless");
    let ha = lab.drbd("wdc1-mq1").resource("drhaqm1").unwrap().clone();
    assert_eq!(ha.peer("wdc2-mq1").unwrap().peer_disk.as_deref(), Some("Diskless"));
    assert_eq!(lab.drbd("wdc2-mq1").resource("drhaqm1").unwrap().attributes.get("client").map(String::as_str), Some("no"));
    for state in ["Inconsistent", "DUnknown", "Failed"] {
        lab.fault(&format!("drbd-disk wdc2-mq1 DRHAQM1 {state}"));
        assert_eq!(lab.drbd("wdc2-mq1").resource("drhaqm1").unwrap().disk.as_deref(), Some(state));
        assert_eq!(lab.drbd("wdc3-mq1").resource("drhaqm1").unwrap().peer("wdc2-mq1").unwrap().peer_disk.as_deref(), Some(state));
    }
    lab.fault("drbd-disk wdc2-mq1 DRHAQM1 UpToDate");
    assert!(!lab.estate.qmgr("DRHAQM1").unwrap().drbd_disk.contains_key("wdc2-mq1"));
}

#[test]
fn a_lost_peer_is_connecting_and_a_lost_region_cuts_the_dr_link() {
    let mut lab = Lab::new();
    lab.fault("node-down wdc3-mq1");
    let ha = lab.drbd("wdc1-mq1").resource("drhaqm1").unwrap().clone();
    let lost = ha.peer("wdc3-mq1").unwrap();
    assert_eq!((lost.connection.as_deref(), lost.role.as_deref(), lost.peer_disk.as_deref()), (Some("Connecting"), None, None));
    assert_eq!(
        lab.ok("wdc2-mq1", "drbdadm status drhaqm1"),
        "drhaqm1 role:Secondary\n  disk:UpToDate\n  wdc1-mq1 role:Primary\n    peer-disk:UpToDate\n  wdc3-mq1 connection:Connecting\n\n",
        "sorted by name; no peer-device line for a lost peer"
    );
    let mon = lab.crm("wdc2-mq1");
    assert_eq!(mon.node("wdc3-mq1").unwrap().online, Some(false));
    assert_eq!(role_of(&mon, "p_drbd_drhaqm1"), ["Promoted", "Unpromoted", "Stopped"]);

    lab.fault("region-down DAL");
    let dr = lab.drbd("wdc1-mq1").resource("drhaqm1.dr").unwrap().clone();
    assert_eq!(dr.peers[0].connection.as_deref(), Some("Connecting"));
    assert_eq!(dr.role.as_deref(), Some("Primary"));

    // A node alone in its group: no quorum in DRBD nor in Pacemaker.
    lab.fault("node-down wdc2-mq1");
    let alone = lab.drbd("wdc1-mq1");
    assert_eq!(alone.resource("drhaqm1").unwrap().attributes.get("quorum").map(String::as_str), Some("no"));
    assert_eq!(alone.resource("drhaqm1").unwrap().role.as_deref(), Some("Secondary"));
    let mon = lab.crm("wdc1-mq1");
    assert_eq!(mon.summary.get("with_quorum").map(String::as_str), Some("false"));
    assert_eq!(role_of(&mon, "drhaqm1"), ["Stopped"]);
}

#[test]
fn suspended_node_is_in_standby() {
    let mut lab = Lab::new();
    lab.ok("wdc1-mq1", "rdqmadm -s");
    let mon = lab.crm("wdc3-mq1");
    let node = mon.node("wdc1-mq1").unwrap();
    assert_eq!((node.online, node.standby), (Some(true), Some(true)));
    assert_eq!(placed(&mon, "drhaqm1"), [("wdc2-mq1".to_string(), "Started".to_string())]);
    // Its DRBD still replicates, as rdqmstatus's "Remote node in standby" says.
    let peer = lab.drbd("wdc2-mq1").resource("drhaqm1").unwrap().peer("wdc1-mq1").unwrap().clone();
    assert_eq!((peer.role.as_deref(), peer.peer_disk.as_deref()), (Some("Secondary"), Some("UpToDate")));
}

#[test]
fn clear_ends_the_ban_and_the_disk_states() {
    let mut lab = Lab::new();
    lab.fault("pacemaker-ban WDC DRHAQM1");
    assert_eq!(lab.running_on("DRHAQM1"), Vec::<String>::new());
    lab.fault("drbd-disk dal2-mq1 DRHAQM2 Outdated");
    lab.fault("clear");
    let qm = lab.estate.qmgr("DRHAQM1").unwrap();
    assert!(qm.fail_counts.is_empty() && qm.failures.is_empty());
    assert!(lab.estate.qmgr("DRHAQM2").unwrap().drbd_disk.is_empty());
    assert_eq!(lab.running_on("DRHAQM1"), ["wdc1-mq1"]);
    assert!(lab.crm("wdc1-mq1").failures.is_empty());
    assert_eq!(lab.drbd("dal2-mq1").resource("drhaqm2").unwrap().disk.as_deref(), Some("UpToDate"));
}

#[test]
fn knobs_name_their_bad_arguments() {
    let parse = |s: &str| Fault::parse(&s.split_whitespace().map(str::to_string).collect::<Vec<_>>());
    assert_eq!(
        parse("drbd-disk wdc1-mq1 DRHAQM1 syncsource:3").unwrap_err().to_string(),
        "\"syncsource:3\" is not a DRBD disk state: UpToDate, Inconsistent, Outdated, Diskless, DUnknown, Failed or SyncTarget:NN.NN"
    );
    assert!(parse("drbd-disk wdc1-mq1 DRHAQM1 SyncTarget:100.01").is_err());
    assert!(parse("drbd-disk wdc1-mq1 DRHAQM1 SyncTarget:4.567").is_err());
    assert_eq!(parse("drbd-disk wdc1-mq1 DRHAQM1 uptodate").unwrap(), Fault::DrbdDisk {
        host: "wdc1-mq1".into(),
        qmgr: "DRHAQM1".into(),
        state: DiskState::UpToDate
    });
    assert!(parse("pacemaker-ban DAL").unwrap_err().to_string().contains("REGION QM"));
    assert!(parse("drbd-disk wdc1-mq1 DRHAQM1").unwrap_err().to_string().contains("HOST QM STATE"));
    let unknown = parse("explode").unwrap_err().to_string();
    assert!(unknown.contains("pacemaker-ban") && unknown.contains("drbd-disk"), "{unknown}");
    let mut lab = Lab::new();
    let mut apply = |s: &str| control::apply(&mut lab.estate, &parse(s).unwrap()).unwrap_err().to_string();
    assert!(apply("pacemaker-ban MARS DRHAQM1").contains("\"MARS\""));
    assert!(apply("pacemaker-ban DAL NOPE").contains("\"NOPE\""));
    assert!(apply("drbd-disk nowhere DRHAQM1 Outdated").contains("\"nowhere\""));
    assert!(apply("drbd-disk wdc-bastion DRHAQM1 Outdated").contains("\"wdc-bastion\""));
    assert!(apply("drbd-disk wdc1-mq1 NOPE Outdated").contains("\"NOPE\""));
    // Names are matched as the lab's scripts may type them.
    lab.fault("pacemaker-ban dal drhaqm1");
    assert_eq!(lab.estate.qmgr("DRHAQM1").unwrap().fail_count("dal3-mq1"), INFINITY);
}

#[test]
fn commands_refuse_as_the_real_tools_do() {
    let mut lab = Lab::new();
    let unknown = lab.run("dal1-mq1", "crm_resource --cleanup --resource nope");
    assert_eq!((unknown.code, unknown.stderr.as_str()), (105, "crm_resource: Resource 'nope' not found\nError performing operation: No such object\n"));
    let unknown = lab.run("wdc1-mq1", "drbdadm status nope");
    assert_eq!((unknown.code, unknown.stderr.as_str()), (1, "'nope' not defined in your config (for this host).\n"));
    let not_up = lab.run("wdc2-mq1", "drbdadm status drhaqm1.dr");
    assert_eq!((not_up.code, not_up.stderr.as_str()), (10, "drhaqm1.dr: No such resource\n"));
    assert_eq!(lab.run("wdc-bastion", CRM_MON).code, 127);
    assert_eq!(lab.run("wdc-bastion", "drbdadm status").code, 127);
    assert_ne!(lab.run("wdc1-mq1", "crm_mon --one-shot").code, 0, "only XML is simulated");
    assert_ne!(lab.run("wdc1-mq1", "crm_resource --list").code, 0);
    // Every resource id of a queue manager is known to crm_resource.
    let drbd = lab.ok("wdc1-mq1", "crm_resource --cleanup --resource ms_drbd_drhaqm1");
    assert!(drbd.starts_with("Cleaned up p_drbd_drhaqm1:0 on wdc1-mq1\n"), "{drbd}");
    assert_eq!(lab.ok("wdc1-mq1", "crm_resource -C -r p_fs_drhaqm1 -N wdc2-mq1"), "Cleaned up p_fs_drhaqm1 on wdc2-mq1\n");
    // RDQM's sudo trailer follows only RDQM's own programs (IBM's captures), never crm_mon.
    lab.fault("sudo wdc1-mq1 on");
    assert!(lab.ok("wdc1-mq1", CRM_MON).ends_with("</pacemaker-result>\n"));
    assert!(lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1").ends_with("Command '/opt/mqm/bin/rdqmstatus' run with sudo.\n"));
    assert_eq!(crm::parse(&lab.ok("wdc1-mq1", CRM_MON)).error, None);
    lab.fault("fail-next wdc2-mq1 crm_mon");
    let failed = lab.run("wdc2-mq1", CRM_MON);
    assert_eq!(failed.code, 102);
    assert!(crm::parse(&failed.stdout).error.unwrap().contains("Not connected"));
    lab.fault("fail-next wdc2-mq1 drbdadm");
    assert_eq!(lab.run("wdc2-mq1", "drbdadm status").code, 20);
}

#[test]
fn layers_follow_a_dr_switchover_and_a_resync() {
    let mut lab = Lab::new();
    lab.ok("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    let dr = lab.drbd("wdc1-mq1").resource("drhaqm1.dr").unwrap().clone();
    assert_eq!((dr.role.as_deref(), dr.peers[0].role.as_deref()), (Some("Secondary"), Some("Secondary")));
    lab.ok("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    assert_eq!(role_of(&lab.crm("wdc2-mq1"), "drhaqm1"), ["Stopped"]);
    assert_eq!(placed(&lab.crm("dal2-mq1"), "drhaqm1"), [("dal1-mq1".to_string(), "Started".to_string())]);
    let dr = lab.drbd("dal1-mq1").resource("drhaqm1.dr").unwrap().clone();
    assert_eq!((dr.role.as_deref(), dr.peers[0].name.as_str(), dr.peers[0].role.as_deref()), (Some("Primary"), "wdc1-mq1", Some("Secondary")));

    let args = ["dr-status", "DRHAQM1", "Synchronization in progress", "4096"].map(String::from);
    control::apply(&mut lab.estate, &Fault::parse(&args).unwrap()).unwrap();
    let source = lab.drbd("dal1-mq1").resource("drhaqm1.dr").unwrap().peers[0].clone();
    assert_eq!((source.replication.as_deref(), source.peer_disk.as_deref()), (Some("SyncSource"), Some("Inconsistent")));
    let target = lab.drbd("wdc1-mq1").resource("drhaqm1.dr").unwrap().clone();
    assert_eq!(target.disk.as_deref(), Some("Inconsistent"));
    assert_eq!(target.peers[0].replication.as_deref(), Some("SyncTarget"));
}

#[test]
fn state_files_without_the_new_fields_still_load() {
    let estate = reference::estate(MQIPT_CONF_PATH);
    let mut json: serde_json::Value = serde_json::to_value(&estate).unwrap();
    for qm in json["qmgrs"].as_array_mut().unwrap() {
        let qm = qm.as_object_mut().unwrap();
        for key in ["fail_counts", "failures", "drbd_disk", "floating_ip"] {
            assert!(qm.remove(key).is_some(), "{key}");
        }
    }
    let loaded: Estate = serde_json::from_value(json).unwrap();
    assert_eq!(loaded, estate);
    // And the new ones round-trip.
    let mut lab = Lab::new();
    lab.fault("pacemaker-ban DAL DRHAQM1");
    lab.fault("drbd-disk dal2-mq1 DRHAQM1 SyncTarget:7.5");
    let text = serde_json::to_string(&lab.estate).unwrap();
    assert!(text.contains("\"SyncTarget:7.50\""), "{text}");
    let back: Estate = serde_json::from_str(&text).unwrap();
    assert_eq!(back, lab.estate);
}

#[test]
fn rdqmstatus_a_lists_the_failed_resource_actions_behind_a_ban() {
    let mut lab = Lab::new();
    let plain = lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1 -a"), plain, "no failures: nothing more");
    lab.fault("pacemaker-ban DAL DRHAQM1");
    let out = lab.ok("dal2-mq1", "rdqmstatus -m DRHAQM1 -a");
    assert!(out.starts_with(&plain.replace("dal1-mq1", "dal2-mq1")[..20]), "{out}");
    let blocks: Vec<&str> = out.split("\n\n").filter(|b| b.starts_with("Failed resource action:")).collect();
    assert_eq!(blocks.len(), 3, "one per node of the group: {out}");
    for (block, node) in blocks.iter().zip(DAL) {
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], format!("{:<40}start", "Failed resource action:"), "{block}");
        assert_eq!(lines[1], format!("{:<40}drhaqm1", "Failed resource:"));
        assert_eq!(lines[2], format!("{:<40}{node}", "Failed resource node:"));
        assert_eq!(lines[3], format!("{:<40}Hard", "Failure type:"), "a soft failure at INFINITY blocks the node");
        assert_eq!(lines[4], format!("{:<40}1 (error)", "Failure exit status:"));
        assert!(lines.last().unwrap().starts_with("Failure time:"), "{block}");
    }
    // The other group's Pacemaker knows nothing of it; -a goes with -m only.
    assert!(!lab.ok("wdc1-mq1", "rdqmstatus -m DRHAQM1 -a").contains("Failed resource"));
    let usage = lab.run("dal1-mq1", "rdqmstatus -a");
    assert_ne!(usage.code, 0);
    // Cleaned up, the list is empty again.
    lab.ok("dal1-mq1", "crm_resource --cleanup --resource drhaqm1");
    assert!(!lab.ok("dal1-mq1", "rdqmstatus -m DRHAQM1 -a").contains("Failed resource"));
}
