//! A real three-member etcd cluster (wdc, dal, witness) that speaks TLS only: https client and
//! peer URLs, client certificates required on both (`--client-cert-auth`,
//! `--peer-client-cert-auth`). Its certificates are made with `openssl` when it starts, in its
//! own temporary directory (a CA, one certificate for the members, a client certificate for
//! the consoles, and a client certificate from another CA that the members must refuse).

use console::store::EtcdTls;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MEMBERS: [&str; 3] = ["wdc", "dal", "witness"];

pub struct TlsEtcdCluster {
    dir: tempfile::TempDir,
    /// (client port, peer port) per member.
    ports: Vec<(u16, u16)>,
    children: Vec<Option<Child>>,
    _block: sim::ports::PortBlock,
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

impl TlsEtcdCluster {
    /// Makes the certificates, starts the three members and waits until the cluster has a
    /// leader.
    pub fn start() -> TlsEtcdCluster {
        let dir = tempfile::Builder::new().prefix("rdqm-etcd-tls-").tempdir().expect("temp dir");
        let pki = dir.path();
        ca(pki, "ca", "/CN=rdqm test etcd CA");
        issue(pki, "ca", "member", "/CN=etcd member", "IP:127.0.0.1,DNS:localhost");
        issue(pki, "ca", "console", "/CN=rdqm-console", "DNS:rdqm-console");
        ca(pki, "other-ca", "/CN=another CA");
        issue(pki, "other-ca", "stranger", "/CN=rdqm-console", "DNS:rdqm-console");
        let block = sim::ports::reserve();
        let ports = (0..MEMBERS.len() as u16).map(|i| (block.base() + 2 * i, block.base() + 2 * i + 1)).collect();
        let mut cluster = TlsEtcdCluster { dir, ports, children: MEMBERS.iter().map(|_| None).collect(), _block: block };
        for i in 0..MEMBERS.len() {
            cluster.spawn(i, "new");
        }
        cluster.wait_healthy(MEMBERS.len(), Duration::from_secs(30));
        cluster
    }

    /// `https://127.0.0.1:PORT` of every member.
    pub fn endpoints(&self) -> Vec<String> {
        self.ports.iter().map(|(client, _)| format!("https://127.0.0.1:{client}")).collect()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.file(name)).unwrap()
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

    fn index(member: &str) -> usize {
        MEMBERS.iter().position(|m| *m == member).unwrap_or_else(|| panic!("no etcd member {member}"))
    }

    fn spawn(&mut self, i: usize, state: &str) {
        let name = MEMBERS[i];
        let (client, peer) = self.ports[i];
        let initial: Vec<String> = MEMBERS.iter().zip(&self.ports).map(|(m, (_, p))| format!("{m}=https://127.0.0.1:{p}")).collect();
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).expect("etcd log file");
        let pki = self.dir.path();
        let child = Command::new("etcd")
            .args(["--name", name])
            .arg("--data-dir")
            .arg(pki.join(format!("{name}.etcd")))
            .args(["--listen-client-urls", &format!("https://127.0.0.1:{client}")])
            .args(["--advertise-client-urls", &format!("https://127.0.0.1:{client}")])
            .args(["--listen-peer-urls", &format!("https://127.0.0.1:{peer}")])
            .args(["--initial-advertise-peer-urls", &format!("https://127.0.0.1:{peer}")])
            .args(["--initial-cluster", &initial.join(",")])
            .args(["--initial-cluster-token", "rdqm-test-tls", "--initial-cluster-state", state])
            .arg("--client-cert-auth")
            .arg("--trusted-ca-file")
            .arg(pki.join("ca.pem"))
            .arg("--cert-file")
            .arg(pki.join("member.pem"))
            .arg("--key-file")
            .arg(pki.join("member.key"))
            .arg("--peer-client-cert-auth")
            .arg("--peer-trusted-ca-file")
            .arg(pki.join("ca.pem"))
            .arg("--peer-cert-file")
            .arg(pki.join("member.pem"))
            .arg("--peer-key-file")
            .arg(pki.join("member.key"))
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("etcd starts (apt-get install etcd-server; ./setup does)");
        self.children[i] = Some(child);
    }

    /// Stops a member (SIGKILL).
    pub fn stop(&mut self, member: &str) {
        if let Some(mut child) = self.children[Self::index(member)].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a stopped member again on its data; waits until it serves when a majority runs.
    pub fn resume(&mut self, member: &str) {
        let i = Self::index(member);
        if self.children[i].is_none() {
            self.spawn(i, "existing");
        }
        let running = self.children.iter().filter(|c| c.is_some()).count();
        if running * 2 > MEMBERS.len() {
            self.wait_healthy(1, Duration::from_secs(30));
        }
    }

    /// `etcdctl` with the consoles' client certificate.
    pub fn etcdctl(&self) -> Command {
        let mut command = Command::new("etcdctl");
        command
            .env("ETCDCTL_API", "3")
            .args(["--endpoints", &self.endpoints().join(","), "--command-timeout=2s"])
            .arg("--cacert")
            .arg(self.file("ca.pem"))
            .arg("--cert")
            .arg(self.file("console.pem"))
            .arg("--key")
            .arg(self.file("console.key"));
        command
    }

    fn wait_healthy(&self, at_least: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let out = self.etcdctl().args(["endpoint", "health"]).output().expect("etcdctl runs");
            let healthy = String::from_utf8_lossy(&out.stdout).lines().chain(String::from_utf8_lossy(&out.stderr).lines()).filter(|l| l.contains("is healthy")).count();
            if healthy >= at_least {
                return;
            }
            assert!(Instant::now() < deadline, "etcd (TLS) not healthy within {within:?}: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TlsEtcdCluster {
    fn drop(&mut self) {
        for mut child in self.children.iter_mut().filter_map(Option::take) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
