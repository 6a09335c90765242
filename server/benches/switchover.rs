//! Bench (not a test): a full guarded DR switchover of DRHAQM1 (WDC → DAL → WDC) by the
//! console's engine over real SSH, against a plain shell script running the runbook's
//! commands over ssh ControlMasters, in the same run on the same lab.
//!
//! Run: `cargo bench -p rdqm-console --bench switchover`.

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

const ROUNDS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The runbook as an operator's script: the same commands, no checks beyond waiting for Running.
fn script(lab: &Lab, control: &std::path::Path, from: (&str, &str), to: (&str, &str), to_lb: &str) -> String {
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
    format!(
        "set -e
{from_ssh} rdqmdr -s -m DRHAQM1 >/dev/null
{to_ssh} rdqmdr -p -m DRHAQM1 >/dev/null
until {to_ssh} rdqmstatus -m DRHAQM1 | grep -q 'Queue manager status: *Running'; do sleep 0.2; done
{bastion} cp -p {conf} {conf}.bak
{bastion} \"sed -i '/^ListenerPort=1501$/,/^Destination=/ s/^Destination=.*/Destination={to_lb}/' {conf}\"
{bastion} mqiptAdmin -refresh -n HAMQ | grep -q MQCAI025
",
        from_ssh = ssh(from.1),
        to_ssh = ssh(to.1),
        bastion = ssh("wdc-bastion"),
        conf = conf,
        to_lb = to_lb,
    ) + &format!("# {} -> {}\n", from.0, to.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let lab = Lab::start_default();
    let config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).expect("lab config");
    let control = tempfile::Builder::new().prefix("rs").tempdir_in("/tmp").expect("control dir");
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
        let engine = Arc::new(engine);
        let actor = Actor { user: "bench".into(), source: "bench".into(), operator: true };
        poller.refresh().await;

        let mut console_ms = Vec::new();
        for i in 0..ROUNDS * 2 {
            let to = if i % 2 == 0 { "DAL" } else { "WDC" };
            let start = Instant::now();
            let plan = engine.plan(Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: to.into() }, &actor).await.expect("plan");
            assert!(!plan.blocked(), "{:#?}", plan.preconditions);
            let run_id = engine.execute(&plan.id, "DRHAQM1", &actor).await.expect("execute");
            let run = loop {
                let run = store.load_run(run_id.clone()).await.expect("run").expect("run exists");
                if run.state.is_final() {
                    break run;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            assert_eq!(run.state, RunState::Succeeded, "{run:#?}");
            console_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        ssh.close_all().await;

        let dal_lb = sim::reference::DAL_LB;
        let wdc_lb = sim::reference::WDC_LB;
        let mut script_ms = Vec::new();
        for i in 0..ROUNDS * 2 {
            let text = if i % 2 == 0 {
                script(&lab, control.path(), ("WDC", "wdc1-mq1"), ("DAL", "dal1-mq1"), dal_lb)
            } else {
                script(&lab, control.path(), ("DAL", "dal1-mq1"), ("WDC", "wdc1-mq1"), wdc_lb)
            };
            let start = Instant::now();
            let status = Command::new("sh").arg("-c").arg(&text).status().expect("sh");
            assert!(status.success(), "script failed: {text}");
            script_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        (console_ms, script_ms)
    });
    let (c, s) = (median(console_ms.clone()), median(script_ms.clone()));
    println!("DR switchover of DRHAQM1 over real SSH, {} switchovers each (median):", ROUNDS * 2);
    println!("  console (plan, re-check, 6 verified steps, journal, audit): {c:8.1} ms  {console_ms:.0?}");
    println!("  plain ssh script (same commands, no checks):                {s:8.1} ms  {script_ms:.0?}");
    println!("  ratio console / script: {:.2}", c / s);
}
