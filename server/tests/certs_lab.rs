//! The certificate inventory against the lab's real certificates over SSH: every planted flaw
//! is found, with evidence, and nothing else is; channels show the status `runmqsc` reports.

use model::estate::FindingCode;
use console::certs::CertCollector;
use console::config::Config;
use console::fleet::RemoteExec;
use sim::lab::Lab;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flawed_certificate_is_flagged_and_only_those() {
    let lab = Lab::start_default();
    let config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).expect("lab config is valid");
    let control = tempfile::Builder::new().prefix("rc").tempdir_in("/tmp").unwrap();
    let ssh = Arc::new(config.ssh_exec(control.path().to_path_buf()));
    let poller = Arc::new(console::fleet::poller::Poller::new(config.inventory(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_secs(60), Duration::from_secs(10)));
    poller.refresh().await;
    let mut collector = CertCollector::new(&config, ssh.clone() as Arc<dyn RemoteExec>);
    collector.poller = Some(poller);
    let inventory = collector.collect().await;
    assert!(inventory.errors.is_empty(), "{:#?}", inventory.errors);
    // The estate's findings say so too, as one finding that counts them (from the next refresh).
    let snapshot = collector.poller.as_ref().expect("set above").refresh().await;
    let summary = snapshot.findings.iter().find(|f| f.code == FindingCode::Certificates).expect("the estate mentions the certificates");
    assert_eq!(summary.severity, model::estate::Severity::Critical);
    assert!(summary.message.contains("see the Certificates page"), "{}", summary.message);
    assert_eq!(summary.evidence[0].lines.len(), inventory.findings.len());
    assert_eq!(snapshot.findings[0].severity, model::estate::Severity::Critical, "most severe first");
    // 5 entries in each of SSLDRHAQM1's two key repositories, 2 in each of DRHAQM2's, 3 + 2 in
    // MQIPT's, and per node one certificate + one CA.
    assert_eq!(inventory.certificates.len(), 5 * 2 + 2 * 2 + 3 + 2 + 6 * 2, "{:#?}", inventory.certificates.iter().map(|c| (&c.host, &c.label)).collect::<Vec<_>>());

    let found: Vec<(String, String)> = inventory.findings.iter().map(|f| (f.code.to_string(), f.subject.clone())).collect();
    let expect = |code: &str, subject: &str| {
        assert!(found.iter().any(|(c, s)| c == code && s == subject), "missing {code} for {subject}: {found:#?}");
    };
    expect("cert_expiring", "wdc-bastion:wdc-mq-client");
    expect("cert_expired", "wdc1-mq1:oldpartner");
    expect("cert_expired", "dal1-mq1:oldpartner");
    expect("cert_weak_key", "wdc1-mq1:legacyclient");
    expect("cert_hostname", "dal3-mq1:replication-node-3");
    expect("cert_untrusted", "dal2-mq1:dal2-mq1");
    // The channel MQIPT connects to: its SSLPEER refuses MQIPT's client certificate.
    expect("channel_sslpeer", "SSLDRHAQM1:SSLDRHAQM1.MQIPT");
    let peer = inventory.findings.iter().find(|f| f.code == FindingCode::ChannelSslpeer).unwrap();
    assert!(peer.message.contains("AMQ9636E") && peer.message.contains("CN=mqipt-client"), "{}", peer.message);
    // SSLDRHAQM1's SVRCONN and both ends of its two channels with DRHAQM2.
    assert_eq!(inventory.channels.len(), 5, "{:#?}", inventory.channels);
    // The sender/receiver pair whose CipherSpecs differ: flagged with both queue managers' evidence.
    expect("channel_sslciph_pair", "DRHAQM2:DRHAQM2.TO.SSLDRHAQM1");
    let pair = inventory.findings.iter().find(|f| f.code == FindingCode::ChannelSslciphPair).unwrap();
    assert_eq!(pair.severity, model::estate::Severity::Critical);
    assert!(pair.message.contains("AMQ9631E") && pair.message.contains("RETRYING"), "{}", pair.message);
    let ends: Vec<(&str, &str)> = pair.evidence.iter().map(|e| (e.host.as_str(), e.command.as_str())).collect();
    assert_eq!(
        ends,
        [
            ("dal1-mq1", "runmqsc DRHAQM2 (DISPLAY CHANNEL(DRHAQM2.TO.SSLDRHAQM1))"),
            ("dal1-mq1", "runmqsc DRHAQM2 (DISPLAY CHSTATUS(DRHAQM2.TO.SSLDRHAQM1) SSLPEER SSLCERTI)"),
            ("wdc1-mq1", "runmqsc SSLDRHAQM1 (DISPLAY CHANNEL(DRHAQM2.TO.SSLDRHAQM1))"),
        ]
    );
    assert!(pair.evidence[0].lines.contains(&"SSLCIPH(TLS_RSA_WITH_AES_128_CBC_SHA256)".to_string()), "{:?}", pair.evidence);
    assert!(pair.evidence[2].lines.contains(&"SSLCIPH(TLS_RSA_WITH_AES_256_GCM_SHA384)".to_string()), "{:?}", pair.evidence);

    // The good pair runs, each end showing the certificate its partner presented (the lab's
    // real ones, as the inventory read them from the key repositories).
    let channel = |qmgr: &str, name: &str| inventory.channels.iter().find(|c| c.qmgr == qmgr && c.name == name).unwrap_or_else(|| panic!("{qmgr} {name}"));
    let qm_cert = |host: &str, qmgr: &str| {
        inventory
            .certificates
            .iter()
            .find(|c| c.host == host && c.personal && c.purpose == model::certs::Purpose::QmgrKeyRepository { qmgr: qmgr.into() })
            .unwrap_or_else(|| panic!("{qmgr}'s certificate on {host}"))
    };
    let sender = channel("SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2").status.clone().expect("the good sender has a status");
    let drhaqm2 = qm_cert("dal1-mq1", "DRHAQM2");
    assert_eq!(sender.status, "RUNNING");
    assert_eq!(sender.sslpeer, model::certs::peer_dn(drhaqm2));
    assert!(sender.sslpeer.starts_with("SERIALNUMBER=") && sender.sslpeer.contains(",CN=DRHAQM2,OU=SSL For MQ,O=IBM,ST=MA,C=US"), "{}", sender.sslpeer);
    assert_eq!(sender.sslcerti, drhaqm2.issuer);
    assert_eq!(sender.conname, "e8deec77-us-south.lb.appdomain.cloud(1502)");
    let receiver = channel("DRHAQM2", "SSLDRHAQM1.TO.DRHAQM2").status.clone().expect("the good receiver has a status");
    assert_eq!((receiver.status.as_str(), receiver.sslpeer.clone()), ("RUNNING", model::certs::peer_dn(qm_cert("wdc1-mq1", "SSLDRHAQM1"))));
    // The flawed pair: the sender retries with no peer, its receiver has no status.
    let retrying = channel("DRHAQM2", "DRHAQM2.TO.SSLDRHAQM1").status.clone().expect("the flawed sender has a status");
    assert_eq!((retrying.status.as_str(), retrying.sslpeer.as_str()), ("RETRYING", ""));
    assert_eq!(channel("SSLDRHAQM1", "DRHAQM2.TO.SSLDRHAQM1").status, None);
    assert!(!found.iter().any(|(_, s)| s.ends_with(":SSLDRHAQM1.TO.DRHAQM2")), "the good pair was flagged: {found:#?}");

    let flawed = ["wdc-mq-client", "oldpartner", "legacyclient", "replication-node-3", "dal2-mq1", "SSLDRHAQM1.MQIPT", "DRHAQM2.TO.SSLDRHAQM1"];
    for (code, subject) in &found {
        assert!(flawed.iter().any(|f| subject.ends_with(&format!(":{f}"))), "a good certificate was flagged: {code} {subject}");
    }
    let expiring = inventory.findings.iter().find(|f| f.code == FindingCode::CertExpiring).unwrap();
    assert_eq!(expiring.severity, model::estate::Severity::Critical, "within 7 days is severe");
    assert!(expiring.evidence[0].command.starts_with("mqiptKeycmd -cert -details"), "{:?}", expiring.evidence);
    ssh.close_all().await;
}
