//! A console in-process on a lab reached over real SSH, for workflow tests.

use super::{login, send};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use console::config::Config;
use console::fleet::RemoteExec;
use console::fleet::poller::Poller;
use console::fleet::ssh::SshExec;
use console::http::router;
use console::store::{SqliteStore, Store};
use console::workflow::Engine;
use console::workflow::engine::MqiptTarget;
use model::run::{Run, RunState};
use serde_json::Value;
use sim::lab::Lab;
use std::sync::Arc;
use std::time::Duration;

pub struct Harness {
    pub lab: Lab,
    pub app: Router,
    pub ssh: Arc<SshExec>,
    pub store: Arc<SqliteStore>,
    store_path: std::path::PathBuf,
    pub admin: (String, String),
    pub engine: Arc<Engine>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Harness {
    pub async fn start() -> Harness {
        Self::start_with(|_| {}).await
    }

    /// A console on a new lab whose sign-in (against the lab's slapd) `adjust` may change.
    pub async fn start_with(adjust: impl FnOnce(&mut console::http::AuthState) + Send + 'static) -> Harness {
        Self::start_on(Lab::start_default(), adjust).await
    }

    /// A console on a lab whose simulated durations are scaled by `time_scale`.
    pub async fn start_scaled(time_scale: &str) -> Harness {
        Self::start_on(Lab::start_default_scaled(time_scale), |_| {}).await
    }

    /// A console on a lab of `groups` HA groups per region (`LAB_SCALE`).
    pub async fn start_groups(groups: u32) -> Harness {
        Self::start_on(Lab::start_groups(&Lab::sim_bin(), groups), |_| {}).await
    }

    /// A console whose configuration (read from the lab's) `edit` changes first.
    pub async fn start_configured(time_scale: &str, edit: impl FnOnce(&mut Config)) -> Harness {
        Self::start_from(Lab::start_default_scaled(time_scale), edit, |_| {}).await
    }

    async fn start_on(lab: Lab, adjust: impl FnOnce(&mut console::http::AuthState) + Send + 'static) -> Harness {
        Self::start_from(lab, |_| {}, adjust).await
    }

    async fn start_from(lab: Lab, edit: impl FnOnce(&mut Config), adjust: impl FnOnce(&mut console::http::AuthState) + Send + 'static) -> Harness {
        let mut config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).unwrap();
        edit(&mut config);
        let control = tempfile::Builder::new().prefix("rw").tempdir_in("/tmp").unwrap();
        let ssh = Arc::new(config.ssh_exec(control.path().to_path_buf()));
        let poller = Arc::new(Poller::new(config.inventory(), ssh.clone() as Arc<dyn RemoteExec>, Duration::from_secs(60), Duration::from_secs(10)));
        let dir = tempfile::tempdir().unwrap();
        let store_path = dir.path().join("console.sqlite");
        let store = Arc::new(SqliteStore::open(&store_path).unwrap());
        let targets = config
            .mqipt
            .iter()
            .map(|m| MqiptTarget { name: m.name.clone(), host: m.host.clone(), conf_path: m.conf_path.clone(), refresh: m.refresh.clone() })
            .collect();
        let directory = console::auth::directory::LdapDirectory::new(config.ldap.clone().unwrap(), lab.var("LAB_LDAP_ADMIN_PASSWORD").to_string());
        // The certificate inventory, read when a test asks (`POST /api/certificates/refresh`).
        let mut certs = console::certs::CertCollector::new(&config, ssh.clone() as Arc<dyn RemoteExec>);
        certs.poller = Some(Arc::clone(&poller));
        let state = super::builder(ssh.clone() as Arc<dyn RemoteExec>, poller, store.clone() as Arc<dyn Store>, Arc::new(directory))
            .certs(Some(Arc::new(certs)))
            .mqipt(targets)
            .clients(config.client_targets())
            .rotation(config.cert_policy.clone(), config.tls_client_checks())
            .assets_dir(dir.path().to_path_buf())
            .adjust_auth(adjust)
            .build()
            .await
            .unwrap();
        let engine = Arc::clone(&state.engine);
        let app = router(state);
        let admin = login(&app, "mqadmin", "mqadmin").await;
        Harness { lab, app, ssh, store, store_path, admin, engine, _dirs: (control, dir) }
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.post_as(&self.admin, path, body).await
    }

    /// Signs another user in (cookie, CSRF token).
    pub async fn login(&self, user: &str) -> (String, String) {
        login(&self.app, user, user).await
    }

    /// The console's SQLite file.
    pub fn store_path(&self) -> &std::path::Path {
        &self.store_path
    }

