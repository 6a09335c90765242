//! Bench (not a test): N event-stream viewers plus M requests a second on `/api/estate`
//! against a release console on a lab over real SSH. Reports the requests' p50/p99 latency,
//! the console's RSS and CPU, and the bytes each viewer receives per poll, while the estate
//! does not change and at the poll that carries one queue manager's change.
//!
//! Run: `cargo bench -p rdqm-console --bench load` (builds the release console and simulator,
//! starts and stops its own lab). `LOAD_VIEWERS` (1000), `LOAD_RPS` (2000), `LOAD_SECS` (20),
//! `LAB_SCALE` (1) change the load and the estate; `LOAD_WRAPPER` runs the console under a tool;
//! `LOAD_CONSOLE_BIN` runs another console binary.

use sim::lab::Lab;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The console process, stopped when dropped.
struct Console(Child);

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The console's threads now.
fn threads(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find(|l| l.starts_with("Threads:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Resident memory (KB) and CPU time (clock ticks, user + system) of a process.
fn proc_usage(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + fields.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (rss, ticks)
}

/// The `"version":N` an event's data carries (the snapshot it is or leads to).
fn version_of(event: &str) -> Option<u64> {
    let at = event.find("\"version\":")? + "\"version\":".len();
    let digits: String = event[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Bytes on the wire per snapshot version, summed over every viewer.
#[derive(Default)]
struct Wire {
    by_version: Mutex<BTreeMap<u64, u64>>,
    events: AtomicU64,
    other_bytes: AtomicU64,
}

async fn viewer(client: reqwest::Client, url: String, cookie: String, wire: Arc<Wire>, ready: Arc<AtomicU64>) {
    let Ok(mut response) = client.get(&url).header("Cookie", &cookie).send().await else { return };
    if !response.status().is_success() {
        eprintln!("viewer refused: {}", response.status());
        return;
    }
    ready.fetch_add(1, Ordering::Relaxed);
    let mut pending = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            wire.events.fetch_add(1, Ordering::Relaxed);
            match version_of(&event) {
                Some(v) => *wire.by_version.lock().unwrap_or_else(|p| p.into_inner()).entry(v).or_default() += event.len() as u64,
                None => {
                    wire.other_bytes.fetch_add(event.len() as u64, Ordering::Relaxed);
                }
            }
        }
    }
}

async fn current_version(client: &reqwest::Client, base: &str, cookie: &str) -> u64 {
    let body = client.get(format!("{base}/api/estate")).header("Cookie", cookie).send().await.expect("estate").text().await.unwrap_or_default();
    version_of(&body).unwrap_or(0)
}

fn main() {
    let viewers = env_or("LOAD_VIEWERS", 1000) as usize;
    let rps = env_or("LOAD_RPS", 2000);
    let secs = env_or("LOAD_SECS", 20);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo").to_path_buf();
    let built = Command::new("cargo")
        .args(["build", "--quiet", "--release", "-p", "rdqm-sim", "--bin", "rdqm-sim", "-p", "rdqm-console", "--bin", "rdqm-console"])
        .current_dir(&repo)
        .status()
        .expect("cargo");
    assert!(built.success());
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from);
    let lab = Lab::start(&target.join("release").join("rdqm-sim"));

    // The lab's configuration, with room for the viewers (one session opens them all).
    let config = std::fs::read_to_string(lab.var("LAB_CONSOLE_CONFIG")).expect("lab config");
    let limits = format!("[auth]\nmax_streams_per_session = {n}\nmax_streams_per_user = {n}\nmax_streams = {n}\n", n = viewers + 10);
    let config = config.replacen("[auth]\n", &limits, 1);
    let config_path = lab.run_dir().join("load-console.toml");
    std::fs::write(&config_path, config).expect("config written");
    // `LOAD_WRAPPER` runs the console under a tool (e.g. `heaptrack`), to see where memory
    // goes; the figures of RSS and CPU are then the tool's process, not the console's.
    // `LOAD_CONSOLE_BIN` measures another build (e.g. an older commit's) on the same lab.
    let console_bin = std::env::var_os("LOAD_CONSOLE_BIN").map_or_else(|| target.join("release").join("rdqm-console"), PathBuf::from);
    let mut command = match std::env::var("LOAD_WRAPPER") {
        Ok(wrapper) if !wrapper.is_empty() => {
            let mut c = Command::new(wrapper);
            c.arg(&console_bin);
            c
        }
        _ => Command::new(&console_bin),
    };
    let mut child = command
        .args(["serve", "--config"])
        .arg(&config_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("console starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    while !line.contains("listening on") {
        line.clear();
        assert!(out.read_line(&mut line).expect("console speaks") > 0, "the console ended before listening");
    }
    let pid = child.id();
    let _console = Console(child);
    let base = lab.var("LAB_CONSOLE_URL").trim_end_matches('/').to_string();

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder().pool_max_idle_per_host(viewers + 64).build().expect("client");
        let signed_in = client
            .post(format!("{base}/api/session"))
            .json(&serde_json::json!({"username": "mqviewer", "password": "mqviewer"}))
            .send()
            .await
            .expect("sign in");
        let cookie = signed_in.headers().get("set-cookie").and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).expect("session cookie").to_string();
        // The first refresh, so the estate is there before the load starts.
        while current_version(&client, &base, &cookie).await == 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        let wire = Arc::new(Wire::default());
        let ready = Arc::new(AtomicU64::new(0));
        let (rss_idle, _) = proc_usage(pid);
        for _ in 0..viewers {
            tokio::spawn(viewer(client.clone(), format!("{base}/api/events"), cookie.clone(), Arc::clone(&wire), Arc::clone(&ready)));
        }
        while (ready.load(Ordering::Relaxed) as usize) < viewers {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (rss_viewers, _) = proc_usage(pid);

        // Requests at a steady rate, each timed from its scheduled start.
        let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
        let failures = Arc::new(AtomicU64::new(0));
        let response_bytes = Arc::new(AtomicU64::new(0));
        let v0 = current_version(&client, &base, &cookie).await;
        let (_, cpu0) = proc_usage(pid);
        let started = Instant::now();
        let period = Duration::from_secs_f64(1.0 / rps.max(1) as f64);
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut rss_max = 0;
        let mut threads_max = 0;
        let mut fault_at = None;
        let mut sent = 0u64;
        while started.elapsed() < Duration::from_secs(secs) {
            ticker.tick().await;
            sent += 1;
            if sent.is_multiple_of(200) {
                rss_max = rss_max.max(proc_usage(pid).0);
                threads_max = threads_max.max(threads(pid));
            }
            // Half way: one queue manager changes (its DR status, as a link that slows does).
            if fault_at.is_none() && started.elapsed() >= Duration::from_secs(secs / 2) {
                fault_at = Some(current_version(&client, &base, &cookie).await);
                let out = lab.sim(&["fault", "dr-status", "DRHAQM2", "Synchronization in progress", "2048"]);
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            }
            let (client, url, cookie) = (client.clone(), format!("{base}/api/estate"), cookie.clone());
            let (latencies, failures, response_bytes) = (Arc::clone(&latencies), Arc::clone(&failures), Arc::clone(&response_bytes));
            tokio::spawn(async move {
                let t = Instant::now();
                match client.get(url).header("Cookie", cookie).header("Accept-Encoding", "br, gzip").send().await {
                    Ok(r) if r.status().is_success() => {
                        let body = r.bytes().await.map(|b| b.len()).unwrap_or(0);
                        response_bytes.fetch_add(body as u64, Ordering::Relaxed);
                        latencies.lock().unwrap_or_else(|p| p.into_inner()).push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        let elapsed = started.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (rss_end, cpu1) = proc_usage(pid);
        let v1 = current_version(&client, &base, &cookie).await;
        let ticks_per_sec = 100.0; // USER_HZ on Linux
        let cpu = (cpu1 - cpu0) as f64 / ticks_per_sec / elapsed * 100.0;

        let mut lat = latencies.lock().unwrap_or_else(|p| p.into_inner()).clone();
        lat.sort_by(|a, b| a.total_cmp(b));
        let done = lat.len() as f64;
        let by_version = wire.by_version.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let per_viewer = |v: u64| by_version.get(&v).copied().unwrap_or(0) as f64 / viewers as f64;
        let fault_at = fault_at.unwrap_or(v1);
        let unchanged: Vec<f64> = (v0 + 1..=v1).filter(|v| *v <= fault_at || *v > fault_at + 3).map(per_viewer).collect();
        let change = (fault_at + 1..=fault_at + 3).map(|v| (v, per_viewer(v))).max_by(|a, b| a.1.total_cmp(&b.1));
        let mut unchanged_sorted = unchanged.clone();
        unchanged_sorted.sort_by(|a, b| a.total_cmp(b));

        println!("load: {viewers} event-stream viewers, {rps} requests/s on /api/estate for {secs} s, release console on the lab");
        println!("  requests: {} done ({:.0}/s), {} failed; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", lat.len(), done / elapsed, failures.load(Ordering::Relaxed), percentile(&lat, 0.5), percentile(&lat, 0.99), percentile(&lat, 1.0));
        println!("  /api/estate body as sent (br/gzip accepted): {:.0} bytes on average", response_bytes.load(Ordering::Relaxed) as f64 / done.max(1.0));
        println!("  console RSS: {} KB idle, {} KB with viewers, {} KB max under load, {} KB at the end", rss_idle, rss_viewers, rss_max.max(rss_end), rss_end);
        println!("  console CPU under load: {cpu:.0}% of one core; at most {threads_max} threads");
        println!("  polls seen: versions {}..={} ({} polls)", v0 + 1, v1, v1.saturating_sub(v0));
        println!(
            "  bytes per viewer per unchanged poll: min {:.0}, median {:.0}, max {:.0}",
            percentile(&unchanged_sorted, 0.0),
            percentile(&unchanged_sorted, 0.5),
            percentile(&unchanged_sorted, 1.0)
        );
        if let Some((v, bytes)) = change {
            println!("  bytes per viewer at the poll carrying DRHAQM2's change (version {v}): {bytes:.0}");
        }
        println!("  events without a version (keep-alives, runs): {} bytes in all", wire.other_bytes.load(Ordering::Relaxed));
    });
    let _ = lab.sim(&["fault", "clear"]);
}
