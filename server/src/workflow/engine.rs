//! The engine: plan, execute with compare-and-swap, journal every step, undo on failure,
//! recover interrupted runs.

use super::actions::{self, Done};
use crate::config::RefreshCommand;
use crate::fleet::poller::Poller;
use crate::fleet::{Cmd, RemoteExec};
use crate::store::{AuditEvent, StartRefused, StartRun, Store, StoreError};
use model::estate::Inventory;
use model::plan::{self, CheckStatus, ConfRead, HeldLock, Intent, Plan, PlanContext, PreconditionCode};
use model::run::{Run, RunState, RunStep, StepState};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::broadcast;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Expired(String),
    #[error("type {0} to confirm")]
    Confirm(String),
    #[error("a precondition blocks this plan: {0}")]
    Blocked(String),
    #[error("{0}")]
    Locked(String),
    /// Another request changed the run or the plan first (the compare-and-swap lost).
    #[error("{0}")]
    Conflict(String),
    /// The plan ran already; a plan runs once.
    #[error("{0}")]
    PlanUsed(String),
    #[error("the estate changed since planning, so nothing was run: {0}")]
    Changed(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the audit log cannot be written, so nothing is done: {0}")]
    Audit(StoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An MQIPT instance as the engine needs it.
#[derive(Debug, Clone)]
pub struct MqiptTarget {
    pub name: String,
    pub host: String,
    pub conf_path: String,
    pub refresh: RefreshCommand,
}

pub struct Engine {
    store: Arc<dyn Store>,
    pub(super) exec: Arc<dyn RemoteExec>,
    poller: Arc<Poller>,
    mqipt: Vec<MqiptTarget>,
    runs: broadcast::Sender<Run>,
    pub plan_ttl: Duration,
    pub lock_ttl: Duration,
    pub flap_window: Duration,
    pub approval_ttl: Duration,
    /// The certificate inventory, checked before moving a route that carries TLS.
    pub certs: Option<Arc<crate::certs::CertCollector>>,
    /// Client checks per queue manager: DR workflows end by connecting through MQIPT.
    pub clients: Vec<ClientTarget>,
    /// What new certificates must be (`[cert_policy]`).
    pub cert_policy: model::cert_policy::CertPolicy,
    /// TLS clients that prove a route after a rotation.
    pub tls_clients: Vec<model::plan_cert::TlsClientCheck>,
    /// The runs this instance drives now (the sweep leaves them alone).
    pub(super) driving: super::instances::DrivingSet,
}

/// A queue manager's client check (from `[[clients]]`).
#[derive(Debug, Clone)]
pub struct ClientTarget {
    pub qmgr: String,
    pub check: model::plan::ClientCheck,
}


pub use crate::clock::now_ms;

fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Who asks, from where, in which role. `user` is the directory's own name for the person
/// (the `uid` of the entry that authenticated), never the name as typed.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: String,
    pub source: String,
    pub operator: bool,
}

impl Actor {
    /// The one operator check of the engine.
    pub(super) fn require_operator(&self, what: &str) -> Result<(), EngineError> {
        if self.operator { Ok(()) } else { Err(EngineError::Forbidden(format!("{} is a viewer; only operators may {what}", self.user))) }
    }
}

/// Where `drive` starts: from the first step, or after an interruption (a step whose effect
/// is already in place is then not run again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Fresh,
    Resume,
}

/// How a run that completes its steps ends.
#[derive(Debug, Clone)]
pub(super) enum Ending {
    Succeeded,
    /// The operator asked to roll back, but an irreversible step had taken effect: the rest
    /// was carried forward, and a person must still look (`why`).
    FollowedIrreversible { why: String },
}

/// Where a run failed: the step, whether its effect is in place, whether that is unknown.
#[derive(Debug, Clone, Copy)]
struct Failure {
    at: usize,
    in_effect: bool,
    outcome_unknown: bool,
}

/// `run ID (KIND of SUBJECT) by USER`: the holder of a run's locks, for people.
fn lock_description(run: &Run) -> String {
    format!("run {} ({} of {}) by {}", run.id, run.kind, run.subject, run.requested_by)
}

