//! Tests of the channel cross-check (`channels.rs`).

use super::*;

fn channel(host: &str, qmgr: &str, name: &str, chltype: &str, sslciph: &str, sslpeer: &str) -> ChannelView {
    ChannelView {
        host: host.into(),
        qmgr: qmgr.into(),
        name: name.into(),
        chltype: chltype.into(),
        sslciph: sslciph.into(),
        sslcauth: "REQUIRED".into(),
        sslpeer: sslpeer.into(),
        certlabl: format!("{}certlabel", qmgr.to_ascii_lowercase()),
        own_certlabl: false,
        status: None,
    }
}

fn qm_cert(host: &str, qmgr: &str, serial: &str, subject: &str) -> CertView {
    CertView {
        host: host.into(),
        store: format!("/var/mqm/vols/{0}/qmgr/{0}/ssl/{0}KeyFile.kdb", qmgr.to_ascii_lowercase()),
        purpose: Purpose::QmgrKeyRepository { qmgr: qmgr.into() },
        label: format!("{}certlabel", qmgr.to_ascii_lowercase()),
        personal: true,
        trusted: false,
        subject: subject.into(),
        issuer: "CN=Lab Root CA,O=IBM,C=US".into(),
        serial: serial.into(),
        key_bits: Some(2048),
        signature: None,
        not_before: None,
        not_after: None,
        san_dns: Vec::new(),
    }
}

fn certs() -> Vec<CertView> {
    vec![
        qm_cert("wdc1-mq1", "QM1", "5ec87652da81965b", "CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US"),
        qm_cert("dal1-mq1", "QM2", "784026", "CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US"),
    ]
}

fn codes(findings: &[Finding]) -> Vec<(&str, &str)> {
    findings.iter().map(|f| (f.code.as_str(), f.subject.as_str())).collect()
}

#[test]
fn a_good_pair_gives_no_finding() {
    let channels = [
        channel("wdc1-mq1", "QM1", "QM1.TO.QM2", "SDR", "ANY_TLS12_OR_HIGHER", ""),
        channel("dal1-mq1", "QM2", "QM1.TO.QM2", "RCVR", "ANY_TLS12_OR_HIGHER", "CN=QM1,OU=SSL For MQ,O=IBM,C=US"),
    ];
    assert_eq!(channel_findings(&channels, &certs(), &[]), []);
}

#[test]
fn differing_cipherspecs_are_flagged_with_both_ends() {
    let mut sender = channel("dal1-mq1", "QM2", "QM2.TO.QM1", "SDR", "TLS_RSA_WITH_AES_128_CBC_SHA256", "");
    sender.status = Some(ChannelStatusView { status: "RETRYING".into(), conname: "lb(1501)".into(), ..Default::default() });
    let receiver = channel("wdc1-mq1", "QM1", "QM2.TO.QM1", "RCVR", "TLS_RSA_WITH_AES_256_GCM_SHA384", "");
    let findings = channel_findings(&[receiver, sender], &certs(), &[]);
    assert_eq!(codes(&findings), [("channel_sslciph_pair", "QM2:QM2.TO.QM1")]);
    let f = &findings[0];
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.message.contains("AMQ9631E") && f.message.contains("the sender is RETRYING"), "{}", f.message);
    let hosts: Vec<&str> = f.evidence.iter().map(|e| e.host.as_str()).collect();
    assert_eq!(hosts, ["dal1-mq1", "dal1-mq1", "wdc1-mq1"], "definition + status of the sender, definition of the receiver");
    assert_eq!(f.evidence[0].command, "runmqsc QM2 (DISPLAY CHANNEL(QM2.TO.QM1))");
    assert_eq!(f.evidence[0].lines, ["CHLTYPE(SDR)", "SSLCIPH(TLS_RSA_WITH_AES_128_CBC_SHA256)"]);
    assert_eq!(f.evidence[1].command, "runmqsc QM2 (DISPLAY CHSTATUS(QM2.TO.QM1) SSLPEER SSLCERTI)");
    assert!(f.evidence[1].lines.contains(&"STATUS(RETRYING)".to_string()) && f.evidence[1].lines.contains(&"SSLPEER( )".to_string()));
    assert_eq!(f.evidence[2].lines, ["CHLTYPE(RCVR)", "SSLCIPH(TLS_RSA_WITH_AES_256_GCM_SHA384)"]);
}

