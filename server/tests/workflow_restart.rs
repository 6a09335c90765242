//! The console killed mid-run and restarted: the run shows as interrupted at its step, and
//! resuming re-checks the estate and completes it. A real `rdqm-console serve` on the lab.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

use model::run::{Run, RunState, StepState};
use serde_json::{Value, json};
use sim::lab::Lab;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Console(Child);

impl Console {
    fn start(config: &str) -> Console {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rdqm-console"))
            .args(["serve", "--config", config])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert!(line.contains("listening on"), "{line}");
        Console(child)
    }

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Client {
    async fn login(base: &str) -> Client {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let response = http.post(format!("{base}/api/session")).json(&json!({"username": "mqadmin", "password": "mqadmin"})).send().await.unwrap();
        assert!(response.status().is_success());
        let body: Value = response.json().await.unwrap();
        Client { http, base: base.to_string(), csrf: body["csrf"].as_str().unwrap().to_string() }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.http.post(format!("{}{path}", self.base)).header("X-CSRF-Token", &self.csrf).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn run(&self, id: &str) -> Run {
        self.http.get(format!("{}/api/runs/{id}", self.base)).send().await.unwrap().json().await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_a_run_then_resumed() {
    let lab = Lab::start_default();
    let config = lab.var("LAB_CONSOLE_CONFIG").to_string();
    let base = lab.var("LAB_CONSOLE_URL").to_string();
    let mut console = Console::start(&config);
    let client = Client::login(&base).await;
    let (status, plan) = client.post("/api/plans", json!({"kind": "dr-switchover", "qmgr": "DRHAQM1", "to_region": "DAL"})).await;
    assert_eq!(status, 200, "{plan}");
    // Slow MQIPT's answer so the console can be killed during the refresh (step 5).
    assert!(lab.sim(&["fault", "latency", "wdc-bastion", "2500"]).status.success());
    let (status, started) = client.post(&format!("/api/plans/{}/execute", plan["id"].as_str().unwrap()), json!({"confirm": "DRHAQM1"})).await;
    assert_eq!(status, 202, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    let mut seen_refresh = false;
    for _ in 0..600 {
        let run = client.run(&run_id).await;
        if run.steps[3].state == StepState::Succeeded && run.steps[4].state == StepState::Running {
            seen_refresh = true;
            break;
        }
        assert!(!run.state.is_final(), "{run:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen_refresh, "step 5 never started");
    console.kill();
    assert!(lab.sim(&["fault", "clear"]).status.success());

    let _console = Console::start(&config);
    let client = Client::login(&base).await;
    let run = client.run(&run_id).await;
    assert_eq!(run.state, RunState::Interrupted, "{run:#?}");
    assert!(run.message.as_deref().unwrap_or("").contains("step 5"), "{:?}", run.message);
    assert!(run.steps[..4].iter().all(|s| s.state == StepState::Succeeded), "{run:#?}");

    let (status, body) = client.post(&format!("/api/runs/{run_id}/resume"), json!({})).await;
    assert_eq!(status, 202, "{body}");
    let mut last = client.run(&run_id).await;
    for _ in 0..600 {
        if last.state.is_final() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = client.run(&run_id).await;
    }
    assert_eq!(last.state, RunState::Succeeded, "{last:#?}");
    assert!(last.steps[..4].iter().all(|s| s.state == StepState::Succeeded), "steps 1-4 are not run again");
    let status = String::from_utf8_lossy(&lab.ssh("dal1-mq1", "rdqmstatus -m DRHAQM1").stdout).into_owned();
    assert!(status.contains("Queue manager status:                   Running"), "{status}");
    let conf = std::fs::read_to_string(lab.var("LAB_MQIPT_CONF")).unwrap();
    assert!(conf.contains("Destination=e8deec77-us-south.lb.appdomain.cloud\nDestinationPort=1501"), "{conf}");
}
