//! Bench (not a test): the RTO of a DR drill of DRHAQM1 as the console measures it (from the
//! cut to the first client connect through MQIPT in the new region) against a bare script
//! doing the same commands over ssh ControlMasters (`rdqmdr -s`, `rdqmdr -p`, edit the route,
//! refresh MQIPT, `amqscnxc` until it connects), interleaved A-B-B-A on one lab at time scale
//! 1, so both meet the same simulated RDQM timings.
//!
//! Run: `cargo bench -p rdqm-console --bench drill_rto` (about four minutes).

use console::config::Config;
use console::fleet::RemoteExec;
use console::fleet::poller::Poller;
use console::store::{SqliteStore, Store};
use console::workflow::Engine;
use console::workflow::engine::{Actor, MqiptTarget};
use model::plan::Intent;
use model::run::RunState;
use sim::lab::Lab;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROUNDS: usize = 2;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The same cut and recovery as a script: no checks, no journal, the connect retried.
fn script(lab: &Lab, control: &std::path::Path, from_host: &str, to_host: &str, to_lb: &str) -> String {
    let ssh = |host: &str| {
        format!(
            "ssh -F /dev/null -i {} -o UserKnownHostsFile={} -o BatchMode=yes -o ControlMaster=auto -o ControlPath={}/%p -o ControlPersist=300 -p {} {}@127.0.0.1",
            lab.var("LAB_SSH_KEY"),
            lab.var("LAB_KNOWN_HOSTS"),
            control.display(),
            lab.ssh_port(host),
            lab.var("LAB_SSH_USER")
        )
    };
    let conf = lab.var("LAB_MQIPT_CONF");
    let (channel, conname) = lab.var("LAB_MQSERVER_DRHAQM1").split_once("/TCP/").map(|(c, n)| (c.to_string(), n.to_string())).expect("MQSERVER");
    format!(
        "set -e
{from} rdqmdr -s -m DRHAQM1 >/dev/null
{to} rdqmdr -p -m DRHAQM1 >/dev/null
{bastion} cp -p {conf} {conf}.bak
{bastion} \"sed -i '/^ListenerPort=1501$/,/^Destination=/ s/^Destination=.*/Destination={to_lb}/' {conf}\"
{bastion} mqiptAdmin -refresh -n HAMQ | grep -q MQCAI025
until {client} \"amqscnxc -x '{conname}' -c {channel} DRHAQM1\" | grep -q 'Connection established'; do sleep 0.2; done
",
        from = ssh(from_host),
        to = ssh(to_host),
        bastion = ssh("wdc-bastion"),
        client = ssh("wdc-mq-client"),
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let lab = Lab::start_default_scaled("1");
    let config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).expect("lab config");
    let control = tempfile::Builder::new().prefix("rd").tempdir_in("/tmp").expect("control dir");
    let dir = tempfile::tempdir().expect("temp dir");

    let (console_ms, script_ms) = runtime.block_on(async {
        let ssh = Arc::new(config.ssh_exec(control.path().to_path_buf()));
        let poller = Arc::new(Poller::new(config.inventory(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_secs(60), Duration::from_secs(10)));
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("bench.sqlite")).expect("store"));
        let targets = config
            .mqipt
            .iter()
            .map(|m| MqiptTarget { name: m.name.clone(), host: m.host.clone(), conf_path: m.conf_path.clone(), refresh: m.refresh.clone() })
            .collect();
        let mut engine = Engine::new(Arc::clone(&store), ssh.clone() as Arc<dyn RemoteExec>, Arc::clone(&poller), targets);
        engine.flap_window = Duration::ZERO;
        engine.clients = config.client_targets();
        let engine = Arc::new(engine);
        let actor = Actor { user: "bench".into(), source: "bench".into(), operator: true };
        poller.refresh().await;

        let (mut console_ms, mut script_ms) = (Vec::new(), Vec::new());
        // A-B-B-A: each side runs both directions, and neither always goes first.
        for i in 0..ROUNDS * 4 {
            let (to, from_host, to_host, to_lb) =
                if i % 2 == 0 { ("DAL", "wdc1-mq1", "dal1-mq1", sim::reference::DAL_LB) } else { ("WDC", "dal1-mq1", "wdc1-mq1", sim::reference::WDC_LB) };
            if matches!(i % 4, 0 | 3) {
                let intent = Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: to.into(), messages: 50, unplanned: false, switch_back: false };
                let plan = engine.plan(intent, &actor).await.expect("plan");
                assert!(!plan.blocked(), "{:#?}", plan.preconditions);
                let run_id = engine.execute(&plan.id, "DRHAQM1", &actor).await.expect("execute");
                let run = loop {
                    let run = store.load_run(run_id.clone()).await.expect("run").expect("run exists");
                    if run.state.is_final() {
                        break run;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                };
                assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
                let report = store.load_drill_report(run_id).await.expect("report").expect("report exists");
                console_ms.push(report.rto_ms.expect("RTO measured") as f64);
            } else {
                let text = script(&lab, control.path(), from_host, to_host, to_lb);
                let start = Instant::now();
                let status = Command::new("sh").arg("-c").arg(&text).status().expect("sh");
                assert!(status.success(), "script failed: {text}");
                script_ms.push(start.elapsed().as_secs_f64() * 1000.0);
                poller.refresh().await;
            }
        }
        ssh.close_all().await;
        (console_ms, script_ms)
    });
    let (c, s) = (median(console_ms.clone()), median(script_ms.clone()));
    println!("DR drill RTO of DRHAQM1 (cut → first client connect through MQIPT), lab time scale 1, {} each (median):", ROUNDS * 2);
    println!("  console drill (verified steps, journal, audit): {c:8.0} ms  {console_ms:.0?}");
    println!("  bare ssh script (same commands, no checks):     {s:8.0} ms  {script_ms:.0?}");
    println!("  ratio console / script: {:.2}", c / s);
}
