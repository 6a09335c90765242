//! Certificate work as an administrator does it by hand in seed 000, driven through the
//! simulated commands on a temporary directory of hosts (the lab's layout, one copy of each
//! queue manager's volume per node): GSKit's runmqakm/mqiptKeycmd making real certificates,
//! runmqsc's ALTER/REFRESH SECURITY, the TLS channel pairs and amqssslc through MQIPT decided
//! from what each party loaded.

#![allow(clippy::unwrap_used)]

use sim::commands::{self, Invocation, Outcome};
use sim::estate::Estate;
use sim::fs::{HostFs, RealFs};
use sim::reference::{self, MQIPT_CONF};

/// 2022-06-02 19:26:11 UTC, the seed's refresh (the simulated clock; certificates' dates are
/// checked against the machine's).
const T0: u64 = 1_654_197_971_000;

const SSL_KDB: &str = "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb";
const DRHAQM2_KDB: &str = "/var/mqm/vols/drhaqm2/qmgr/drhaqm2/ssl/drhaqm2KeyFile.kdb";
const SSL_DN: &str = "cn=SSLDRHAQM1,O=IBM,C=US,OU=SSL For MQ,ST=MA";
const DRHAQM2_DN: &str = "CN=DRHAQM2,OU=SSL For MQ,O=IBM,ST=MA,C=US";
const KEYS: &str = "/opt/mqipt/installation1/mqipt/HAMQ/keys";

struct Hosts {
    estate: Estate,
    fs: RealFs,
    dir: tempfile::TempDir,
    now_ms: u64,
}

impl Hosts {
    fn new() -> Hosts {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFs { hosts_dir: Some(dir.path().join("hosts")) };
        let conf = dir.path().join("hosts/wdc-bastion/opt/mqipt/installation1/mqipt/HAMQ/mqipt.conf");
        std::fs::create_dir_all(conf.parent().unwrap()).unwrap();
        std::fs::write(&conf, MQIPT_CONF).unwrap();
        let estate = reference::estate(&conf.to_string_lossy());
        Hosts { estate, fs, dir, now_ms: T0 }
    }

    /// Where `host` keeps `path` on this machine.
    fn file(&self, host: &str, path: &str) -> String {
        self.fs.host_path(host, path)
    }

    fn run_in(&mut self, host: &str, program: &str, args: &[&str], stdin: &str) -> Outcome {
        self.now_ms += 1000;
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let inv = Invocation { host, program, args: &args, now_ms: self.now_ms, stdin, via_sudo: false, mqserver: None };
        commands::run(&mut self.estate, &self.fs, &inv)
    }

    /// A command given real paths of `host` (as its sessions see them on a lab with real paths,
    /// here inside the host's directory).
    fn run(&mut self, host: &str, program: &str, args: &[&str]) -> Outcome {
        let host_args: Vec<String> = args.iter().map(|a| if a.starts_with('/') { self.file(host, a) } else { a.to_string() }).collect();
        let refs: Vec<&str> = host_args.iter().map(String::as_str).collect();
        self.run_in(host, program, &refs, "")
    }

    fn ok(&mut self, host: &str, program: &str, args: &[&str]) -> String {
        let out = self.run(host, program, args);
        assert_eq!(out.code, 0, "{host}$ {program} {args:?}: {out:?}");
        out.stdout
    }

    fn mqsc(&mut self, host: &str, qmgr: &str, commands: &str) -> Outcome {
        self.run_in(host, "runmqsc", &[qmgr], commands)
    }

    /// The status block of a channel, as runmqsc shows it.
    fn chstatus(&mut self, host: &str, qmgr: &str, channel: &str) -> String {
        self.mqsc(host, qmgr, &format!("DISPLAY CHSTATUS({channel}) ALL\n")).stdout
    }

    fn error_log(&self, host: &str, qmgr: &str) -> String {
        std::fs::read_to_string(self.file(host, &format!("/var/mqm/qmgrs/{qmgr}/errors/AMQERR01.LOG")))
            .or_else(|_| {
                let dir = qmgr.to_lowercase();
                std::fs::read_to_string(self.file(host, &format!("/var/mqm/vols/{dir}/qmgr/{dir}/errors/AMQERR01.LOG")))
            })
            .unwrap_or_default()
    }

    /// The key repository and certificate of a queue manager, made with runmqakm as seed 000
    /// does, on the node where it runs.
    fn queue_manager_keys(&mut self, host: &str, kdb: &str, label: &str, dn: &str) {
        self.ok(host, "runmqakm", &["-keydb", "-create", "-db", kdb, "-pw", "p@ssw0rd", "-type", "cms", "-stash"]);
        self.ok(host, "runmqakm", &["-cert", "-create", "-db", kdb, "-stashed", "-label", label, "-dn", dn, "-size", "2048", "-x509version", "3", "-expire", "7300", "-sig_alg", "SHA256WithRSA", "-type", "cms"]);
    }

