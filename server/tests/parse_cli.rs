//! `rdqm-console parse KIND FILE|-` prints the JSON contract of DESIGN.md; bad input gets a
//! clear error and a non-zero exit, never a panic.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn seed(name: &str) -> String {
    format!("{}/../sim/tests/seed/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn parse(kind: &str, file: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rdqm-console")).args(["parse", kind, file]).output().unwrap()
}

fn parse_stdin(kind: &str, input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rdqm-console"))
        .args(["parse", kind, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn rdqmstatus_fields_are_snake_case_keys() {
    let v = json(&parse("rdqmstatus", &seed("rdqmstatus_wdc1_initial.txt")));
    assert_eq!(v["nodes"][0]["node"], "wdc1-mq1");
    assert_eq!(v["nodes"][0]["fields"]["queue_manager_status"], "Running");
    assert_eq!(v["nodes"][0]["fields"]["ha_role"], "Primary");
    assert_eq!(v["nodes"][0]["fields"]["dr_remote_ip_address_list"], "10.240.0.4,10.240.64.4,10.240.128.4");
    assert_eq!(v["nodes"][1]["node"], "wdc2-mq1");
    assert_eq!(v["nodes"][1]["fields"]["ha_status"], "Normal");
}

#[test]
fn dspmq_and_stdin() {
    let text = std::fs::read(seed("dspmq_wdc2_suspended.txt")).unwrap();
    let v = json(&parse_stdin("dspmq", &text));
    assert_eq!(v["qmgrs"][0]["qmname"], "DRHAQM1");
    assert_eq!(v["qmgrs"][0]["status"], "Running");
    assert_eq!(v["qmgrs"][0]["instances"][0]["instance"], "wdc2-mq1");
    assert_eq!(v["qmgrs"][0]["instances"][0]["mode"], "Active");
}

#[test]
fn mqipt_conf_routes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mqipt.conf");
    std::fs::write(&path, sim::reference::MQIPT_CONF).unwrap();
    let v = json(&parse("mqipt-conf", path.to_str().unwrap()));
    assert_eq!(v["global"]["commandport"], "1881");
    assert_eq!(v["routes"][0]["name"], "DRHAQM1");
    assert_eq!(v["routes"][0]["listenerport"], "1501");
    assert_eq!(v["routes"][0]["destination"], "3bdf30c3-us-east.lb.appdomain.cloud");
    assert_eq!(v["routes"][2]["properties"]["sslserver"], "true");
}

#[test]
fn rdqmstatus_n_lists_nodes() {
    let v = json(&parse_stdin("rdqmstatus-n", b"Node wdc1-mq1 is online\nNode wdc2-mq1 is offline\n"));
    assert_eq!(v["nodes"][0]["node"], "wdc1-mq1");
    assert_eq!(v["nodes"][0]["online"], true);
    assert_eq!(v["nodes"][1]["online"], false);
}

#[test]
fn bad_input_gets_a_clear_error() {
    let out = parse("rdqmstatus", "/nonexistent/file");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/file: cannot read"), "{err}");

    let out = parse_stdin("dspmq", b"\xff\xfe garbage");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"));

    let out = parse_stdin("rdqmstatus", b"hello world\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rdqmstatus output recognised (first line: \"hello world\")"));

    let out = parse("nonsense", "-");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown kind \"nonsense\""));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn drbd_and_pacemaker_layers() {
    let drbd = b"drhaqm1 role:Primary\n  disk:UpToDate\n  wdc2-mq1 role:Secondary\n    peer-disk:UpToDate\n  wdc3-mq1 connection:Connecting\n";
    let v = json(&parse_stdin("drbdadm-status", drbd));
    assert_eq!(v["resources"][0]["name"], "drhaqm1");
    assert_eq!(v["resources"][0]["peers"][0]["peer_disk"], "UpToDate");
    assert_eq!(v["resources"][0]["peers"][1]["connection"], "Connecting");
    let xml = br#"<pacemaker-result api-version="2.25"><nodes><node name="dal1-mq1" online="true"/></nodes><resources><clone id="ms_drbd_drhaqm1"><resource id="p_drbd_drhaqm1" role="Master"><node name="dal1-mq1"/></resource></clone></resources><node_history><node name="dal1-mq1"><resource_history id="drhaqm1" fail-count="INFINITY"/></node></node_history><status code="0" message="OK"/></pacemaker-result>"#;
    let v = json(&parse_stdin("crm-mon", xml));
    assert_eq!(v["nodes"][0]["online"], true);
    assert_eq!(v["resources"][0]["parent"], "ms_drbd_drhaqm1");
    assert_eq!(v["resources"][0]["role"], "Promoted");
    assert_eq!(v["fail_counts"][0]["fail_count"], 1000000);
    let bad = parse_stdin("crm-mon", b"<pacemaker-result><nodes>");
    assert_eq!(bad.status.code(), Some(1), "{}", String::from_utf8_lossy(&bad.stdout));
}

#[test]
fn runmqakm_listing_and_details() {
    let list = b"Certificates found\n* default, - personal, ! trusted, # secret key\n!\t\"Thawte Server CA\"\n-\tssldrhaqm1certlabel\n";
    let v = json(&parse_stdin("runmqakm-list", list));
    assert_eq!(v["certificates"][0]["label"], "Thawte Server CA");
    assert_eq!(v["certificates"][0]["trusted"], true);
    assert_eq!(v["certificates"][1]["personal"], true);
    let details = b"Label : qm\nKey Size : 1024\nSerial : 01\nIssuer : \"CN=CA\"\nSubject : \"CN=QM1,O=IBM\"\nNot Before : June 1, 2026 1:00:00 PM GMT+00:00\nNot After : June 1, 2027 1:00:00 PM GMT+00:00\n";
    let v = json(&parse_stdin("runmqakm-details", details));
    assert_eq!(v["label"], "qm");
    assert_eq!(v["key_size"], 1024);
    assert_eq!(v["subject"], "CN=QM1,O=IBM");
    assert_eq!(v["fields"]["not_after"], "June 1, 2027 1:00:00 PM GMT+00:00");
}

#[test]
fn runmqsc_channel_and_status_blocks() {
    // Seed 000's DISPLAY CHSTATUS, as an operator would paste it.
    let text = b"     2 : DISPLAY CHS(QM1.TO.QM2) SSLPEER SSLCERTI\nAMQ8417I: Display Channel Status details.\n   CHANNEL(QM1.TO.QM2)                     CHLTYPE(SDR)\n   CONNAME(10.241.0.4(1414))               CURRENT\n   RQMNAME(QM2)\n   SSLCERTI(CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US)\n   SSLPEER(SERIALNUMBER=5E:C8:76:52:DA:81:96:5B,CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US)\n   STATUS(RUNNING)                         SUBSTATE(MQGET)\n";
    let v = json(&parse_stdin("runmqsc", text));
    assert_eq!(v["objects"][0]["message"], "AMQ8417I");
    let attrs = v["objects"][0]["attributes"].as_array().expect("attributes");
    assert!(attrs.iter().any(|a| a[0] == "STATUS" && a[1] == "RUNNING"), "{attrs:?}");
    assert!(attrs.iter().any(|a| a[0] == "SSLPEER" && a[1].as_str().is_some_and(|p| p.starts_with("SERIALNUMBER=5E:C8"))), "{attrs:?}");
    let nothing = parse_stdin("runmqsc", b"hello\n");
    assert_eq!(nothing.status.code(), Some(1), "{}", String::from_utf8_lossy(&nothing.stdout));
}
