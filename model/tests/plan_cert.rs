//! Certificate rotation and retirement plans on the reference estate (seed 000's SSLDRHAQM1
//! and MQIPT's keystores), whole, as insta snapshots; and the refusals that matter most: a new
//! DN a partner's SSLPEER would refuse, a certificate still presented.
#![allow(clippy::unwrap_used)]

use model::certs::{CertInventory, CertView, ChannelStatusView, ChannelView, Purpose};
use model::estate::{Inventory, InventoryKeystore, Snapshot};
use model::intent::RotateMode;
use model::plan::{self, CheckStatus, ConfRead, Intent, PlanContext, PreconditionCode};
use model::plan_cert::TlsClientCheck;

const SNAPSHOT: &str = include_str!("fixtures/reference-snapshot.json");
const INVENTORY: &str = include_str!("fixtures/reference-inventory.json");
const MQIPT_CONF: &str = include_str!("fixtures/reference-mqipt.conf");
const CONF_PATH: &str = "/opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf";
const SSL_KDB: &str = "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb";
const QM2_KDB: &str = "/var/mqm/vols/drhaqm2/qmgr/drhaqm2/ssl/drhaqm2KeyFile.kdb";
const CLIENT_PFX: &str = "/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-client.pfx";
const SERVER_PFX: &str = "/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-server.pfx";
const CA: &str = "CN=Lab Root CA,O=IBM,C=US";
const SSL_DN: &str = "CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US";

fn cert(host: &str, store: &str, purpose: Purpose, label: &str, personal: bool, subject: &str, serial: &str) -> CertView {
    CertView {
        host: host.into(),
        store: store.into(),
        purpose,
        label: label.into(),
        personal,
        trusted: !personal,
        subject: subject.into(),
        issuer: CA.into(),
        serial: serial.into(),
        key_bits: Some(2048),
        signature: Some("SHA256WithRSASignature".into()),
        not_before: Some(1_700_000_000_000),
        not_after: Some(1_900_000_000_000),
        san_dns: Vec::new(),
    }
}

fn qm(name: &str) -> Purpose {
    Purpose::QmgrKeyRepository { qmgr: name.into() }
}

fn channel(host: &str, qmgr: &str, name: &str, chltype: &str, sslpeer: &str, certlabl: &str, peer: Option<&str>) -> ChannelView {
    ChannelView {
        host: host.into(),
        qmgr: qmgr.into(),
        name: name.into(),
        chltype: chltype.into(),
        sslciph: "ANY_TLS12_OR_HIGHER".into(),
        sslcauth: "REQUIRED".into(),
        sslpeer: sslpeer.into(),
        certlabl: certlabl.into(),
        own_certlabl: false,
        status: peer.map(|p| ChannelStatusView { status: "RUNNING".into(), conname: "10.241.2.5(1502)".into(), sslpeer: p.into(), sslcerti: CA.into() }),
    }
}

/// The lab's certificates as the console inventories them.
fn inventory() -> CertInventory {
    let client = Purpose::MqiptClient { instance: "HAMQ".into() };
    let server = Purpose::MqiptServer { instance: "HAMQ".into() };
    let mut certificates = Vec::new();
    for host in ["wdc1-mq1", "dal1-mq1"] {
        certificates.push(cert(host, SSL_KDB, qm("SSLDRHAQM1"), "ssldrhaqm1certlabel", true, SSL_DN, "03e9"));
        certificates.push(cert(host, SSL_KDB, qm("SSLDRHAQM1"), "Lab Root CA", false, CA, "01"));
        certificates.push(cert(host, SSL_KDB, qm("SSLDRHAQM1"), "mqiptclient", false, "CN=mqipt-client,OU=IBM,C=US", "03ec"));
        certificates.push(cert(host, QM2_KDB, qm("DRHAQM2"), "drhaqm2certlabel", true, "CN=DRHAQM2,OU=SSL For MQ,O=IBM,ST=MA,C=US", "03ea"));
        certificates.push(cert(host, QM2_KDB, qm("DRHAQM2"), "Lab Root CA", false, CA, "01"));
    }
    certificates.push(cert("wdc-bastion", CLIENT_PFX, client.clone(), "mqiptclient", true, "CN=mqipt-client,OU=IBM,C=US", "03ec"));
    certificates.push(cert("wdc-bastion", CLIENT_PFX, client, "Lab Root CA", false, CA, "01"));
    certificates.push(cert("wdc-bastion", SERVER_PFX, server.clone(), "mqiptserver", true, "CN=mqipt-server,OU=IBM,C=US", "03eb"));
    certificates.push(cert("wdc-bastion", SERVER_PFX, server, "Lab Root CA", false, CA, "01"));
    let channels = vec![
        channel("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2", "SDR", "", "ssldrhaqm1certlabel", Some("SERIALNUMBER=03:EA,CN=DRHAQM2,OU=SSL For MQ,O=IBM,ST=MA,C=US")),
        channel("dal1-mq1", "DRHAQM2", "SSLDRHAQM1.TO.DRHAQM2", "RCVR", "CN=SSLDRHAQM1,OU=SSL For MQ", "drhaqm2certlabel", Some("SERIALNUMBER=03:E9,CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US")),
        channel("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.MQIPT", "SVRCONN", "CN=mqipt-client", "ssldrhaqm1certlabel", None),
    ];
    let qmgr_labels = [("SSLDRHAQM1".to_string(), "ssldrhaqm1certlabel".to_string()), ("DRHAQM2".to_string(), "drhaqm2certlabel".to_string())].into();
    CertInventory { collected_at: 1, certificates, channels, errors: Vec::new(), findings: Vec::new(), qmgr_labels, tlshd: Vec::new() }
}

