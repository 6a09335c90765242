//! `rdqm-console check-config` names the file, the key and the reason.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn check(text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "not a real key").unwrap();
    let text = text.replace("@KEY@", key.to_str().unwrap());
    let path = dir.path().join("console.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rdqm-console")).arg("check-config").arg(&path).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

const GOOD: &str = r#"
[server]
listen = "127.0.0.1:0"
assets_dir = "dist"
[ssh]
user = "mqm"
key_file = "@KEY@"
known_hosts = "@KEY@"
[[regions]]
name = "WDC"
load_balancer = "3bdf30c3-us-east.lb.appdomain.cloud"
[[nodes]]
name = "wdc1-mq1"
region = "WDC"
address = "10.241.0.4"
[[mqipt]]
name = "HAMQ"
host = "wdc-bastion"
address = "10.241.1.4"
conf_path = "/opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf"
refresh = "systemctl reload mqipt-@HAMQ.service"
[[qmgrs]]
name = "DRHAQM1"
listener_port = 1501
mqipt = "HAMQ"
route_listener_port = 1501
"#;

#[test]
fn a_good_config_passes() {
    let (ok, out) = check(GOOD);
    assert!(ok, "{out}");
    assert!(out.contains("ok (1 regions, 1 nodes, 1 MQIPT instances, 1 queue managers)"), "{out}");
}

#[test]
fn each_problem_names_its_key() {
    let bad = GOOD
        .replace("name = \"DRHAQM1\"", "name = \"DRHAQM1;reboot\"")
        .replace("region = \"WDC\"", "region = \"DAL\"")
        .replace("refresh = \"systemctl reload mqipt-@HAMQ.service\"", "refresh = \"mqiptAdmin -refresh -n OTHER\"");
    let (ok, out) = check(&bad);
    assert!(!ok);
    assert!(out.contains("console.toml: "), "{out}");
    assert!(out.contains("qmgrs[0].name: queue manager name \"DRHAQM1;reboot\" contains ';'"), "{out}");
    assert!(out.contains("nodes[0].region: no region named \"DAL\""), "{out}");
    assert!(out.contains("mqipt[0].refresh: refreshes \"OTHER\""), "{out}");
}

#[test]
fn syntax_errors_and_unknown_keys_say_where() {
    let (ok, out) = check(&GOOD.replace("[ssh]", "[ssh]\npasword = \"x\""));
    assert!(!ok);
    assert!(out.contains("unknown field `pasword`") && out.contains("line"), "{out}");
    let (ok, out) = check("[server\n");
    assert!(!ok && out.contains("TOML parse error"), "{out}");
}

#[test]
fn a_refresh_command_that_is_neither_form_is_refused_at_load_with_its_line() {
    let (ok, out) = check(&GOOD.replace("refresh = \"systemctl reload mqipt-@HAMQ.service\"", "refresh = \"kill -HUP 1234\""));
    assert!(!ok);
    assert!(out.contains("\"kill -HUP 1234\" is neither `mqiptAdmin -refresh -n NAME` nor `systemctl reload mqipt-@NAME.service`"), "{out}");
    assert!(out.contains("line") && out.contains("console.toml"), "{out}");
}

#[test]
fn ha_groups_are_named_on_every_node_of_a_region_and_chosen_by_each_queue_manager() {
    let two_groups = GOOD.replace(
        "address = \"10.241.0.4\"\n",
        "address = \"10.241.0.4\"\nha_group = \"WDC-1\"\n[[nodes]]\nname = \"wdc1-mq2\"\nregion = \"WDC\"\naddress = \"10.241.0.5\"\nha_group = \"WDC-2\"\n",
    );
    let (ok, out) = check(&two_groups);
    assert!(!ok);
    assert!(out.contains("qmgrs[0].ha_groups: WDC has 2 HA groups; name the one holding DRHAQM1"), "{out}");

    let chosen = two_groups.replace("route_listener_port = 1501\n", "route_listener_port = 1501\nha_groups = [\"WDC-2\"]\n");
    let (ok, out) = check(&chosen);
    assert!(ok, "{out}");

    let unnamed = chosen.replace("ha_group = \"WDC-1\"\n", "").replace("ha_groups = [\"WDC-2\"]", "ha_groups = [\"WDC-2\", \"WDC-9\"]");
    let (ok, out) = check(&unnamed);
    assert!(!ok);
    assert!(out.contains("nodes[0].ha_group: other nodes of WDC name their HA group; name this one's too"), "{out}");
    assert!(out.contains("qmgrs[0].ha_groups: no node names the HA group \"WDC-9\""), "{out}");
}
