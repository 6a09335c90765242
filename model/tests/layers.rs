//! The layers beneath rdqmstatus: DRBD 9 `drbdadm status` and Pacemaker `crm_mon` XML
//! (2.1 with Master/Slave, 3.0 with Promoted/Unpromoted), against realistic shapes and
//! arbitrary input.

#![allow(clippy::unwrap_used)]

use model::crm::{self, INFINITY};
use model::drbd;
use proptest::prelude::*;
use serde_json::{Value, json};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/layers/", $name))
    };
}

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

/// No JSON object anywhere in `value` has a key twice (serde_json keeps the last, so compare
/// with the raw text's key count).
fn assert_no_duplicate_keys(json_text: &str) {
    // Re-serialise through a map-preserving parse: a duplicate would shrink the object.
    let value: Value = serde_json::from_str(json_text).unwrap();
    let again = serde_json::to_string(&value).unwrap();
    assert_eq!(again.len(), json_text.len(), "a key appears twice in {json_text}");
}

// ---------------------------------------------------------------------------------------
// drbdadm status

#[test]
fn drbd_healthy_ha_and_dr_resources() {
    let status = drbd::parse(fixture!("drbd_healthy_wdc1.txt"));
    assert!(status.unparsed.is_empty(), "{:?}", status.unparsed);
    let names: Vec<&str> = status.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["drhaqm1", "drhaqm1.dr", "drhaqm2"]);
    let ha = status.resource("drhaqm1").unwrap();
    assert_eq!((ha.role.as_deref(), ha.disk.as_deref()), (Some("Primary"), Some("UpToDate")));
    let peers: Vec<(&str, Option<&str>, Option<&str>)> =
        ha.peers.iter().map(|p| (p.name.as_str(), p.role.as_deref(), p.peer_disk.as_deref())).collect();
    assert_eq!(peers, [("wdc2-mq1", Some("Secondary"), Some("UpToDate")), ("wdc3-mq1", Some("Secondary"), Some("UpToDate"))]);
    assert!(ha.peers.iter().all(|p| p.connection.is_none() && p.replication.is_none() && p.done.is_none()));
    let dr = status.resource("drhaqm1.dr").unwrap();
    assert_eq!(dr.role.as_deref(), Some("Primary"));
    assert_eq!(dr.peer("dal1-mq1").unwrap().peer_disk.as_deref(), Some("UpToDate"));
    assert_eq!(status.resource("drhaqm2").unwrap().role.as_deref(), Some("Secondary"));
}

#[test]
fn drbd_sync_source_and_connecting_peers() {
    let status = drbd::parse(fixture!("drbd_sync_connecting.txt"));
    let ha = status.resource("drhaqm1").unwrap();
    let syncing = ha.peer("wdc2-mq1").unwrap();
    assert_eq!(syncing.replication.as_deref(), Some("SyncSource"));
    assert_eq!(syncing.peer_disk.as_deref(), Some("Inconsistent"));
    assert_eq!(syncing.done, Some(45.2));
    assert_eq!(syncing.attributes.get("done").map(String::as_str), Some("45.20"));
    let lost = ha.peer("wdc3-mq1").unwrap();
    assert_eq!(lost.connection.as_deref(), Some("Connecting"));
    assert_eq!((lost.role.as_deref(), lost.peer_disk.as_deref()), (None, None));
    let dr = status.resource("drhaqm1.dr").unwrap();
    assert_eq!(dr.peer("dal1-mq1").unwrap().connection.as_deref(), Some("Connecting"));
}

