//! The rdqmstatus and dspmq readers against seed outputs, IBM's documented variants and
//! arbitrary input.

#![allow(clippy::unwrap_used)]

use model::dspmq;
use model::rdqmstatus::{self, DrStatusField, NodeOnline, parse_kb, snake_case};
use model::status::{DrRole, DrStatus, HaRole, HaStatus, QmStatus};
use proptest::prelude::*;
use serde_json::json;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/", $name))
    };
}

const WDC1_INITIAL: &str = fixture!("rdqmstatus_wdc1_initial.txt");
const WDC1_AFTER_FAILOVER: &str = fixture!("rdqmstatus_wdc1_after_failover.txt");
const DAL1_INITIAL: &str = fixture!("rdqmstatus_dal1_initial.txt");
const DAL1_AFTER_FAILOVER: &str = fixture!("rdqmstatus_dal1_after_failover.txt");

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

// ---------------------------------------------------------------------------------------
// rdqmstatus: generic layer

#[test]
fn snake_case_of_ibm_labels() {
    assert_eq!(snake_case("HA current location"), "ha_current_location");
    assert_eq!(snake_case("Queue manager file system"), "queue_manager_file_system");
    assert_eq!(snake_case("DR out of sync data"), "dr_out_of_sync_data");
    assert_eq!(snake_case("CPU"), "cpu");
    assert_eq!(snake_case("  DR  remote IP (list) % "), "dr_remote_ip_list");
    assert_eq!(snake_case("DRBD OS kernel version"), "drbd_os_kernel_version");
    assert_eq!(snake_case(""), "");
    assert_eq!(snake_case("::"), "");
}

#[test]
fn wdc1_initial_fields() {
    let parsed = rdqmstatus::parse(WDC1_INITIAL);
    assert!(parsed.unparsed.is_empty(), "{:?}", parsed.unparsed);
    assert_eq!(parsed.sudo_trailer, None);
    assert!(parsed.qmgrs.is_empty());
    let names: Vec<&str> = parsed.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"]);
    let local = &parsed.nodes[0];
    assert_eq!(local.fields.len(), 18);
    assert_eq!(local.fields[0].label, "Queue manager status");
    assert_eq!(local.fields[0].key, "queue_manager_status");
    assert_eq!(local.get("queue_manager_status"), Some("Running"));
    assert_eq!(local.get("cpu"), Some("0.00%"));
    assert_eq!(local.get("queue_manager_file_system"), Some("58MB used, 2.9GB allocated [2%]"));
    assert_eq!(local.get("ha_floating_ip_interface"), Some("None"));
    assert_eq!(local.get("dr_remote_ip_address_list"), Some("10.240.0.4,10.240.64.4,10.240.128.4"));
    // A label is accepted in place of its key.
    assert_eq!(local.get("DR port"), Some("7001"));
    assert_eq!(local.get("no_such_field"), None);
    assert_eq!(parsed.nodes[1].fields.len(), 1);
    assert_eq!(parsed.nodes[2].get("ha_status"), Some("Normal"));
}

#[test]
fn wdc1_initial_view() {
    let view = rdqmstatus::parse(WDC1_INITIAL).qm_view().expect("a -m view");
    assert_eq!(view.local_node, "wdc1-mq1");
    assert_eq!(view.qm_status, QmStatus::Running);
    assert_eq!(view.ha_role, Some(HaRole::Primary));
    assert_eq!(view.ha_status, Some(HaStatus::Normal));
    assert_eq!(view.ha_control, s("Enabled"));
    assert_eq!(view.ha_current_location, s("wdc1-mq1"));
    assert_eq!(view.ha_preferred_location, s("wdc1-mq1"));
    assert_eq!(view.ha_blocked_location, None);
    assert_eq!(view.cpu_percent, Some(0.0));
    assert_eq!(view.memory, s("182MB"));
    assert_eq!(view.file_system, s("58MB used, 2.9GB allocated [2%]"));
    let dr = view.dr.expect("DR lines");
    assert_eq!(dr.role, DrRole::Primary);
    assert_eq!(dr.status, Some(DrStatusField::Status(DrStatus::Normal)));
    assert_eq!(dr.out_of_sync_kb, None);
    assert_eq!(dr.port, s("7001"));
    assert_eq!(dr.local_ip, s("10.241.0.4"));
    assert_eq!(dr.remote_ips, ["10.240.0.4", "10.240.64.4", "10.240.128.4"]);
    assert_eq!(dr.current_remote_ip, s("10.240.0.4"));
    assert_eq!(view.peers.len(), 2);
    assert_eq!(view.peers[0].node, "wdc2-mq1");
    assert_eq!(view.peers[1].node, "wdc3-mq1");
    for peer in &view.peers {
        assert_eq!(peer.ha_status, HaStatus::Normal);
        assert_eq!(peer.ha_out_of_sync_kb, None);
        assert_eq!(peer.sync_progress, None);
    }
}