    /// `runmqakm -cert -extract` on one host, the file copied (as scp would), `-cert -add` on
    /// the other.
    fn trust(&mut self, (from, from_kdb, label): (&str, &str, &str), (to, to_kdb): (&str, &str), as_label: &str) {
        let gskit = |host: &str| if host == "wdc-bastion" { "mqiptKeycmd" } else { "runmqakm" };
        let public = format!("{}/{label}.arm", from_kdb.rsplit_once('/').unwrap().0);
        self.ok(from, gskit(from), &["-cert", "-extract", "-db", from_kdb, "-stashed", "-label", label, "-target", &public, "-format", "ascii"]);
        let copy = format!("/tmp/{label}.arm");
        let text = std::fs::read_to_string(self.file(from, &public)).unwrap();
        std::fs::create_dir_all(std::path::Path::new(&self.file(to, &copy)).parent().unwrap()).unwrap();
        std::fs::write(self.file(to, &copy), text).unwrap();
        self.ok(to, gskit(to), &["-cert", "-add", "-db", to_kdb, "-stashed", "-label", as_label, "-file", &copy, "-format", "ascii"]);
    }

    /// SSLDRHAQM1 and DRHAQM2 with self-signed certificates trusted by each other, loaded.
    fn with_tls_pair() -> Hosts {
        let mut h = Hosts::new();
        h.queue_manager_keys("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel", SSL_DN);
        h.queue_manager_keys("dal1-mq1", DRHAQM2_KDB, "drhaqm2certlabel", DRHAQM2_DN);
        h.trust(("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel"), ("dal1-mq1", DRHAQM2_KDB), "ssldrhaqm1certlabel");
        h.trust(("dal1-mq1", DRHAQM2_KDB, "drhaqm2certlabel"), ("wdc1-mq1", SSL_KDB), "drhaqm2certlabel");
        for (host, qmgr) in [("wdc1-mq1", "SSLDRHAQM1"), ("dal1-mq1", "DRHAQM2")] {
            let out = h.mqsc(host, qmgr, "REFRESH SECURITY TYPE(SSL)\n");
            assert!(out.stdout.contains("AMQ8560I: IBM MQ security cache refreshed.\n"), "{}", out.stdout);
        }
        h
    }

    /// The serial of a certificate as `-details` shows it, as SSLPEER writes it.
    fn serial(&mut self, host: &str, kdb: &str, label: &str) -> String {
        let details = self.ok(host, "runmqakm", &["-cert", "-details", "-db", kdb, "-stashed", "-label", label]);
        let parsed = model::runmqakm::parse_details(&details);
        let hex = parsed.serial.unwrap().to_uppercase();
        hex.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(":")
    }

    fn state(&self) -> serde_json::Value {
        serde_json::to_value(&self.estate).unwrap()
    }
}

#[test]
fn runmqakm_makes_real_certificates_and_answers_as_gskit() {
    let mut h = Hosts::new();
    h.queue_manager_keys("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel", SSL_DN);
    let list = h.ok("wdc1-mq1", "runmqakm", &["-cert", "-list", "-db", SSL_KDB, "-stashed"]);
    assert_eq!(list, "Certificates found\n* default, - personal, ! trusted, # secret key\n-\tssldrhaqm1certlabel\n");
    // The key database's other files, as the seed lists them.
    for ext in ["sth", "rdb", "crl"] {
        assert!(std::path::Path::new(&h.file("wdc1-mq1", &SSL_KDB.replace(".kdb", &format!(".{ext}")))).exists(), "{ext}");
    }
    let details = h.ok("wdc1-mq1", "runmqakm", &["-cert", "-details", "-db", SSL_KDB, "-stashed", "-label", "ssldrhaqm1certlabel"]);
    let parsed = model::runmqakm::parse_details(&details);
    assert_eq!(parsed.subject.as_deref(), Some("CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US"));
    assert_eq!(parsed.issuer, parsed.subject, "self-signed");
    assert_eq!(parsed.key_size, Some(2048));
    assert_eq!(parsed.serial.as_deref().map(str::len), Some(16), "{details}");
    assert!(details.contains("Signature Algorithm : SHA256WithRSASignature"), "{details}");
    assert!(details.contains("Not After : "), "{details}");
    // The key is kept beside the certificate.
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(h.file("wdc1-mq1", SSL_KDB)).unwrap()).unwrap();
    assert_eq!(manifest["entries"][0]["key"], "ssldrhaqm1KeyFile.kdb.certs/ssldrhaqm1certlabel.key");
    let key = std::fs::read_to_string(h.file("wdc1-mq1", "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb.certs/ssldrhaqm1certlabel.key")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));

    // A SAN and a default expiry.
    h.ok("wdc1-mq1", "runmqakm", &["-cert", "-create", "-db", SSL_KDB, "-stashed", "-label", "withsan", "-dn", "CN=x,O=IBM", "-san_dnsname", "a.example.com,b.example.com"]);
    let details = h.ok("wdc1-mq1", "runmqakm", &["-cert", "-details", "-db", SSL_KDB, "-stashed", "-label", "withsan"]);
    assert!(details.contains("    SubjectAltName\n        dNSName: a.example.com\n        dNSName: b.example.com\n"), "{details}");

    // GSKit's refusals, with non-zero exits.
    let again = h.run("wdc1-mq1", "runmqakm", &["-cert", "-create", "-db", SSL_KDB, "-stashed", "-label", "withsan", "-dn", "CN=y"]);
    assert_ne!(again.code, 0);
    assert!(again.stdout.starts_with("CTGSK2021W") && again.stdout.contains("\"withsan\""), "{again:?}");
    let missing = h.run("wdc1-mq1", "runmqakm", &["-cert", "-delete", "-db", SSL_KDB, "-stashed", "-label", "nope"]);
    assert_ne!(missing.code, 0);
    assert_eq!(missing.stdout, "CTGSK3029W The database doesn't contain an entry with label \"nope\".\n");
    let no_file = h.run("wdc1-mq1", "runmqakm", &["-cert", "-add", "-db", SSL_KDB, "-stashed", "-label", "x", "-file", "/tmp/none.arm"]);
    assert!(no_file.code != 0 && no_file.stdout.starts_with("CTGSK3003W"), "{no_file:?}");
    let no_db = h.run("wdc1-mq1", "runmqakm", &["-cert", "-list", "-db", "/var/mqm/nothing.kdb", "-stashed"]);
    assert!(no_db.code != 0 && no_db.stdout.starts_with("CTGSK3026W"), "{no_db:?}");
    let bad_dn = h.run("wdc1-mq1", "runmqakm", &["-cert", "-create", "-db", SSL_KDB, "-stashed", "-label", "z", "-dn", "O=IBM"]);
    assert!(bad_dn.code != 0 && bad_dn.stdout.starts_with("CTGSK3031W"), "{bad_dn:?}");
    // Delete removes the entry and its files.
    h.ok("wdc1-mq1", "runmqakm", &["-cert", "-delete", "-db", SSL_KDB, "-stashed", "-label", "withsan"]);
    let list = h.ok("wdc1-mq1", "runmqakm", &["-cert", "-list", "-db", SSL_KDB, "-stashed"]);
    assert!(!list.contains("withsan"), "{list}");
    assert!(!std::path::Path::new(&h.file("wdc1-mq1", "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb.certs/withsan.pem")).exists());
    // The manifest is never left half-written: no temporary file stays behind.
    let dir = std::fs::read_dir(h.file("wdc1-mq1", "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl")).unwrap();
    assert!(dir.filter_map(Result::ok).all(|e| !e.file_name().to_string_lossy().contains(".tmp-")));
}