#[test]
fn drbd_degraded_states_volumes_and_wrapped_lines() {
    let status = drbd::parse(fixture!("drbd_degraded.txt"));
    assert!(status.unparsed.is_empty(), "{:?}", status.unparsed);
    let outdated = status.resource("drhaqm2").unwrap();
    assert_eq!(outdated.disk.as_deref(), Some("Outdated"));
    assert_eq!(outdated.attributes.get("quorum").map(String::as_str), Some("no"));
    assert_eq!(outdated.attributes.get("suspended").map(String::as_str), Some("quorum"));
    assert_eq!(outdated.peer("dal2-mq1").unwrap().peer_disk.as_deref(), Some("DUnknown"));

    let target = status.resource("drhaqm3").unwrap();
    assert_eq!(target.disk.as_deref(), Some("Inconsistent"));
    let source = target.peer("wdc1-mq1").unwrap();
    assert_eq!((source.replication.as_deref(), source.done), (Some("SyncTarget"), Some(7.05)));
    let diskless = target.peer("wdc3-mq1").unwrap();
    assert_eq!(diskless.peer_disk.as_deref(), Some("Diskless"));
    assert_eq!(diskless.attributes.get("peer_client").map(String::as_str), Some("no"));
    assert_eq!(diskless.attributes.get("resync_suspended").map(String::as_str), Some("dependency"));

    // A resource line wrapped at 80 columns: the continuation belongs to the resource.
    let wrapped = &status.resources[2];
    assert_eq!(wrapped.name, "sslresource-with-a-rather-long-name-to-force-wrapping");
    assert_eq!(wrapped.attributes.get("force_io_failures").map(String::as_str), Some("yes"));
    assert_eq!(wrapped.disk.as_deref(), Some("Diskless"));
    assert_eq!(wrapped.attributes.get("client").map(String::as_str), Some("no"));
    assert_eq!(wrapped.peers[0].connection.as_deref(), Some("StandAlone"));

    // Several volumes: the first fills the typed fields, the others keep volume_N_ keys.
    let r0 = status.resource("r0").unwrap();
    assert_eq!(r0.disk.as_deref(), Some("UpToDate"));
    assert_eq!(r0.attributes.get("volume").map(String::as_str), Some("0"));
    assert_eq!(r0.attributes.get("volume_1_disk").map(String::as_str), Some("Inconsistent"));
    let alpha = r0.peer("alpha").unwrap();
    assert_eq!(alpha.peer_disk.as_deref(), Some("UpToDate"));
    assert_eq!(alpha.replication, None);
    assert_eq!(alpha.attributes.get("volume_1_replication").map(String::as_str), Some("SyncTarget"));
    assert_eq!(alpha.attributes.get("volume_1_done").map(String::as_str), Some("12.50"));
}

#[test]
fn drbd_noise_crlf_and_colours() {
    let status = drbd::parse(fixture!("drbd_noise_crlf.txt"));
    assert_eq!(status.resources.len(), 1);
    assert_eq!(status.resources[0].peer("wdc2-mq1").unwrap().peer_disk.as_deref(), Some("UpToDate"));
    assert_eq!(
        status.unparsed,
        ["# No currently configured DRBD found.", "nope: No such resource", "Command '/usr/sbin/drbdadm' run with sudo."]
    );
    let coloured = "\u{1b}[1mdrhaqm1\u{1b}[0m role:\u{1b}[1;36mPrimary\u{1b}[0m\n  disk:\u{1b}[32mUpToDate\u{1b}[0m\n";
    let status = drbd::parse(coloured);
    assert_eq!(status.resources[0].name, "drhaqm1");
    assert_eq!(status.resources[0].role.as_deref(), Some("Primary"));
    assert_eq!(status.resources[0].disk.as_deref(), Some("UpToDate"));
    // Indented lines with no resource open are not guessed into one.
    let orphan = drbd::parse("  disk:UpToDate\n  wdc2-mq1 role:Secondary\n");
    assert!(orphan.resources.is_empty());
    assert_eq!(orphan.unparsed.len(), 2);
}

#[test]
fn drbd_json_contract() {
    let status = drbd::parse(fixture!("drbd_sync_connecting.txt"));
    let text = serde_json::to_string(&status).unwrap();
    assert_no_duplicate_keys(&text);
    let value: Value = serde_json::from_str(&text).unwrap();
    let ha = &value["resources"][0];
    assert_eq!(ha["name"], "drhaqm1");
    assert_eq!(ha["role"], "Primary");
    assert_eq!(ha["disk"], "UpToDate");
    assert_eq!(ha["peers"][0], json!({"name": "wdc2-mq1", "role": "Secondary", "connection": null, "peer_disk": "Inconsistent", "replication": "SyncSource", "done": 45.2}));
    assert_eq!(ha["peers"][1]["connection"], "Connecting");
    // Attributes beyond the typed fields appear as keys of the same object.
    let degraded: Value = serde_json::to_value(drbd::parse(fixture!("drbd_degraded.txt"))).unwrap();
    assert_eq!(degraded["resources"][0]["quorum"], "no");
    assert_eq!(degraded["resources"][1]["peers"][1]["peer_client"], "no");
    // And back.
    let back: drbd::DrbdStatus = serde_json::from_str(&text).unwrap();
    assert_eq!(back, status);
}

