//! Starting and stopping a lab (`lab/up`, `lab/down`) from tests, on free ports, in a
//! directory of its own, cleaned up on drop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A running lab; `lab/down --purge` runs when it is dropped.
pub struct Lab {
    repo: PathBuf,
    run_dir: PathBuf,
    _dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
    _ports: crate::ports::PortBlock,
}

/// Tests' labs run 20 times faster than real RDQM: every intermediate state still shows (a
/// start lasts 300 ms, a resynchronisation 600 ms), and a suite stays within CI's time.
pub const TEST_TIME_SCALE: &str = "0.05";

fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(k, _)| k.starts_with("LAB_"))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

impl Lab {
    /// Runs `lab/up` with `sim_bin` as the simulator (tests pass `CARGO_BIN_EXE_rdqm-sim`).
    pub fn start(sim_bin: &Path) -> Lab {
        Self::start_scaled(sim_bin, &std::env::var("LAB_TIME_SCALE").unwrap_or_else(|_| TEST_TIME_SCALE.to_string()))
    }

    /// Runs `lab/up` with simulated durations scaled by `time_scale` (`LAB_TIME_SCALE`).
    pub fn start_scaled(sim_bin: &Path, time_scale: &str) -> Lab {
        Self::start_with(sim_bin, time_scale, &[])
    }

    /// The console's HA layout (`LAB_CONSOLES=2`): three etcd members and a console per
    /// region, `console_bin` (tests pass `CARGO_BIN_EXE_rdqm-console`) started by `lab/up`.
    pub fn start_consoles(sim_bin: &Path, console_bin: &Path, time_scale: &str) -> Lab {
        let bin = console_bin.to_string_lossy().into_owned();
        Self::start_with(sim_bin, time_scale, &[("LAB_CONSOLES", "2"), ("RDQM_CONSOLE_BIN", &bin)])
    }

    /// A scaled lab (`LAB_SCALE=groups`): that many HA groups per region, on as many port
    /// blocks as it needs.
    pub fn start_groups(sim_bin: &Path, groups: u32) -> Lab {
        let time_scale = std::env::var("LAB_TIME_SCALE").unwrap_or_else(|_| TEST_TIME_SCALE.to_string());
        let scale = groups.to_string();
        Self::start_with(sim_bin, &time_scale, &[("LAB_SCALE", &scale)])
    }