#[test]
fn the_replicated_volume_is_written_only_where_the_queue_manager_runs() {
    let mut h = Hosts::new();
    // SSLDRHAQM1 runs on wdc1-mq1: its volume is mounted nowhere else.
    let refused = h.run("wdc2-mq1", "runmqakm", &["-keydb", "-create", "-db", SSL_KDB, "-pw", "x", "-type", "cms", "-stash"]);
    assert_ne!(refused.code, 0);
    assert!(refused.stdout.starts_with("CTGSK3026W"), "{refused:?}");
    assert!(!std::path::Path::new(&h.file("wdc2-mq1", SSL_KDB)).exists());
    h.queue_manager_keys("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel", SSL_DN);
    // Written on wdc1-mq1, it is in every node's copy, in both regions.
    for host in ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1", "dal1-mq1", "dal2-mq1", "dal3-mq1"] {
        let list = h.ok(host, "runmqakm", &["-cert", "-list", "-db", SSL_KDB, "-stashed"]);
        assert!(list.contains("-\tssldrhaqm1certlabel\n"), "{host}: {list}");
    }
    // A write elsewhere fails as GSKit fails to open the file, and changes nothing.
    for host in ["wdc2-mq1", "dal1-mq1"] {
        let out = h.run(host, "runmqakm", &["-cert", "-create", "-db", SSL_KDB, "-stashed", "-label", "other", "-dn", "CN=other"]);
        assert_ne!(out.code, 0, "{host}");
        assert_eq!(out.stdout, format!("CTGSK3026W The key file \"{}\" does not exist or cannot be read.\n", h.file(host, SSL_KDB)));
        let out = h.run(host, "runmqakm", &["-cert", "-extract", "-db", SSL_KDB, "-stashed", "-label", "ssldrhaqm1certlabel", "-target", "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/x.arm"]);
        assert!(out.code != 0 && out.stdout.starts_with("CTGSK3002W"), "{out:?}");
    }
    assert!(!h.ok("wdc1-mq1", "runmqakm", &["-cert", "-list", "-db", SSL_KDB, "-stashed"]).contains("other"));
    // An extract elsewhere than the volume works on any node (reads are not restricted).
    h.ok("wdc3-mq1", "runmqakm", &["-cert", "-extract", "-db", SSL_KDB, "-stashed", "-label", "ssldrhaqm1certlabel", "-target", "/tmp/pub.arm"]);
    assert!(std::fs::read_to_string(h.file("wdc3-mq1", "/tmp/pub.arm")).unwrap().starts_with("-----BEGIN CERTIFICATE-----\n"));
    // After a switchover the volume is written in DAL.
    h.ok("wdc1-mq1", "rdqmdr", &["-s", "-m", "SSLDRHAQM1"]);
    h.ok("dal1-mq1", "rdqmdr", &["-p", "-m", "SSLDRHAQM1"]);
    assert!(h.run("wdc1-mq1", "runmqakm", &["-cert", "-create", "-db", SSL_KDB, "-stashed", "-label", "other", "-dn", "CN=other"]).code != 0);
    h.ok("dal1-mq1", "runmqakm", &["-cert", "-create", "-db", SSL_KDB, "-stashed", "-label", "other", "-dn", "CN=other"]);
    assert!(h.ok("wdc2-mq1", "runmqakm", &["-cert", "-list", "-db", SSL_KDB, "-stashed"]).contains("other"));
}

