//! The engine: plan, execute with compare-and-swap, journal every step, undo on failure,
//! recover interrupted runs.

use super::actions::{self, Done};
use crate::config::RefreshCommand;
use crate::fleet::poller::Poller;
use crate::fleet::{Cmd, RemoteExec};
use crate::store::{AuditEvent, Store, StoreError};
use model::estate::Inventory;
use model::plan::{self, CheckStatus, ConfRead, Intent, Plan, PlanContext};
use model::run::{Run, RunState, RunStep, StepState};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::broadcast;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("{0}")]
    NotFound(String),
    #[error("the plan expired; make a new one (plans are valid for {0} minutes)")]
    Expired(u64),
    #[error("type {0} to confirm")]
    Confirm(String),
    #[error("a precondition blocks this plan: {0}")]
    Blocked(String),
    #[error("{0}")]
    Locked(String),
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
    exec: Arc<dyn RemoteExec>,
    poller: Arc<Poller>,
    mqipt: Vec<MqiptTarget>,
    runs: broadcast::Sender<Run>,
    pub plan_ttl: Duration,
    pub lock_ttl: Duration,
    pub flap_window: Duration,
    pub approval_ttl: Duration,
    /// The certificate inventory, checked before moving a route that carries TLS.
    pub certs: Option<Arc<crate::certs::CertCollector>>,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Who asks, from where, in which role.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: String,
    pub source: String,
    pub operator: bool,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, exec: Arc<dyn RemoteExec>, poller: Arc<Poller>, mqipt: Vec<MqiptTarget>) -> Self {
        let (runs, _) = broadcast::channel(64);
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
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Run> {
        self.runs.subscribe()
    }

    fn inventory(&self) -> &Inventory {
        self.poller.inventory()
    }

    async fn audit(&self, actor: &Actor, action: &str, target: &str, result: &str, details: String) -> Result<(), EngineError> {
        let event = AuditEvent {
            at: now_ms(),
            actor: actor.user.clone(),
            source: actor.source.clone(),
            action: action.into(),
            target: target.into(),
            result: result.into(),
            details,
        };
        self.store.audit(event).await.map(|_| ()).map_err(EngineError::Audit)
    }

    fn mqipt_for(&self, intent: &Intent) -> Option<&MqiptTarget> {
        let instance = match intent {
            Intent::DrSwitchover { qmgr, .. }
            | Intent::DrFailover { qmgr, .. }
            | Intent::DrResolvePartition { qmgr, .. }
            | Intent::RouteRetarget { qmgr, .. } => self.inventory().qmgrs.iter().find(|q| &q.name == qmgr)?.route.as_ref()?.instance.clone(),
            Intent::RestoreRouteConfig { instance, .. } => instance.clone(),
            Intent::HaSuspend { .. } | Intent::HaResume { .. } | Intent::HaPrefer { .. } | Intent::PacemakerCleanup { .. } => return None,
        };
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

    /// Plans `intent` on a fresh read of the estate and of the MQIPT configuration.
    async fn make_plan(&self, intent: &Intent, actor: &Actor, stamp: &str) -> Result<Plan, EngineError> {
        self.make_plan_holding(intent, actor, stamp, None).await
    }

    /// Plans, not counting the run lock held by `own_lock` (a run re-checking its own plan).
    async fn make_plan_holding(&self, intent: &Intent, actor: &Actor, stamp: &str, own_lock: Option<&str>) -> Result<Plan, EngineError> {
        let bad = |e: model::names::NameError| EngineError::BadRequest(e.to_string());
        match intent {
            Intent::DrSwitchover { qmgr, .. }
            | Intent::DrFailover { qmgr, .. }
            | Intent::DrResolvePartition { qmgr, .. }
            | Intent::RouteRetarget { qmgr, .. } => model::names::validate_mq_name(qmgr).map_err(bad)?,
            Intent::RestoreRouteConfig { instance, .. } => model::names::validate_mq_name(instance).map_err(bad)?,
            Intent::HaSuspend { node } | Intent::HaResume { node } => model::names::validate_host_name(node).map_err(bad)?,
            Intent::PacemakerCleanup { qmgr, region } => {
                model::names::validate_mq_name(qmgr).map_err(bad)?;
                if region.is_empty() || !region.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(EngineError::BadRequest(format!("{region:?} is not a region name")));
                }
            }
            Intent::HaPrefer { qmgr, node } => {
                model::names::validate_mq_name(qmgr).map_err(bad)?;
                model::names::validate_host_name(node).map_err(bad)?;
            }
        }
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
        let ctx = PlanContext {
            snapshot: &snapshot,
            inventory: self.inventory(),
            conf,
            backup_text,
            operator: actor.operator,
            lock_holder: self.store.lock_holder(intent.subject().to_string(), now).await?.filter(|h| Some(h.as_str()) != own_lock),
            last_switchover_at: self.last_switchover(intent.subject()).await?,
            flap_window_ms: self.flap_window.as_millis() as u64,
            now_ms: now,
            refresh,
            certs: certs.as_deref(),
        };
        Ok(plan::plan(&ctx, intent, stamp))
    }

    pub async fn plan(&self, intent: Intent, actor: &Actor) -> Result<Plan, EngineError> {
        let now = now_ms();
        // The backup's name carries the planning time: the same at execution's re-check.
        let mut plan = self.make_plan(&intent, actor, &now.to_string()).await?;
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

    /// Checks the plan, re-plans it on a fresh read (compare-and-swap), takes the lock and
    /// starts the run; returns its id.
    pub async fn execute(self: &Arc<Self>, plan_id: &str, confirm: &str, actor: &Actor) -> Result<String, EngineError> {
        let plan = self.load_plan(plan_id).await?;
        if !actor.operator {
            return Err(EngineError::Forbidden(format!("{} is a viewer; only operators may run workflows", actor.user)));
        }
        if now_ms() > plan.expires_at {
            return Err(EngineError::Expired(self.plan_ttl.as_secs() / 60));
        }
        if confirm.trim() != plan.subject {
            return Err(EngineError::Confirm(plan.subject.clone()));
        }
        let blocks = |p: &Plan| p.preconditions.iter().filter(|c| c.status == CheckStatus::Block).map(|c| c.message.clone()).collect::<Vec<_>>();
        if plan.blocked() {
            return Err(EngineError::Blocked(blocks(&plan).join("; ")));
        }
        if let Some(holder) = self.store.lock_holder(plan.subject.clone(), now_ms()).await? {
            return Err(EngineError::Locked(format!("{} is held by {holder}", plan.subject)));
        }
        let fresh = self.make_plan(&plan.intent, actor, &plan.created_at.to_string()).await?;
        if fresh.fingerprint != plan.fingerprint || fresh.steps != plan.steps {
            let mut why = Vec::new();
            if fresh.fingerprint.conf_sha256 != plan.fingerprint.conf_sha256 {
                why.push("mqipt.conf was edited".to_string());
            }
            if fresh.fingerprint.dr_primary_region != plan.fingerprint.dr_primary_region {
                why.push(format!("the DR primary is now {:?}, was {:?}", fresh.fingerprint.dr_primary_region, plan.fingerprint.dr_primary_region));
            }
            if fresh.fingerprint.running_on != plan.fingerprint.running_on {
                why.push(format!("the queue manager now runs on {:?}, was {:?}", fresh.fingerprint.running_on, plan.fingerprint.running_on));
            }
            if why.is_empty() {
                why.push("the steps would now differ (an HA primary moved, or a block appeared)".into());
            }
            if fresh.blocked() {
                why.extend(blocks(&fresh));
            }
            self.audit(actor, "execute", &plan.subject, "refused", why.join("; ")).await?;
            return Err(EngineError::Changed(format!("{}; plan again", why.join("; "))));
        }
        let run_id = new_id();
        let holder = format!("run {run_id} by {}", actor.user);
        let now = now_ms();
        if let Err(current) = self.store.acquire_lock(plan.subject.clone(), holder, now, now + self.lock_ttl.as_millis() as u64).await? {
            return Err(EngineError::Locked(format!("{} is held by {current}", plan.subject)));
        }
        let run = Run {
            id: run_id.clone(),
            plan_id: plan.id.clone(),
            kind: plan.kind.clone(),
            subject: plan.subject.clone(),
            intent: plan.intent.clone(),
            requested_by: actor.user.clone(),
            state: RunState::Running,
            created_at: now,
            updated_at: now,
            steps: plan.steps.iter().map(|s| RunStep::pending(s.index, &s.title, &s.host, &s.command)).collect(),
            undo: Vec::new(),
            remediation: Vec::new(),
            message: None,
            approved_by: None,
            approval_expires_at: None,
        };
        let mut run = run;
        let started = if plan.needs_approval { "awaiting_approval" } else { "started" };
        if let Err(e) = self.audit(actor, "execute", &plan.subject, started, format!("run {run_id} of plan {}", plan.id)).await {
            let _ = self.store.release_lock(plan.subject.clone(), format!("run {run_id} by {}", actor.user)).await;
            return Err(e);
        }
        if plan.needs_approval {
            let until = now + self.approval_ttl.as_millis() as u64;
            run.state = RunState::AwaitingApproval;
            run.approval_expires_at = Some(until);
            run.message = Some(format!(
                "waiting for another operator to approve (within {} min); nothing has run yet",
                self.approval_ttl.as_secs() / 60
            ));
            self.save(&run).await?;
            return Ok(run_id);
        }
        self.save(&run).await?;
        let engine = Arc::clone(self);
        let actor = actor.clone();
        tokio::spawn(async move { engine.drive(run, plan, 0, false, actor).await });
        Ok(run_id)
    }

    async fn awaiting(&self, run_id: &str, actor: &Actor) -> Result<(Run, Plan), EngineError> {
        let run = self.store.load_run(run_id.to_string()).await?.ok_or_else(|| EngineError::NotFound(format!("no run {run_id}")))?;
        if !actor.operator {
            return Err(EngineError::Forbidden(format!("{} is a viewer; only operators may approve", actor.user)));
        }
        if run.state != RunState::AwaitingApproval {
            return Err(EngineError::Locked(format!("run {run_id} is not awaiting approval")));
        }
        if run.requested_by == actor.user {
            return Err(EngineError::Forbidden(format!(
                "{} requested this run; another operator must approve or deny it (two-person rule)",
                actor.user
            )));
        }
        let plan = self.load_plan(&run.plan_id).await?;
        Ok((run, plan))
    }

    async fn end_unapproved(&self, mut run: Run, message: String, actor: &Actor) {
        run.state = RunState::Failed;
        run.message = Some(message);
        self.finish(run, actor).await;
    }

    /// A second operator approves: the estate is re-checked against the plan, then it runs.
    pub async fn approve(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let (mut run, plan) = self.awaiting(run_id, actor).await?;
        if run.approval_expires_at.is_some_and(|until| now_ms() > until) {
            let _ = self.audit(actor, "approve", &run.subject, "expired", format!("run {run_id}")).await;
            self.end_unapproved(run, "the approval window ended before anyone approved; nothing ran".into(), actor).await;
            return Err(EngineError::Expired(self.approval_ttl.as_secs() / 60));
        }
        let requester = Actor { user: run.requested_by.clone(), source: actor.source.clone(), operator: true };
        let own = format!("run {} by {}", run.id, run.requested_by);
        let fresh = self.make_plan_holding(&plan.intent, &requester, &plan.created_at.to_string(), Some(&own)).await?;
        let same_steps = fresh.fingerprint == plan.fingerprint && fresh.steps == plan.steps;
        let fresh_blocks: Vec<String> =
            fresh.preconditions.iter().filter(|c| c.status == CheckStatus::Block).map(|c| c.message.clone()).collect();
        if !same_steps || !fresh_blocks.is_empty() {
            let why = if fresh_blocks.is_empty() { "the estate changed while it awaited approval".to_string() } else { fresh_blocks.join("; ") };
            let _ = self.audit(actor, "approve", &run.subject, "refused", format!("run {run_id}: {why}")).await;
            self.end_unapproved(run, format!("not run: {why}; plan again"), actor).await;
            return Err(EngineError::Changed(why));
        }
        self.audit(actor, "approve", &run.subject, "ok", format!("run {run_id} requested by {}", run.requested_by)).await?;
        run.state = RunState::Running;
        run.approved_by = Some(actor.user.clone());
        run.message = None;
        self.save(&run).await?;
        let engine = Arc::clone(self);
        tokio::spawn(async move { engine.drive(run, plan, 0, false, requester).await });
        Ok(())
    }

    /// Ends every request whose approval window has passed ("nothing ran"), so no screen goes
    /// on saying an approval waits, and the queue manager's run lock is freed. Returns how many.
    pub async fn expire_approvals(&self) -> Result<usize, EngineError> {
        let now = now_ms();
        let console = Actor { user: "console".into(), source: "approval window".into(), operator: true };
        let mut count = 0;
        for run in self.store.list_runs(500).await? {
            if run.state != RunState::AwaitingApproval || run.approval_expires_at.is_none_or(|until| now <= until) {
                continue;
            }
            let detail = format!("run {} requested by {}", run.id, run.requested_by);
            let _ = self.audit(&console, "approval-expired", &run.subject, "expired", detail).await;
            self.end_unapproved(run, "the approval window ended before anyone approved; nothing ran".into(), &console).await;
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
                match engine.expire_approvals().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(ended = n, "approval requests ended: their window passed"),
                    Err(e) => tracing::warn!(error = %e, "expired approval requests not checked"),
                }
            }
        })
    }

    /// A second operator denies: nothing runs.
    pub async fn deny(&self, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let (mut run, _) = self.awaiting(run_id, actor).await?;
        self.audit(actor, "deny", &run.subject, "ok", format!("run {run_id} requested by {}", run.requested_by)).await?;
        run.approved_by = Some(actor.user.clone());
        self.end_unapproved(run, format!("denied by {}; nothing ran", actor.user), actor).await;
        Ok(())
    }

    async fn save(&self, run: &Run) -> Result<(), StoreError> {
        self.store.save_run(run.clone()).await?;
        let _ = self.runs.send(run.clone());
        Ok(())
    }

    /// Runs the steps from `start`; after an interruption (`resuming`), a step whose effect is
    /// already in place is not run again.
    async fn drive(self: Arc<Self>, mut run: Run, plan: Plan, start: usize, resuming: bool, actor: Actor) {
        for step in plan.steps.iter().skip(start) {
            let i = step.index;
            if resuming
                && let Ok(found) = actions::verify(self.exec.as_ref(), &self.poller, &step.host, &step.verify, &Done::default()).await
                && !matches!(step.action, model::plan::Action::CheckEstate)
            {
                run.steps[i].state = StepState::AlreadyDone;
                run.steps[i].verification = Some(format!("already in place: {found}"));
                run.updated_at = now_ms();
                let _ = self.save(&run).await;
                continue;
            }
            run.steps[i].state = StepState::Running;
            run.steps[i].started_at = Some(now_ms());
            run.updated_at = now_ms();
            if let Err(e) = self.save(&run).await {
                tracing::error!(run = %run.id, error = %e, "journal write failed; stopping the run");
                return self.stop_needing_attention(run, &plan, i, format!("the journal could not be written: {e}"), &actor).await;
            }
            let done = if matches!(step.action, model::plan::Action::CheckEstate) {
                Done::default()
            } else {
                actions::perform(self.exec.as_ref(), &step.host, &step.action).await
            };
            let s = &mut run.steps[i];
            s.exit_code = done.output.exit_code;
            s.stdout = done.output.stdout.clone();
            s.stderr = done.output.stderr.clone();
            let verdict = match &done.failure {
                Some(failure) => Err(failure.clone()),
                None => actions::verify(self.exec.as_ref(), &self.poller, &step.host, &step.verify, &done).await,
            };
            let s = &mut run.steps[i];
            s.finished_at = Some(now_ms());
            match verdict {
                Ok(found) => {
                    s.state = StepState::Succeeded;
                    s.verification = Some(found);
                    let _ = self.save(&run).await;
                    let _ = self.audit(&actor, "step", &run.subject, "ok", format!("run {} step {}: {} on {}", run.id, i + 1, step.command, step.host)).await;
                }
                Err(why) => {
                    s.state = StepState::Failed;
                    s.verification = Some(why.clone());
                    let _ = self.save(&run).await;
                    let _ = self.audit(&actor, "step", &run.subject, "failed", format!("run {} step {}: {} on {}: {why}", run.id, i + 1, step.command, step.host)).await;
                    // The action ran (exit 0) but was not verified: its effect may be in place.
                    let include_failed = done.failure.is_none();
                    let unknown = done.output.exit_code.is_none() && done.failure.is_some();
                    let mut why = format!("step {} ({}) failed: {why}", i + 1, step.title);
                    if unknown {
                        why.push_str(&format!(
                            "; the connection was lost, so whether `{}` took effect on {} is unknown",
                            step.command, step.host
                        ));
                    }
                    return self.undo(run, &plan, i, include_failed, why, &actor).await;
                }
            }
        }
        run.state = RunState::Succeeded;
        run.message = Some(format!("{} of {} completed and verified", plan.kind, plan.subject));
        self.finish(run, &actor).await;
    }

    async fn finish(&self, mut run: Run, actor: &Actor) {
        run.updated_at = now_ms();
        let _ = self.save(&run).await;
        let holder = format!("run {} by {}", run.id, run.requested_by);
        let _ = self.store.release_lock(run.subject.clone(), holder).await;
        let state = serde_json::to_value(run.state).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let _ = self.audit(actor, "outcome", &run.subject, &state, format!("run {}: {}", run.id, run.message.clone().unwrap_or_default())).await;
    }

    async fn stop_needing_attention(&self, mut run: Run, plan: &Plan, failed: usize, why: String, actor: &Actor) {
        run.state = RunState::NeedsAttention;
        run.remediation = remediation(plan, &run, failed);
        run.message = Some(why);
        self.finish(run, actor).await;
    }

    /// Undoes completed steps in reverse; rolled back, or needs attention with what to run.
    async fn undo(&self, mut run: Run, plan: &Plan, failed: usize, include_failed: bool, why: String, actor: &Actor) {
        let last = if include_failed { failed + 1 } else { failed };
        for j in (0..last).rev() {
            let done_before = matches!(run.steps[j].state, StepState::Succeeded | StepState::AlreadyDone) || (j == failed && include_failed);
            if !done_before {
                continue;
            }
            for undo in &plan.steps[j].undo {
                let mut record = RunStep::pending(j, &format!("Undo step {}: {}", j + 1, plan.steps[j].title), &undo.host, &undo.command);
                record.state = StepState::Running;
                record.started_at = Some(now_ms());
                run.undo.push(record);
                let _ = self.save(&run).await;
                let done = actions::perform(self.exec.as_ref(), &undo.host, &undo.action).await;
                let verdict = match &done.failure {
                    Some(f) => Err(f.clone()),
                    None => actions::verify(self.exec.as_ref(), &self.poller, &undo.host, &undo.verify, &done).await,
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
                        run.remediation = remediation(plan, &run, j);
                        run.state = RunState::NeedsAttention;
                        run.message = Some(format!("{why}; undoing it failed too ({}: {e}): a person must finish the undo", undo.command));
                        let _ = self.audit(actor, "undo", &run.subject, "failed", format!("run {}: {} on {}: {e}", run.id, undo.command, undo.host)).await;
                        return self.finish(run, actor).await;
                    }
                }
                let _ = self.save(&run).await;
                let _ = self.audit(actor, "undo", &run.subject, "ok", format!("run {}: {} on {}", run.id, undo.command, undo.host)).await;
            }
            // A step with nothing to undo (a backup) stays as it ran.
            if run.steps[j].state != StepState::Failed && !plan.steps[j].undo.is_empty() {
                run.steps[j].state = StepState::Undone;
            }
        }
        run.state = RunState::RolledBack;
        run.message = Some(format!("{why}; every completed step was undone"));
        self.finish(run, actor).await;
    }

    /// After a restart: runs left running were interrupted.
    pub async fn recover(&self) -> Result<usize, EngineError> {
        let mut count = 0;
        for mut run in self.store.list_runs(500).await? {
            if run.state != RunState::Running {
                continue;
            }
            let at = run.steps.iter().position(|s| s.state == StepState::Running).or_else(|| run.steps.iter().position(|s| s.state == StepState::Pending));
            if let Some(i) = at
                && run.steps[i].state == StepState::Running
            {
                run.steps[i].state = StepState::Pending;
                run.steps[i].verification = Some("interrupted while running: it may or may not have taken effect".into());
            }
            run.state = RunState::Interrupted;
            run.message = Some(match at {
                Some(i) => format!("the console stopped during step {} ({}); resume or roll back", i + 1, run.steps[i].title),
                None => "the console stopped after the last step; resume to verify".into(),
            });
            run.updated_at = now_ms();
            self.save(&run).await?;
            count += 1;
        }
        Ok(count)
    }

    async fn interrupted(&self, run_id: &str, actor: &Actor) -> Result<(Run, Plan), EngineError> {
        if !actor.operator {
            return Err(EngineError::Forbidden(format!("{} is a viewer; only operators may run workflows", actor.user)));
        }
        let run = self.store.load_run(run_id.to_string()).await?.ok_or_else(|| EngineError::NotFound(format!("no run {run_id}")))?;
        if run.state != RunState::Interrupted {
            return Err(EngineError::BadRequest(format!("run {run_id} is not interrupted (it is {:?})", run.state)));
        }
        let plan = self.load_plan(&run.plan_id).await?;
        let holder = format!("run {} by {}", run.id, run.requested_by);
        let now = now_ms();
        if let Err(current) = self.store.acquire_lock(run.subject.clone(), holder, now, now + self.lock_ttl.as_millis() as u64).await? {
            return Err(EngineError::Locked(format!("{} is held by {current}", run.subject)));
        }
        Ok((run, plan))
    }

    /// Continues an interrupted run after re-reading the estate; steps already in effect are
    /// not run again.
    pub async fn resume(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let (mut run, plan) = self.interrupted(run_id, actor).await?;
        self.audit(actor, "resume", &run.subject, "started", format!("run {run_id}")).await?;
        self.poller.refresh().await;
        let start = run.steps.iter().position(|s| !matches!(s.state, StepState::Succeeded | StepState::AlreadyDone)).unwrap_or(run.steps.len());
        run.state = RunState::Running;
        run.message = None;
        self.save(&run).await?;
        let engine = Arc::clone(self);
        let actor = actor.clone();
        tokio::spawn(async move { engine.drive(run, plan, start, true, actor).await });
        Ok(())
    }

    /// Undoes what an interrupted run did (including the interrupted step, if its effect is there).
    pub async fn rollback(self: &Arc<Self>, run_id: &str, actor: &Actor) -> Result<(), EngineError> {
        let (mut run, plan) = self.interrupted(run_id, actor).await?;
        self.audit(actor, "rollback", &run.subject, "started", format!("run {run_id}")).await?;
        let next = run.steps.iter().position(|s| !matches!(s.state, StepState::Succeeded | StepState::AlreadyDone)).unwrap_or(run.steps.len());
        let in_effect = match plan.steps.get(next) {
            Some(step) => actions::verify(self.exec.as_ref(), &self.poller, &step.host, &step.verify, &Done::default()).await.is_ok(),
            None => false,
        };
        run.state = RunState::Running;
        self.save(&run).await?;
        let engine = Arc::clone(self);
        let actor = actor.clone();
        let why = "rolled back at the operator's request after an interruption".to_string();
        tokio::spawn(async move {
            if next < plan.steps.len() {
                engine.undo(run, &plan, next, in_effect, why, &actor).await;
            } else {
                engine.undo(run, &plan, plan.steps.len().saturating_sub(1), true, why, &actor).await;
            }
        });
        Ok(())
    }
}

/// The undo commands a person still has to run, from step `from` down, as `on HOST: COMMAND`.
fn remediation(plan: &Plan, run: &Run, from: usize) -> Vec<String> {
    let done: Vec<&str> = run.undo.iter().filter(|u| u.state == StepState::Succeeded).map(|u| u.command.as_str()).collect();
    let last = from + 1;
    let mut out = Vec::new();
    for j in (0..last.min(plan.steps.len())).rev() {
        let ran = matches!(run.steps[j].state, StepState::Succeeded | StepState::AlreadyDone | StepState::Failed);
        if !ran {
            continue;
        }
        for undo in &plan.steps[j].undo {
            if !done.contains(&undo.command.as_str()) {
                out.push(format!("on {}: {}", undo.host, undo.command));
            }
        }
    }
    if let Some(failed) = run.steps.iter().find(|s| s.state == StepState::Failed && s.exit_code.is_none()) {
        out.insert(
            0,
            format!(
                "first find out whether step {} (`{}` on {}) took effect: its connection was lost; if it did, undo it too",
                failed.index + 1,
                failed.command,
                failed.host
            ),
        );
    }
    out.push(format!("then check with: rdqmstatus -m {} on each region's HA primary, and the route in mqipt.conf", run.subject));
    out
}