#[test]
fn dal1_initial_view() {
    let view = rdqmstatus::parse(DAL1_INITIAL).qm_view().expect("a -m view");
    assert_eq!(view.local_node, "dal1-mq1");
    assert_eq!(view.qm_status, QmStatus::EndedImmediately);
    assert_eq!(view.ha_role, Some(HaRole::Primary));
    assert_eq!(view.ha_current_location, s("dal1-mq1"));
    // Not running here: no CPU, Memory or file system lines.
    assert_eq!(view.cpu_percent, None);
    assert_eq!(view.memory, None);
    assert_eq!(view.file_system, None);
    let dr = view.dr.expect("DR lines");
    assert_eq!(dr.role, DrRole::Secondary);
    assert_eq!(dr.status, Some(DrStatusField::Status(DrStatus::Normal)));
    assert_eq!(dr.local_ip, s("10.240.0.4"));
    assert_eq!(dr.remote_ips, ["10.241.0.4", "10.241.64.4", "10.241.128.4"]);
    assert_eq!(dr.current_remote_ip, s("10.241.0.4"));
    let peers: Vec<&str> = view.peers.iter().map(|p| p.node.as_str()).collect();
    assert_eq!(peers, ["dal2-mq1", "dal3-mq1"]);
}

#[test]
fn after_failover_views() {
    let dal1 = rdqmstatus::parse(DAL1_AFTER_FAILOVER).qm_view().expect("dal1 view");
    assert_eq!(dal1.qm_status, QmStatus::Running);
    assert_eq!(dal1.cpu_percent, Some(1.09));
    assert_eq!(dal1.dr.as_ref().map(|d| d.role.clone()), Some(DrRole::Primary));
    assert_eq!(dal1.dr.as_ref().and_then(|d| d.current_remote_ip.clone()), s("10.241.0.4"));

    let wdc1 = rdqmstatus::parse(WDC1_AFTER_FAILOVER).qm_view().expect("wdc1 view");
    assert_eq!(wdc1.local_node, "wdc1-mq1");
    assert_eq!(wdc1.qm_status, QmStatus::EndedImmediately);
    assert_eq!(wdc1.dr.as_ref().map(|d| d.role.clone()), Some(DrRole::Secondary));
    assert_eq!(wdc1.dr.as_ref().map(|d| d.remote_ips.len()), Some(3));
}

#[test]
fn every_seed_output_parses_completely() {
    for text in [WDC1_INITIAL, WDC1_AFTER_FAILOVER, DAL1_INITIAL, DAL1_AFTER_FAILOVER] {
        let parsed = rdqmstatus::parse(text);
        assert!(parsed.unparsed.is_empty());
        assert_eq!(parsed.nodes.len(), 3);
        let view = parsed.qm_view().expect("view");
        assert!(view.qm_status.is_known());
        assert!(view.ha_status.as_ref().is_some_and(HaStatus::is_known));
        assert!(view.peers.iter().all(|p| p.ha_status.is_known()));
    }
}

#[test]
fn ha_secondary_refers_to_the_primary_for_dr() {
    let view = rdqmstatus::parse(fixture!("rdqmstatus_wdc2_secondary.txt")).qm_view().expect("view");
    assert_eq!(view.local_node, "wdc2-mq1");
    assert_eq!(view.qm_status, QmStatus::RunningElsewhere);
    assert_eq!(view.ha_role, Some(HaRole::Secondary));
    assert_eq!(view.ha_current_location, s("wdc1-mq1"));
    let dr = view.dr.expect("DR role line");
    assert_eq!(dr.role, DrRole::Primary);
    assert_eq!(dr.status, Some(DrStatusField::See("wdc1-mq1".into())));
    assert_eq!(dr.port, None);
    assert!(dr.remote_ips.is_empty());
    assert_eq!(dr.current_remote_ip, None);
    assert_eq!(view.peers[0].node, "wdc1-mq1");

    let real = rdqmstatus::parse(fixture!("rdqmstatus_945_secondary.txt")).qm_view().expect("view");
    assert_eq!(real.local_node, "rdqm-a2");
    assert_eq!(real.ha_control, None);
    assert_eq!(real.dr.and_then(|d| d.status), Some(DrStatusField::See("rdqm-a1".into())));
    assert!(real.peers.is_empty());
}

#[test]
fn dr_status_field_text() {
    assert_eq!(DrStatusField::parse("See wdc1-mq1"), DrStatusField::See("wdc1-mq1".into()));
    assert_eq!(DrStatusField::parse("Normal"), DrStatusField::Status(DrStatus::Normal));
    assert_eq!(DrStatusField::parse("Unknown"), DrStatusField::Status(DrStatus::Unknown_));
    assert_eq!(DrStatusField::parse("See"), DrStatusField::Status(DrStatus::Unknown("See".into())));
    assert_eq!(DrStatusField::See("wdc1-mq1".into()).to_string(), "See wdc1-mq1");
    assert_eq!(serde_json::to_value(DrStatusField::See("a".into())).unwrap(), json!("See a"));
    assert_eq!(
        serde_json::to_value(DrStatusField::Status(DrStatus::RemoteUnavailable)).unwrap(),
        json!("Remote unavailable")
    );
}