    fn start_with(sim_bin: &Path, time_scale: &str, extra: &[(&str, &str)]) -> Lab {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf();
        let dir = tempfile::Builder::new().prefix("rdqm-lab-").tempdir().expect("temp dir");
        let run_dir = dir.path().join("run");
        let scale = extra.iter().find(|(k, _)| *k == "LAB_SCALE").and_then(|(_, v)| v.parse().ok()).unwrap_or(1);
        let ports = crate::ports::reserve_blocks(crate::ports::lab_blocks(scale));
        let base = ports.base();
        let out = Command::new(repo.join("lab/up"))
            .env("LAB_RUN_DIR", &run_dir)
            .env("LAB_PORT_BASE", base.to_string())
            .env("RDQM_SIM_BIN", sim_bin)
            .env("LAB_TIME_SCALE", time_scale)
            // Never a scale inherited from the caller's environment: the ports follow `scale`.
            .env("LAB_SCALE", scale.to_string())
            .envs(extra.iter().copied())
            .output()
            .expect("lab/up runs");
        let mut lab = Lab { repo, run_dir, _dir: dir, env: BTreeMap::new(), _ports: ports };
        assert!(out.status.success(), "lab/up failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let env = std::fs::read_to_string(lab.run_dir.join("lab.env")).expect("lab.env written");
        lab.env = parse_env(&env);
        lab
    }

    /// Runs `lab/up` with the workspace's built simulator (building it if needed).
    pub fn start_default() -> Lab {
        Lab::start(&Self::sim_bin())
    }

    /// The default simulator with durations scaled by `time_scale`.
    pub fn start_default_scaled(time_scale: &str) -> Lab {
        Lab::start_scaled(&Self::sim_bin(), time_scale)
    }

    /// The workspace's `rdqm-sim`, built when missing.
    pub fn sim_bin() -> PathBuf {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root").to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from);
        let bin = target.join("debug").join("rdqm-sim");
        if !bin.exists() {
            let status = Command::new("cargo")
                .args(["build", "--quiet", "-p", "rdqm-sim", "--bin", "rdqm-sim"])
                .current_dir(&repo)
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building rdqm-sim failed");
        }
        bin
    }

    /// A value of `lab.env`, e.g. `LAB_SSH_PORT_WDC1_MQ1`.
    pub fn var(&self, name: &str) -> &str {
        self.env.get(name).unwrap_or_else(|| panic!("{name} missing from lab.env"))
    }

    pub fn env(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// SSH port of a host by its name.
    pub fn ssh_port(&self, host: &str) -> u16 {
        let key = format!("LAB_SSH_PORT_{}", host.to_uppercase().replace('-', "_"));
        self.var(&key).parse().expect("port number")
    }

    /// Runs a command on a host with plain OpenSSH, as an operator would.
    pub fn ssh(&self, host: &str, command: &str) -> Output {
        Command::new("ssh")
            .args(["-i", self.var("LAB_SSH_KEY")])
            .args(["-o", &format!("UserKnownHostsFile={}", self.var("LAB_KNOWN_HOSTS"))])
            .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"])
            .args(["-F", "/dev/null", "-p", &self.ssh_port(host).to_string()])
            .arg(format!("{}@127.0.0.1", self.var("LAB_SSH_USER")))
            .arg(command)
            .output()
            .expect("ssh runs")
    }

    /// Runs the lab's control command (`$LAB_SIM`).
    /// Runs `command` on `host` over SSH until its output satisfies `ready` (a transition
    /// that takes time has ended), at most `timeout`; the last output either way.
    pub fn wait_for(&self, host: &str, command: &str, timeout: std::time::Duration, ready: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let out = String::from_utf8_lossy(&self.ssh(host, command).stdout).into_owned();
            if ready(&out) || std::time::Instant::now() >= deadline {
                return out;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Waits until every node's `rdqmstatus -m QM` in the group of `host` says HA Normal.
    pub fn wait_ha_normal(&self, host: &str, qmgr: &str) {
        let out = self.wait_for(host, &format!("rdqmstatus -m {qmgr}"), std::time::Duration::from_secs(20), |out| {
            !out.contains("Synchronization in progress") && !out.contains("Starting")
        });
        assert!(!out.contains("Synchronization in progress"), "still resynchronising: {out}");
    }

    /// Applies `ldif` to the lab's directory as its administrator (`ldapmodify`).
    pub fn ldapmodify(&self, ldif: &str) {
        use std::io::Write as _;
        let mut child = Command::new("ldapmodify")
            .args(["-x", "-H", self.var("LAB_LDAP_URL"), "-D", self.var("LAB_LDAP_ADMIN_DN"), "-w", self.var("LAB_LDAP_ADMIN_PASSWORD")])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("ldapmodify runs");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(ldif.as_bytes()).expect("ldif written");
        }
        let out = child.wait_with_output().expect("ldapmodify ends");
        assert!(out.status.success(), "ldapmodify failed: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn sim(&self, args: &[&str]) -> Output {
        Command::new(self.var("LAB_SIM")).args(args).output().expect("LAB_SIM runs")
    }

    /// Runs a script of `lab/` (e.g. `status`) against this lab.
    pub fn script(&self, name: &str, args: &[&str]) -> Output {
        Command::new(self.repo.join("lab").join(name))
            .args(args)
            .env("LAB_RUN_DIR", &self.run_dir)
            .output()
            .expect("lab script runs")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.script("down", &["--purge"]);
    }
}