// ---------------------------------------------------------------------------------------
// crm_mon XML

#[test]
fn crm_21_healthy_region() {
    let mon = crm::parse(fixture!("crm_21_wdc_healthy.xml"));
    assert_eq!(mon.error, None);
    assert_eq!(mon.summary.get("dc").map(String::as_str), Some("wdc1-mq1"));
    assert_eq!(mon.summary.get("with_quorum").map(String::as_str), Some("true"));
    assert_eq!(mon.summary.get("nodes_configured").map(String::as_str), Some("3"));
    assert_eq!(mon.summary.get("resources_configured").map(String::as_str), Some("6"));
    assert_eq!(mon.summary.get("stonith_enabled").map(String::as_str), Some("false"));
    assert_eq!(mon.summary.get("stack").map(String::as_str), Some("corosync"));
    assert_eq!(mon.summary.get("last_update").map(String::as_str), Some("Thu Jun  2 19:26:11 2022"));
    assert_eq!(mon.summary.get("dc_version").map(String::as_str), Some("2.1.5-9.el9_2-a3f44794f94"));
    let nodes: Vec<(&str, Option<bool>, Option<bool>)> = mon.nodes.iter().map(|n| (n.name.as_str(), n.online, n.standby)).collect();
    assert_eq!(nodes, [("wdc1-mq1", Some(true), Some(false)), ("wdc2-mq1", Some(true), Some(false)), ("wdc3-mq1", Some(true), Some(false))]);
    assert_eq!(mon.nodes[0].attributes.get("is_dc").map(String::as_str), Some("true"));

    let drbd: Vec<(Option<&str>, Vec<String>, Option<&str>)> =
        mon.resources_named("p_drbd_drhaqm1").map(|r| (r.role.as_deref(), r.nodes.clone(), r.parent.as_deref())).collect();
    assert_eq!(
        drbd,
        [
            (Some("Promoted"), vec!["wdc1-mq1".to_string()], Some("ms_drbd_drhaqm1")),
            (Some("Unpromoted"), vec!["wdc2-mq1".to_string()], Some("ms_drbd_drhaqm1")),
            (Some("Unpromoted"), vec!["wdc3-mq1".to_string()], Some("ms_drbd_drhaqm1")),
        ]
    );
    // The printed 2.1 word is kept.
    let master = mon.resources_named("p_drbd_drhaqm1").next().unwrap();
    assert_eq!(master.attributes.get("role").map(String::as_str), Some("Master"));
    let qm = mon.resources_named("drhaqm1").next().unwrap();
    assert_eq!(
        (qm.resource_agent.as_deref(), qm.role.as_deref(), qm.active, qm.failed, qm.blocked, qm.parent.as_deref()),
        (Some("ocf:ibm:rdqm"), Some("Started"), Some(true), Some(false), Some(false), None)
    );
    assert_eq!(qm.nodes, ["wdc1-mq1"]);
    assert!(mon.fail_counts.is_empty(), "history without fail-count is not a fail-count");
    assert!(mon.failures.is_empty());
}

