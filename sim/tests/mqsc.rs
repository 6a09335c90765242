//! `runmqsc` on the simulated queue managers: `DISPLAY CHSTATUS` in seed 000's layout, decided
//! from both ends of each channel and the certificates they present.
//!
//! `tests/pki/` holds real certificates made once with OpenSSL (a CA, SSLDRHAQM1 with serial
//! 5EC87652DA81965B, DRHAQM2 with serial 78402654E5D480E4); the key repositories are the lab's
//! JSON manifests, kept in memory at the paths MQ uses.

mod common;

use common::Lab;
use sim::commands::Outcome;
use sim::fs::{HostFs, MemFs};

const SSLDRHAQM1_DN: &str = "SERIALNUMBER=5E:C8:76:52:DA:81:96:5B,CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US";
const DRHAQM2_DN: &str = "SERIALNUMBER=78:40:26:54:E5:D4:80:E4,CN=DRHAQM2,OU=SSL For MQ,O=IBM,ST=MA,C=US";

fn pem(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/pki/{name}.pem", env!("CARGO_MANIFEST_DIR"))).expect("test certificate")
}

/// A key repository as the lab writes it: a manifest beside a directory of PEM files.
fn key_repository(fs: &MemFs, qmgr: &str, cert: &str) {
    let dir = format!("/var/mqm/vols/{qmgr}/qmgr/{qmgr}/ssl");
    let personal = format!("{qmgr}certlabel");
    fs.write(&format!("{dir}/{qmgr}KeyFile.kdb.certs/{personal}.pem"), &pem(cert)).expect("in memory");
    fs.write(&format!("{dir}/{qmgr}KeyFile.kdb.certs/Lab Root CA.pem"), &pem("labca")).expect("in memory");
    let manifest = format!(
        r#"{{"kind":"cms","stashed":true,"entries":[{{"label":"{personal}","certificate":"{qmgr}KeyFile.kdb.certs/{personal}.pem","personal":true,"default":true}},{{"label":"Lab Root CA","certificate":"{qmgr}KeyFile.kdb.certs/Lab Root CA.pem","personal":false,"default":false}}]}}"#
    );
    fs.write(&format!("{dir}/{qmgr}KeyFile.kdb"), &manifest).expect("in memory");
}

/// The reference estate with SSLDRHAQM1's and DRHAQM2's key repositories in place.
fn with_key_repositories() -> Lab {
    let lab = Lab::new();
    key_repository(&lab.fs, "ssldrhaqm1", "ssldrhaqm1");
    key_repository(&lab.fs, "drhaqm2", "drhaqm2");
    lab
}

impl Lab {
    fn runmqsc(&mut self, host: &str, qmgr: &str, input: &str) -> Outcome {
        self.run_with_input(host, &format!("runmqsc {qmgr}"), input)
    }

    /// The blocks after the echo of the first command, up to the blank line that ends it.
    fn answer(&mut self, host: &str, qmgr: &str, command: &str) -> String {
        let out = self.runmqsc(host, qmgr, command).stdout;
        let start = out.find(" : ").and_then(|i| out[i..].find('\n').map(|j| i + j + 1)).expect("the command's echo");
        out[start..].split("\n\n").next().unwrap_or_default().to_string() + "\n"
    }
}

#[test]
fn the_good_pair_runs_and_shows_each_partners_real_certificate() {
    let mut sim = with_key_repositories();
    let sender = sim.answer("wdc1-mq1", "SSLDRHAQM1", "DISPLAY CHS(SSLDRHAQM1.TO.DRHAQM2) SSLPEER SSLCERTI");
    assert_eq!(
        sender,
        format!(
            "AMQ8417I: Display Channel Status details.
   CHANNEL(SSLDRHAQM1.TO.DRHAQM2)          CHLTYPE(SDR)
   CONNAME(e8deec77-us-south.lb.appdomain.cloud(1502))
   CURRENT                                 RQMNAME(DRHAQM2)
   SSLCERTI(CN=Lab Root CA,O=IBM,C=US)
   SSLPEER({DRHAQM2_DN})
   STATUS(RUNNING)                         SUBSTATE(MQGET)
   XMITQ(DRHAQM2)
"
        )
    );
    let receiver = sim.answer("dal1-mq1", "DRHAQM2", "dis chstatus('SSLDRHAQM1.TO.DRHAQM2') SSLPEER SSLCERTI");
    assert_eq!(
        receiver,
        format!(
            "AMQ8417I: Display Channel Status details.
   CHANNEL(SSLDRHAQM1.TO.DRHAQM2)          CHLTYPE(RCVR)
   CONNAME(10.241.0.4)                     CURRENT
   RQMNAME(SSLDRHAQM1)                     SSLCERTI(CN=Lab Root CA,O=IBM,C=US)
   SSLPEER({SSLDRHAQM1_DN})
   STATUS(RUNNING)                         SUBSTATE(RECEIVE)
"
        )
    );
    // Without SSLPEER/SSLCERTI asked for, they are not shown.
    let plain = sim.answer("dal1-mq1", "DRHAQM2", "DISPLAY CHSTATUS(SSLDRHAQM1.TO.DRHAQM2)");
    assert!(!plain.contains("SSLPEER") && plain.contains("STATUS(RUNNING)"), "{plain}");
}