#[test]
fn a_rotation_shows_only_once_refreshed() {
    let mut h = Hosts::with_tls_pair();
    let old = h.serial("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel");
    let status = h.chstatus("dal1-mq1", "DRHAQM2", "SSLDRHAQM1.TO.DRHAQM2");
    assert!(status.contains("STATUS(RUNNING)"), "{status}");
    assert!(status.contains(&format!("SSLPEER(SERIALNUMBER={old},CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US)")), "{status}");
    assert!(status.contains("SSLCERTI(CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US)"), "{status}");
    // The sender's end shows DRHAQM2's certificate.
    let drhaqm2 = h.serial("dal1-mq1", DRHAQM2_KDB, "drhaqm2certlabel");
    assert!(h.chstatus("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2").contains(&format!("SSLPEER(SERIALNUMBER={drhaqm2},CN=DRHAQM2")));
    assert_eq!(h.state()["qmgrs"][2]["tls"]["label"], "ssldrhaqm1certlabel");
    assert_eq!(h.state()["qmgrs"][2]["tls"]["serial"], old.as_str());

    // A new certificate, trusted by the partner first, then presented.
    h.queue_manager_keys_cert("ssldrhaqm1cert2");
    let new = h.serial("wdc1-mq1", SSL_KDB, "ssldrhaqm1cert2");
    assert_ne!(new, old);
    h.trust(("wdc1-mq1", SSL_KDB, "ssldrhaqm1cert2"), ("dal1-mq1", DRHAQM2_KDB), "ssldrhaqm1cert2");
    assert!(h.mqsc("dal1-mq1", "DRHAQM2", "REFRESH SECURITY TYPE(SSL)\n").stdout.contains("AMQ8560I"));
    // CERTLABL alone changes nothing the channel presents.
    let out = h.mqsc("wdc1-mq1", "SSLDRHAQM1", "ALTER QMGR CERTLABL('ssldrhaqm1cert2')\nDISPLAY QMGR CERTLABL SSLKEYR\n");
    assert!(out.stdout.contains("AMQ8005I: IBM MQ queue manager changed.\n"), "{}", out.stdout);
    assert!(out.stdout.contains("   QMNAME(SSLDRHAQM1)                      CERTLABL(ssldrhaqm1cert2)\n   SSLKEYR(/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile)\n"), "{}", out.stdout);
    assert!(h.chstatus("dal1-mq1", "DRHAQM2", "SSLDRHAQM1.TO.DRHAQM2").contains(&format!("SERIALNUMBER={old},")));
    // Refreshed, the channel restarts with the new certificate.
    let out = h.mqsc("wdc1-mq1", "SSLDRHAQM1", "REFRESH SECURITY TYPE(SSL)\n");
    assert_eq!(out.code, 0, "{}", out.stdout);
    let status = h.chstatus("dal1-mq1", "DRHAQM2", "SSLDRHAQM1.TO.DRHAQM2");
    assert!(status.contains("STATUS(RUNNING)") && status.contains(&format!("SSLPEER(SERIALNUMBER={new},CN=SSLDRHAQM1,")), "{status}");
    assert_eq!(h.state()["qmgrs"][2]["tls"]["serial"], new.as_str());
    // The runmqsc commands that changed something are in the host's record.
    let log: Vec<String> = h.estate.command_log.iter().map(|c| c.command.clone()).collect();
    assert!(log.iter().any(|c| c == "runmqsc SSLDRHAQM1 <<< ALTER QMGR CERTLABL('ssldrhaqm1cert2')"), "{log:?}");
}