#[test]
fn crm_21_ban_with_infinity_fail_counts_and_failures() {
    let mon = crm::parse(fixture!("crm_21_dal_banned.xml"));
    assert_eq!(mon.error, None);
    let counts: Vec<(&str, &str, u64)> = mon.fail_counts.iter().map(|f| (f.node.as_str(), f.resource.as_str(), f.fail_count)).collect();
    assert_eq!(counts, [("dal1-mq1", "drhaqm1", INFINITY), ("dal2-mq1", "drhaqm1", INFINITY), ("dal2-mq1", "p_fs_drhaqm1", 2)]);
    assert_eq!(mon.fail_counts[0].last_failure.as_deref(), Some("Thu Jun  2 19:21:38 2022"));
    assert_eq!(mon.fail_counts[1].attributes.get("fail_count").map(String::as_str), Some("INFINITY"));
    assert_eq!(mon.fail_counts[0].attributes.get("migration_threshold").map(String::as_str), Some("1000000"));
    assert_eq!(mon.fail_count("dal1-mq1", "drhaqm1"), INFINITY);
    assert_eq!(mon.fail_count("dal3-mq1", "drhaqm1"), 0);

    let failures: Vec<(Option<&str>, Option<&str>, Option<&str>)> =
        mon.failures.iter().map(|f| (f.node.as_deref(), f.resource.as_deref(), f.task.as_deref())).collect();
    assert_eq!(
        failures,
        [
            (Some("dal1-mq1"), Some("drhaqm1"), Some("start")),
            (Some("dal2-mq1"), Some("drhaqm1"), Some("start")),
            (Some("dal2-mq1"), Some("p_drbd_drhaqm1"), Some("monitor")),
        ]
    );
    assert_eq!(mon.failures[0].exitreason.as_deref(), Some("Queue manager 'DRHAQM1' could not be started: AMQ3681E"));
    assert_eq!(mon.failures[1].exitreason.as_deref(), Some("Queue manager 'DRHAQM1' could not be started"));
    assert_eq!(mon.failures[0].attributes.get("exitstatus").map(String::as_str), Some("error"));
    assert_eq!(mon.failures[0].attributes.get("last_rc_change").map(String::as_str), Some("2022-06-02 19:21:38Z"));

    let standby = mon.node("dal2-mq1").unwrap();
    assert_eq!((standby.online, standby.standby), (Some(true), Some(true)));
    assert_eq!(mon.node("dal3-mq1").unwrap().online, Some(false));
    let stopped: Vec<&crm::CrmResource> = mon.resources_named("p_drbd_drhaqm1").filter(|r| r.role.as_deref() == Some("Stopped")).collect();
    assert_eq!(stopped.len(), 1);
    assert!(stopped[0].nodes.is_empty());
    let qm = mon.resources_named("drhaqm1").next().unwrap();
    assert_eq!((qm.role.as_deref(), qm.active), (Some("Stopped"), Some(false)));
}

#[test]
fn crm_30_roles_groups_bundles_and_clones_of_groups() {
    let mon = crm::parse(fixture!("crm_30_nested.xml"));
    assert_eq!(mon.error, None);
    assert_eq!(mon.summary.get("with_quorum").map(String::as_str), Some("false"));
    assert_eq!(mon.summary.get("stack_pacemakerd_state").map(String::as_str), Some("running"));
    type Row<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Vec<String>);
    let resources: Vec<Row> = mon
        .resources
        .iter()
        .map(|r| (r.id.as_str(), r.role.as_deref(), r.parent.as_deref(), r.nodes.clone()))
        .collect();
    let v = |n: &str| vec![n.to_string()];
    assert_eq!(
        resources,
        [
            ("promotable-rsc", Some("Promoted"), Some("promotable-clone"), v("node2")),
            ("promotable-rsc", Some("Unpromoted"), Some("promotable-clone"), v("node1")),
            ("Public-IP", Some("Started"), Some("exim-group"), v("node2")),
            ("Email", Some("Stopped"), Some("exim-group"), vec![]),
            ("mysql-proxy", Some("Started"), Some("mysql-group:0"), v("node1")),
            ("httpd-bundle-ip-192.168.122.131", Some("Started"), Some("httpd-bundle"), v("node1")),
            ("httpd", Some("Started"), Some("httpd-bundle"), v("httpd-bundle-0")),
        ]
    );
    let email = &mon.resources[3];
    assert_eq!((email.failed, email.blocked), (Some(true), Some(true)));
    assert_eq!(email.attributes.get("target_role").map(String::as_str), Some("Stopped"));
    assert_eq!(mon.resources[0].attributes.get("description").map(String::as_str), Some("test_description"));
    assert_eq!(mon.fail_counts.len(), 1);
    assert_eq!((mon.fail_counts[0].resource.as_str(), mon.fail_counts[0].fail_count), ("Email", INFINITY));
    assert_eq!(mon.failures[0].resource.as_deref(), Some("Email"));
    assert_eq!(mon.failures[0].attributes.get("status").map(String::as_str), Some("Done"));
    assert_eq!(mon.failures[1].resource.as_deref(), Some("httpd-bundle-ip-192.168.122.131"));
    assert_eq!(mon.failures[1].exitreason.as_deref(), Some(""));
}

