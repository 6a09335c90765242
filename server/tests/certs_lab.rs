//! The certificate inventory against the lab's real certificates over SSH: every planted flaw
//! is found, with evidence, and nothing else is.

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
    // 5 entries in each of two key repositories, 3 + 2 in MQIPT's, and per node one certificate + one CA.
    assert_eq!(inventory.certificates.len(), 5 * 2 + 3 + 2 + 6 * 2, "{:#?}", inventory.certificates.iter().map(|c| (&c.host, &c.label)).collect::<Vec<_>>());

    let found: Vec<(String, String)> = inventory.findings.iter().map(|f| (f.code.clone(), f.subject.clone())).collect();
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
    let peer = inventory.findings.iter().find(|f| f.code == "channel_sslpeer").unwrap();
    assert!(peer.message.contains("AMQ9636E") && peer.message.contains("CN=mqipt-client"), "{}", peer.message);
    assert_eq!(inventory.channels.len(), 1, "{:?}", inventory.channels);
    let flawed = ["wdc-mq-client", "oldpartner", "legacyclient", "replication-node-3", "dal2-mq1", "SSLDRHAQM1.MQIPT"];
    for (code, subject) in &found {
        assert!(flawed.iter().any(|f| subject.ends_with(&format!(":{f}"))), "a good certificate was flagged: {code} {subject}");
    }
    let expiring = inventory.findings.iter().find(|f| f.code == "cert_expiring").unwrap();
    assert_eq!(expiring.severity, model::estate::Severity::Critical, "within 7 days is severe");
    assert!(expiring.evidence[0].command.starts_with("mqiptKeycmd -cert -details"), "{:?}", expiring.evidence);
    ssh.close_all().await;
}