#[test]
fn a_certificate_the_partner_does_not_trust_fails_the_pair() {
    let mut h = Hosts::with_tls_pair();
    h.queue_manager_keys_cert("untrusted");
    let out = h.mqsc("wdc1-mq1", "SSLDRHAQM1", "ALTER QMGR CERTLABL('untrusted')\nREFRESH SECURITY TYPE(SSL)\n");
    assert_eq!(out.code, 0, "{}", out.stdout);
    let status = h.chstatus("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2");
    assert!(status.contains("STATUS(RETRYING)") && status.contains("SSLPEER( )"), "{status}");
    assert!(h.mqsc("dal1-mq1", "DRHAQM2", "DISPLAY CHSTATUS(SSLDRHAQM1.TO.DRHAQM2)\n").stdout.contains("AMQ8420I: Channel Status not found."));
    let log = h.error_log("dal1-mq1", "DRHAQM2");
    assert!(log.contains("AMQ9633E: Bad SSL certificate for channel 'SSLDRHAQM1.TO.DRHAQM2'."), "{log}");
    assert!(log.contains("The certificate validation error was 575010."), "{log}");
    let log = h.error_log("wdc1-mq1", "SSLDRHAQM1");
    assert!(log.contains("AMQ9665E: SSL connection closed by remote end of channel"), "{log}");
    // Logged once, not on every command while it retries.
    h.chstatus("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2");
    assert_eq!(h.error_log("dal1-mq1", "DRHAQM2").matches("AMQ9633E").count(), 1);
    // Trusted and reloaded by the partner, the retrying channel starts.
    h.trust(("wdc1-mq1", SSL_KDB, "untrusted"), ("dal1-mq1", DRHAQM2_KDB), "untrusted");
    assert!(h.chstatus("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2").contains("RETRYING"), "not loaded yet");
    h.mqsc("dal1-mq1", "DRHAQM2", "REFRESH SECURITY TYPE(SSL)\n");
    assert!(h.chstatus("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2").contains("STATUS(RUNNING)"));
}

#[test]
fn a_dn_that_fails_the_partners_sslpeer_leaves_the_channel_retrying() {
    let mut h = Hosts::with_tls_pair();
    let out = h.mqsc("dal1-mq1", "DRHAQM2", "alter channel(SSLDRHAQM1.TO.DRHAQM2) CHLTYPE(RCVR) SSLPEER('CN=John Cena, OU=Test, O=IBM, C=GB')\n");
    assert!(out.stdout.contains("AMQ8016I: IBM MQ channel changed.\n"), "{}", out.stdout);
    // A running channel keeps running until it restarts.
    assert!(h.chstatus("dal1-mq1", "DRHAQM2", "SSLDRHAQM1.TO.DRHAQM2").contains("STATUS(RUNNING)"));
    let shown = h.mqsc("dal1-mq1", "DRHAQM2", "DISPLAY CHANNEL(SSLDRHAQM1.TO.DRHAQM2)\n").stdout;
    assert!(shown.contains("SSLPEER(CN=John Cena, OU=Test, O=IBM, C=GB)"), "{shown}");
    assert!(h.mqsc("wdc1-mq1", "SSLDRHAQM1", "START CHANNEL(SSLDRHAQM1.TO.DRHAQM2)\n").stdout.contains("AMQ8018I"));
    let status = h.chstatus("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2");
    assert!(status.contains("STATUS(RETRYING)"), "{status}");
    let serial = h.serial("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel");
    let log = h.error_log("dal1-mq1", "DRHAQM2");
    assert!(log.contains("AMQ9636E: SSL distinguished name does not match peer name, channel\n'SSLDRHAQM1.TO.DRHAQM2'."), "{log}");
    assert!(log.contains(&format!("CommentInsert2(SERIALNUMBER={serial},CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US)")), "{log}");
    assert!(log.contains("                    RemoteHost(10.241.0.4)\n"), "{log}");
    assert!(h.error_log("wdc1-mq1", "SSLDRHAQM1").contains("AMQ9643E"));
    // The seed's fix: SSLPEER('') and the retrying channel runs again.
    h.mqsc("dal1-mq1", "DRHAQM2", "alter channel(SSLDRHAQM1.TO.DRHAQM2) CHLTYPE(RCVR) SSLPEER('')\n");
    assert!(h.chstatus("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2").contains("STATUS(RUNNING)"));
    // Or the exact DN with its serial number, as the seed locks the channel down.
    let exact = format!("alter channel(SSLDRHAQM1.TO.DRHAQM2) CHLTYPE(RCVR) SSLPEER('SERIALNUMBER={serial},CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US')\nSTART CHANNEL(SSLDRHAQM1.TO.DRHAQM2)\n");
    h.mqsc("dal1-mq1", "DRHAQM2", &exact);
    assert!(h.chstatus("wdc1-mq1", "SSLDRHAQM1", "SSLDRHAQM1.TO.DRHAQM2").contains("STATUS(RUNNING)"));
}

#[test]
fn the_planted_cipherspec_mismatch_still_fails() {
    let mut h = Hosts::with_tls_pair();
    let status = h.chstatus("dal1-mq1", "DRHAQM2", "DRHAQM2.TO.SSLDRHAQM1");
    assert!(status.contains("STATUS(RETRYING)"), "{status}");
    assert!(h.error_log("wdc1-mq1", "SSLDRHAQM1").contains("AMQ9631E"));
}