#[test]
fn one_peer_lost_makes_the_local_status_mixed() {
    let view = rdqmstatus::parse(fixture!("rdqmstatus_mixed.txt")).qm_view().expect("view");
    assert_eq!(view.ha_status, Some(HaStatus::Mixed));
    assert_eq!(view.peers[0].node, "wdc2-mq1");
    assert_eq!(view.peers[0].ha_status, HaStatus::RemoteUnavailable);
    assert_eq!(view.peers[0].ha_out_of_sync_kb, Some(0));
    assert_eq!(view.peers[1].ha_status, HaStatus::Normal);
    assert_eq!(view.peers[1].ha_out_of_sync_kb, None);
}

#[test]
fn older_output_without_blocked_location_or_dr() {
    let parsed = rdqmstatus::parse(fixture!("rdqmstatus_old_remote_unavailable.txt"));
    assert!(parsed.unparsed.is_empty());
    assert_eq!(parsed.nodes[0].get("ha_blocked_location"), None);
    let view = parsed.qm_view().expect("view");
    assert_eq!(view.local_node, "mqhavm13.hursley.ibm.com");
    assert_eq!(view.qm_status, QmStatus::RunningElsewhere);
    assert_eq!(view.ha_status, Some(HaStatus::RemoteUnavailable));
    assert_eq!(view.ha_current_location, s("mqhavm14.hursley.ibm.com"));
    assert_eq!(view.ha_preferred_location, s("mqhavm13.hursley.ibm.com"));
    assert_eq!(view.ha_blocked_location, None);
    assert_eq!(view.dr, None, "HA-only RDQM has no DR view");
    assert_eq!(view.peers.len(), 2);
    assert!(view.peers.iter().all(|p| p.ha_status == HaStatus::RemoteUnavailable && p.ha_out_of_sync_kb == Some(0)));
}

#[test]
fn dr_link_down_with_out_of_sync_data_and_cpu_without_percent() {
    let view = rdqmstatus::parse(fixture!("rdqmstatus_dr_remote_unavailable.txt")).qm_view().expect("view");
    assert_eq!(view.cpu_percent, Some(0.17));
    assert_eq!(view.ha_preferred_location, s("wdc2-mq1"));
    let dr = view.dr.expect("DR");
    assert_eq!(dr.status, Some(DrStatusField::Status(DrStatus::RemoteUnavailable)));
    assert_eq!(dr.out_of_sync_kb, Some(2048));
    assert_eq!(dr.current_remote_ip, None, "\"None\" is no address");
    assert_eq!(dr.remote_ips.len(), 3);
}

#[test]
fn ha_synchronisation_with_node_names_on_the_next_line() {
    let parsed = rdqmstatus::parse(fixture!("rdqmstatus_ha_sync_wrapped_nodes.txt"));
    assert!(parsed.unparsed.is_empty(), "{:?}", parsed.unparsed);
    let names: Vec<&str> = parsed.nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, ["InstanceA", "InstanceB", "InstanceC"]);
    assert_eq!(parsed.nodes[1].get("ha_estimated_time_to_completion"), Some("2018-01-15 10:14:20"));
    let view = parsed.qm_view().expect("view");
    assert_eq!(view.local_node, "InstanceA");
    assert_eq!(view.ha_current_location, s("InstanceA"));
    assert_eq!(view.ha_status, Some(HaStatus::SynchronizationInProgress));
    assert_eq!(view.ha_blocked_location, None);
    assert_eq!(view.dr, None);
    assert_eq!(view.peers[0].ha_status, HaStatus::SynchronizationInProgress);
    assert_eq!(view.peers[0].sync_progress, s("6.3%"));
    assert_eq!(view.peers[1].sync_progress, s("6.4%"));
}

#[test]
fn long_host_name_wrapped_at_80_columns() {
    let host = "averyveryverylonghostname.subdomain.example.com";
    let text = format!(
        "{:<40}\n{host}\n{:<40}Running elsewhere\n{:<40}{host}\n\n{:<40}\n{host}.two\n{:<40}Normal\n",
        "Node:", "Queue manager status:", "HA current location:", "Node:", "HA status:"
    );
    let parsed = rdqmstatus::parse(&text);
    assert!(parsed.unparsed.is_empty(), "{:?}", parsed.unparsed);
    assert_eq!(parsed.nodes[0].node, host);
    assert_eq!(parsed.nodes[0].fields.len(), 2);
    assert_eq!(parsed.nodes[1].node, format!("{host}.two"));
    let view = parsed.qm_view().expect("view");
    assert_eq!(view.ha_current_location.as_deref(), Some(host));
    assert_eq!(view.peers[0].ha_status, HaStatus::Normal);
}