#[test]
fn crm_malformed_xml_keeps_what_came_before() {
    let mon = crm::parse(fixture!("crm_truncated.xml"));
    let error = mon.error.clone().unwrap();
    assert!(error.contains("malformed XML"), "{error}");
    assert_eq!(mon.summary.get("dc").map(String::as_str), Some("wdc1-mq1"));
    assert_eq!(mon.nodes.len(), 2);
    assert_eq!(mon.resources.len(), 1);
    assert_eq!(mon.resources[0].nodes, ["wdc1-mq1"]);

    for broken in ["", "not xml at all", "<pacemaker-result><nodes>", "<a></b>", "<a x=\"1></a>", "<a><b x='1' x='2'/></a>"] {
        let mon = crm::parse(broken);
        if broken.starts_with("<a><b") {
            // Duplicate attributes are tolerated: the first wins.
            assert_eq!(mon.error, None, "{broken}");
        } else {
            assert!(mon.error.is_some(), "{broken:?} must be reported");
        }
    }
}

#[test]
fn crm_non_zero_status_is_an_error() {
    let mon = crm::parse(fixture!("crm_not_connected.xml"));
    assert_eq!(mon.error.as_deref(), Some("crm_mon status 102: Not connected; crm_mon: Error: cluster is not available on this node"));
    assert!(mon.nodes.is_empty() && mon.resources.is_empty());
    // Legacy `--as-xml` root and stray text around the document.
    let legacy = crm::parse("warning: something\n<crm_mon version=\"2.0.0\"><nodes><node name=\"a\" online=\"true\" standby=\"false\"/></nodes></crm_mon>\nCommand '/usr/sbin/crm_mon' run with sudo.\n");
    assert_eq!(legacy.error, None);
    assert_eq!(legacy.nodes[0].online, Some(true));
}

#[test]
fn crm_helpers() {
    assert_eq!(crm::parse_count("INFINITY"), Some(INFINITY));
    assert_eq!(crm::parse_count("+INFINITY"), Some(INFINITY));
    assert_eq!(crm::parse_count("-INFINITY"), Some(0));
    assert_eq!(crm::parse_count("1000000"), Some(INFINITY));
    assert_eq!(crm::parse_count("99999999999999999999999"), Some(INFINITY));
    assert_eq!(crm::parse_count(" 3 "), Some(3));
    assert_eq!(crm::parse_count("-2"), Some(0));
    assert_eq!(crm::parse_count("three"), None);
    assert_eq!(crm::parse_count(""), None);
    assert_eq!(crm::normalise_role("Master"), "Promoted");
    assert_eq!(crm::normalise_role("Slave"), "Unpromoted");
    assert_eq!(crm::normalise_role("Started"), "Started");
    assert_eq!(crm::resource_of_op_key("drhaqm1_start_0", Some("start")), s("drhaqm1"));
    assert_eq!(crm::resource_of_op_key("p_drbd_drhaqm1_monitor_20000", Some("monitor")), s("p_drbd_drhaqm1"));
    assert_eq!(crm::resource_of_op_key("p_drbd_drhaqm1_monitor_20000", None), s("p_drbd_drhaqm1"));
    assert_eq!(crm::resource_of_op_key("vm1_migrate_to_0", Some("migrate_to")), s("vm1"));
    assert_eq!(crm::resource_of_op_key("ddd_last_failure_0", None), s("ddd"));
    assert_eq!(crm::resource_of_op_key("nonsense", None), None);
    assert_eq!(crm::resource_of_op_key("_start_0", None), None);
    assert_eq!(crm::parse_bool("TRUE"), Some(true));
    assert_eq!(crm::parse_bool("maybe"), None);
}