#[test]
fn tls_at_one_end_only_cannot_start() {
    let channels = [channel("wdc1-mq1", "QM1", "QM1.TO.QM2", "SDR", "", ""), channel("dal1-mq1", "QM2", "QM1.TO.QM2", "RCVR", "ANY_TLS12", "")];
    let findings = channel_findings(&channels, &certs(), &[]);
    assert_eq!(codes(&findings), [("channel_sslciph_pair", "QM1:QM1.TO.QM2")]);
    assert!(findings[0].message.contains("only one end"), "{}", findings[0].message);
    assert!(findings[0].evidence[0].lines.contains(&"SSLCIPH( )".to_string()));
}

#[test]
fn only_real_pairs_are_compared() {
    let channels = [
        // Same name, types that do not pair; same queue manager; other names.
        channel("wdc1-mq1", "QM1", "A", "SDR", "TLS_RSA_WITH_AES_128_CBC_SHA256", ""),
        channel("dal1-mq1", "QM2", "A", "SDR", "TLS_RSA_WITH_AES_256_GCM_SHA384", ""),
        channel("wdc1-mq1", "QM1", "B", "SDR", "TLS_RSA_WITH_AES_128_CBC_SHA256", ""),
        channel("wdc1-mq1", "QM1", "B", "RCVR", "TLS_RSA_WITH_AES_256_GCM_SHA384", ""),
        channel("dal1-mq1", "QM2", "C", "RCVR", "TLS_RSA_WITH_AES_256_GCM_SHA384", ""),
    ];
    assert_eq!(channel_findings(&channels, &certs(), &[]), []);
}

#[test]
fn pairs_of_every_kind() {
    assert_eq!(pair_end("SDR", "RCVR"), Some(End::Sender));
    assert_eq!(pair_end("rcvr", "sdr"), Some(End::Receiver));
    assert_eq!(pair_end("SVR", "RQSTR"), Some(End::Sender));
    assert_eq!(pair_end("CLUSRCVR", "CLUSSDR"), Some(End::Receiver));
    assert_eq!(pair_end("SDR", "SDR"), None);
    assert_eq!(pair_end("SVRCONN", "CLNTCONN"), None);
    assert!(is_message_channel("RQSTR") && !is_message_channel("SVRCONN"));
    // A requester starts the handshake: the alias rules are read from its side.
    let channels = [
        channel("wdc1-mq1", "QM1", "S", "SVR", "TLS_RSA_WITH_AES_256_GCM_SHA384", ""),
        channel("dal1-mq1", "QM2", "S", "RQSTR", "ANY_TLS12", ""),
    ];
    let findings = channel_findings(&channels, &certs(), &[]);
    assert_eq!(codes(&findings), [("channel_sslciph_pair", "QM1:S")]);
    assert_eq!(findings[0].severity, Severity::Warning);
}

/// IBM's table "Expected behavior when TLS 1.3 is enabled on both the client and server"
/// (client down, server across), with "likely to fail" and "fails only with TLS 1.3" as MayFail.
#[test]
fn alias_cipherspecs_follow_ibms_table() {
    use CipherFit::*;
    let tls12 = "TLS_RSA_WITH_AES_256_GCM_SHA384";
    let tls13 = "TLS_AES_256_GCM_SHA384";
    let cases = [
        (tls12, tls12, Match),
        (tls12, "TLS_RSA_WITH_AES_128_CBC_SHA256", Mismatch),
        (tls12, tls13, Mismatch),
        (tls12, "ANY", Match),
        (tls12, "ANY_TLS12", Match),
        (tls12, "ANY_TLS13", Mismatch),
        (tls12, "ANY_TLS12_OR_HIGHER", Match),
        (tls12, "ANY_TLS13_OR_HIGHER", Mismatch),
        (tls13, "ANY_TLS12", Mismatch),
        (tls13, "ANY", Match),
        ("ANY", tls12, MayFail),
        ("ANY", "ANY_TLS12", MayFail),
        ("ANY", "ANY_TLS13", Match),
        ("ANY_TLS12", tls12, MayFail),
        ("ANY_TLS12", tls13, Mismatch),
        ("ANY_TLS12", "ANY_TLS13_OR_HIGHER", Mismatch),
        ("ANY_TLS12", "ANY_TLS12_OR_HIGHER", Match),
        ("ANY_TLS13", tls12, Mismatch),
        ("ANY_TLS12_OR_HIGHER", "ANY_TLS12_OR_HIGHER", Match),
        ("any_tls12_or_higher", " ANY_TLS12_OR_HIGHER ", Match),
        ("TLS_RSA_WITH_AES_128_CBC_SHA", "ANY_TLS12_OR_HIGHER", Mismatch),
        ("", "", Match),
        ("", "ANY", Mismatch),
    ];
    for (client, server, want) in cases {
        assert_eq!(cipher_fit(client, server).0, want, "{client} -> {server}");
    }
}