#[test]
fn wrapped_ip_list_and_wrapped_words_are_joined() {
    let text = "Node:                                   wdc1-mq1\n\
                Queue manager status:                   Running\n\
                DR role:                                Primary\n\
                DR remote IP address list:              10.240.0.4,10.240.64.4,\n\
                10.240.128.4\n\
                HA blocked location:                    All\n\
                nodes\n\
                DR current remote IP address:           10.240.0.4\n";
    let parsed = rdqmstatus::parse(text);
    assert!(parsed.unparsed.is_empty());
    let local = &parsed.nodes[0];
    assert_eq!(local.get("dr_remote_ip_address_list"), Some("10.240.0.4,10.240.64.4,10.240.128.4"));
    assert_eq!(local.get("ha_blocked_location"), Some("All nodes"));
    let view = parsed.qm_view().expect("view");
    assert_eq!(view.dr.expect("dr").remote_ips, ["10.240.0.4", "10.240.64.4", "10.240.128.4"]);
    assert_eq!(view.ha_blocked_location, s("All nodes"));
}

#[test]
fn wrapped_ipv6_addresses_are_no_labels() {
    let text = "Node: n1\nQueue manager status: Running\nDR role: Primary\n\
                DR remote IP address list:              fd00::1,fd00::2,\nfd00::3\n\
                DR current remote IP address:           \nfe80::1\n";
    let parsed = rdqmstatus::parse(text);
    assert!(parsed.unparsed.is_empty(), "{:?}", parsed.unparsed);
    let dr = parsed.qm_view().and_then(|v| v.dr).expect("dr");
    assert_eq!(dr.remote_ips, ["fd00::1", "fd00::2", "fd00::3"]);
    assert_eq!(dr.current_remote_ip, s("fe80::1"));
}

#[test]
fn sudo_trailer_is_set_aside() {
    let text = format!("{WDC1_INITIAL}Command '/opt/mqm/bin/rdqmstatus' run with sudo.\n");
    let parsed = rdqmstatus::parse(&text);
    assert_eq!(parsed.sudo_trailer.as_deref(), Some("Command '/opt/mqm/bin/rdqmstatus' run with sudo."));
    assert!(parsed.unparsed.is_empty());
    assert_eq!(parsed.nodes, rdqmstatus::parse(WDC1_INITIAL).nodes);
    // Right after a value, without a blank line: still not a continuation.
    let glued = format!("{}Command 'rdqmstatus' run with sudo.", WDC1_INITIAL);
    let parsed = rdqmstatus::parse(&glued);
    assert_eq!(parsed.nodes[2].get("ha_status"), Some("Normal"));
    assert_eq!(parsed.sudo_trailer.as_deref(), Some("Command 'rdqmstatus' run with sudo."));
}

#[test]
fn stderr_crlf_and_errors() {
    let expected = rdqmstatus::parse(WDC1_INITIAL);
    // Everything on stderr: the console hands over stdout + stderr.
    let stdout = "";
    let combined = format!("{stdout}{WDC1_INITIAL}");
    assert_eq!(rdqmstatus::parse(&combined), expected);
    // CRLF.
    let crlf = WDC1_INITIAL.replace('\n', "\r\n");
    assert_eq!(rdqmstatus::parse(&crlf), expected);
    // An AMQ error after the data is no continuation of the last value.
    let with_error = format!("{WDC1_INITIAL}AMQ8118E: IBM MQ queue manager does not exist.\n");
    let parsed = rdqmstatus::parse(&with_error);
    assert_eq!(parsed.nodes, expected.nodes);
    assert_eq!(parsed.unparsed, ["AMQ8118E: IBM MQ queue manager does not exist."]);
    // Only an error.
    let parsed = rdqmstatus::parse("AMQ3818E: Queue manager 'QMX' is not a replicated data queue manager.\n");
    assert!(parsed.nodes.is_empty());
    assert_eq!(parsed.unparsed.len(), 1);
    assert_eq!(parsed.qm_view(), None);
}

#[test]
fn pasted_prompt_lines_are_unparsed() {
    let text = format!("[mqm@wdc1-mq1 ~]$ sudo rdqmstatus -m DRHAQM1\n{WDC1_INITIAL}[mqm@wdc1-mq1 ~]$ \n");
    let parsed = rdqmstatus::parse(&text);
    assert_eq!(parsed.unparsed, ["[mqm@wdc1-mq1 ~]$ sudo rdqmstatus -m DRHAQM1", "[mqm@wdc1-mq1 ~]$ "]);
    assert_eq!(parsed.nodes, rdqmstatus::parse(WDC1_INITIAL).nodes);
}

#[test]
fn any_spacing_and_unknown_values() {
    let text = "Node: n1\nQueue manager status:\tSideways\nHA role: Primary\nHA status:   Wobbly  \n\
                DR role: Tertiary\nDR status: Frozen\nCPU: lots\n\nNode:n2\nHA status: Remote node in standby\n";
    let parsed = rdqmstatus::parse(text);
    assert!(parsed.unparsed.is_empty());
    let view = parsed.qm_view().expect("view");
    assert_eq!(view.local_node, "n1");
    assert_eq!(view.qm_status, QmStatus::Unknown("Sideways".into()));
    assert_eq!(view.ha_status, Some(HaStatus::Unknown("Wobbly".into())));
    let dr = view.dr.expect("dr");
    assert_eq!(dr.role, DrRole::Unknown("Tertiary".into()));
    assert_eq!(dr.status, Some(DrStatusField::Status(DrStatus::Unknown("Frozen".into()))));
    assert_eq!(view.cpu_percent, None);
    assert_eq!(view.peers[0].node, "n2");
    assert_eq!(view.peers[0].ha_status, HaStatus::RemoteNodeInStandby);
}

