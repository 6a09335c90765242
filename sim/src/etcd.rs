//! A real three-member etcd cluster (Debian's `etcd`) on free loopback ports, for tests: one
//! member per region and a witness, as the console's HA deployment has them. Plain gRPC, or TLS
//! only with client certificates required ([`EtcdTls`]). Members can be stopped and started
//! again; every process is killed when the cluster is dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MEMBERS: [&str; 3] = ["wdc", "dal", "witness"];

/// TLS for every member: https client and peer URLs, and a client certificate signed by `ca`
/// required on both (`--client-cert-auth`, `--peer-client-cert-auth`), as the lab runs them.
#[derive(Debug, Clone)]
pub struct EtcdTls {
    /// The CA the members trust for clients and peers (and clients check the members with).
    pub ca: PathBuf,
    /// The members' certificate (its subjectAltName must hold `IP:127.0.0.1`) and key, also
    /// shown to their peers.
    pub member_cert: PathBuf,
    pub member_key: PathBuf,
    /// A client certificate from `ca` and its key, for [`EtcdCluster::etcdctl`] (the cluster's
    /// own health checks use it too).
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

pub struct EtcdCluster {
    dir: tempfile::TempDir,
    /// (client port, peer port) per member.
    ports: Vec<(u16, u16)>,
    children: Vec<Option<Child>>,
    tls: Option<EtcdTls>,
    _block: crate::ports::PortBlock,
}

impl EtcdCluster {
    /// Starts the three members (plain gRPC) and waits until the cluster has a leader.
    pub fn start() -> EtcdCluster {
        Self::start_with(None)
    }

    /// Starts the three members speaking TLS only, and waits until the cluster has a leader.
    pub fn start_tls(tls: EtcdTls) -> EtcdCluster {
        Self::start_with(Some(tls))
    }

    fn start_with(tls: Option<EtcdTls>) -> EtcdCluster {
        let dir = tempfile::Builder::new().prefix("rdqm-etcd-").tempdir().expect("temp dir");
        let block = crate::ports::reserve();
        let ports = (0..MEMBERS.len() as u16).map(|i| (block.base() + 2 * i, block.base() + 2 * i + 1)).collect();
        let mut cluster = EtcdCluster { dir, ports, children: MEMBERS.iter().map(|_| None).collect(), tls, _block: block };
        for i in 0..MEMBERS.len() {
            cluster.spawn(i, "new");
        }
        cluster.wait_healthy(MEMBERS.len(), Duration::from_secs(30));
        cluster
    }

    fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// Every member's client URL, as the console's `[store] endpoints` takes them:
    /// `127.0.0.1:PORT` for plain gRPC, `https://127.0.0.1:PORT` with TLS.
    pub fn endpoints(&self) -> Vec<String> {
        let scheme = if self.tls.is_some() { "https://" } else { "" };
        self.ports.iter().map(|(client, _)| format!("{scheme}127.0.0.1:{client}")).collect()
    }

    /// The member serving `endpoint` (as [`EtcdCluster::endpoints`] names it).
    pub fn member_at(&self, endpoint: &str) -> &'static str {
        let i = self.endpoints().iter().position(|e| e == endpoint).unwrap_or_else(|| panic!("no etcd member at {endpoint}"));
        MEMBERS[i]
    }

    /// `etcdctl` (API v3) on every member, with the TLS options' CA and client certificate.
    pub fn etcdctl(&self) -> Command {
        let mut command = Command::new("etcdctl");
        command.env("ETCDCTL_API", "3").args(["--endpoints", &self.endpoints().join(","), "--command-timeout=2s"]);
        if let Some(tls) = &self.tls {
            command.arg("--cacert").arg(&tls.ca).arg("--cert").arg(&tls.client_cert).arg("--key").arg(&tls.client_key);
        }
        command
    }

    fn index(member: &str) -> usize {
        MEMBERS.iter().position(|m| *m == member).unwrap_or_else(|| panic!("no etcd member {member}"))
    }

    fn spawn(&mut self, i: usize, state: &str) {
        let name = MEMBERS[i];
        let (client, peer) = self.ports[i];
        let scheme = self.scheme();
        let initial: Vec<String> = MEMBERS.iter().zip(&self.ports).map(|(m, (_, p))| format!("{m}={scheme}://127.0.0.1:{p}")).collect();
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).expect("etcd log file");
        let mut command = Command::new("etcd");
        command
            .args(["--name", name])
            .arg("--data-dir")
            .arg(self.data_dir(name))
            .args(["--listen-client-urls", &format!("{scheme}://127.0.0.1:{client}")])
            .args(["--advertise-client-urls", &format!("{scheme}://127.0.0.1:{client}")])
            .args(["--listen-peer-urls", &format!("{scheme}://127.0.0.1:{peer}")])
            .args(["--initial-advertise-peer-urls", &format!("{scheme}://127.0.0.1:{peer}")])
            .args(["--initial-cluster", &initial.join(",")])
            .args(["--initial-cluster-token", "rdqm-test", "--initial-cluster-state", state])
            // Short raft timeouts: a lost member is noticed in half a second on loopback.
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"]);
        if let Some(tls) = &self.tls {
            // The same certificates and CA for clients and for peers.
            for side in ["", "peer-"] {
                command
                    .arg(format!("--{side}client-cert-auth"))
                    .arg(format!("--{side}trusted-ca-file"))
                    .arg(&tls.ca)
                    .arg(format!("--{side}cert-file"))
                    .arg(&tls.member_cert)
                    .arg(format!("--{side}key-file"))
                    .arg(&tls.member_key);
            }
        }
        let child = command.stdout(Stdio::null()).stderr(log).spawn().expect("etcd starts (apt-get install etcd-server; ./setup does)");
        self.children[i] = Some(child);
    }

    fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.etcd"))
    }

    /// Stops a member (SIGKILL: a region lost, not a clean shutdown).
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

    /// Waits until `at_least` members report healthy (which needs a leader).
    fn wait_healthy(&self, at_least: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let out = self.etcdctl().args(["endpoint", "health"]).output().expect("etcdctl runs");
            let healthy = String::from_utf8_lossy(&out.stdout).lines().chain(String::from_utf8_lossy(&out.stderr).lines()).filter(|l| l.contains("is healthy")).count();
            if healthy >= at_least {
                return;
            }
            assert!(Instant::now() < deadline, "etcd not healthy within {within:?}: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for mut child in self.children.iter_mut().filter_map(Option::take) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