#[test]
fn a_certificate_request_signed_by_a_ca_is_received() {
    let mut h = Hosts::with_tls_pair();
    let csr = "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1.csr";
    h.ok("wdc1-mq1", "runmqakm", &["-certreq", "-create", "-db", SSL_KDB, "-stashed", "-label", "casigned", "-dn", SSL_DN, "-size", "2048", "-sig_alg", "SHA256WithRSA", "-file", csr, "-san_dnsname", "wdc1-mq1"]);
    let listed = h.ok("wdc1-mq1", "runmqakm", &["-certreq", "-list", "-db", SSL_KDB, "-stashed"]);
    assert_eq!(listed, "Certificate requests found\n\tcasigned\n");
    assert!(std::fs::read_to_string(h.file("wdc3-mq1", csr)).unwrap().starts_with("-----BEGIN CERTIFICATE REQUEST-----"), "replicated");
    // A CA signs it (as an administrator's CA would, with OpenSSL).
    let ca = h.dir.path().join("ca");
    std::fs::create_dir_all(&ca).unwrap();
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).current_dir(&ca).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    openssl(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/C=US/O=IBM/CN=Test CA", "-days", "30"]);
    let csr_file = h.file("wdc1-mq1", csr);
    openssl(&["x509", "-req", "-in", &csr_file, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "signed.pem", "-days", "30", "-copy_extensions", "copy"]);
    let signed = ca.join("signed.pem").to_string_lossy().into_owned();
    let ca_pem = ca.join("ca.pem").to_string_lossy().into_owned();
    // Without its signer in the database, GSKit refuses it.
    let refused = h.run_in("wdc1-mq1", "runmqakm", &["-cert", "-receive", "-db", &h.file("wdc1-mq1", SSL_KDB), "-stashed", "-file", &signed, "-format", "ascii"], "");
    assert!(refused.code != 0 && refused.stdout.starts_with("CTGSK3048W"), "{refused:?}");
    h.run_in("wdc1-mq1", "runmqakm", &["-cert", "-add", "-db", &h.file("wdc1-mq1", SSL_KDB), "-stashed", "-label", "Test CA", "-file", &ca_pem], "");
    let received = h.run_in("wdc1-mq1", "runmqakm", &["-cert", "-receive", "-db", &h.file("wdc1-mq1", SSL_KDB), "-stashed", "-file", &signed, "-format", "ascii"], "");
    assert_eq!(received, Outcome::default());
    let list = h.ok("wdc1-mq1", "runmqakm", &["-cert", "-list", "-db", SSL_KDB, "-stashed"]);
    assert!(list.contains("-\tcasigned\n") && list.contains("!\t\"Test CA\"\n"), "{list}");
    assert_eq!(h.ok("wdc1-mq1", "runmqakm", &["-certreq", "-list", "-db", SSL_KDB, "-stashed"]), "No certificate requests were found.\n");
    let details = h.ok("wdc1-mq1", "runmqakm", &["-cert", "-details", "-db", SSL_KDB, "-stashed", "-label", "casigned"]);
    assert!(details.contains("Issuer : \"CN=Test CA,O=IBM,C=US\"") && details.contains("dNSName: wdc1-mq1"), "{details}");
    // The same certificate again matches no request.
    let again = h.run_in("wdc1-mq1", "runmqakm", &["-cert", "-receive", "-db", &h.file("wdc1-mq1", SSL_KDB), "-stashed", "-file", &signed], "");
    assert!(again.code != 0 && again.stdout.starts_with("CTGSK3047W"), "{again:?}");
    // DRHAQM2 trusts the CA, SSLDRHAQM1 presents the CA-signed certificate: the pair runs.
    h.trust(("wdc1-mq1", SSL_KDB, "Test CA"), ("dal1-mq1", DRHAQM2_KDB), "Test CA");
    h.mqsc("dal1-mq1", "DRHAQM2", "REFRESH SECURITY TYPE(SSL)\n");
    h.mqsc("wdc1-mq1", "SSLDRHAQM1", "ALTER QMGR CERTLABL('casigned')\nREFRESH SECURITY TYPE(SSL)\n");
    let status = h.chstatus("dal1-mq1", "DRHAQM2", "SSLDRHAQM1.TO.DRHAQM2");
    assert!(status.contains("STATUS(RUNNING)") && status.contains("SSLCERTI(CN=Test CA,O=IBM,C=US)"), "{status}");
}

impl Hosts {
    /// Another self-signed certificate with SSLDRHAQM1's DN, in its key repository.
    fn queue_manager_keys_cert(&mut self, label: &str) {
        self.ok("wdc1-mq1", "runmqakm", &["-cert", "-create", "-db", SSL_KDB, "-stashed", "-label", label, "-dn", SSL_DN, "-size", "2048", "-expire", "365", "-sig_alg", "SHA256WithRSA"]);
    }

