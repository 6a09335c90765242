//! What every handler may reach, and the one way it is put together: `serve`, `demo` and the
//! tests all build it here, so that none of them wires a part the others do not have.

use crate::auth::RoleMap;
use crate::auth::directory::Directory;
use crate::auth::limiter::LoginLimiter;
use crate::auth::session::SessionKeys;
use crate::certs::CertCollector;
use crate::config::{AuthConfig, WorkflowConfig};
use crate::fleet::RemoteExec;
use crate::fleet::poller::Poller;
use crate::http::AuthState;
use crate::http::streams::{StreamLimits, StreamRegistry};
use crate::store::Store;
use crate::workflow::{Engine, EngineError};
use crate::workflow::engine::{ClientTarget, MqiptTarget};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub assets_dir: PathBuf,
    /// Demo mode: the in-process simulated estate, labelled DEMO in every page.
    pub demo: bool,
    pub poller: Arc<Poller>,
    /// Runs, plans, locks, sessions' revocations and the audit log.
    pub store: Arc<dyn Store>,
    pub auth: Arc<AuthState>,
    pub engine: Arc<Engine>,
    /// The certificate inventory (absent when no certificate source is configured).
    pub certs: Option<Arc<CertCollector>>,
    /// The estate as sent: encodings and deltas made once for every request and stream.
    pub wire: Arc<crate::http::estate_wire::EstateWire>,
}

impl AppState {
    /// A console reading the estate through `exec` (SSH, or the in-process simulator), keeping
    /// its records in `store` and signing people in against `directory`.
    pub fn builder(exec: Arc<dyn RemoteExec>, poller: Arc<Poller>, store: Arc<dyn Store>, directory: Arc<dyn Directory>) -> AppStateBuilder {
        AppStateBuilder {
            exec,
            poller,
            store,
            directory,
            roles: RoleMap { operator_groups: vec!["mqadmins".into()], viewer_groups: vec!["mqviewers".into()] },
            signing_key: None,
            auth: AuthConfig::default(),
            workflows: WorkflowConfig::default(),
            mqipt: Vec::new(),
            clients: Vec::new(),
            cert_policy: Default::default(),
            tls_clients: Vec::new(),
            certs: None,
            assets_dir: PathBuf::from("dist"),
            demo: false,
            metrics_token: None,
            adjust_auth: None,
        }
    }
}

type AdjustAuth = Box<dyn FnOnce(&mut AuthState) + Send>;

pub struct AppStateBuilder {
    exec: Arc<dyn RemoteExec>,
    poller: Arc<Poller>,
    store: Arc<dyn Store>,
    directory: Arc<dyn Directory>,
    roles: RoleMap,
    signing_key: Option<Vec<u8>>,
    auth: AuthConfig,
    workflows: WorkflowConfig,
    mqipt: Vec<MqiptTarget>,
    clients: Vec<ClientTarget>,
    cert_policy: model::cert_policy::CertPolicy,
    tls_clients: Vec<model::plan_cert::TlsClientCheck>,
    certs: Option<Arc<CertCollector>>,
    assets_dir: PathBuf,
    demo: bool,
    metrics_token: Option<String>,
    adjust_auth: Option<AdjustAuth>,
}

impl AppStateBuilder {
    pub fn roles(mut self, roles: RoleMap) -> Self {
        self.roles = roles;
        self
    }

    /// The key sessions are signed with; without one, a random key (sessions end on restart).
    pub fn signing_key(mut self, key: Vec<u8>) -> Self {
        self.signing_key = Some(key);
        self
    }

    pub fn auth_config(mut self, config: AuthConfig) -> Self {
        self.auth = config;
        self
    }

    pub fn workflow_config(mut self, config: WorkflowConfig) -> Self {
        self.workflows = config;
        self
    }

    /// The MQIPT instances whose configuration workflows may read and write.
    pub fn mqipt(mut self, targets: Vec<MqiptTarget>) -> Self {
        self.mqipt = targets;
        self
    }

    /// The client checks that end DR workflows (`[[clients]]`).
    pub fn clients(mut self, clients: Vec<ClientTarget>) -> Self {
        self.clients = clients;
        self
    }

    /// What rotations make (`[cert_policy]`) and the TLS clients that prove a route after one
    /// (`[[clients.tls_checks]]`).
    pub fn rotation(mut self, policy: model::cert_policy::CertPolicy, tls_clients: Vec<model::plan_cert::TlsClientCheck>) -> Self {
        self.cert_policy = policy;
        self.tls_clients = tls_clients;
        self
    }

    pub fn certs(mut self, certs: Option<Arc<CertCollector>>) -> Self {
        self.certs = certs;
        self
    }

    pub fn assets_dir(mut self, dir: PathBuf) -> Self {
        self.assets_dir = dir;
        self
    }

    pub fn demo(mut self, demo: bool) -> Self {
        self.demo = demo;
        self
    }

    /// `/metrics` with `Authorization: Bearer <token>`; without one, a session.
    pub fn metrics_token(mut self, token: Option<String>) -> Self {
        self.metrics_token = token;
        self
    }

    /// A last change to sign-in (tests shorten the role re-check, for instance).
    pub fn adjust_auth(mut self, adjust: impl FnOnce(&mut AuthState) + Send + 'static) -> Self {
        self.adjust_auth = Some(Box::new(adjust));
        self
    }

    /// Builds it; runs a previous process left running are marked interrupted (the number is
    /// logged), so that they are resumed or rolled back by a person, never silently.
    pub async fn build(self) -> Result<AppState, EngineError> {
        let key = self.signing_key.unwrap_or_else(|| rand::random::<[u8; 32]>().to_vec());
        let config = &self.auth;
        let keys = SessionKeys::new(&key, Duration::from_secs(config.session_minutes * 60), Duration::from_secs(config.session_max_hours * 3600));
        let limiter = LoginLimiter::new(config.login_attempts_per_minute);
        let mut auth = AuthState::new(self.directory, self.roles, keys, limiter, Arc::clone(&self.store));
        auth.secure_cookies = config.secure_cookies;
        auth.recheck = Duration::from_secs(config.role_recheck_secs);
        auth.streams = StreamRegistry::new(StreamLimits {
            per_session: config.max_streams_per_session,
            per_user: config.max_streams_per_user,
            total: config.max_streams,
        });
        auth.metrics_token = self.metrics_token;
        if let Some(adjust) = self.adjust_auth {
            adjust(&mut auth);
        }

        let mut engine = Engine::new(Arc::clone(&self.store), self.exec, Arc::clone(&self.poller), self.mqipt);
        engine.certs = self.certs.clone();
        engine.clients = self.clients;
        engine.cert_policy = self.cert_policy;
        engine.tls_clients = self.tls_clients;
        engine.plan_ttl = Duration::from_secs(self.workflows.plan_minutes * 60);
        engine.approval_ttl = Duration::from_secs(self.workflows.approval_minutes * 60);
        engine.flap_window = Duration::from_secs(self.workflows.flap_minutes * 60);
        let engine = Arc::new(engine);
        let interrupted = engine.recover().await?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "runs were interrupted by the last stop; resume or roll them back");
        }

        Ok(AppState {
            assets_dir: self.assets_dir,
            demo: self.demo,
            poller: self.poller,
            store: self.store,
            auth: Arc::new(auth),
            engine,
            certs: self.certs,
            wire: Arc::default(),
        })
    }
}