#[test]
fn differing_cipherspecs_leave_the_sender_retrying_and_the_receiver_without_status() {
    let mut sim = with_key_repositories();
    let sender = sim.answer("dal1-mq1", "DRHAQM2", "DISPLAY CHS(DRHAQM2.TO.SSLDRHAQM1) SSLPEER SSLCERTI");
    assert_eq!(
        sender,
        "AMQ8417I: Display Channel Status details.
   CHANNEL(DRHAQM2.TO.SSLDRHAQM1)          CHLTYPE(SDR)
   CONNAME(3bdf30c3-us-east.lb.appdomain.cloud(1503))
   CURRENT                                 RQMNAME( )
   SSLCERTI( )                             SSLPEER( )
   STATUS(RETRYING)                        SUBSTATE( )
   XMITQ(SSLDRHAQM1)
"
    );
    let out = sim.runmqsc("wdc1-mq1", "SSLDRHAQM1", "DISPLAY CHS(DRHAQM2.TO.SSLDRHAQM1) SSLPEER SSLCERTI\n");
    assert!(out.stdout.contains("AMQ8420I: Channel Status not found.\n"), "{}", out.stdout);
    assert!(out.stdout.ends_with("One MQSC command read.\nNo commands have a syntax error.\nOne valid MQSC command could not be processed.\n"), "{}", out.stdout);
    assert_eq!(out.code, 10);
}

#[test]
fn generic_status_lists_only_channels_that_have_one_and_parses_back() {
    let mut sim = with_key_repositories();
    let out = sim.runmqsc("dal1-mq1", "DRHAQM2", "DISPLAY QMGR CERTLABL\nDISPLAY CHANNEL(*)\nDISPLAY CHSTATUS(*) SSLPEER SSLCERTI\n");
    assert_eq!(out.code, 0, "{}", out.stdout);
    let parsed = model::mqsc::parse(&out.stdout);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let status: Vec<_> = parsed.objects.iter().filter(|o| o.message == "AMQ8417I").collect();
    let seen: Vec<(&str, &str)> = status.iter().map(|o| (o.get("CHANNEL").unwrap(), o.get("STATUS").unwrap())).collect();
    assert_eq!(seen, [("DRHAQM2.TO.SSLDRHAQM1", "RETRYING"), ("SSLDRHAQM1.TO.DRHAQM2", "RUNNING")]);
    assert_eq!(status[0].get("SSLPEER"), Some(" "));
    assert_eq!(status[1].get("SSLPEER"), Some(SSLDRHAQM1_DN));
    assert_eq!(status[1].get("CURRENT"), Some(""));
    let channels: Vec<&str> = parsed.objects.iter().filter(|o| o.message == "AMQ8414I").filter_map(|o| o.get("CHANNEL")).collect();
    assert_eq!(channels, ["DRHAMQ2.MQIPT", "DRHAQM2.TO.SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2"], "the client channel of seed 000 (its spelling) and the TLS pair");

    // On SSLDRHAQM1 only its running sender has a status (MQIPT's SVRCONN has no client now).
    let out = sim.runmqsc("wdc1-mq1", "SSLDRHAQM1", "DIS CHS(*) SSLPEER\n").stdout;
    assert_eq!(out.matches("AMQ8417I").count(), 1, "{out}");
    assert!(out.contains(&format!("SSLPEER({DRHAQM2_DN})")) && !out.contains("SSLCERTI"), "{out}");
    // A queue manager without channels.
    let out = sim.runmqsc("wdc1-mq1", "DRHAQM1", "DIS CHS(*)\n").stdout;
    assert!(out.contains("AMQ8420I: Channel Status not found."), "{out}");
}

#[test]
fn the_pair_stops_when_a_certificate_or_the_partner_is_missing() {
    // No key repositories: neither end has a certificate to present.
    let mut sim = Lab::new();
    let out = sim.answer("wdc1-mq1", "SSLDRHAQM1", "DIS CHS(SSLDRHAQM1.TO.DRHAQM2)");
    assert!(out.contains("STATUS(RETRYING)"), "{out}");
    // DRHAQM2 runs nowhere once DAL is lost (its DR secondary is in WDC).
    let mut sim = with_key_repositories();
    sim.fault("region-down DAL");
    let out = sim.answer("wdc1-mq1", "SSLDRHAQM1", "DIS CHS(SSLDRHAQM1.TO.DRHAQM2)");
    assert!(out.contains("STATUS(RETRYING)"), "{out}");
}

#[test]
fn commands_it_does_not_know_are_syntax_errors() {
    let mut sim = with_key_repositories();
    let out = sim.runmqsc("wdc1-mq1", "SSLDRHAQM1", "DEFINE QLOCAL(X)\nDISPLAY CHANNEL (SSLDRHAQM1.MQIPT)\nDIS CHS\n");
    assert!(out.stdout.contains("AMQ8414I: Display Channel details.\n   CHANNEL(SSLDRHAQM1.MQIPT)"), "{}", out.stdout);
    assert!(out.stdout.ends_with("3 MQSC commands read.\n2 commands have a syntax error.\nAll valid MQSC commands were processed.\n"), "{}", out.stdout);
    assert_eq!(out.code, 10);
}

/// Every TLS channel pair of the lab has a planted outcome, written down independently of the
/// console's rules: a new pair must say how it should behave.
#[test]
fn every_tls_pair_of_the_lab_has_a_planted_outcome() {
    let estate = sim::reference::estate(sim::reference::MQIPT_CONF_PATH);
    for qm in &estate.qmgrs {
        for channel in qm.channels.iter().filter(|c| c.get("CHLTYPE") == "SDR" && !c.get("SSLCIPH").is_empty()) {
            assert!(sim::chstatus::PLANTED.iter().any(|(name, ..)| *name == channel.name), "{} has no planted outcome", channel.name);
        }
    }
}