    /// MQIPT's keystores and the client's key repository as seed 000 makes them, and
    /// SSLDRHAQM1 trusting MQIPT's client certificate.
    fn with_mqipt_and_client() -> Hosts {
        let mut h = Hosts::with_tls_pair();
        for (store, label, dn) in [("mq-ipt-server.pfx", "mqiptserver", "CN=mqipt-server, OU=IBM, C=US"), ("mq-ipt-client.pfx", "mqiptclient", "CN=mqipt-client, OU=IBM, C=US")] {
            let db = format!("{KEYS}/{store}");
            h.ok("wdc-bastion", "mqiptKeycmd", &["-keydb", "-create", "-db", &db, "-pw", "p@ssw0rd", "-type", "pkcs12", "-stash"]);
            h.ok("wdc-bastion", "mqiptKeycmd", &["-cert", "-create", "-db", &db, "-stashed", "-type", "pkcs12", "-label", label, "-dn", dn, "-sig_alg", "SHA256WithRSA", "-size", "2048"]);
        }
        let client = "/home/mqm/keys/mq_cloud_keys";
        h.ok("wdc-mq-client", "runmqakm", &["-keydb", "-create", "-db", client, "-pw", "p@ssw0rd", "-type", "cms", "-stash"]);
        h.ok("wdc-mq-client", "runmqakm", &["-cert", "-create", "-db", client, "-stashed", "-label", "wdc-mq-client", "-dn", "CN=wdc-mq-client, OU=IBM, C=US", "-sig_alg", "SHA256WithRSA", "-size", "2048"]);
        let client_kdb = format!("{client}.kdb");
        h.trust(("wdc-bastion", &format!("{KEYS}/mq-ipt-server.pfx"), "mqiptserver"), ("wdc-mq-client", &client_kdb), "mqiptserver");
        h.trust(("wdc-mq-client", &client_kdb, "wdc-mq-client"), ("wdc-bastion", &format!("{KEYS}/mq-ipt-server.pfx")), "wdc-mq-client");
        h.trust(("wdc-bastion", &format!("{KEYS}/mq-ipt-client.pfx"), "mqiptclient"), ("wdc1-mq1", SSL_KDB), "mqiptclient");
        h.trust(("wdc1-mq1", SSL_KDB, "ssldrhaqm1certlabel"), ("wdc-bastion", &format!("{KEYS}/mq-ipt-client.pfx")), "ssldrhaqm1certlabel");
        h.mqsc("wdc1-mq1", "SSLDRHAQM1", "REFRESH SECURITY TYPE(SSL)\n");
        // The route's keystores are loaded at the refresh.
        let refresh = h.run("wdc-bastion", "mqiptAdmin", &["-refresh", "-n", "HAMQ"]);
        assert_eq!(refresh.code, 0, "{refresh:?}");
        h
    }

    fn amqssslc(&mut self, label: &str) -> Outcome {
        let stem = self.file("wdc-mq-client", "/home/mqm/keys/mq_cloud_keys");
        let args = ["-m", "SSLDRHAQM1", "-c", "SSLDRHAQM1.MQIPT", "-x", "10.241.1.4(1503)", "-k", &stem, "-l", label, "-s", "TLS_RSA_WITH_AES_256_GCM_SHA384"];
        self.run_in("wdc-mq-client", "amqssslc", &args, "")
    }
}

#[test]
fn amqssslc_through_mqipt_prints_the_seeds_lines_or_2393() {
    let mut h = Hosts::with_mqipt_and_client();
    let stem = h.file("wdc-mq-client", "/home/mqm/keys/mq_cloud_keys");
    // The lab's SVRCONN refuses MQIPT's client certificate (its SSLPEER names another DN).
    let refused = h.amqssslc("wdc-mq-client");
    assert_eq!(refused.code, 2393 & 0xff, "{refused:?}");
    assert!(refused.stdout.ends_with("MQCONNX ended with reason code 2393\n"), "{}", refused.stdout);
    let log = h.error_log("wdc1-mq1", "SSLDRHAQM1");
    assert!(log.contains("AMQ9636E") && log.contains("CN=mqipt-client,OU=IBM,C=US"), "{log}");
    h.mqsc("wdc1-mq1", "SSLDRHAQM1", "ALTER CHANNEL(SSLDRHAQM1.MQIPT) CHLTYPE(SVRCONN) SSLPEER('CN=mqipt-client,OU=IBM,C=US')\n");
    let ok = h.amqssslc("wdc-mq-client");
    let pad = |s: &str| format!("{s:<48}");
    assert_eq!(
        ok.stdout,
        format!(
            "Sample AMQSSSLC start\nConnecting to queue manager {}\nUsing the server connection channel SSLDRHAQM1.MQIPT\non connection name 10.241.1.4(1503).\nUsing SSL CipherSpec TLS_RSA_WITH_AES_256_GCM_SHA384\nUsing SSL key repository stem {stem}\nCertificate Label: wdc-mq-client\nNo OCSP configuration specified.\nConnection established to queue manager {}\nSample AMQSSSLC end\n",
            pad("SSLDRHAQM1"),
            pad("SSLDRHAQM1")
        )
    );
    assert_eq!(ok.code, 0);
    // A label the client's key repository lacks: MQIPT asks for a client certificate.
    assert_eq!(h.amqssslc("nope").code, 2393 & 0xff);
    // MQIPT's new server certificate, not trusted by the client: refused once MQIPT loads it.
    let db = format!("{KEYS}/mq-ipt-server.pfx");
    h.ok("wdc-bastion", "mqiptKeycmd", &["-cert", "-create", "-db", &db, "-stashed", "-label", "mqiptserver2", "-dn", "CN=mqipt-server, OU=IBM, C=US"]);
    let conf = h.estate.bastions[0].mqipt[0].conf_path.clone();
    let text = std::fs::read_to_string(&conf).unwrap().replace("SSLServerSiteLabel=mqiptserver\n", "SSLServerSiteLabel=mqiptserver2\n");
    std::fs::write(&conf, text).unwrap();
    assert_eq!(h.amqssslc("wdc-mq-client").code, 0, "not refreshed: MQIPT presents what it loaded");
    let starts = h.estate.bastions[0].mqipt[0].active_routes[2].starts;
    h.ok("wdc-bastion", "mqiptAdmin", &["-refresh", "-n", "HAMQ"]);
    assert_eq!(h.estate.bastions[0].mqipt[0].active_routes[2].starts, starts + 1, "the route restarted");
    assert_eq!(h.estate.bastions[0].mqipt[0].active_routes[0].starts, 1, "the others did not");
    let refused = h.amqssslc("wdc-mq-client");
    assert!(refused.stdout.ends_with("MQCONNX ended with reason code 2393\n"), "{}", refused.stdout);
    // Trusted by the client (read at each connect), it connects again.
    h.trust(("wdc-bastion", &db, "mqiptserver2"), ("wdc-mq-client", "/home/mqm/keys/mq_cloud_keys.kdb"), "mqiptserver2");
    assert_eq!(h.amqssslc("wdc-mq-client").code, 0);
    // A keystore written without a change of the configuration restarts the route at refresh.
    h.ok("wdc-bastion", "mqiptKeycmd", &["-cert", "-delete", "-db", &db, "-stashed", "-label", "wdc-mq-client"]);
    assert_eq!(h.amqssslc("wdc-mq-client").code, 0, "not refreshed");
    h.ok("wdc-bastion", "mqiptAdmin", &["-refresh", "-n", "HAMQ"]);
    assert_eq!(h.estate.bastions[0].mqipt[0].active_routes[2].starts, starts + 2);
    assert_eq!(h.amqssslc("wdc-mq-client").code, 2393 & 0xff, "MQIPT no longer trusts the client");
    // Unreachable: the route's port has no route.
    let stem = h.file("wdc-mq-client", "/home/mqm/keys/mq_cloud_keys");
    let out = h.run_in("wdc-mq-client", "amqssslc", &["-m", "SSLDRHAQM1", "-c", "SSLDRHAQM1.MQIPT", "-x", "10.241.1.4(1599)", "-k", &stem, "-l", "wdc-mq-client", "-s", "TLS_RSA_WITH_AES_256_GCM_SHA384"], "");
    assert!(out.stdout.ends_with("MQCONNX ended with reason code 2538\n"), "{}", out.stdout);
    let usage = h.run_in("wdc-mq-client", "amqssslc", &["-c", "X"], "");
    assert_eq!(usage.code, 99);
    assert!(usage.stdout.ends_with("  [-o OcspURL]\n"));
}