#[test]
fn a_receivers_sslpeer_the_senders_certificate_fails_is_flagged() {
    let channels = [
        channel("wdc1-mq1", "QM1", "QM1.TO.QM2", "SDR", "ANY_TLS12_OR_HIGHER", ""),
        channel("dal1-mq1", "QM2", "QM1.TO.QM2", "RCVR", "ANY_TLS12_OR_HIGHER", "CN=John Cena, OU=Test, O=IBM, C=GB"),
    ];
    let findings = channel_findings(&channels, &certs(), &[]);
    assert_eq!(codes(&findings), [("channel_sslpeer", "QM2:QM1.TO.QM2")]);
    let f = &findings[0];
    assert!(f.message.contains("AMQ9636E") && f.message.contains("CN=QM1,OU=SSL For MQ"), "{}", f.message);
    let hosts: Vec<&str> = f.evidence.iter().map(|e| e.host.as_str()).collect();
    assert_eq!(hosts, ["dal1-mq1", "wdc1-mq1", "wdc1-mq1"]);
    assert_eq!(f.evidence[0].lines[1], "SSLPEER(CN=John Cena, OU=Test, O=IBM, C=GB)");
    assert_eq!(f.evidence[1].lines[1], "CERTLABL(qm1certlabel)");
    assert_eq!(f.evidence[2].lines[0], "Serial : 5ec87652da81965b");

    // The seed's fix: SSLPEER set to the DN the receiver saw, serial number included.
    let mut fixed = channels.clone();
    fixed[1].sslpeer = "SERIALNUMBER=5E:C8:76:52:DA:81:96:5B,CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US".into();
    assert_eq!(channel_findings(&fixed, &certs(), &[]), []);

    // The sender checks the receiver's certificate too.
    let mut sender_checks = channels.clone();
    sender_checks[1].sslpeer.clear();
    sender_checks[0].sslpeer = "CN=QM3".into();
    assert_eq!(codes(&channel_findings(&sender_checks, &certs(), &[])), [("channel_sslpeer", "QM1:QM1.TO.QM2")]);

    // Without the sender's key repository inventoried, nothing is claimed.
    assert_eq!(channel_findings(&channels, &certs()[1..], &[]), []);
}

#[test]
fn the_mqipt_checks_still_hold() {
    let mut svrconn = channel("wdc1-mq1", "QM1", "QM1.MQIPT", "SVRCONN", "TLS_RSA_WITH_AES_128_CBC_SHA256", "CN=mqipt-gateway,OU=IBM,C=US");
    svrconn.certlabl = "nolabel".into();
    let mut client = qm_cert("wdc-bastion", "x", "01", "CN=mqipt-client,OU=IBM,C=US");
    client.purpose = Purpose::MqiptClient { instance: "HAMQ".into() };
    let mut certs = certs();
    certs.push(client);
    let route = RouteTls { instance: "HAMQ".into(), qmgr: "QM1".into(), listener_port: "1503".into(), ssl_client: true, client_cipher_suites: Some("SSL_RSA_WITH_AES_256_GCM_SHA384".into()) };
    let findings = channel_findings(&[svrconn], &certs, &[route]);
    let mut found = codes(&findings);
    found.sort();
    assert_eq!(found, [("channel_certlabl", "QM1:QM1.MQIPT"), ("channel_sslciph", "QM1:QM1.MQIPT"), ("channel_sslpeer", "QM1:QM1.MQIPT")]);
}