fn state_word(state: RunState) -> String {
    serde_json::to_value(state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{state:?}"))
}

/// What differs between a plan and the same plan made again now; `None` when nothing does.
fn differences(planned: &Plan, fresh: &Plan) -> Option<Vec<String>> {
    let blocks: Vec<String> = fresh.preconditions.iter().filter(|c| c.status == CheckStatus::Block).map(|c| c.message.clone()).collect();
    if fresh.fingerprint == planned.fingerprint && fresh.steps == planned.steps && blocks.is_empty() {
        return None;
    }
    let mut why = Vec::new();
    if fresh.fingerprint.conf_sha256 != planned.fingerprint.conf_sha256 {
        why.push("mqipt.conf was edited".to_string());
    }
    if fresh.fingerprint.dr_primary_region != planned.fingerprint.dr_primary_region {
        why.push(format!("the DR primary is now {:?}, was {:?}", fresh.fingerprint.dr_primary_region, planned.fingerprint.dr_primary_region));
    }
    if fresh.fingerprint.running_on != planned.fingerprint.running_on {
        why.push(format!("the queue manager now runs on {:?}, was {:?}", fresh.fingerprint.running_on, planned.fingerprint.running_on));
    }
    if why.is_empty() && blocks.is_empty() {
        why.push("the steps would now differ (an HA primary moved, or a block appeared)".into());
    }
    why.extend(blocks);
    Some(why)
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, exec: Arc<dyn RemoteExec>, poller: Arc<Poller>, mqipt: Vec<MqiptTarget>) -> Self {
        let (runs, _) = broadcast::channel(64);
        // Runs other instances write reach this instance's viewers too.
        store.follow_runs(runs.clone());
        Engine {
            store,
            exec,
            poller,
            mqipt,
            runs,
            plan_ttl: Duration::from_secs(5 * 60),
            lock_ttl: Duration::from_secs(30 * 60),
            flap_window: Duration::from_secs(15 * 60),
            approval_ttl: Duration::from_secs(15 * 60),
            certs: None,
            clients: Vec::new(),
            cert_policy: Default::default(),
            tls_clients: Vec::new(),
            driving: Default::default(),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Run> {
        self.runs.subscribe()
    }

    fn inventory(&self) -> &Inventory {
        self.poller.inventory()
    }

    pub(super) async fn audit(&self, actor: &Actor, action: &str, target: &str, result: &str, details: String) -> Result<(), EngineError> {
        let event = AuditEvent::new(&actor.user, &actor.source, action, target, result, details);
        self.store.audit(event).await.map(|_| ()).map_err(EngineError::Audit)
    }

    /// Audits something already done in the safe direction (nothing more runs): its failure
    /// cannot undo it, so it is said where people look, as a note for the run's message.
    async fn audit_done(&self, actor: &Actor, action: &str, target: &str, result: &str, details: String) -> String {
        match self.audit(actor, action, target, result, details).await {
            Ok(()) => String::new(),
            Err(e) => {
                tracing::error!(error = %e, action, target, "not recorded in the audit log");
                format!(" (this is not in the audit log: {e})")
            }
        }
    }

    fn mqipt_for(&self, intent: &Intent) -> Option<&MqiptTarget> {
        let instance = intent.mqipt_instance(self.inventory())?;
        self.mqipt.iter().find(|m| m.name == instance)
    }

    async fn read_file(&self, host: &str, path: &str) -> Result<String, String> {
        let out = self.exec.run(host, &Cmd::new("cat", [path]), None, Duration::from_secs(20)).await.map_err(|e| e.to_string())?;
        match out.exit_code {
            Some(0) => Ok(out.stdout),
            code => Err(format!("cat exited with {code:?}: {}", out.stderr.trim())),
        }
    }

    async fn last_switchover(&self, subject: &str) -> Result<Option<u64>, EngineError> {
        let runs = self.store.list_runs(200).await?;
        Ok(runs
            .iter()
            .filter(|r| r.subject == subject && r.intent.moves_regions() && r.state == RunState::Succeeded)
            .map(|r| r.updated_at)
            .max())
    }

    fn validate(intent: &Intent) -> Result<(), EngineError> {
        intent.validate().map_err(|e| EngineError::BadRequest(e.to_string()))
    }

    /// Plans `intent` on a fresh read of the estate and of the MQIPT configuration; the locks
    /// of `own_run` (a run re-checking its own plan) do not count.
    async fn make_plan(&self, intent: &Intent, actor: &Actor, stamp: &str, own_run: Option<&str>) -> Result<Plan, EngineError> {
        Self::validate(intent)?;
        let snapshot = self.poller.refresh().await;
        let target = self.mqipt_for(intent).cloned();
        let conf = match &target {
            Some(m) => Some(ConfRead {
                instance: m.name.clone(),
                host: m.host.clone(),
                path: m.conf_path.clone(),
                text: self.read_file(&m.host, &m.conf_path).await,
            }),
            None => None,
        };
        let backup_text = match (intent, &target) {
            (Intent::RestoreRouteConfig { backup, .. }, Some(m)) if plan::is_backup_name(&m.conf_path, backup) => {
                Some(self.read_file(&m.host, backup).await)
            }
            _ => None,
        };
        let refresh = match target.as_ref().map(|m| &m.refresh) {
            Some(RefreshCommand::SystemctlReload { instance }) => ("systemctl".to_string(), vec!["reload".to_string(), format!("mqipt-@{instance}.service")], None),
            Some(RefreshCommand::MqiptAdmin { instance }) => {
                ("mqiptAdmin".to_string(), vec!["-refresh".into(), "-n".into(), instance.clone()], Some("MQCAI025".to_string()))
            }
            None => ("true".to_string(), Vec::new(), None),
        };
        let now = now_ms();
        let certs = self.certs.as_ref().and_then(|c| c.current());
        let held_locks: Vec<HeldLock> = self.store.held_locks(now).await?.into_iter().filter(|l| Some(l.run_id.as_str()) != own_run).collect();
        let ctx = PlanContext {
            snapshot: &snapshot,
            inventory: self.inventory(),
            conf,
            backup_text,
            operator: actor.operator,
            held_locks,
            last_switchover_at: self.last_switchover(intent.subject()).await?,
            flap_window_ms: self.flap_window.as_millis() as u64,
            now_ms: now,
            refresh,
            certs: certs.as_deref(),
            // A DR workflow's subject is the queue manager it moves.
            client: intent.moves_regions().then(|| intent.subject()).and_then(|qm| self.clients.iter().find(|c| c.qmgr == qm)).map(|c| c.check.clone()),
            cert_policy: self.cert_policy.clone(),
            tls_clients: self.tls_clients.clone(),
        };
        Ok(plan::plan(&ctx, intent, stamp))
    }

    pub async fn plan(&self, intent: Intent, actor: &Actor) -> Result<Plan, EngineError> {
        actor.require_operator("plan workflows")?;
        let now = now_ms();
        // The backup's name carries the planning time: the same at execution's re-check.
        let mut plan = self.make_plan(&intent, actor, &now.to_string(), None).await?;
        plan.created_at = now;
        plan.id = new_id();
        plan.created_by = actor.user.clone();
        plan.expires_at = now + self.plan_ttl.as_millis() as u64;
        let result = if plan.blocked() { "blocked" } else { "ok" };
        self.audit(actor, "plan", &plan.subject, result, format!("{} plan {}", plan.kind, plan.id)).await?;
        self.store.save_plan(plan.clone()).await?;
        Ok(plan)
    }

    pub async fn load_plan(&self, id: &str) -> Result<Plan, EngineError> {
        self.store.load_plan(id.to_string()).await?.ok_or_else(|| EngineError::NotFound(format!("no plan {id}")))
    }

    pub(super) async fn load_run(&self, run_id: &str) -> Result<Run, EngineError> {
        self.store.load_run(run_id.to_string()).await?.ok_or_else(|| EngineError::NotFound(format!("no run {run_id}")))
    }

    /// Writes a state change of `run` only if the stored run is still `from` (compare-and-swap);
    /// otherwise 409 with the state another request put it in.
    pub(super) async fn transition(&self, run: &mut Run, from: RunState) -> Result<(), EngineError> {
        run.updated_at = now_ms();
        match self.store.update_run(run.clone(), from).await? {
            Ok(()) => {
                let _ = self.runs.send(run.clone());
                Ok(())
            }
            Err(current) => Err(EngineError::Conflict(format!(
                "run {} is {} now (another request changed it first); nothing was done",
                run.id,
                state_word(current)
            ))),
        }
    }

    /// Checks the plan (its author, once, in time), re-plans it on a fresh read
    /// (compare-and-swap on the estate), then in one store transaction consumes the plan, takes
    /// every lock and writes the run; returns its id.
    pub async fn execute(self: &Arc<Self>, plan_id: &str, confirm: &str, actor: &Actor) -> Result<String, EngineError> {
        let (plan_id, confirm) = (plan_id.to_string(), confirm.to_string());
        self.detached(actor, move |engine, actor| async move { engine.execute_here(&plan_id, &confirm, &actor).await }).await
    }

    /// Runs `work` in a task of its own and waits for it: once a request has changed a run's
    /// state, the rest (its audit, starting the steps) happens even if the client goes away.
    pub(super) async fn detached<T, F, Fut>(self: &Arc<Self>, actor: &Actor, work: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(Arc<Self>, Actor) -> Fut,
        Fut: std::future::Future<Output = Result<T, EngineError>> + Send + 'static,
    {
        let task = tokio::spawn(work(Arc::clone(self), actor.clone()));
        task.await.map_err(|e| EngineError::Store(StoreError::Other(format!("the request's work stopped: {e}"))))?
    }

    async fn execute_here(self: &Arc<Self>, plan_id: &str, confirm: &str, actor: &Actor) -> Result<String, EngineError> {
        actor.require_operator("run workflows")?;
        self.store.may_act()?;
        let plan = self.load_plan(plan_id).await?;
        if plan.created_by != actor.user {
            return Err(EngineError::Forbidden(format!(
                "plan {plan_id} was made by {}; only its author may execute it: make your own preview",
                plan.created_by
            )));
        }
        if let Some(run_id) = &plan.consumed_by_run {
            return Err(EngineError::PlanUsed(format!("plan {plan_id} was executed already (run {run_id}); a plan runs once: make a new one")));
        }
        if now_ms() > plan.expires_at {
            return Err(EngineError::Expired(format!(
                "plan {plan_id} expired; make a new one (plans are valid for {} minutes)",
                self.plan_ttl.as_secs() / 60
            )));
        }
        if confirm.trim() != plan.subject {
            return Err(EngineError::Confirm(plan.subject.clone()));
        }
        if plan.blocked() {
            let blocks: Vec<String> = plan.preconditions.iter().filter(|c| c.status == CheckStatus::Block).map(|c| c.message.clone()).collect();
            return Err(EngineError::Blocked(blocks.join("; ")));
        }
        let fresh = self.make_plan(&plan.intent, actor, &plan.created_at.to_string(), None).await?;
        // A run that started since planning is said as such, not as a changed estate.
        if let Some(lock) = fresh.preconditions.iter().find(|c| c.code == PreconditionCode::RunLock && c.status == CheckStatus::Block) {
            self.audit(actor, "execute", &plan.subject, "refused", lock.message.clone()).await?;
            return Err(EngineError::Locked(lock.message.clone()));
        }
        if let Some(why) = differences(&plan, &fresh) {
            self.audit(actor, "execute", &plan.subject, "refused", why.join("; ")).await?;
            return Err(EngineError::Changed(format!("{}; plan again", why.join("; "))));
        }
        let now = now_ms();
        let mut run = Run {
            id: new_id(),
            plan_id: plan.id.clone(),
            kind: plan.kind.clone(),
            subject: plan.subject.clone(),
            intent: plan.intent.clone(),
            requested_by: actor.user.clone(),
            state: RunState::Running,
            created_at: now,
            updated_at: now,
            steps: plan.steps.iter().map(RunStep::of_step).collect(),
            undo: Vec::new(),
            remediation: Vec::new(),
            message: None,
            approved_by: None,
            approval_expires_at: None,
            denied_by: None,
            owner: None,
            rotation: plan.rotation.clone(),
            signed_certificate: None,
        };
        if plan.needs_approval {
            run.state = RunState::AwaitingApproval;
            run.approval_expires_at = Some(now + self.approval_ttl.as_millis() as u64);
            run.message = Some(format!(
                "waiting for another operator to approve (within {} min); nothing has run yet",
                self.approval_ttl.as_secs() / 60
            ));
        }
        let driving = self.drive_here(&mut run);
        let start = StartRun {
            plan_id: plan.id.clone(),
            run: run.clone(),
            resources: plan.resources.clone(),
            description: lock_description(&run),
            now,
            lock_until: now + self.lock_ttl.as_millis() as u64,
        };
        match self.store.start_run(start).await? {
            Ok(()) => {}
            Err(StartRefused::PlanMissing) => return Err(EngineError::NotFound(format!("no plan {plan_id}"))),
            Err(StartRefused::PlanConsumed { run_id }) => {
                return Err(EngineError::PlanUsed(format!("plan {plan_id} was executed already (run {run_id}); a plan runs once: make a new one")));
            }
            Err(StartRefused::Locked(lock)) => return Err(EngineError::Locked(format!("{} is held by {}", lock.resource, lock.description))),
        }
        let _ = self.runs.send(run.clone());
        let started = if plan.needs_approval { "awaiting_approval" } else { "started" };
        if let Err(e) = self.audit(actor, "execute", &plan.subject, started, format!("run {} of plan {}", run.id, plan.id)).await {
            self.abandon(&mut run, "the audit log cannot be written, so nothing ran").await;
            return Err(e);
        }
        if plan.needs_approval {
            return Ok(run.id);
        }
        let run_id = run.id.clone();
        let engine = Arc::clone(self);
        let actor = actor.clone();
        tokio::spawn(async move { engine.drive(run, plan, Start::Fresh, Ending::Succeeded, actor, driving).await });
        Ok(run_id)
    }

    /// Plans and starts `intent` with nobody at the screen (a scheduled drill): a plan that any
    /// precondition blocks, or one that needs a second operator, does not start, and the
    /// refusal is in the audit log with its reasons.
    pub async fn start_unattended(self: &Arc<Self>, intent: Intent, actor: &Actor, why: &str) -> Result<String, EngineError> {
        let plan = self.plan(intent, actor).await?;
        let mut blocking: Vec<String> =
            plan.preconditions.iter().filter(|p| p.status == CheckStatus::Block).map(|p| format!("{}: {}", p.code, p.message)).collect();
        if plan.needs_approval {
            blocking.push("approval: it needs a second operator, who is not there for a scheduled run".into());
        }
        if !blocking.is_empty() {
            let reasons = blocking.join("; ");
            self.audit(actor, "start", &plan.subject, "refused", format!("{why}: {reasons}")).await?;
            return Err(EngineError::Blocked(reasons));
        }
        self.execute(&plan.id, &plan.subject, actor).await
    }

    /// Ends a run that has not run anything (it is awaiting approval or has just been claimed)
    /// as failed, and frees what it locked.
    async fn abandon(&self, run: &mut Run, why: &str) {
        let from = run.state;
        run.state = RunState::Failed;
        run.message = Some(why.to_string());
        // Another request may have taken the run meanwhile: then its locks are its own.
        match self.transition(run, from).await {
            Ok(()) => self.release(run).await,
            Err(e) => tracing::warn!(run = %run.id, error = %e, "could not end the run"),
        }
    }

    /// The run awaiting a second operator's decision, after the checks every decision makes.
    async fn awaiting(&self, run_id: &str, actor: &Actor, what: &str) -> Result<Run, EngineError> {
        actor.require_operator(what)?;
        let run = self.load_run(run_id).await?;
        if run.state != RunState::AwaitingApproval {
            let by = run.approved_by.as_ref().or(run.denied_by.as_ref()).map(|u| format!(" ({u} decided)")).unwrap_or_default();
            return Err(EngineError::Conflict(format!("run {run_id} is {}, not awaiting approval{by}", state_word(run.state))));
        }
        if run.requested_by == actor.user {
            return Err(EngineError::Forbidden(format!(
                "{} requested this run; another operator must approve or deny it (two-person rule)",
                actor.user
            )));
        }
        Ok(run)
    }

    /// A second operator approves: the run is claimed (compare-and-swap: of concurrent
    /// approvals exactly one wins), the estate re-checked against the plan, then it runs.
    pub async fn approve(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let run_id = run_id.to_string();
        self.detached(actor, move |engine, actor| async move { engine.approve_here(&run_id, &actor).await }).await
    }

    async fn approve_here(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let mut run = self.awaiting(run_id, actor, "approve").await?;
        if run.approval_expires_at.is_some_and(|until| now_ms() > until) {
            let message = "the approval window ended before anyone approved; nothing ran".to_string();
            let mut expired = run.clone();
            expired.state = RunState::Failed;
            expired.message = Some(message.clone());
            self.transition(&mut expired, RunState::AwaitingApproval).await?;
            self.release(&expired).await;
            let note = self.audit_done(actor, "approve", &run.subject, "expired", format!("run {run_id}")).await;
            return Err(EngineError::Expired(format!("{message} ({} min){note}", self.approval_ttl.as_secs() / 60)));
        }
        let plan = self.load_plan(&run.plan_id).await?;
        self.store.may_act()?;
        let driving = self.drive_here(&mut run);
        run.state = RunState::Running;
        run.approved_by = Some(actor.user.clone());
        run.message = Some(format!("approved by {}; re-checking the estate before the first step", actor.user));
        self.transition(&mut run, RunState::AwaitingApproval).await?;
        if let Err(why) = self.renew_locks(&run, &plan).await {
            self.abandon(&mut run, &format!("not run: {why}")).await;
            return Err(EngineError::Locked(why));
        }
        let requester = Actor { user: run.requested_by.clone(), source: actor.source.clone(), operator: true };
        let fresh = match self.make_plan(&plan.intent, &requester, &plan.created_at.to_string(), Some(&run.id)).await {
            Ok(fresh) => fresh,
            Err(e) => {
                self.abandon(&mut run, &format!("not run: the estate could not be re-checked ({e})")).await;
                return Err(e);
            }
        };
        if let Some(why) = differences(&plan, &fresh) {
            let why = why.join("; ");
            let note = self.audit_done(actor, "approve", &run.subject, "refused", format!("run {run_id}: {why}")).await;
            self.abandon(&mut run, &format!("not run: {why}; plan again{note}")).await;
            return Err(EngineError::Changed(why));
        }
        if let Err(e) = self.audit(actor, "approve", &run.subject, "ok", format!("run {run_id} requested by {}", run.requested_by)).await {
            self.abandon(&mut run, "not run: the audit log cannot be written").await;
            return Err(e);
        }
        run.message = None;
        let engine = Arc::clone(self);
        tokio::spawn(async move { engine.drive(run, plan, Start::Fresh, Ending::Succeeded, requester, driving).await });
        Ok(())
    }

    /// Takes (or extends) every lock of the run for another lease; `Err` names the holder when
    /// another run took one after a lease ended.
    pub(super) async fn renew_locks(&self, run: &Run, plan: &Plan) -> Result<(), String> {
        let now = now_ms();
        let until = now + self.lock_ttl.as_millis() as u64;
        match self.store.acquire_locks(plan.resources.clone(), run.id.clone(), lock_description(run), now, until).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(lock)) => Err(format!("{} is held by {}", lock.resource, lock.description)),
            Err(e) => Err(format!("the run's locks could not be renewed: {e}")),
        }
    }

    async fn release(&self, run: &Run) {
        if let Err(e) = self.store.release_locks(run.id.clone()).await {
            tracing::error!(run = %run.id, error = %e, "run locks not released; they expire with their lease");
        }
    }

    /// Ends every request whose approval window has passed ("nothing ran"), so no screen goes
    /// on saying an approval waits, and the run's locks are freed. Returns how many.
    pub async fn expire_approvals(&self) -> Result<usize, EngineError> {
        let now = now_ms();
        let console = Actor { user: "console".into(), source: "approval window".into(), operator: true };
        let mut count = 0;
        for mut run in self.store.list_runs(500).await? {
            if run.state != RunState::AwaitingApproval || run.approval_expires_at.is_none_or(|until| now <= until) {
                continue;
            }
            run.state = RunState::Failed;
            run.message = Some("the approval window ended before anyone approved; nothing ran".into());
            // Someone may decide at this very moment: whoever writes first wins.
            if self.transition(&mut run, RunState::AwaitingApproval).await.is_err() {
                continue;
            }
            self.release(&run).await;
            let detail = format!("run {} requested by {}", run.id, run.requested_by);
            if let Err(e) = self.audit(&console, "approval-expired", &run.subject, "expired", detail).await {
                tracing::error!(run = %run.id, error = %e, "the end of an approval window is not in the audit log");
            }
            count += 1;
        }
        Ok(count)
    }

    /// Ends expired approval requests every `every`.
    pub fn spawn_approval_expiry(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                // A singleton duty: the elected instance does it.
                if !engine.store.leads() {
                    continue;
                }
                match engine.expire_approvals().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(ended = n, "approval requests ended: their window passed"),
                    Err(e) => tracing::warn!(error = %e, "expired approval requests not checked"),
                }
            }
        })
    }

    /// A second operator denies: nothing runs (compare-and-swap against approvals).
    pub async fn deny(&self, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let mut run = self.awaiting(run_id, actor, "deny").await?;
        run.state = RunState::Failed;
        run.denied_by = Some(actor.user.clone());
        // Kept for readers that know only `approved_by` as "the second operator".
        run.approved_by = Some(actor.user.clone());
        run.message = Some(format!("denied by {}; nothing ran", actor.user));
        self.transition(&mut run, RunState::AwaitingApproval).await?;
        self.release(&run).await;
        self.audit(actor, "deny", &run.subject, "ok", format!("run {run_id} requested by {}", run.requested_by)).await
    }

    /// Journals the run while it runs: a compare-and-swap on `running`, so a run that another
    /// request ended is never written over.
    async fn journal(&self, run: &mut Run) -> Result<(), String> {
        run.updated_at = now_ms();
        match self.store.update_run(run.clone(), RunState::Running).await {
            Ok(Ok(())) => {
                let _ = self.runs.send(run.clone());
                Ok(())
            }
            Ok(Err(current)) => Err(format!("the stored run is {} (changed by another request)", state_word(current))),
            Err(e) => Err(format!("the journal could not be written: {e}")),
        }
    }

    /// Runs every step not yet done. With `Start::Resume` (after an interruption), a step whose
    /// effect is already in place is not run again. Every step is in the audit log before it
    /// starts (or it does not start) and after it ends.
    pub(super) async fn drive(self: Arc<Self>, mut run: Run, plan: Plan, start: Start, ending: Ending, actor: Actor, _driving: super::instances::Driving) {
        for step in &plan.steps {
            let i = step.index;
            if matches!(run.steps[i].state, StepState::Succeeded | StepState::AlreadyDone) {
                continue;
            }
            if matches!(step.action, model::plan::Action::AwaitCertificate { .. }) && run.signed_certificate.is_none() {
                return self.await_certificate(run, i, &actor).await;
            }
            if start == Start::Resume
                && !matches!(step.action, model::plan::Action::CheckEstate)
                && let Ok(found) = actions::verify(self.exec.as_ref(), &self.poller, &step.host, &step.verify, &Done::default()).await
            {
                run.steps[i].state = StepState::AlreadyDone;
                run.steps[i].verification = Some(format!("already in place: {found}"));
                if let Err(e) = self.journal(&mut run).await {
                    return self.stop_needing_attention(run, &plan, format!("{e}; stopped before step {}", i + 1), &actor).await;
                }
                continue;
            }
            if let Err(why) = self.renew_locks(&run, &plan).await {
                return self.stop_needing_attention(run, &plan, format!("{why}; step {} was not started", i + 1), &actor).await;
            }
            let what = format!("run {} step {}: {} on {}", run.id, i + 1, step.command, step.host);
            if let Err(e) = self.audit(&actor, "step", &run.subject, "started", what.clone()).await {
                let why = format!("{e}; step {} ({}) was not started", i + 1, step.title);
                return self.stop_needing_attention(run, &plan, why, &actor).await;
            }
            run.steps[i].state = StepState::Running;
            run.steps[i].started_at = Some(now_ms());
            if let Err(e) = self.journal(&mut run).await {
                tracing::error!(run = %run.id, error = %e, "journal write failed; stopping the run");
                return self.stop_needing_attention(run, &plan, format!("{e}; step {} was not started", i + 1), &actor).await;
            }
            let done = match &step.action {
                model::plan::Action::CheckEstate => Done::default(),
                model::plan::Action::AwaitCertificate { to_path, .. } => {
                    actions::write_certificate(self.exec.as_ref(), &step.host, to_path, run.signed_certificate.as_deref().unwrap_or("")).await
                }
                action => actions::perform(self.exec.as_ref(), &step.host, action).await,
            };
            let s = &mut run.steps[i];
            s.exit_code = done.output.exit_code;
            s.stdout = done.output.stdout.clone();
            s.stderr = done.output.stderr.clone();
            // A client connect that fails at first is tried again by its verification.
            let retried = step.verify.retries_the_action() && done.output.exit_code.is_some();
            let verdict = match &done.failure {
                Some(failure) if !retried => Err(failure.clone()),
                _ => actions::verify(self.exec.as_ref(), &self.poller, &step.host, &step.verify, &done).await,
            };
            let s = &mut run.steps[i];
            s.finished_at = Some(now_ms());
            match verdict {
                Ok(found) => {
                    s.state = StepState::Succeeded;
                    s.verification = Some(found);
                    let journaled = self.journal(&mut run).await;
                    let audited = self.audit(&actor, "step", &run.subject, "ok", what).await;
                    if let Some(e) = journaled.err().or(audited.err().map(|e| e.to_string())) {
                        let why = format!("step {} ({}) ran and was verified, but {e}; the run stopped there", i + 1, step.title);
                        return self.stop_needing_attention(run, &plan, why, &actor).await;
                    }
                }
                Err(why) => {
                    s.state = StepState::Failed;
                    s.verification = Some(why.clone());
                    let mut why = format!("step {} ({}) failed: {why}", i + 1, step.title);
                    if let Err(e) = self.journal(&mut run).await {
                        why.push_str(&format!(" ({e})"));
                    }
                    if let Err(e) = self.audit(&actor, "step", &run.subject, "failed", format!("{what}: {why}")).await {
                        why.push_str(&format!(" ({e})"));
                    }
                    // The action ran (exit 0) but was not verified: its effect may be in place.
                    let mut in_effect = done.failure.is_none();
                    let mut outcome_unknown = false;
                    if done.output.exit_code.is_none() && done.failure.is_some() {
                        // The connection was lost: whether it took effect decides what the undo
                        // may do, so look (briefly; a host that is gone cannot tell).
                        let nothing = Done::default();
                        let look = actions::verify(self.exec.as_ref(), &self.poller, &step.host, &step.verify, &nothing);
                        match tokio::time::timeout(Duration::from_secs(10), look).await {
                            Ok(Ok(found)) => {
                                in_effect = true;
                                why.push_str(&format!("; the connection was lost, but it took effect ({found})"));
                            }
                            Ok(Err(seen)) => {
                                outcome_unknown = true;
                                why.push_str(&format!("; the connection was lost, so whether `{}` took effect on {} is unknown ({seen})", step.command, step.host));
                            }
                            Err(_) => {
                                outcome_unknown = true;
                                why.push_str(&format!("; the connection was lost, so whether `{}` took effect on {} is unknown", step.command, step.host));
                            }
                        }
                    }
                    return self.undo(run, &plan, Failure { at: i, in_effect, outcome_unknown }, why, &actor).await;
                }
            }
        }
        match ending {
            Ending::Succeeded => {
                run.state = RunState::Succeeded;
                run.message = Some(format!("{} of {} completed and verified", plan.kind, plan.subject));
            }
            Ending::FollowedIrreversible { why } => {
                run.state = RunState::NeedsAttention;
                run.message = Some(format!("{why}; every remaining step completed and was verified: check the estate (below)"));
                run.remediation = super::remediation::checks(&plan);
            }
        }
        self.finish(run, &actor).await;
    }

    /// Records the outcome (audit first: a run whose outcome cannot be recorded ends in needs
    /// attention), journals it and frees the run's locks.
    async fn finish(&self, mut run: Run, actor: &Actor) {
        let state = state_word(run.state);
        let details = format!("run {}: {}", run.id, run.message.clone().unwrap_or_default());
        if let Err(e) = self.audit(actor, "outcome", &run.subject, &state, details).await {
            tracing::error!(run = %run.id, error = %e, "the run's outcome is not in the audit log");
            run.state = RunState::NeedsAttention;
            let message = run.message.take().unwrap_or_default();
            run.message = Some(format!("{message}; the outcome ({state}) could not be recorded in the audit log: {e}"));
        }
        // Before the outcome is journaled, so whoever sees the drill end finds its report.
        if matches!(run.intent, Intent::DrDrill { .. }) {
            self.record_drill_report(&run, actor).await;
        }
        let mut journaled = self.journal(&mut run).await;
        for wait_ms in [200, 1000, 5000] {
            let Err(e) = &journaled else { break };
            tracing::warn!(run = %run.id, error = %e, "the run's outcome is not in the journal yet; trying again");
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
            journaled = self.journal(&mut run).await;
        }
        // A certificate run changed key stores: the inventory is read again at once, so the
        // certificates page shows what the run did, not a read from before it.
        if matches!(run.intent, Intent::CertRotate { .. } | Intent::CertRetire { .. })
            && let Some(certs) = self.certs.clone()
        {
            tokio::spawn(async move {
                certs.collect().await;
            });
        }
        match journaled {
            Ok(()) => self.release(&run).await,
            // The store still says running: its locks stay until their lease ends, so nothing
            // else acts on what it touched before a person looks.
            Err(e) => tracing::error!(run = %run.id, error = %e, "the run's outcome could not be journaled; its locks stay until their lease ends"),
        }
    }

    /// A drill's report, built from its journal and a fresh look at the queue manager, stored
    /// with its digest in the audit chain. A report that cannot be stored is logged and the
    /// run's journal still holds everything it is built from.
    async fn record_drill_report(&self, run: &Run, actor: &Actor) {
        let plan = match self.store.load_plan(run.plan_id.clone()).await {
            Ok(Some(plan)) => plan,
            other => {
                tracing::error!(run = %run.id, outcome = ?other.err(), "the drill's plan is gone: no report");
                return;
            }
        };
        let after = model::drill::summarize(&*self.poller.refresh().await, &run.subject);
        let Some(report) = model::drill::DrillReport::build(&plan, run, plan.before.clone().unwrap_or_default(), after) else { return };
        let digest = report.digest();
        if let Err(e) = self.store.save_drill_report(report).await {
            tracing::error!(run = %run.id, error = %e, "the drill report could not be stored");
            return;
        }
        let details = format!("run {}: drill report sha256 {digest}", run.id);
        if let Err(e) = self.audit(actor, "drill-report", &run.subject, "stored", details).await {
            tracing::error!(run = %run.id, error = %e, "the drill report's digest is not in the audit log");
        }
    }

    async fn stop_needing_attention(&self, mut run: Run, plan: &Plan, why: String, actor: &Actor) {
        run.state = RunState::NeedsAttention;
        run.remediation = super::remediation::after_stop(plan, &run);
        run.message = Some(why);
        self.finish(run, actor).await;
    }

    /// Undoes completed steps in reverse: rolled back, or needs attention with what to run.
    /// A step that took effect and cannot be undone (`irreversible`) decides: nothing is
    /// undone, and the remediation carries the run forward from where it stopped.
    async fn undo(&self, mut run: Run, plan: &Plan, failure: Failure, why: String, actor: &Actor) {
        let Failure { at: failed, in_effect: include_failed, outcome_unknown } = failure;
        let in_effect =
            |run: &Run, j: usize| matches!(run.steps[j].state, StepState::Succeeded | StepState::AlreadyDone) || (j == failed && include_failed);
        let last = failed.min(plan.steps.len().saturating_sub(1));
        if let Some(k) = (0..=last).rev().find(|&j| j < plan.steps.len() && in_effect(&run, j) && plan.steps[j].irreversible.is_some()) {
            let step = &plan.steps[k];
            run.state = RunState::NeedsAttention;
            run.message = Some(format!(
                "{why}; step {} ({}) took effect and cannot be undone ({}), so nothing was undone: finish the run forward (below)",
                k + 1,
                step.title,
                step.irreversible.clone().unwrap_or_default()
            ));
            run.remediation = super::remediation::forward(plan, &run, k);
            let note = self.audit_done(actor, "undo", &run.subject, "refused", format!("run {}: step {} is irreversible", run.id, k + 1)).await;
            run.message = run.message.take().map(|m| m + &note);
            return self.finish(run, actor).await;
        }
        let last = if include_failed { failed + 1 } else { failed };
        for j in (0..last.min(plan.steps.len())).rev() {
            if !in_effect(&run, j) {
                continue;
            }
            for undo in &plan.steps[j].undo {
                let what = format!("run {}: {} on {}", run.id, undo.command, undo.host);
                if let Err(e) = self.audit(actor, "undo", &run.subject, "started", what.clone()).await {
                    run.remediation = super::remediation::undo_left(plan, &run, j);
                    run.state = RunState::NeedsAttention;
                    run.message = Some(format!("{why}; the undo stopped: {e}"));
                    return self.finish(run, actor).await;
                }
                let title = match &undo.verify {
                    // The last undo action proves the path, it does not undo anything itself.
                    model::plan::Verify::ClientConnects { qmgr, .. } => format!("After the undo: a client connects to {qmgr} through MQIPT"),
                    _ => format!("Undo step {}: {}", j + 1, plan.steps[j].title),
                };
                let mut record = RunStep::pending(j, &title, &undo.host, &undo.command);
                record.state = StepState::Running;
                record.started_at = Some(now_ms());
                run.undo.push(record);
                if let Err(e) = self.journal(&mut run).await {
                    run.remediation = super::remediation::undo_left(plan, &run, j);
                    run.state = RunState::NeedsAttention;
                    run.message = Some(format!("{why}; the undo stopped: {e}"));
                    return self.finish(run, actor).await;
                }
                let done = actions::perform(self.exec.as_ref(), &undo.host, &undo.action).await;
                let retried = undo.verify.retries_the_action() && done.output.exit_code.is_some();
                let verdict = match &done.failure {
                    Some(f) if !retried => Err(f.clone()),
                    _ => actions::verify(self.exec.as_ref(), &self.poller, &undo.host, &undo.verify, &done).await,
                };
                let Some(record) = run.undo.last_mut() else { continue };
                record.exit_code = done.output.exit_code;
                record.stdout = done.output.stdout.clone();
                record.stderr = done.output.stderr.clone();
                record.finished_at = Some(now_ms());
                match verdict {
                    Ok(found) => {
                        record.state = StepState::Succeeded;
                        record.verification = Some(found);
                    }
                    Err(e) => {
                        record.state = StepState::Failed;
                        record.verification = Some(e.clone());
                        run.remediation = super::remediation::undo_left(plan, &run, j);
                        run.state = RunState::NeedsAttention;
                        let note = self.audit_done(actor, "undo", &run.subject, "failed", format!("{what}: {e}")).await;
                        run.message = Some(format!("{why}; undoing it failed too ({}: {e}): a person must finish the undo{note}", undo.command));
                        return self.finish(run, actor).await;
                    }
                }
                let journaled = self.journal(&mut run).await;
                let audited = self.audit(actor, "undo", &run.subject, "ok", what).await;
                if let Some(e) = journaled.err().or(audited.err().map(|e| e.to_string())) {
                    run.remediation = super::remediation::undo_left(plan, &run, j);
                    run.state = RunState::NeedsAttention;
                    run.message = Some(format!("{why}; the undo stopped: {e}"));
                    return self.finish(run, actor).await;
                }
            }
            // A step with nothing to undo (a backup) stays as it ran.
            if run.steps[j].state != StepState::Failed && !plan.steps[j].undo.is_empty() {
                run.steps[j].state = StepState::Undone;
            }
        }
        if outcome_unknown {
            // Everything known was undone, but one step may still be in effect: a person checks.
            run.state = RunState::NeedsAttention;
            run.remediation = super::remediation::undo_left(plan, &run, failed);
            run.message = Some(format!("{why}; every other completed step was undone: find out whether step {} took effect (below)", failed + 1));
            return self.finish(run, actor).await;
        }
        run.state = RunState::RolledBack;
        run.message = Some(format!("{why}; every completed step was undone"));
        self.finish(run, actor).await;
    }

    /// Claims an interrupted run for `what` (resume or roll back): its locks again, then the
    /// compare-and-swap `interrupted` → `running` that exactly one request wins.
    async fn claim_interrupted(&self, run_id: &str, actor: &Actor, what: &str) -> Result<(Run, Plan, super::instances::Driving), EngineError> {
        actor.require_operator(what)?;
        self.store.may_act()?;
        let mut run = self.load_run(run_id).await?;
        // A run waiting for its signed certificate may be rolled back (the request deleted).
        let from = run.state;
        let claimable = from == RunState::Interrupted || (from == RunState::AwaitingCertificate && what == "rollback");
        if !claimable {
            return Err(EngineError::Conflict(format!("run {run_id} is {}, not interrupted", state_word(run.state))));
        }
        let plan = self.load_plan(&run.plan_id).await?;
        let driving = self.drive_here(&mut run);
        run.state = RunState::Running;
        run.message = Some(format!("{what} by {}", actor.user));
        self.transition(&mut run, from).await?;
        // The run is this request's now: its locks again (their lease may have ended meanwhile).
        if let Err(why) = self.renew_locks(&run, &plan).await {
            self.unclaim(&mut run, format!("not {what}: {why}; resume or roll back when it is free")).await?;
            return Err(EngineError::Locked(why));
        }
        if let Err(e) = self.audit(actor, what, &run.subject, "started", format!("run {run_id}")).await {
            self.unclaim(&mut run, format!("not {what}: the audit log cannot be written; resume or roll back")).await?;
            return Err(e);
        }
        Ok((run, plan, driving))
    }

    /// Gives a claimed interrupted run back (nothing ran); if even that cannot be written, the
    /// run stays `running` in the store until the console's next start marks it interrupted.
    async fn unclaim(&self, run: &mut Run, message: String) -> Result<(), EngineError> {
        run.state = RunState::Interrupted;
        run.message = Some(message);
        self.transition(run, RunState::Running).await.map_err(|e| {
            tracing::error!(run = %run.id, error = %e, "a claimed run could not be given back");
            EngineError::Conflict(format!("run {} could not be given back as interrupted ({e}); restart the console to recover it", run.id))
        })
    }

    /// Continues an interrupted run after re-reading the estate; steps already in effect are
    /// not run again.
    pub async fn resume(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let run_id = run_id.to_string();
        self.detached(actor, move |engine, actor| async move { engine.resume_here(&run_id, &actor).await }).await
    }

    async fn resume_here(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let (mut run, plan, driving) = self.claim_interrupted(run_id, actor, "resume").await?;
        run.message = None;
        let engine = Arc::clone(self);
        let actor = actor.clone();
        tokio::spawn(async move {
            engine.poller.refresh().await;
            engine.drive(run, plan, Start::Resume, Ending::Succeeded, actor, driving).await
        });
        Ok(())
    }

    /// Undoes what an interrupted run did (including the interrupted step, if its effect is
    /// there). When an irreversible step has taken effect, nothing can be undone: the rest of
    /// the run is carried forward so that everything follows it, and it ends in needs attention.
    pub async fn rollback(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let run_id = run_id.to_string();
        self.detached(actor, move |engine, actor| async move { engine.rollback_here(&run_id, &actor).await }).await
    }

    async fn rollback_here(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let (mut run, plan, driving) = self.claim_interrupted(run_id, actor, "rollback").await?;
        let engine = Arc::clone(self);
        let actor = actor.clone();
        tokio::spawn(async move {
            let next = run.steps.iter().position(|s| !matches!(s.state, StepState::Succeeded | StepState::AlreadyDone)).unwrap_or(run.steps.len());
            let in_effect = match plan.steps.get(next) {
                Some(step) if !matches!(step.action, model::plan::Action::CheckEstate) => {
                    actions::verify(engine.exec.as_ref(), &engine.poller, &step.host, &step.verify, &Done::default()).await.ok()
                }
                _ => None,
            };
            let irreversible = (0..next.min(plan.steps.len()))
                .rev()
                .find(|&j| plan.steps[j].irreversible.is_some())
                .or_else(|| in_effect.as_ref().and_then(|_| plan.steps.get(next).filter(|s| s.irreversible.is_some()).map(|s| s.index)));
            if let Some(k) = irreversible {
                if let (Some(found), Some(step)) = (&in_effect, run.steps.get_mut(next)) {
                    step.state = StepState::AlreadyDone;
                    step.verification = Some(format!("already in place: {found}"));
                }
                let step = &plan.steps[k];
                let why = format!(
                    "{} asked to roll back, but step {} ({}) had taken effect and cannot be undone ({}); the rest of the run was carried forward so that everything follows it",
                    actor.user,
                    k + 1,
                    step.title,
                    step.irreversible.clone().unwrap_or_default()
                );
                run.message = Some(why.clone());
                return engine.drive(run, plan, Start::Resume, Ending::FollowedIrreversible { why }, actor, driving).await;
            }
            let waiting = plan.steps.get(next).is_some_and(|s| matches!(s.action, model::plan::Action::AwaitCertificate { .. }));
            let why = if waiting {
                "rolled back at the operator's request while it waited for the CA-signed certificate".to_string()
            } else {
                "rolled back at the operator's request after an interruption".to_string()
            };
            if next < plan.steps.len() {
                let failure = Failure { at: next, in_effect: in_effect.is_some(), outcome_unknown: false };
                engine.undo(run, &plan, failure, why, &actor).await;
            } else {
                let failure = Failure { at: plan.steps.len().saturating_sub(1), in_effect: true, outcome_unknown: false };
                engine.undo(run, &plan, failure, why, &actor).await;
            }
            drop(driving);
        });
        Ok(())
    }
}