#[test]
fn systemctl_reload_tlshd_loads_the_replication_certificate_again() {
    let mut h = Hosts::new();
    let make = |h: &Hosts, cn: &str| {
        let dir = h.file("dal1-mq1", "/etc/drbd.d");
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "dal1-mq1.key", "-out", "dal1-mq1.crt", "-subj", &format!("/CN={cn}"), "-days", "30"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        std::fs::copy(format!("{dir}/dal1-mq1.crt"), format!("{dir}/lab_root_ca.crt")).unwrap();
    };
    make(&h, "dal1-mq1");
    let conf = "[authenticate.server]\nx509.truststore=/etc/drbd.d/lab_root_ca.crt\nx509.certificate=/etc/drbd.d/dal1-mq1.crt\nx509.private_key=/etc/drbd.d/dal1-mq1.key\n";
    std::fs::write(h.file("dal1-mq1", "/etc/tlshd.conf"), conf).unwrap();
    // Loaded at the first command (tlshd runs since the node started).
    h.ok("dal1-mq1", "dspmq", &[]);
    let first = h.state()["regions"][1]["nodes"][0]["tlshd"].clone();
    assert_eq!(first["subject"], "CN=dal1-mq1", "{first}");
    assert_eq!(first["certificate"], "/etc/drbd.d/dal1-mq1.crt");
    // The files replaced: nothing changes until tlshd reloads.
    make(&h, "dal1-mq1-new");
    h.ok("dal1-mq1", "dspmq", &[]);
    assert_eq!(h.state()["regions"][1]["nodes"][0]["tlshd"]["subject"], "CN=dal1-mq1");
    assert_eq!(h.ok("dal1-mq1", "systemctl", &["reload", "tlshd"]), "");
    let now = h.state()["regions"][1]["nodes"][0]["tlshd"].clone();
    assert_eq!(now["subject"], "CN=dal1-mq1-new", "{now}");
    assert_ne!(now["serial"], first["serial"]);
    // A file tlshd cannot read: the reload fails as systemd says so.
    std::fs::remove_file(h.file("dal1-mq1", "/etc/drbd.d/dal1-mq1.key")).unwrap();
    let failed = h.run("dal1-mq1", "systemctl", &["reload", "tlshd"]);
    assert_eq!(failed.code, 1);
    assert!(failed.stderr.starts_with("Job for tlshd.service failed"), "{failed:?}");
    assert_eq!(h.run("wdc-bastion", "systemctl", &["reload", "tlshd"]).code, 5, "no tlshd on the bastion");
}