#[test]
fn crm_json_contract() {
    let mon = crm::parse(fixture!("crm_21_dal_banned.xml"));
    let text = serde_json::to_string(&mon).unwrap();
    assert_no_duplicate_keys(&text);
    let value: Value = serde_json::from_str(&text).unwrap();
    let node = &value["nodes"][0];
    assert_eq!((node["name"].clone(), node["online"].clone(), node["standby"].clone()), (json!("dal1-mq1"), json!(true), json!(false)));
    assert_eq!(node["is_dc"], "false");
    let master = &value["resources"][0];
    assert_eq!(master["id"], "p_drbd_drhaqm1");
    assert_eq!(master["resource_agent"], "ocf:linbit:drbd");
    assert_eq!(master["role"], "Promoted");
    assert_eq!(master["printed_role"], "Master");
    assert_eq!(master["nodes"], json!(["dal1-mq1"]));
    assert_eq!(master["parent"], "ms_drbd_drhaqm1");
    assert_eq!(master["nodes_running_on"], "1");
    let qm = &value["resources"][5];
    assert_eq!(qm["parent"], Value::Null);
    assert!(qm.get("printed_role").is_none());
    let count = &value["fail_counts"][0];
    assert_eq!(count["node"], "dal1-mq1");
    assert_eq!(count["resource"], "drhaqm1");
    assert_eq!(count["fail_count"], 1_000_000);
    assert_eq!(count["last_failure"], "Thu Jun  2 19:21:38 2022");
    assert_eq!(count["migration_threshold"], "1000000");
    let failure = &value["failures"][0];
    assert_eq!(failure["op_key"], "drhaqm1_start_0");
    assert_eq!(failure["resource"], "drhaqm1");
    assert_eq!(failure["exitcode"], "1");
    assert_eq!(value["summary"]["with_quorum"], "true");
    assert_eq!(value["error"], Value::Null);
    let back: crm::CrmMon = serde_json::from_str(&text).unwrap();
    assert_eq!(back, mon);
}

// ---------------------------------------------------------------------------------------
// Arbitrary input

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![
                Just("drhaqm1 role:Primary".to_string()),
                Just("  disk:UpToDate".to_string()),
                Just("  volume:1 disk:Inconsistent".to_string()),
                Just("  wdc2-mq1 connection:Connecting".to_string()),
                Just("    replication:SyncSource peer-disk:Inconsistent done:".to_string()),
                Just("    volume:0 peer-disk:UpToDate done:nan".to_string()),
                Just(String::new()),
                Just(":::".to_string()),
                "[ a-z:\\-.0-9\u{1b}\\[]{0,40}",
            ],
            0..24,
        )
        .prop_map(|lines| lines.join("\n")),
    ]
}

fn any_xml() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(
            prop_oneof![
                Just("<pacemaker-result api-version=\"2.25\">".to_string()),
                Just("<summary><current_dc name=\"a\" with_quorum=\"true\"/></summary>".to_string()),
                Just("<nodes>".to_string()),
                Just("</nodes>".to_string()),
                Just("<node name=\"a\" online=\"yes\" standby=\"x\"/>".to_string()),
                Just("<resources>".to_string()),
                Just("</resources>".to_string()),
                Just("<clone id=\"c\">".to_string()),
                Just("</clone>".to_string()),
                Just("<group id=\"g\">".to_string()),
                Just("</group>".to_string()),
                Just("<bundle id=\"b\"><replica id=\"0\">".to_string()),
                Just("<resource id=\"r\" role=\"Master\">".to_string()),
                Just("<resource id=\"r\" role=\"Slave\"/>".to_string()),
                Just("</resource>".to_string()),
                Just("<node_history><node name=\"a\"><resource_history id=\"q\" fail-count=\"INFINITY\"/>".to_string()),
                Just("<failures><failure op_key=\"_x_\" task=\"\"/></failures>".to_string()),
                Just("<status code=\"x\" message=\"&amp;&bogus;\"><errors><error>e</error></errors></status>".to_string()),
                Just("</pacemaker-result>".to_string()),
                "[<>/a-z=\" &;!\\[\\]-]{0,30}",
            ],
            0..30,
        )
        .prop_map(|parts| parts.join("\n")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn drbd_never_panics(text in any_text()) {
        let status = drbd::parse(&text);
        let json = serde_json::to_string(&status).unwrap();
        let _: drbd::DrbdStatus = serde_json::from_str(&json).unwrap();
        for resource in &status.resources {
            prop_assert!(!resource.name.is_empty());
            prop_assert!(resource.attributes.keys().all(|k| !k.is_empty()));
            for peer in &resource.peers {
                prop_assert!(peer.done.is_none_or(f64::is_finite));
            }
        }
    }

    #[test]
    fn crm_never_panics(xml in any_xml()) {
        let mon = crm::parse(&xml);
        let json = serde_json::to_string(&mon).unwrap();
        let _: crm::CrmMon = serde_json::from_str(&json).unwrap();
        for count in &mon.fail_counts {
            prop_assert!(count.fail_count <= INFINITY);
        }
        for resource in &mon.resources {
            prop_assert!(resource.role.as_deref() != Some("Master") && resource.role.as_deref() != Some("Slave"));
        }
    }
}
