//! Bench (not a test): a full estate refresh against a lab over real SSH, against the limit.
//! For each estate size (`BENCH_SCALES`, default `1,10`: the reference 7-host estate and 60 MQ
//! nodes in 10 HA groups per region), three things are timed, interleaved run by run so that
//! the machine's drift falls on all of them alike:
//! - the floor: the hosts' own work with no SSH at all (each host's commands run locally, in
//!   its own environment and mount namespace, all hosts at once);
//! - the console's warm refresh (open masters);
//! - the best plain script: one `ssh` per host over open ControlMasters, its exit checked.
//!
//! Also: cold refreshes, SSH channels per refresh against the number of hosts, and with
//! `BENCH_SOAK_MINUTES=N` the poller's RSS over N minutes of 2 s polls on the largest estate.
//!
//! Run: `cargo bench -p rdqm-console --bench refresh` (starts and stops its own labs).

use console::config::Config;
use console::fleet::RemoteExec;
use console::fleet::poller::Poller;
use console::fleet::ssh::SshExec;
use sim::lab::Lab;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 20;

fn stats(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    (samples[0], samples[samples.len() / 2], samples[samples.len() - 1])
}

fn ssh_exec(config: &Config, control: &Path) -> Arc<SshExec> {
    Arc::new(config.ssh_exec(control.to_path_buf()))
}

