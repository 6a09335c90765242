//! Bench (not a test): one full estate refresh against a lab over real SSH, cold (new
//! masters) and warm (open masters), SSH channels per refresh, and the best plain `ssh`
//! script doing the same reads over open ControlMasters, measured in the same run.
//!
//! Run: `cargo bench -p rdqm-console --bench refresh` (starts and stops its own lab).

use console::config::Config;
use console::fleet::RemoteExec;
use console::fleet::poller::Poller;
use console::fleet::ssh::SshExec;
use sim::lab::Lab;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WARM_RUNS: usize = 30;

fn stats(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    (samples[0], samples[samples.len() / 2], samples[samples.len() - 1])
}

fn ssh_exec(config: &Config, control: &std::path::Path) -> Arc<SshExec> {
    Arc::new(config.ssh_exec(control.to_path_buf()))
}

/// The best plain-ssh script: one `ssh` per host in parallel over an open ControlMaster,
/// each running that host's commands in one go.
fn ssh_script(lab: &Lab, config: &Config, control: &std::path::Path) -> String {
    let mut script = String::from("set -e\n");
    let ssh = format!(
        "ssh -F /dev/null -i {} -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o BatchMode=yes -o ControlMaster=auto -o ControlPath={}/%p -o ControlPersist=300",
        lab.var("LAB_SSH_KEY"),
        lab.var("LAB_KNOWN_HOSTS"),
        control.display()
    );
    let inventory = config.inventory();
    for host in inventory.hosts() {
        let cmds: Vec<String> = model::probe::probes_for(&inventory, &host).iter().map(|p| p.command_line()).collect();
        script.push_str(&format!(
            "{ssh} -p {} {}@127.0.0.1 '{}' >/dev/null 2>&1 &\n",
            lab.ssh_port(&host),
            lab.var("LAB_SSH_USER"),
            cmds.join("; ")
        ));
    }
    script.push_str("wait\n");
    script
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // The simulator built like the real tools are: optimised (its work is shared by both sides).
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf();
    let built = Command::new("cargo")
        .args(["build", "--quiet", "--release", "-p", "rdqm-sim", "--bin", "rdqm-sim"])
        .current_dir(&repo)
        .status()
        .expect("cargo");
    assert!(built.success());
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), std::path::PathBuf::from);
    let lab = Lab::start(&target.join("release").join("rdqm-sim"));
    let config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).expect("lab config");
    let control = tempfile::Builder::new().prefix("rb").tempdir_in("/tmp").expect("control dir");

    runtime.block_on(async {
        let mut cold = Vec::new();
        for _ in 0..5 {
            let ssh = ssh_exec(&config, control.path());
            let poller = Poller::new(config.inventory(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_secs(60), Duration::from_secs(10));
            let start = Instant::now();
            let snapshot = poller.refresh().await;
            cold.push(start.elapsed().as_secs_f64() * 1000.0);
            assert!(snapshot.regions.iter().flat_map(|r| &r.nodes).all(|n| n.reachable));
            ssh.close_all().await;
        }

        let ssh = ssh_exec(&config, control.path());
        let poller = Poller::new(config.inventory(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_secs(60), Duration::from_secs(10));
        poller.refresh().await;
        let before = ssh.channels_opened();
        let mut warm = Vec::new();
        for _ in 0..WARM_RUNS {
            let start = Instant::now();
            poller.refresh().await;
            warm.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        let channels = (ssh.channels_opened() - before) as f64 / WARM_RUNS as f64;
        let build_ms = poller.build_micros() as f64 / 1000.0;
        let probes: usize = config.inventory().hosts().iter().map(|h| model::probe::probes_for(&config.inventory(), h).len()).sum();
        ssh.close_all().await;

        let script = ssh_script(&lab, &config, control.path());
        let run_script = || Command::new("sh").arg("-c").arg(&script).status().expect("sh runs");
        assert!(run_script().success(), "ssh script failed");
        let mut baseline = Vec::new();
        for _ in 0..WARM_RUNS {
            let start = Instant::now();
            run_script();
            baseline.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("for s in {}/*; do ssh -o ControlPath=$s -O exit x 2>/dev/null; done", control.path().display()))
            .status();

        let (cmin, cmed, cmax) = stats(cold);
        let (wmin, wmed, wmax) = stats(warm);
        let (bmin, bmed, bmax) = stats(baseline);
        println!("estate refresh, 7 hosts, {probes} commands per refresh, lab over real sshd on loopback");
        println!("  cold (new masters):            min {cmin:7.1} ms  median {cmed:7.1} ms  max {cmax:7.1} ms");
        println!("  warm (open masters):           min {wmin:7.1} ms  median {wmed:7.1} ms  max {wmax:7.1} ms");
        println!("  ssh script over ControlMaster: min {bmin:7.1} ms  median {bmed:7.1} ms  max {bmax:7.1} ms");
        println!("  SSH channels per warm refresh: {channels:.1}");
        println!("  of which building the snapshot (parse, findings): {build_ms:.1} ms");
        println!("  warm speed-up over the ssh script (median): {:.2}x", bmed / wmed);
    });
}