#[test]
fn isolated_node_and_none_locations() {
    let text = "Node:                                   wdc1-mq1\n\
                Queue manager status:                   Status not available\n\
                HA role:                                Unknown\n\
                HA status:                              Remote unavailable\n\
                HA current location:                    None\n\
                HA preferred location:                  None\n\
                HA blocked location:                    All nodes\n";
    let view = rdqmstatus::parse(text).qm_view().expect("view");
    assert_eq!(view.qm_status, QmStatus::StatusNotAvailable);
    assert_eq!(view.ha_role, Some(HaRole::Unknown_));
    assert_eq!(view.ha_current_location, None);
    assert_eq!(view.ha_preferred_location, None);
    assert_eq!(view.ha_blocked_location, s("All nodes"));
}

#[test]
fn labels_before_any_block() {
    // Before the first Node: block they belong to it.
    let parsed = rdqmstatus::parse("HA status: Normal\nNode: n1\nQueue manager status: Running\n");
    assert_eq!(parsed.nodes[0].fields[0].key, "ha_status");
    assert_eq!(parsed.nodes[0].fields[1].key, "queue_manager_status");
    assert!(parsed.unparsed.is_empty());
    // Without any Node: block they are kept raw.
    let parsed = rdqmstatus::parse("HA status:    Normal\nfoo\n");
    assert!(parsed.nodes.is_empty());
    assert_eq!(parsed.unparsed, ["HA status:    Normal", "foo"]);
    // After a blank line with no header: kept raw too.
    let parsed = rdqmstatus::parse("Node: n1\nHA status: Normal\n\nHA status: Odd\n");
    assert_eq!(parsed.nodes[0].fields.len(), 1);
    assert_eq!(parsed.unparsed, ["HA status: Odd"]);
}

#[test]
fn last_occurrence_wins() {
    let parsed = rdqmstatus::parse("Node: n1\nHA status: Normal\nHA status: Mixed\n");
    assert_eq!(parsed.nodes[0].get("ha_status"), Some("Mixed"));
    assert_eq!(parsed.nodes[0].fields.len(), 2);
    let json = serde_json::to_value(&parsed).unwrap();
    assert_eq!(json["nodes"][0]["fields"], json!({"ha_status": "Mixed"}));
}

#[test]
fn bare_rdqmstatus_summary() {
    let parsed = rdqmstatus::parse(fixture!("rdqmstatus_summary.txt"));
    assert!(parsed.unparsed.is_empty());
    assert_eq!(parsed.nodes.len(), 1);
    assert_eq!(parsed.nodes[0].node, "main-alice");
    assert_eq!(parsed.nodes[0].get("drbd_kernel_module_status"), Some("Loaded"));
    assert_eq!(parsed.nodes[0].get("os_kernel_version"), Some("3.10.0-1160.15.2"));
    assert_eq!(parsed.qmgrs.len(), 2);
    assert_eq!(parsed.qmgrs[0].name, "RDQM1");
    assert_eq!(parsed.qmgrs[0].fields.len(), 4);
    assert_eq!(parsed.qmgrs[0].get("queue_manager_status"), Some("Running elsewhere"));
    assert_eq!(parsed.qmgrs[1].name, "RDQM9");
    assert_eq!(parsed.qmgrs[1].get("ha_current_location"), Some("main-bob"));
    assert_eq!(parsed.qm_view(), None, "a summary is no -m view");

    let old = rdqmstatus::parse(fixture!("rdqmstatus_summary_old.txt"));
    assert_eq!(old.nodes[0].node, "vm-jc-2-uksouth");
    assert!(old.nodes[0].fields.is_empty());
    assert_eq!(old.qmgrs[0].name, "RDQMDRHAQM1");
    assert_eq!(old.qmgrs[0].get("dr_role"), Some("Primary"));
    assert_eq!(old.qmgrs[0].get("ha_current_location"), Some("This node"));
}

#[test]
fn rdqmstatus_json_shape() {
    let text = format!("{}Command '/opt/mqm/bin/rdqmstatus' run with sudo.\n", fixture!("rdqmstatus_summary.txt"));
    let json = serde_json::to_value(rdqmstatus::parse(&text)).unwrap();
    assert_eq!(
        json,
        json!({
            "nodes": [{"node": "main-alice", "fields": {
                "os_kernel_version": "3.10.0-1160.15.2",
                "drbd_os_kernel_version": "3.10.0-1160",
                "drbd_version": "9.1.1",
                "drbd_kernel_module_status": "Loaded"
            }}],
            "qmgrs": [
                {"name": "RDQM1", "fields": {
                    "queue_manager_status": "Running elsewhere",
                    "ha_current_location": "main-charlie",
                    "ha_preferred_location": "main-charlie",
                    "ha_blocked_location": "None"
                }},
                {"name": "RDQM9", "fields": {
                    "queue_manager_status": "Running elsewhere",
                    "ha_current_location": "main-bob",
                    "ha_preferred_location": "main-bob",
                    "ha_blocked_location": "None"
                }}
            ],
            "unparsed": [],
            "sudo_trailer": "Command '/opt/mqm/bin/rdqmstatus' run with sudo."
        })
    );
    // Fields keep the printed order in the JSON text.
    let text = serde_json::to_string(&rdqmstatus::parse(WDC1_INITIAL)).unwrap();
    assert!(text.starts_with(
        r#"{"nodes":[{"node":"wdc1-mq1","fields":{"queue_manager_status":"Running","cpu":"0.00%","memory":"182MB","#
    ));
    assert!(text.ends_with(
        r#"{"node":"wdc3-mq1","fields":{"ha_status":"Normal"}}],"qmgrs":[],"unparsed":[],"sudo_trailer":null}"#
    ));
}