fn commands(config: &Config, host: &str) -> String {
    let inventory = config.inventory();
    model::probe::probes_for(&inventory, host).iter().map(|p| p.command_line()).collect::<Vec<_>>().join("; ")
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The best plain-ssh script: one `ssh` per host in parallel over an open ControlMaster, each
/// running that host's commands in one go; it fails if any ssh does.
fn ssh_script(lab: &Lab, config: &Config, control: &Path) -> String {
    let ssh = format!(
        "ssh -F /dev/null -i {} -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o BatchMode=yes -o ControlMaster=auto -o ControlPath={}/%p -o ControlPersist=300",
        lab.var("LAB_SSH_KEY"),
        lab.var("LAB_KNOWN_HOSTS"),
        control.display()
    );
    let mut script = String::from("pids=\n");
    for host in config.inventory().hosts() {
        script.push_str(&format!("{ssh} -p {} {}@127.0.0.1 {} >/dev/null 2>&1 & pids=\"$pids $!\"\n", lab.ssh_port(&host), lab.var("LAB_SSH_USER"), quote(&commands(config, &host))));
    }
    script.push_str("for p in $pids; do wait $p || exit 1; done\n");
    script
}

/// The floor: every host's commands run locally at once, with the environment its sshd gives
/// a session (`SetEnv` of its sshd_config) and, where the lab gives hosts their own mount
/// namespace, inside it (`nsenter` on its sshd).
fn floor_script(lab: &Lab, config: &Config) -> String {
    let run = lab.run_dir();
    let mut script = String::from("pids=\n");
    for host in config.inventory().hosts() {
        let sshd_config = std::fs::read_to_string(run.join(format!("ssh/sshd-{host}.conf"))).expect("sshd config");
        let set_env = sshd_config.lines().find_map(|l| l.strip_prefix("SetEnv ")).expect("SetEnv").to_string();
        let enter = if lab.var("LAB_REAL_PATHS") == "1" {
            let pid = std::fs::read_to_string(run.join(format!("pids/sshd-{host}.pid"))).expect("sshd pid");
            format!("nsenter -t {} -m -- ", pid.trim())
        } else {
            String::new()
        };
        script.push_str(&format!("{enter}env {set_env} sh -c {} >/dev/null 2>&1 & pids=\"$pids $!\"\n", quote(&commands(config, &host))));
    }
    script.push_str("for p in $pids; do wait $p; done\n");
    script
}

fn time_script(script: &str) -> f64 {
    let start = Instant::now();
    let status = Command::new("sh").arg("-c").arg(script).status().expect("sh runs");
    assert!(status.success(), "script failed:\n{script}");
    start.elapsed().as_secs_f64() * 1000.0
}

/// Resident memory of this process, in KB.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

struct Figures {
    hosts: usize,
    nodes: usize,
    qmgrs: usize,
    probes: usize,
    floor: Vec<f64>,
    warm: Vec<f64>,
    script: Vec<f64>,
    cold: Vec<f64>,
    channels: f64,
    build_ms: f64,
}

fn measure(runtime: &tokio::runtime::Runtime, sim_bin: &Path, scale: u32, soak_minutes: u64) -> Figures {
    let lab = if scale == 1 { Lab::start(sim_bin) } else { Lab::start_groups(sim_bin, scale) };
    let config = Config::load(Path::new(lab.var("LAB_CONSOLE_CONFIG"))).expect("lab config");
    let inventory = config.inventory();
    let control = tempfile::Builder::new().prefix("rb").tempdir_in("/tmp").expect("control dir");
    let script = ssh_script(&lab, &config, control.path());
    let floor = floor_script(&lab, &config);

    runtime.block_on(async {
        let mut cold = Vec::new();
        for _ in 0..3 {
            let ssh = ssh_exec(&config, control.path());
            let poller = Poller::new(inventory.clone(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_secs(60), Duration::from_secs(30));
            let start = Instant::now();
            let snapshot = poller.refresh().await;
            cold.push(start.elapsed().as_secs_f64() * 1000.0);
            assert!(snapshot.regions.iter().flat_map(|r| &r.nodes).all(|n| n.reachable), "every node answers");
            ssh.close_all().await;
        }

        let ssh = ssh_exec(&config, control.path());
        let poller = Arc::new(Poller::new(inventory.clone(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_secs(2), Duration::from_secs(30)));
        poller.refresh().await;
        time_script(&script); // opens the script's masters
        time_script(&floor);
        let (mut f, mut w, mut s) = (Vec::new(), Vec::new(), Vec::new());
        let mut channels = 0;
        for run in 0..RUNS {
            // Each run in another order: floor, console, script / console, script, floor / …
            for which in (0..3).map(|i| (i + run) % 3) {
                match which {
                    0 => f.push(time_script(&floor)),
                    1 => {
                        let before = ssh.channels_opened();
                        let start = Instant::now();
                        let snapshot = poller.refresh().await;
                        w.push(start.elapsed().as_secs_f64() * 1000.0);
                        channels += ssh.channels_opened() - before;
                        assert!(snapshot.regions.iter().flat_map(|r| &r.nodes).all(|n| n.reachable && n.error.is_none()));
                    }
                    _ => s.push(time_script(&script)),
                }
            }
        }
        let build_ms = poller.build_micros() as f64 / 1000.0;

        if soak_minutes > 0 {
            let task = poller.spawn();
            let started = Instant::now();
            let mut line = format!("  poller RSS over {soak_minutes} min of 2 s polls ({} hosts): start {} KB", inventory.hosts().len(), rss_kb());
            while started.elapsed() < Duration::from_secs(soak_minutes * 60) {
                tokio::time::sleep(Duration::from_secs(soak_minutes * 60 / 6)).await;
                line.push_str(&format!(", {} min {} KB", started.elapsed().as_secs() / 60, rss_kb()));
            }
            task.abort();
            println!("{line} ({} refreshes)", poller.refreshes());
        }
        ssh.close_all().await;
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("for s in {}/*; do ssh -o ControlPath=$s -O exit x 2>/dev/null; done", control.path().display()))
            .status();

        Figures {
            hosts: inventory.hosts().len(),
            nodes: inventory.regions.iter().map(|r| r.nodes.len()).sum(),
            qmgrs: inventory.qmgrs.len(),
            probes: inventory.hosts().iter().map(|h| model::probe::probes_for(&inventory, h).len()).sum(),
            floor: f,
            warm: w,
            script: s,
            cold,
            channels: channels as f64 / RUNS as f64,
            build_ms,
        }
    })
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // The simulator built like the real tools are: optimised (its work is shared by all sides).
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf();
    let built = Command::new("cargo").args(["build", "--quiet", "--release", "-p", "rdqm-sim", "--bin", "rdqm-sim"]).current_dir(&repo).status().expect("cargo");
    assert!(built.success());
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), std::path::PathBuf::from);
    let sim_bin = target.join("release").join("rdqm-sim");
    let scales: Vec<u32> = std::env::var("BENCH_SCALES").unwrap_or_else(|_| "1,10".into()).split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let soak: u64 = std::env::var("BENCH_SOAK_MINUTES").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let largest = scales.iter().copied().max().unwrap_or(1);

    let mut warm_medians = Vec::new();
    for scale in &scales {
        let fig = measure(&runtime, &sim_bin, *scale, if *scale == largest { soak } else { 0 });
        let (fmin, fmed, fmax) = stats(fig.floor);
        let (wmin, wmed, wmax) = stats(fig.warm);
        let (smin, smed, smax) = stats(fig.script);
        let (cmin, cmed, cmax) = stats(fig.cold);
        println!("estate refresh, LAB_SCALE={scale}: {} hosts ({} MQ nodes, {} queue managers), {} commands per refresh, lab over real sshd on loopback", fig.hosts, fig.nodes, fig.qmgrs, fig.probes);
        println!("  floor (no SSH, all hosts at once): min {fmin:7.1} ms  median {fmed:7.1} ms  max {fmax:7.1} ms");
        println!("  console, warm (open masters):      min {wmin:7.1} ms  median {wmed:7.1} ms  max {wmax:7.1} ms");
        println!("  ssh script over ControlMaster:     min {smin:7.1} ms  median {smed:7.1} ms  max {smax:7.1} ms");
        println!("  console, cold (new masters):       min {cmin:7.1} ms  median {cmed:7.1} ms  max {cmax:7.1} ms");
        println!("  SSH channels per warm refresh: {:.1} for {} hosts", fig.channels, fig.hosts);
        println!("  of which building the snapshot (parse, findings): {:.1} ms", fig.build_ms);
        println!("  console / floor (medians): {:.2}x; script / console: {:.2}x", wmed / fmed, smed / wmed);
        warm_medians.push((*scale, wmed));
    }
    if let (Some((s1, first)), Some((sn, last))) = (warm_medians.first(), warm_medians.last())
        && s1 != sn
    {
        println!("warm refresh at LAB_SCALE={sn} / LAB_SCALE={s1} (medians): {:.2}x", last / first);
    }
}