    /// The lab's console configuration with this console's store, for the command line.
    pub fn config_with_store(&self) -> String {
        let text = std::fs::read_to_string(self.lab.var("LAB_CONSOLE_CONFIG")).unwrap();
        let store = text.find("[store]").unwrap();
        let line = text[store..].find("\npath = ").unwrap() + store + 1;
        let end = text[line..].find('\n').unwrap() + line;
        let changed = format!("{}path = {:?}{}", &text[..line], self.store_path.display().to_string(), &text[end..]);
        let path = self.store_path.with_extension("toml");
        std::fs::write(&path, changed).unwrap();
        path.display().to_string()
    }

    /// Signs in with a name typed as `typed` (any case or width) and `password`.
    pub async fn login_as(&self, typed: &str, password: &str) -> (String, String) {
        login(&self.app, typed, password).await
    }

    /// The commands the lab's hosts ran that change something, as the simulator records them
    /// (`"$LAB_SIM" state`, not the console's word).
    pub fn commands_run(&self) -> Vec<(String, String)> {
        let out = self.lab.sim(&["state"]);
        let state: Value = serde_json::from_slice(&out.stdout).unwrap();
        state["command_log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["host"].as_str().unwrap().to_string(), c["command"].as_str().unwrap().to_string()))
            .collect()
    }

    pub async fn get_as(&self, session: &(String, String), path: &str) -> (StatusCode, Value) {
        let request = Request::get(path).header(header::COOKIE, &session.0).body(Body::empty()).unwrap();
        let (status, _, text) = send(&self.app, request).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn post_as(&self, session: &(String, String), path: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::post(path)
            .header(header::COOKIE, &session.0)
            .header("X-CSRF-Token", &session.1)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (status, _, text) = send(&self.app, request).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let request = Request::get(path).header(header::COOKIE, &self.admin.0).body(Body::empty()).unwrap();
        let (status, _, text) = send(&self.app, request).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn plan(&self, qmgr: &str, to_region: &str) -> Value {
        let (status, plan) = self.post("/api/plans", serde_json::json!({"kind": "dr-switchover", "qmgr": qmgr, "to_region": to_region})).await;
        assert_eq!(status, StatusCode::OK, "{plan}");
        plan
    }

    pub async fn execute(&self, plan: &Value, confirm: &str) -> (StatusCode, Value) {
        let id = plan["id"].as_str().unwrap();
        self.post(&format!("/api/plans/{id}/execute"), serde_json::json!({"confirm": confirm})).await
    }

    /// Polls the run until it is final.
    pub async fn wait(&self, run_id: &str) -> Run {
        for _ in 0..600 {
            let (status, value) = self.get(&format!("/api/runs/{run_id}")).await;
            assert_eq!(status, StatusCode::OK, "{value}");
            let run: Run = serde_json::from_value(value).unwrap();
            if run.state.is_final() || matches!(run.state, RunState::Interrupted | RunState::AwaitingApproval) {
                return run;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("run {run_id} did not end");
    }

    /// Plans and runs a switchover, returning the final run.
    pub async fn switch(&self, qmgr: &str, to_region: &str) -> Run {
        let plan = self.plan(qmgr, to_region).await;
        let (status, body) = self.execute(&plan, qmgr).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        self.wait(body["run_id"].as_str().unwrap()).await
    }

    /// `rdqmstatus -m QM` on a host, read with plain ssh (not trusting the console).
    pub fn field(&self, host: &str, qmgr: &str, label: &str) -> String {
        let out = self.lab.ssh(host, &format!("rdqmstatus -m {qmgr}"));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| l.starts_with(label))
            .map(|l| l[label.len()..].trim().to_string())
            .unwrap_or_default()
    }

    /// A file beside mqipt.conf (found on this machine) as the bastion names it.
    pub fn bastion_path(&self, local: &str) -> String {
        let name = std::path::Path::new(local).file_name().unwrap().to_string_lossy().into_owned();
        if self.lab.var("LAB_REAL_PATHS") == "1" {
            format!("/opt/mqipt/installation1/mqipt/HAMQ/{name}")
        } else {
            local.to_string()
        }
    }

    pub fn conf(&self) -> String {
        std::fs::read_to_string(self.lab.var("LAB_MQIPT_CONF")).unwrap()
    }
}

impl Harness {
    /// Plans `body` until no precondition blocks it (the estate settling after a fault).
    pub async fn until_plan_passes(&self, body: Value) -> Value {
        for _ in 0..300 {
            let (status, plan) = self.post("/api/plans", body.clone()).await;
            assert_eq!(status, StatusCode::OK, "{plan}");
            if plan["preconditions"].as_array().unwrap().iter().all(|p| p["status"] != "block") {
                return plan;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{body} stayed blocked");
    }

    /// Plans `body`, executes it (confirming with `confirm`), returns the run id.
    pub async fn start_run(&self, body: Value, confirm: &str) -> (Value, String) {
        let (status, plan) = self.post("/api/plans", body).await;
        assert_eq!(status, StatusCode::OK, "{plan}");
        let (status, started) = self.execute(&plan, confirm).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{started} for plan {plan}");
        (plan, started["run_id"].as_str().unwrap().to_string())
    }
}