#[test]
fn qm_view_json_shape() {
    let view = rdqmstatus::parse(fixture!("rdqmstatus_wdc2_secondary.txt")).qm_view().unwrap();
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["local_node"], "wdc2-mq1");
    assert_eq!(json["qm_status"], "Running elsewhere");
    assert_eq!(json["ha_role"], "Secondary");
    assert_eq!(json["dr"]["role"], "Primary");
    assert_eq!(json["dr"]["status"], "See wdc1-mq1");
    assert_eq!(json["dr"]["remote_ips"], json!([]));
    assert_eq!(json["cpu_percent"], serde_json::Value::Null);
    assert_eq!(
        json["peers"][0],
        json!({"node": "wdc1-mq1", "ha_status": "Normal", "ha_out_of_sync_kb": null, "sync_progress": null})
    );
}

#[test]
fn kb_sizes() {
    assert_eq!(parse_kb("2048KB"), Some(2048));
    assert_eq!(parse_kb("0KB"), Some(0));
    assert_eq!(parse_kb("3MB"), Some(3072));
    assert_eq!(parse_kb("1.5GB"), Some(1_572_864));
    assert_eq!(parse_kb("12 KB"), Some(12));
    assert_eq!(parse_kb(" 7kb "), Some(7));
    assert_eq!(parse_kb("1TB"), Some(1024 * 1024 * 1024));
    assert_eq!(parse_kb("2048"), Some(2048));
    assert_eq!(parse_kb("1536B"), Some(2));
    assert_eq!(parse_kb("garbage"), None);
    assert_eq!(parse_kb(""), None);
    assert_eq!(parse_kb("KB"), None);
    assert_eq!(parse_kb("-5KB"), None);
    assert_eq!(parse_kb("1.2.3KB"), None);
    assert_eq!(parse_kb(".5MB"), None);
    assert_eq!(parse_kb("5 parsecs"), None);
    assert_eq!(parse_kb("99999999999999999999KB"), None);
    assert_eq!(parse_kb("18014398509481984MB"), None);
    assert_eq!(parse_kb("1e300GB"), None);
}

// ---------------------------------------------------------------------------------------
// rdqmstatus -n

#[test]
fn nodes_online_and_offline() {
    let nodes = rdqmstatus::parse_nodes(fixture!("rdqmstatus_n.txt"));
    assert_eq!(nodes.len(), 3);
    assert!(nodes.iter().all(|n| n.online == Some(true) && n.text == "online"));
    assert_eq!(nodes[0].node, "colgrave-vsi-rdqm-eu-gb-1");

    let nodes = rdqmstatus::parse_nodes(&fixture!("rdqmstatus_n_offline_sudo.txt").replace('\n', "\r\n"));
    assert_eq!(
        nodes,
        [
            NodeOnline { node: "wdc1-mq1".into(), online: Some(true), text: "online".into() },
            NodeOnline { node: "wdc2-mq1".into(), online: Some(false), text: "offline".into() },
            NodeOnline { node: "wdc3-mq1".into(), online: None, text: "in standby".into() },
        ]
    );
    assert_eq!(
        serde_json::to_value(&nodes[1]).unwrap(),
        json!({"node": "wdc2-mq1", "online": false, "text": "offline"})
    );
    assert!(rdqmstatus::parse_nodes("").is_empty());
    assert!(rdqmstatus::parse_nodes("AMQ3812E: Failed.\n").is_empty());
}

#[test]
fn nodes_in_block_layout() {
    let text = "Node:                                   wdc1-mq1\n\
                Status:                                 Online\n\
                HA heartbeat link encryption:           Configured\n\
                \n\
                Node:                                   wdc2-mq1\n\
                Status:                                 Offline\n\
                \n\
                Node:                                   wdc3-mq1\n\
                HA status:                              Normal\n\
                \n\
                Node:                                   wdc4-mq1\n";
    let nodes = rdqmstatus::parse_nodes(text);
    assert_eq!(nodes.len(), 4);
    assert_eq!((nodes[0].node.as_str(), nodes[0].online, nodes[0].text.as_str()), ("wdc1-mq1", Some(true), "Online"));
    assert_eq!(nodes[1].online, Some(false));
    assert_eq!((nodes[2].online, nodes[2].text.as_str()), (None, "Normal"));
    assert_eq!((nodes[3].online, nodes[3].text.as_str()), (None, ""));
}

