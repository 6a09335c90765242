//! The lab over real OpenSSH and real slapd: the seed's commands print what the seed shows.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

use sim::lab::Lab;
use std::path::Path;
use std::process::{Command, Output};

fn start() -> Lab {
    Lab::start(Path::new(env!("CARGO_BIN_EXE_rdqm-sim")))
}

fn seed(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/seed/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_code(out: &Output, code: i32, what: &str) {
    assert_eq!(out.status.code(), Some(code), "{what}: stdout={} stderr={}", stdout(out), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn seed_regional_failover_over_ssh() {
    let lab = start();
    let status = lab.ssh("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_code(&status, 0, "rdqmstatus on wdc1-mq1");
    assert_eq!(stdout(&status), seed("rdqmstatus_wdc1_initial.txt"));

    let demote = lab.ssh("wdc1-mq1", "rdqmdr -s -m DRHAQM1");
    assert_code(&demote, 0, "rdqmdr -s");
    assert_eq!(stdout(&demote), "Queue manager 'DRHAQM1' has been made the DR secondary on this node.\n");
    let promote = lab.ssh("dal1-mq1", "rdqmdr -p -m DRHAQM1");
    assert_code(&promote, 0, "rdqmdr -p");
    assert_eq!(stdout(&promote), "Queue manager 'DRHAQM1' has been made the DR primary on this node.\n");

    let dspmq = lab.ssh("dal1-mq1", "dspmq -a -x -s");
    assert_code(&dspmq, 0, "dspmq -a succeeds with 0, as IBM documents its return codes");
    let expected = seed("dspmq_dal1_after_failover.txt");
    assert_eq!(&stdout(&dspmq)[..expected.len()], expected);

    let wdc = lab.ssh("wdc1-mq1", "rdqmstatus -m DRHAQM1");
    assert_eq!(stdout(&wdc), seed("rdqmstatus_wdc1_after_failover.txt"));

    // The shared state agrees, read without trusting any command's output.
    let state: serde_json::Value = serde_json::from_slice(&lab.sim(&["state"]).stdout).unwrap();
    let sides = &state["qmgrs"][0]["sides"];
    assert_eq!(sides[0]["dr_role"], "Secondary");
    assert_eq!(sides[1]["dr_role"], "Primary");
}

#[test]
fn every_host_answers_as_itself() {
    let lab = start();
    for host in ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1", "dal1-mq1", "dal2-mq1", "dal3-mq1"] {
        let out = lab.ssh(host, "rdqmstatus -m DRHAQM2");
        assert_code(&out, 0, host);
        let first = stdout(&out).lines().next().unwrap_or_default().to_string();
        assert_eq!(first, format!("{:<40}{host}", "Node:"));
    }
    let refresh = lab.ssh("wdc-bastion", "mqiptAdmin -refresh -n HAMQ");
    assert_code(&refresh, 0, "mqiptAdmin");
    assert!(stdout(&refresh).ends_with("MQCAI105 Sending REFRESH command to MQIPT instance with name HAMQ\nMQCAI025 MQIPT HAMQ has been refreshed\n"));
    let conf = std::fs::read_to_string(lab.var("LAB_MQIPT_CONF")).unwrap();
    assert_eq!(conf, sim::reference::MQIPT_CONF);
    assert_code(&lab.ssh("wdc-bastion", "rdqmstatus"), 127, "no MQ on the bastion");
}

#[test]
fn directory_has_the_seed_users_and_groups() {
    let lab = start();
    let search = |bind: &str, password: &str, filter: &str| {
        Command::new("ldapsearch")
            .args(["-x", "-LLL", "-H", lab.var("LAB_LDAP_URL"), "-D", bind, "-w", password])
            .args(["-b", "ou=groups,dc=ibm,dc=com", filter, "cn"])
            .output()
            .unwrap()
    };
    let mqadmin = "uid=mqadmin,ou=people,dc=ibm,dc=com";
    let groups = search(mqadmin, "mqadmin", &format!("(uniqueMember={mqadmin})"));
    assert_code(&groups, 0, "bind as mqadmin");
    assert_eq!(stdout(&groups), "dn: cn=mqadmins,ou=groups,dc=ibm,dc=com\ncn: mqadmins\n\n");
    let viewer = "uid=mqviewer,ou=people,dc=ibm,dc=com";
    assert!(stdout(&search(viewer, "mqviewer", &format!("(uniqueMember={viewer})"))).contains("cn: mqviewers"));
    assert_code(&search(mqadmin, "wrong", "(cn=*)"), 49, "wrong password is refused");
    let admin = search(lab.var("LAB_LDAP_ADMIN_DN"), lab.var("LAB_LDAP_ADMIN_PASSWORD"), "(cn=apps)");
    assert!(stdout(&admin).contains("cn: apps"), "{admin:?}");
}

#[test]
fn node_down_drops_its_ssh_and_down_leaves_nothing_running() {
    let lab = start();
    assert_code(&lab.sim(&["fault", "node-down", "wdc1-mq1"]), 0, "node-down");
    assert_code(&lab.ssh("wdc1-mq1", "dspmq"), 255, "a lost host refuses ssh");
    // Pacemaker starts it on the next node: Starting, then active there.
    let moved = lab.wait_for("wdc2-mq1", "dspmq -a -x -s", std::time::Duration::from_secs(10), |out| out.contains("MODE(Active)"));
    assert!(moved.contains("INSTANCE(wdc2-mq1) MODE(Active)"), "{moved}");
    assert_code(&lab.sim(&["fault", "node-up", "wdc1-mq1"]), 0, "node-up");
    // Back: it answers again (what it hosts depends on how far its resynchronisation got).
    let back = lab.ssh("wdc1-mq1", "dspmq -a -x -s");
    assert_eq!(back.status.code(), Some(0), "{back:?}");

    lab.sim(&["fault", "sudo", "dal1-mq1", "on"]);
    let out = lab.ssh("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(stdout(&out).ends_with("Command '/opt/mqm/bin/rdqmstatus' run with sudo.\n"));
    assert!(!lab.sim(&["fault", "explode"]).status.success());

    let pids: Vec<String> = std::fs::read_dir(lab.run_dir().join("pids"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap().trim().to_string())
        .collect();
    assert_eq!(pids.len(), 9, "8 sshd (six nodes, the bastion, the client host) and slapd");
    assert_code(&lab.script("status", &[]), 0, "lab/status");
    assert_code(&lab.script("down", &[]), 0, "lab/down");
    for pid in pids {
        // A zombie awaiting a reaper that never comes (PID 1 in a container) is not running.
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
        assert!(matches!(state, None | Some("Z")), "process {pid} still runs after lab/down: {stat}");
    }
    assert_code(&lab.script("status", &[]), 1, "lab/status after down");
}

#[test]
fn cluster_layers_over_ssh() {
    let lab = start();
    let drbd = lab.ssh("wdc1-mq1", "drbdadm status");
    assert_code(&drbd, 0, "drbdadm status");
    let drbd = model::drbd::parse(&stdout(&drbd));
    assert!(drbd.unparsed.is_empty(), "{:?}", drbd.unparsed);
    assert_eq!(drbd.resource("drhaqm1.dr").and_then(|r| r.role.as_deref()), Some("Primary"));

    assert_code(&lab.sim(&["fault", "pacemaker-ban", "DAL", "DRHAQM1"]), 0, "pacemaker-ban");
    let status = lab.ssh("dal1-mq1", "rdqmstatus -m DRHAQM1");
    assert!(stdout(&status).contains("HA status:                              Normal\n"), "{}", stdout(&status));
    let mon = lab.ssh("dal2-mq1", "crm_mon --one-shot --inactive --output-as=xml");
    assert_code(&mon, 0, "crm_mon");
    let mon = model::crm::parse(&stdout(&mon));
    assert_eq!(mon.error, None);
    assert_eq!(mon.fail_count("dal3-mq1", "drhaqm1"), model::crm::INFINITY);
    let cleanup = lab.ssh("dal1-mq1", "crm_resource --cleanup --resource drhaqm1");
    assert_code(&cleanup, 0, "crm_resource --cleanup");
    assert!(stdout(&cleanup).ends_with("Waiting for 1 reply from the controller\n... got reply (done)\n"), "{}", stdout(&cleanup));
    let state: serde_json::Value = serde_json::from_slice(&lab.sim(&["state"]).stdout).unwrap();
    assert_eq!(state["qmgrs"][0]["fail_counts"], serde_json::json!({}));

    assert_code(&lab.sim(&["fault", "drbd-disk", "wdc2-mq1", "DRHAQM1", "SyncTarget:12.5"]), 0, "drbd-disk");
    assert!(stdout(&lab.ssh("wdc1-mq1", "drbdadm status drhaqm1")).contains("    replication:SyncSource peer-disk:Inconsistent done:12.50\n"));
    let refused = lab.sim(&["fault", "drbd-disk", "wdc2-mq1", "DRHAQM1", "Sideways"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("\"Sideways\""));
    assert_code(&lab.sim(&["fault", "clear"]), 0, "clear");
    assert!(stdout(&lab.ssh("wdc1-mq1", "drbdadm status drhaqm1")).contains("  wdc2-mq1 role:Secondary\n    peer-disk:UpToDate\n"));
}

#[test]
fn key_repositories_list_and_detail_real_certificates() {
    let lab = start();
    let root = lab.var("LAB_MQIPT_CONF").split("/hosts/").next().unwrap().to_string();
    let kdb = format!("{root}/hosts/dal1-mq1/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb");
    let list = lab.ssh("dal1-mq1", &format!("runmqakm -cert -list -db {kdb} -stashed"));
    assert_code(&list, 0, "runmqakm -cert -list");
    let parsed = model::runmqakm::parse_list(&stdout(&list));
    let labels: Vec<&str> = parsed.certificates.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["ssldrhaqm1certlabel", "Lab Root CA", "mqiptclient", "oldpartner", "legacyclient"]);
    assert!(parsed.certificates[0].default && parsed.certificates[0].personal);

    let details = |label: &str| {
        let out = lab.ssh("dal1-mq1", &format!("runmqakm -cert -details -db {kdb} -stashed -label {label}"));
        assert_code(&out, 0, label);
        model::runmqakm::parse_details(&stdout(&out))
    };
    let qm = details("ssldrhaqm1certlabel");
    assert_eq!(qm.subject.as_deref(), Some("CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US"));
    assert_eq!(qm.issuer.as_deref(), Some("CN=Lab Root CA,O=IBM,C=US"));
    assert_eq!(qm.key_size, Some(2048));
    assert_eq!(details("legacyclient").key_size, Some(1024));
    let expired = details("oldpartner");
    assert!(expired.not_after.as_deref().unwrap().contains("GMT+00:00"));

    let missing = lab.ssh("dal1-mq1", &format!("runmqakm -cert -details -db {kdb} -stashed -label nope"));
    assert_ne!(missing.status.code(), Some(0));
    assert!(stdout(&missing).starts_with("CTGSK3029W"));
    let pfx = format!("{root}/hosts/wdc-bastion/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-server.pfx");
    let mqipt = lab.ssh("wdc-bastion", &format!("mqiptKeycmd -cert -list -db {pfx} -stashed"));
    assert!(stdout(&mqipt).contains("*-\tmqiptserver\n!\twdc-mq-client\n"), "{}", stdout(&mqipt));
}

/// Each host sees its files where a real host has them (its sshd runs in a mount namespace of
/// its own), and no host sees another's: the seed's paths work as typed.
#[test]
fn each_host_sees_its_own_files_on_real_paths() {
    let lab = start();
    if lab.var("LAB_REAL_PATHS") != "1" {
        // Only root can give each sshd its mount namespace; CI and this machine run as root.
        let uid = std::process::Command::new("id").arg("-u").output().unwrap();
        assert_ne!(stdout(&uid).trim(), "0", "as root the lab must use real paths");
        return;
    }
    let conf = lab.ssh("wdc-bastion", "cat /opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf");
    assert_code(&conf, 0, "cat mqipt.conf on the bastion");
    assert_eq!(stdout(&conf), sim::reference::MQIPT_CONF);

    let tlshd = lab.ssh("dal1-mq1", "cat /etc/tlshd.conf");
    assert!(stdout(&tlshd).contains("x509.certificate=/etc/drbd.d/dal1-mq1.crt\n"), "{}", stdout(&tlshd));
    let cert = lab.ssh("dal1-mq1", "head -1 /etc/drbd.d/dal1-mq1.crt");
    assert_eq!(stdout(&cert), "-----BEGIN CERTIFICATE-----\n");
    let kdb = "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb";
    let list = lab.ssh("dal1-mq1", &format!("runmqakm -cert -list -db {kdb} -stashed"));
    assert_code(&list, 0, "runmqakm on a real path");
    assert!(stdout(&list).contains("*-\tssldrhaqm1certlabel\n"));

    // A file written on one node is that node's alone, and lands in its directory of the lab.
    assert_code(&lab.ssh("wdc1-mq1", "echo wdc1 > /var/mqm/lab-probe"), 0, "write on wdc1-mq1");
    assert_code(&lab.ssh("wdc2-mq1", "test ! -e /var/mqm/lab-probe"), 0, "wdc2-mq1 does not see wdc1-mq1's file");
    assert_code(&lab.ssh("wdc-bastion", "test ! -e /var/mqm/lab-probe"), 0, "nor does the bastion");
    let root = lab.var("LAB_MQIPT_CONF").split("/hosts/").next().unwrap().to_string();
    assert_eq!(std::fs::read_to_string(format!("{root}/hosts/wdc1-mq1/var/mqm/lab-probe")).unwrap(), "wdc1\n");
    assert!(!Path::new("/var/mqm/lab-probe").exists(), "the machine's own /var/mqm is untouched");

    // The console's configuration for the lab names the same real paths.
    let config = std::fs::read_to_string(lab.var("LAB_CONSOLE_CONFIG")).unwrap();
    assert!(config.contains("conf_path = \"/opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf\"\n"));
    assert!(config.contains("tlshd_conf = \"/etc/tlshd.conf\"\n"));
    // The client host has no real paths of its own: its key repository (the TLS client check)
    // is the one lab-only path left.
    let node_paths: Vec<&str> = config.lines().filter(|l| l.contains("/hosts/") && !l.starts_with("keyr = ")).collect();
    assert!(node_paths.is_empty(), "no lab-only prefix left: {node_paths:?}");
}

/// The seed's other way to refresh MQIPT: `systemctl reload mqipt-@HAMQ.service` (seed line ~1072).
#[test]
fn systemctl_reload_refreshes_mqipt() {
    let lab = start();
    let conf = lab.var("LAB_MQIPT_CONF").to_string();
    let moved = sim::reference::MQIPT_CONF.replacen(sim::reference::WDC_LB, sim::reference::DAL_LB, 1);
    std::fs::write(&conf, &moved).unwrap();
    let reload = lab.ssh("wdc-bastion", "systemctl reload mqipt-@HAMQ.service");
    assert_code(&reload, 0, "systemctl reload");
    assert_eq!(stdout(&reload), "", "systemctl reload prints nothing when it works");
    let state: serde_json::Value = serde_json::from_slice(&lab.sim(&["state"]).stdout).unwrap();
    let route = &state["bastions"][0]["mqipt"][0]["active_routes"][0];
    assert_eq!(route["destination"], sim::reference::DAL_LB, "{route}");

    assert_code(&lab.sim(&["fault", "mqipt-down"]), 0, "mqipt-down");
    let failed = lab.ssh("wdc-bastion", "systemctl reload mqipt-@HAMQ.service");
    assert_code(&failed, 1, "reload of a stopped unit");
    assert_eq!(
        String::from_utf8_lossy(&failed.stderr),
        "mqipt-@HAMQ.service is not active, cannot reload.\n"
    );
    assert_code(&lab.ssh("wdc1-mq1", "systemctl reload mqipt-@HAMQ.service"), 5, "no such unit on a node");
}

/// Seed 000's HA failover test from the client host, through MQIPT: 50 messages put, the
/// primary node suspended, the 50 got back from the node that took over.
#[test]
fn the_seeds_client_test_through_mqipt_over_ssh() {
    let lab = start();
    let mqserver = lab.var("LAB_MQSERVER_DRHAQM1").to_string();
    let client = |command: &str| lab.ssh("wdc-mq-client", &format!("MQSERVER='{mqserver}' {command}"));
    let put = client("rdqmput -b10 -m5 -v1 DRHAQM1 MQIPT.LOCAL.QUEUE");
    assert_code(&put, 0, "rdqmput");
    assert_eq!(stdout(&put), seed("rdqmput_b10_m5.txt"));
    assert_code(&lab.ssh("wdc1-mq1", "rdqmadm -s"), 0, "rdqmadm -s");
    lab.wait_for("wdc2-mq1", "dspmq -a -x -s", std::time::Duration::from_secs(30), |out| out.contains("INSTANCE(wdc2-mq1) MODE(Active)"));
    let got = client("rdqmget -b10 -m5 -v1 DRHAQM1 MQIPT.LOCAL.QUEUE");
    assert_code(&got, 0, "rdqmget");
    assert_eq!(stdout(&got), seed("rdqmget_b10_m5.txt"));
    // Through a route that leads elsewhere, MQCONNX fails as an MQ client's does.
    let wrong = client("rdqmput -b1 -m1 -s0 DRHAQM2 MQIPT.LOCAL.QUEUE");
    assert_eq!(String::from_utf8_lossy(&wrong.stderr), "MQCONNX returned MQCC_FAILED\nReason is 2058\n");
    // IBM MQ's client samples are on the host's PATH too.
    let cnx = client("amqscnxc DRHAQM1");
    assert_code(&cnx, 0, "amqscnxc");
    assert!(stdout(&cnx).ends_with("Sample AMQSCNXC end\n"), "{}", stdout(&cnx));
    let get = client("amqsgetc MQIPT.LOCAL.QUEUE DRHAQM2");
    assert_code(&get, 2058 & 0xff, "amqsgetc exits with MQCONNX's reason as a process keeps it");
    assert_code(&lab.ssh("wdc-mq-client", "rdqmstatus"), 127, "no MQ server on the client host");

    // mqipt.conf edited to send route 1501 to DAL, not refreshed: MQIPT still routes the way
    // it loaded, so the client still reaches DRHAQM1 in WDC.
    let conf_path = lab.var("LAB_MQIPT_CONF");
    let edited = sim::reference::MQIPT_CONF.replacen(
        &format!("Destination={}\nDestinationPort=1501", sim::reference::WDC_LB),
        &format!("Destination={}\nDestinationPort=1501", sim::reference::DAL_LB),
        1,
    );
    assert_ne!(edited, sim::reference::MQIPT_CONF);
    std::fs::write(conf_path, &edited).unwrap();
    let unrefreshed = client("rdqmput -b1 -m1 -s0 DRHAQM1 MQIPT.LOCAL.QUEUE");
    assert!(stdout(&unrefreshed).ends_with("Completed\n"), "{unrefreshed:?}");
    // Refreshed, the route leads to DAL, where DRHAQM1 is only the DR secondary: no listener.
    assert_code(&lab.ssh("wdc-bastion", "mqiptAdmin -refresh -n HAMQ"), 0, "refresh");
    let standby = client("rdqmput -b1 -m1 -s0 DRHAQM1 MQIPT.LOCAL.QUEUE");
    assert_eq!(String::from_utf8_lossy(&standby.stderr), "MQCONNX returned MQCC_FAILED\nReason is 2538\n");
    assert!(!stdout(&standby).contains("Completed"));
}

/// TLS on the lab over SSH: what the queue managers loaded is in the state, a key repository
/// on a replicated volume is written only where its queue manager runs, a new certificate
/// shows only once refreshed, and amqssslc on the client host connects through MQIPT's
/// SSLServer/SSLClient route once the SVRCONN's planted SSLPEER is fixed.
#[test]
fn certificates_rotate_over_ssh_as_seed_000_does_by_hand() {
    let lab = start();
    let state = || -> serde_json::Value { serde_json::from_slice(&lab.sim(&["state"]).stdout).unwrap() };
    let loaded = state();
    let ssl = loaded["qmgrs"].as_array().unwrap().iter().find(|q| q["name"] == "SSLDRHAQM1").unwrap().clone();
    assert_eq!(ssl["tls"]["label"], "ssldrhaqm1certlabel", "{}", ssl["tls"]);
    let old_serial = ssl["tls"]["serial"].as_str().unwrap().to_string();
    let route = &loaded["bastions"][0]["mqipt"][0]["active_routes"][2];
    assert_eq!(route["tls"]["server"]["label"], "mqiptserver", "{route}");

    // Paths as the nodes see them (real paths as root, else inside the lab's directories).
    let root = lab.var("LAB_MQIPT_CONF").split("/hosts/").next().unwrap().to_string();
    let real = lab.var("LAB_REAL_PATHS") == "1";
    let on = |host: &str, path: &str| if real { path.to_string() } else { format!("{root}/hosts/{host}{path}") };
    let kdb = "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb";
    let create = |host: &str| {
        lab.ssh(host, &format!("runmqakm -cert -create -db {} -stashed -label rotated -dn 'CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US' -size 2048 -x509version 3 -expire 365 -sig_alg SHA256WithRSA", on(host, kdb)))
    };
    let refused = create("wdc2-mq1");
    assert_ne!(refused.status.code(), Some(0));
    assert!(stdout(&refused).starts_with("CTGSK3026W"), "{}", stdout(&refused));
    let made = create("wdc1-mq1");
    assert_code(&made, 0, "runmqakm -cert -create where SSLDRHAQM1 runs");
    assert_eq!(stdout(&made), "");
    let listed = lab.ssh("dal3-mq1", &format!("runmqakm -cert -list -db {} -stashed", on("dal3-mq1", kdb)));
    assert!(stdout(&listed).contains("-\trotated\n"), "replicated to every node: {}", stdout(&listed));

    // The partner trusts it, SSLDRHAQM1 presents it once refreshed.
    let arm = "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/rotated.arm";
    assert_code(&lab.ssh("wdc1-mq1", &format!("runmqakm -cert -extract -db {} -stashed -label rotated -target {} -format ascii", on("wdc1-mq1", kdb), on("wdc1-mq1", arm))), 0, "extract");
    let public = std::fs::read_to_string(format!("{root}/hosts/wdc1-mq1{arm}")).unwrap();
    std::fs::write(format!("{root}/hosts/dal1-mq1/tmp-rotated.arm"), public).unwrap();
    let drhaqm2 = "/var/mqm/vols/drhaqm2/qmgr/drhaqm2/ssl/drhaqm2KeyFile.kdb";
    let add = format!("runmqakm -cert -add -db {} -stashed -label rotated -file {root}/hosts/dal1-mq1/tmp-rotated.arm -format ascii", on("dal1-mq1", drhaqm2));
    assert_code(&lab.ssh("dal1-mq1", &add), 0, "add");
    let refresh = lab.ssh("dal1-mq1", "echo 'REFRESH SECURITY TYPE(SSL)' | runmqsc DRHAQM2");
    assert!(stdout(&refresh).contains("AMQ8560I: IBM MQ security cache refreshed."), "{}", stdout(&refresh));
    let status = |host: &str, qm: &str| stdout(&lab.ssh(host, &format!("echo 'DISPLAY CHSTATUS(SSLDRHAQM1.TO.DRHAQM2) ALL' | runmqsc {qm}")));
    assert!(status("dal1-mq1", "DRHAQM2").contains(&format!("SSLPEER(SERIALNUMBER={old_serial},")), "{}", status("dal1-mq1", "DRHAQM2"));
    let switch = lab.ssh("wdc1-mq1", "printf \"ALTER QMGR CERTLABL('rotated')\\nREFRESH SECURITY TYPE(SSL)\\n\" | runmqsc SSLDRHAQM1");
    assert_code(&switch, 0, "switch");
    let now = state();
    let serial = now["qmgrs"].as_array().unwrap().iter().find(|q| q["name"] == "SSLDRHAQM1").unwrap()["tls"]["serial"].as_str().unwrap().to_string();
    assert_ne!(serial, old_serial);
    let shown = status("dal1-mq1", "DRHAQM2");
    assert!(shown.contains("STATUS(RUNNING)") && shown.contains(&format!("SSLPEER(SERIALNUMBER={serial},CN=SSLDRHAQM1,")), "{shown}");

    // The client through MQIPT: refused by the SVRCONN's SSLPEER (AMQ9636E in its log), then in.
    let keyr = lab.var("LAB_CLIENT_KEYR").to_string();
    let sslc = || lab.ssh("wdc-mq-client", &format!("amqssslc -m SSLDRHAQM1 -c SSLDRHAQM1.MQIPT -x '10.241.1.4(1503)' -k {keyr} -l wdc-mq-client -s TLS_RSA_WITH_AES_256_GCM_SHA384"));
    let refused = sslc();
    assert_code(&refused, 2393 & 0xff, "amqssslc refused");
    assert!(stdout(&refused).ends_with("MQCONNX ended with reason code 2393\n"), "{}", stdout(&refused));
    let log = std::fs::read_to_string(format!("{root}/hosts/wdc1-mq1/var/mqm/qmgrs/SSLDRHAQM1/errors/AMQERR01.LOG")).unwrap();
    assert!(log.contains("AMQ9636E: SSL distinguished name does not match peer name, channel\n'SSLDRHAQM1.MQIPT'."), "{log}");
    let fix = lab.ssh("wdc1-mq1", "echo \"ALTER CHANNEL(SSLDRHAQM1.MQIPT) CHLTYPE(SVRCONN) SSLPEER('CN=mqipt-client,OU=IBM,C=US')\" | runmqsc SSLDRHAQM1");
    assert!(stdout(&fix).contains("AMQ8016I: IBM MQ channel changed."), "{}", stdout(&fix));
    let connected = sslc();
    assert_code(&connected, 0, "amqssslc");
    let text = stdout(&connected);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let stem = format!("Using SSL key repository stem {keyr}");
    assert_eq!(
        lines,
        [
            "Sample AMQSSSLC start",
            "Connecting to queue manager SSLDRHAQM1",
            "Using the server connection channel SSLDRHAQM1.MQIPT",
            "on connection name 10.241.1.4(1503).",
            "Using SSL CipherSpec TLS_RSA_WITH_AES_256_GCM_SHA384",
            stem.as_str(),
            "Certificate Label: wdc-mq-client",
            "No OCSP configuration specified.",
            "Connection established to queue manager SSLDRHAQM1",
            "Sample AMQSSSLC end",
        ]
    );
}
