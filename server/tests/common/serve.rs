//! A real `rdqm-console serve` process on a lab, and an HTTP client signed in to it.

use model::run::Run;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Console(Child);

impl Console {
    pub fn start(config: &str) -> Console {
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

    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Client {
    pub user: String,
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl Client {
    pub async fn login(base: &str) -> Client {
        Self::login_as(base, "mqadmin").await
    }

    /// Signs `user` in (the lab's passwords equal the names).
    pub async fn login_as(base: &str, user: &str) -> Client {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let response = http.post(format!("{base}/api/session")).json(&json!({"username": user, "password": user})).send().await.unwrap();
        assert!(response.status().is_success());
        let body: Value = response.json().await.unwrap();
        Client { user: user.to_string(), http, base: base.to_string(), csrf: body["csrf"].as_str().unwrap().to_string() }
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self.http.post(format!("{}{path}", self.base)).header("X-CSRF-Token", &self.csrf).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn run(&self, id: &str) -> Run {
        self.http.get(format!("{}/api/runs/{id}", self.base)).send().await.unwrap().json().await.unwrap()
    }
}

impl Client {
    /// Polls the run until it is final.
    pub async fn wait(&self, id: &str) -> Run {
        let mut last = self.run(id).await;
        for _ in 0..600 {
            if last.state.is_final() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            last = self.run(id).await;
        }
        last
    }
}
