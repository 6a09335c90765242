//! The certificates of an etcd cluster that speaks TLS only ([`sim::etcd::EtcdCluster::start_tls`]),
//! made with `openssl` in a temporary directory of their own: a CA, one certificate for the
//! members, a client certificate for the consoles, and a client certificate from another CA
//! that the members must refuse.

use console::store::EtcdTls;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct EtcdPki {
    dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").current_dir(dir).args(args).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// `NAME.key` and `NAME.pem` signed by `CA.{key,pem}` in `dir`.
fn issue(dir: &Path, ca: &str, name: &str, subject: &str, san: &str) {
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), format!("subjectAltName={san}\nextendedKeyUsage=serverAuth,clientAuth\n")).unwrap();
    openssl(dir, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", &format!("{name}.key"), "-out", &format!("{name}.csr"), "-subj", subject]);
    openssl(dir, &[
        "x509", "-req", "-in", &format!("{name}.csr"), "-CA", &format!("{ca}.pem"), "-CAkey", &format!("{ca}.key"), "-CAcreateserial",
        "-out", &format!("{name}.pem"), "-days", "2", "-extfile", &ext,
    ]);
}

fn ca(dir: &Path, name: &str, subject: &str) {
    openssl(dir, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", &format!("{name}.key"), "-out", &format!("{name}.pem"), "-subj", subject, "-days", "2"]);
}

impl EtcdPki {
    pub fn make() -> EtcdPki {
        let dir = tempfile::Builder::new().prefix("rdqm-etcd-pki-").tempdir().expect("temp dir");
        let pki = dir.path();
        ca(pki, "ca", "/CN=rdqm test etcd CA");
        issue(pki, "ca", "member", "/CN=etcd member", "IP:127.0.0.1,DNS:localhost");
        issue(pki, "ca", "console", "/CN=rdqm-console", "DNS:rdqm-console");
        ca(pki, "other-ca", "/CN=another CA");
        issue(pki, "other-ca", "stranger", "/CN=rdqm-console", "DNS:rdqm-console");
        EtcdPki { dir }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.file(name)).unwrap()
    }

    /// The cluster's TLS options: members' certificate, the CA, and the consoles' client
    /// certificate for etcdctl.
    pub fn members(&self) -> sim::etcd::EtcdTls {
        sim::etcd::EtcdTls {
            ca: self.file("ca.pem"),
            member_cert: self.file("member.pem"),
            member_key: self.file("member.key"),
            client_cert: self.file("console.pem"),
            client_key: self.file("console.key"),
        }
    }

    /// The CA and the consoles' client certificate.
    pub fn client_tls(&self) -> EtcdTls {
        EtcdTls { ca: self.read("ca.pem"), identity: Some((self.read("console.pem"), self.read("console.key"))) }
    }

    /// The CA only: no client certificate to show.
    pub fn server_only_tls(&self) -> EtcdTls {
        EtcdTls { ca: self.read("ca.pem"), identity: None }
    }

    /// A client certificate from a CA the members do not trust.
    pub fn stranger_tls(&self) -> EtcdTls {
        EtcdTls { ca: self.read("ca.pem"), identity: Some((self.read("stranger.pem"), self.read("stranger.key"))) }
    }

    /// The consoles' client certificate, but another CA to check the members with.
    pub fn wrong_ca_tls(&self) -> EtcdTls {
        EtcdTls { ca: self.read("other-ca.pem"), identity: Some((self.read("console.pem"), self.read("console.key"))) }
    }
}