fn plan_with(intent: Intent, certs: &CertInventory) -> plan::Plan {
    let snapshot: Snapshot = serde_json::from_str(SNAPSHOT).unwrap();
    let mut inventory: Inventory = serde_json::from_str(INVENTORY).unwrap();
    inventory.keystores = vec![
        InventoryKeystore { host: "wdc1-mq1".into(), path: SSL_KDB.into(), purpose: qm("SSLDRHAQM1") },
        InventoryKeystore { host: "wdc-bastion".into(), path: CLIENT_PFX.into(), purpose: Purpose::MqiptClient { instance: "HAMQ".into() } },
    ];
    if matches!(&intent, Intent::CertRotate { host, .. } if host == "wdc1-mq1" || host == "wdc-bastion") {
        assert_eq!(intent.mqipt_instance(&inventory), Some("HAMQ"), "a rotation reads MQIPT's configuration");
    }
    let ctx = PlanContext {
        snapshot: &snapshot,
        inventory: &inventory,
        conf: Some(ConfRead { instance: "HAMQ".into(), host: "wdc-bastion".into(), path: CONF_PATH.into(), text: Ok(MQIPT_CONF.into()) }),
        backup_text: None,
        operator: true,
        held_locks: Vec::new(),
        last_switchover_at: None,
        flap_window_ms: 15 * 60_000,
        now_ms: 1_796_400_000_000,
        refresh: ("mqiptAdmin".into(), vec!["-refresh".into(), "-n".into(), "HAMQ".into()], Some("MQCAI025".into())),
        certs: Some(certs),
        client: None,
        cert_policy: Default::default(),
        tls_clients: vec![TlsClientCheck {
            host: "wdc-mq-client".into(),
            qmgr: "SSLDRHAQM1".into(),
            channel: "SSLDRHAQM1.MQIPT".into(),
            conname: "10.241.1.4(1503)".into(),
            keyr: "/var/mqm/keys/mq_cloud_keys".into(),
            certlabl: "wdc-mq-client".into(),
            cipher: "TLS_RSA_WITH_AES_256_GCM_SHA384".into(),
        }],
    };
    plan::plan(&ctx, &intent, "1796400000000")
}

fn rotate(host: &str, store: &str, label: &str, subject: Option<&str>) -> Intent {
    Intent::CertRotate { host: host.into(), store: store.into(), label: label.into(), subject: subject.map(str::to_string), mode: RotateMode::SelfSigned }
}

#[test]
fn rotate_the_queue_managers_certificate() {
    insta::assert_json_snapshot!(plan_with(rotate("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel", None), &inventory()));
}

#[test]
fn rotate_the_queue_managers_certificate_by_signing_request() {
    let intent = Intent::CertRotate { host: "wdc1-mq1".into(), store: SSL_KDB.into(), label: "ssldrhaqm1certlabel".into(), subject: None, mode: RotateMode::Csr };
    insta::assert_json_snapshot!(plan_with(intent, &inventory()));
}

#[test]
fn rotate_mqipts_client_certificate() {
    insta::assert_json_snapshot!(plan_with(rotate("wdc-bastion", CLIENT_PFX, "mqiptclient", None), &inventory()));
}

#[test]
fn a_new_dn_the_partners_sslpeer_refuses_is_blocked_with_the_filter_and_the_dn() {
    let p = plan_with(rotate("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel", Some("CN=SSLDRHAQM9,OU=SSL For MQ,O=IBM,C=US")), &inventory());
    let block = p.preconditions.iter().find(|c| c.code == PreconditionCode::Sslpeer && c.status == CheckStatus::Block).unwrap();
    assert!(block.message.contains("AMQ9636E") && block.message.contains("DRHAQM2"), "{}", block.message);
    assert_eq!(block.evidence[0].lines[..2], ["SSLPEER('CN=SSLDRHAQM1,OU=SSL For MQ')", "new DN: CN=SSLDRHAQM9,OU=SSL For MQ,O=IBM,C=US"]);
    assert!(p.steps.is_empty());
}