// ---------------------------------------------------------------------------------------
// dspmq

#[test]
fn dspmq_seed_outputs() {
    for (text, host) in [
        (fixture!("dspmq_wdc2_suspended.txt"), "wdc2-mq1"),
        (fixture!("dspmq_wdc1_resumed.txt"), "wdc1-mq1"),
        (fixture!("dspmq_dal1_after_failover.txt"), "dal1-mq1"),
    ] {
        let parsed = dspmq::parse(text);
        assert!(parsed.unparsed.is_empty());
        assert_eq!(parsed.qmgrs.len(), 1);
        let qm = &parsed.qmgrs[0];
        assert_eq!(qm.qmname, "DRHAQM1");
        assert_eq!(qm.status, Some(QmStatus::Running));
        assert_eq!(qm.attributes.len(), 1);
        assert_eq!(qm.attribute("STATUS"), Some("Running"));
        assert_eq!(qm.instances, [dspmq::Instance { instance: host.into(), mode: "Active".into() }]);
        assert_eq!(parsed.get("DRHAQM1"), Some(qm));
    }
}

#[test]
fn dspmq_o_all_untranslated() {
    let parsed = dspmq::parse(fixture!("dspmq_o_all_untranslated.txt"));
    assert!(parsed.unparsed.is_empty());
    let one = &parsed.qmgrs[0];
    assert_eq!(one.qmname, "THE.RDQM.ONE");
    assert_eq!(one.status, Some(QmStatus::Running));
    assert_eq!(one.attributes["standby"], "NOT PERMITTED");
    assert_eq!(one.attributes["instpath"], "/opt/mqm");
    assert_eq!(one.attributes["instver"], "9.1.0.4");
    assert_eq!(one.attributes["ha"], "REPLICATED");
    assert_eq!(one.attributes["drrole"], "");
    assert_eq!(one.attributes["default"], "NO");
    assert_eq!(one.attributes.len(), 8);
    assert_eq!(one.instances[0].instance, "sb008877");
    assert_eq!(one.instances[0].mode, "ACTIVE");
    let two = &parsed.qmgrs[1];
    assert_eq!(two.status, Some(QmStatus::RunningElsewhere));
    assert_eq!(two.attributes["status"], "RUNNING ELSEWHERE");
    assert!(two.instances.is_empty());
}

#[test]
fn dspmq_o_all_translated_and_o_dr() {
    let parsed = dspmq::parse(fixture!("dspmq_o_all.txt"));
    assert_eq!(parsed.qmgrs[0].status, Some(QmStatus::RunningElsewhere));
    assert_eq!(parsed.qmgrs[0].attributes["standby"], "Not permitted");
    assert_eq!(parsed.qmgrs[0].attributes["drrole"], "Primary");
    assert_eq!(parsed.qmgrs[1].status, Some(QmStatus::EndedImmediately));

    let parsed = dspmq::parse(fixture!("dspmq_o_dr.txt"));
    assert!(parsed.unparsed.is_empty());
    let roles: Vec<(&str, &str)> =
        parsed.qmgrs.iter().map(|q| (q.qmname.as_str(), q.attributes["drrole"].as_str())).collect();
    assert_eq!(roles, [("DRHAQM1", "Primary"), ("SSLDRHAQM1", "Secondary"), ("LOCALQM", "")]);
    assert!(parsed.qmgrs.iter().all(|q| q.status.is_none()));
}

#[test]
fn dspmq_odd_lines() {
    let parsed = dspmq::parse(fixture!("dspmq_error.txt"));
    assert!(parsed.qmgrs.is_empty());
    assert_eq!(
        parsed.unparsed,
        [
            "AMQ7048E: The queue manager name is either not valid or not known.",
            "Command '/opt/mqm/bin/dspmq' run with sudo."
        ]
    );
    let text = "    INSTANCE(orphan) MODE(Active)\r\n\
                QMNAME(QM (test))   STATUS(Ended unexpectedly) DESCR(a (b) c) EMPTY()\r\n\
                QMNAME(BROKEN STATUS(Running)\r\n\
                QMNAME(A)STATUS(Running)\r\n\
                    INSTANCE(h1) MODE(Standby)\r\n\
                \r\n\
                qmname(lower) status(Sideways)\r\n";
    let parsed = dspmq::parse(text);
    assert_eq!(
        parsed.unparsed,
        ["    INSTANCE(orphan) MODE(Active)", "QMNAME(BROKEN STATUS(Running)", "QMNAME(A)STATUS(Running)"]
    );
    assert_eq!(parsed.qmgrs.len(), 2);
    let qm = &parsed.qmgrs[0];
    assert_eq!(qm.qmname, "QM (test)");
    assert_eq!(qm.status, Some(QmStatus::EndedUnexpectedly));
    assert_eq!(qm.attributes["descr"], "a (b) c");
    assert_eq!(qm.attributes["empty"], "");
    assert_eq!(qm.instances, [dspmq::Instance { instance: "h1".into(), mode: "Standby".into() }]);
    assert_eq!(parsed.qmgrs[1].qmname, "lower");
    assert_eq!(parsed.qmgrs[1].status, Some(QmStatus::Unknown("Sideways".into())));
}