#[test]
fn a_queue_manager_that_runs_nowhere_cannot_have_its_key_repository_changed() {
    let mut snapshot: Snapshot = serde_json::from_str(SNAPSHOT).unwrap();
    for q in &mut snapshot.qmgrs {
        q.running_on = None;
    }
    let json = serde_json::to_string(&snapshot).unwrap();
    assert!(json.contains("SSLDRHAQM1"));
    let inv = inventory();
    let inventory: Inventory = serde_json::from_str(INVENTORY).unwrap();
    let ctx = PlanContext {
        snapshot: &snapshot,
        inventory: &inventory,
        conf: None,
        backup_text: None,
        operator: true,
        held_locks: Vec::new(),
        last_switchover_at: None,
        flap_window_ms: 0,
        now_ms: 0,
        refresh: ("true".into(), Vec::new(), None),
        certs: Some(&inv),
        client: None,
        cert_policy: Default::default(),
        tls_clients: Vec::new(),
    };
    let p = plan::plan(&ctx, &rotate("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel", None), "1");
    let block = p.preconditions.iter().find(|c| c.code == PreconditionCode::WrittenOn).unwrap();
    assert_eq!(block.status, CheckStatus::Block);
    assert!(block.message.contains("mounted only where it runs"), "{}", block.message);
}

#[test]
fn retiring_a_certificate_still_presented_is_blocked_and_a_retired_one_is_removed_everywhere() {
    let mut inv = inventory();
    let in_use = plan_with(Intent::CertRetire { host: "wdc1-mq1".into(), store: SSL_KDB.into(), label: "ssldrhaqm1certlabel".into() }, &inv);
    let reasons: Vec<&str> = in_use.preconditions.iter().filter(|c| c.status == CheckStatus::Block).map(|c| c.message.as_str()).collect();
    assert!(reasons.iter().any(|r| r.contains("CERTLABL is ssldrhaqm1certlabel")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("last saw this certificate")), "{reasons:?}");
    // After a rotation: the QM presents the new one, the old one is trusted by DRHAQM2 too.
    inv.qmgr_labels.insert("SSLDRHAQM1".into(), "ssldrhaqm1certlabel-202612052130".into());
    inv.channels[1].status.as_mut().unwrap().sslpeer = "SERIALNUMBER=0F:A1,CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US".into();
    inv.certificates.push(cert("dal1-mq1", QM2_KDB, qm("DRHAQM2"), "ssldrhaqm1certlabel", false, SSL_DN, "03e9"));
    insta::assert_json_snapshot!(plan_with(Intent::CertRetire { host: "wdc1-mq1".into(), store: SSL_KDB.into(), label: "ssldrhaqm1certlabel".into() }, &inv));
}

#[test]
fn a_replication_certificate_without_the_host_name_is_rotated_to_one_with_it() {
    let mut inv = inventory();
    for node in ["wdc1-mq1", "dal1-mq1", "dal3-mq1"] {
        let purpose = Purpose::Replication { node: node.into() };
        let subject = if node == "dal3-mq1" { "CN=replication-node-3".to_string() } else { format!("CN={node}") };
        let mut own = cert(node, &format!("/etc/drbd.d/{node}.crt"), purpose.clone(), "replication", true, &subject, "0a");
        if node != "dal3-mq1" {
            own.san_dns = vec![node.into()];
        }
        inv.certificates.push(own);
        inv.certificates.push(cert(node, "/etc/drbd.d/lab_root_ca.crt", purpose, "Lab Root CA", false, CA, "01"));
        inv.tlshd.push(model::certs::TlshdFiles {
            node: node.into(),
            conf: "/etc/tlshd.conf".into(),
            certificate: format!("/etc/drbd.d/{node}.crt"),
            private_key: format!("/etc/drbd.d/{node}.key"),
            truststore: "/etc/drbd.d/lab_root_ca.crt".into(),
        });
    }
    let findings = model::certs::findings(&inv.certificates, &[], 1_796_400_000_000);
    let proposed: Vec<&str> = findings.iter().filter(|f| f.code == model::estate::FindingCode::CertHostname).map(|f| f.subject.as_str()).collect();
    assert_eq!(proposed, ["dal3-mq1:replication"], "the finding names the certificate the Rotate action plans for");
    let p = plan_with(rotate("dal3-mq1", "/etc/drbd.d/dal3-mq1.crt", "replication", None), &inv);
    insta::assert_json_snapshot!(p);
}

#[test]
fn a_signer_that_issued_certificates_in_use_is_not_retired() {
    let p = plan_with(Intent::CertRetire { host: "dal1-mq1".into(), store: QM2_KDB.into(), label: "Lab Root CA".into() }, &inventory());
    let block = p.preconditions.iter().find(|c| c.code == PreconditionCode::InUse && c.status == CheckStatus::Block).unwrap();
    assert!(block.message.starts_with("CN=Lab Root CA,O=IBM,C=US issued certificates still in use (ssldrhaqm1certlabel in"), "{}", block.message);
    assert!(p.steps.is_empty());
}

#[test]
fn labels_carry_the_minute_of_the_plan_and_never_grow() {
    assert_eq!(model::plan_cert::next_label("ssldrhaqm1certlabel", "1796400000000"), "ssldrhaqm1certlabel-202612041600");
    assert_eq!(model::plan_cert::next_label("ssldrhaqm1certlabel-202612041600", "1796400060000"), "ssldrhaqm1certlabel-202612041601");
    assert_eq!(model::plan_cert::next_label("Lab Root CA", "1796400000000"), "Lab_Root_CA-202612041600");
}