#[test]
fn dspmq_json_shape() {
    let text = format!("{}{}", fixture!("dspmq_wdc2_suspended.txt"), "QMNAME(OTHER)   HA(Replicated)\nAMQ7048E: x\n");
    let json = serde_json::to_value(dspmq::parse(&text)).unwrap();
    assert_eq!(
        json,
        json!({
            "qmgrs": [
                {"qmname": "DRHAQM1", "status": "Running", "attributes": {"status": "Running"},
                 "instances": [{"instance": "wdc2-mq1", "mode": "Active"}]},
                {"qmname": "OTHER", "status": null, "attributes": {"ha": "Replicated"}, "instances": []}
            ],
            "unparsed": ["AMQ7048E: x"]
        })
    );
    let untranslated = serde_json::to_value(dspmq::parse(fixture!("dspmq_o_all_untranslated.txt"))).unwrap();
    assert_eq!(untranslated["qmgrs"][1]["status"], "Running elsewhere");
    assert_eq!(untranslated["qmgrs"][1]["attributes"]["status"], "RUNNING ELSEWHERE");
}

// ---------------------------------------------------------------------------------------
// Properties

fn fragments() -> impl Strategy<Value = String> {
    let fragment = prop::sample::select(vec![
        "Node:",
        "Queue manager name:",
        "Queue manager status:",
        "HA status:",
        "DR status:",
        "DR role:",
        "CPU:",
        "DR out of sync data:",
        "HA out of sync data:",
        "Running",
        "See ",
        "This node",
        "None",
        "KB",
        "MB",
        "1.5",
        "%",
        ":",
        "(",
        ")",
        "QMNAME(",
        "INSTANCE(",
        "MODE(",
        "STATUS(",
        "Node x is online",
        " is ",
        "Command 'x' run with sudo.",
        "AMQ1234E:",
        "[a@b ~]$ ",
        ",",
        "\n",
        "\r\n",
        "\r",
        " ",
        "                                        ",
        "é",
        "İ",
        "\u{0}",
        "fe80::1",
    ]);
    (prop::collection::vec(fragment, 0..60), prop::collection::vec(any::<char>(), 0..4)).prop_map(|(parts, extra)| {
        let mut text: String = parts.concat();
        text.extend(extra);
        text
    })
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), fragments(), "[ -~\\n\\r\\t]{0,200}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rdqmstatus_never_panics(text in any_text()) {
        let parsed = rdqmstatus::parse(&text);
        let _ = parsed.qm_view();
        let _ = serde_json::to_string(&parsed).unwrap();
        if let Some(view) = parsed.qm_view() {
            let _ = serde_json::to_string(&view).unwrap();
        }
        let _ = rdqmstatus::parse_nodes(&text);
        for block in &parsed.nodes {
            for field in &block.fields {
                prop_assert_eq!(&field.key, &snake_case(&field.label));
                prop_assert!(!field.key.is_empty());
            }
        }
    }

    #[test]
    fn rdqmstatus_lines_are_kept_or_placed(text in any_text()) {
        // No non-blank line disappears: every one is a field, a header, a continuation,
        // the sudo trailer or unparsed. Unparsed lines are verbatim input lines.
        let parsed = rdqmstatus::parse(&text);
        let input: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
        for line in &parsed.unparsed {
            prop_assert!(input.contains(&line.as_str()));
        }
    }

    #[test]
    fn dspmq_never_panics(text in any_text()) {
        let parsed = dspmq::parse(&text);
        let _ = serde_json::to_string(&parsed).unwrap();
        let non_blank = text.split('\n').filter(|l| !l.trim().is_empty()).count();
        let placed = parsed.unparsed.len()
            + parsed.qmgrs.len()
            + parsed.qmgrs.iter().map(|q| q.instances.len()).sum::<usize>();
        prop_assert_eq!(placed, non_blank);
    }

    #[test]
    fn parse_kb_never_panics(text in any_text()) {
        let _ = parse_kb(&text);
    }

    #[test]
    fn parse_kb_reads_whole_kb(n in any::<u64>()) {
        prop_assert_eq!(parse_kb(&format!("{n}KB")), Some(n));
        prop_assert_eq!(parse_kb(&format!("{n} KB")), Some(n));
    }

    #[test]
    fn snake_case_has_no_stray_underscores(text in any_text()) {
        let once = snake_case(&text);
        prop_assert!(!once.starts_with('_') && !once.ends_with('_') && !once.contains("__"));
    }

    #[test]
    fn mqipt_render_gives_back_the_input(text in any_text()) {
        prop_assert_eq!(model::mqipt::MqiptConf::parse(&text).render(), text);
    }

    #[test]
    fn mqipt_readers_never_panic(text in any_text()) {
        let conf = model::mqipt::MqiptConf::parse(&text);
        let _ = conf.routes();
        let _ = conf.global();
        let _ = conf.unrecognised_lines();
    }
}
