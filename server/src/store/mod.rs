//! What must outlive a request and hold across console instances: the audit chain and
//! revoked sessions now; the journal, run locks and approvals with the workflows.
//! SQLite by default, behind `Store` so PostgreSQL can follow.

use futures::future::BoxFuture;
use model::drill::DrillReport;
use model::instance::StoreStatus;
use model::plan::{HeldLock, Plan};
use model::run::{Run, RunState};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

mod etcd;
mod etcd_audit;
mod etcd_kv;
mod etcd_lease;
mod etcd_revoked;
mod etcd_watch;
mod spool;
mod sqlite;
mod verify;
pub use etcd::{EtcdOptions, EtcdStore, EtcdTls};
pub use spool::{AuditSpool, Spooled};
pub use sqlite::SqliteStore;
pub use verify::ChainVerifier;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store: {0}")]
    Other(String),
    /// The shared store cannot be reached or has no quorum: nothing was written.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// This instance's lease ended (or may have): it must not act until it has a new one.
    #[error("this console instance lost its lease on the shared store ({0}); it acts again once it holds a new one")]
    Fenced(String),
}

/// One audited event as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Milliseconds since the Unix epoch.
    pub at: u64,
    /// Who (user name, or `-` before sign-in).
    pub actor: String,
    /// From where (client address).
    pub source: String,
    /// What, e.g. `login`, `login_refused`, `logout`, `plan`, `execute`, `step`.
    pub action: String,
    /// On what (a queue manager, a run id, a user name).
    pub target: String,
    /// `ok`, `refused`, `failed`, ...
    pub result: String,
    pub details: String,
}

impl AuditEvent {
    /// An event happening now.
    pub fn new(actor: &str, source: &str, action: &str, target: &str, result: &str, details: String) -> Self {
        AuditEvent {
            at: crate::clock::now_ms(),
            actor: actor.into(),
            source: source.into(),
            action: action.into(),
            target: target.into(),
            result: result.into(),
            details,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    #[serde(flatten)]
    pub event: AuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// The first link of the chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub id: i64,
    pub reason: String,
}

pub trait Store: Send + Sync {
    /// Appends to the audit chain; an error means the event is not recorded (fail closed).
    fn audit(&self, event: AuditEvent) -> BoxFuture<'_, Result<AuditRecord, StoreError>>;
    /// Records a sign-in or a refused one. In the chain; a shared store that cannot be written
    /// keeps it in this console's spool instead (fsynced before this returns), and appends it
    /// to the chain, in order and once, as soon as the store can be written again: operators
    /// can sign in and look at the estate without quorum (workflows stay refused).
    fn audit_sign_in(&self, event: AuditEvent) -> BoxFuture<'_, Result<SignInAudit, StoreError>> {
        Box::pin(async move { self.audit(event).await.map(SignInAudit::Chained) })
    }
    /// The id of the first record after record `after` that holds exactly `event`: whether a
    /// record kept in a spool is in the chain already.
    fn audit_find(&self, after: i64, event: AuditEvent) -> BoxFuture<'_, Result<Option<i64>, StoreError>>;
    /// The newest `limit` records, newest first.
    fn audit_log(&self, limit: usize) -> BoxFuture<'_, Result<Vec<AuditRecord>, StoreError>>;
    /// The newest record's id and hash (what the console writes to its log at intervals).
    fn audit_head(&self) -> BoxFuture<'_, Result<Option<AuditHead>, StoreError>>;
    /// Walks the whole chain; the first broken link, if any. With `head` (a head written to
    /// the log earlier), a chain that no longer holds that record as it was is broken too: a
    /// truncated or rewritten tail.
    fn verify_audit(&self, head: Option<AuditHead>) -> BoxFuture<'_, Result<Option<BrokenLink>, StoreError>>;
    fn revoke_session(&self, jti: String, expires_at: u64) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Ends every session of `user` that began at or before `at` (s).
    fn revoke_user(&self, user: String, at: u64) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Whether the session `jti` of `user`, begun at `auth_time` (s), was ended.
    fn is_revoked(&self, jti: String, user: String, auth_time: u64) -> BoxFuture<'_, Result<bool, StoreError>>;

    fn save_plan(&self, plan: Plan) -> BoxFuture<'_, Result<(), StoreError>>;
    /// The plan, with `consumed_by_run` set when it was executed.
    fn load_plan(&self, id: String) -> BoxFuture<'_, Result<Option<Plan>, StoreError>>;
    /// In one transaction: the plan is still unused, every resource is free (or already this
    /// run's), then the locks are taken, the run is written and the plan is consumed. All or
    /// nothing: exactly one of two concurrent starts of a plan wins.
    fn start_run(&self, start: StartRun) -> BoxFuture<'_, Result<Result<(), StartRefused>, StoreError>>;
    /// Compare-and-swap: writes `run` only if its stored state is still `from`; otherwise
    /// `Err(current state)` and nothing is written.
    fn update_run(&self, run: Run, from: RunState) -> BoxFuture<'_, Result<Result<(), RunState>, StoreError>>;
    /// Takes every resource for `run_id` (again), all or none; `Err(the lock in the way)`.
    fn acquire_locks(&self, resources: Vec<String>, run_id: String, description: String, now: u64, until: u64) -> BoxFuture<'_, Result<Result<(), HeldLock>, StoreError>>;
    fn release_locks(&self, run_id: String) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Every unexpired lock.
    fn held_locks(&self, now: u64) -> BoxFuture<'_, Result<Vec<HeldLock>, StoreError>>;
    fn load_run(&self, id: String) -> BoxFuture<'_, Result<Option<Run>, StoreError>>;
    /// The newest `limit` runs, newest first.
    fn list_runs(&self, limit: usize) -> BoxFuture<'_, Result<Vec<Run>, StoreError>>;
    /// Stores a drill's report (a run that ends again, after a resume, replaces it).
    fn save_drill_report(&self, report: DrillReport) -> BoxFuture<'_, Result<(), StoreError>>;
    fn load_drill_report(&self, run_id: String) -> BoxFuture<'_, Result<Option<DrillReport>, StoreError>>;
    /// The newest reports first.
    fn list_drill_reports(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DrillReport>, StoreError>>;

    /// The runs now in `state` (a handful at any time), newest first.
    fn runs_in_state(&self, state: RunState) -> BoxFuture<'_, Result<Vec<Run>, StoreError>>;
    /// Who owns the runs this instance starts or claims now (`instance/lease`).
    fn owner(&self) -> String;
    /// The owners alive now: a run still `running` under any other owner was interrupted.
    fn live_owners(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;
    /// `Err` when this instance must not act (it may have lost its lease): checked before
    /// every step, and by every write.
    fn may_act(&self) -> Result<(), StoreError>;
    /// Kind, reachability, lease, leader and the instances alive, for the banner and `/healthz`.
    fn status(&self) -> BoxFuture<'_, StoreStatus>;
    /// Whether this instance carries the singleton duties (approval expiry, scheduled drills).
    fn leads(&self) -> bool;
    /// Sends every run any instance writes to `sink`, so each instance's viewers follow runs
    /// executed elsewhere. A store with one instance has nothing to add to what the engine sends.
    fn follow_runs(&self, sink: tokio::sync::broadcast::Sender<Run>) {
        let _ = sink;
    }

    /// Leaves the store at once (a command-line tool that is done): a shared store forgets
    /// this instance now instead of when its lease runs out.
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// Where a sign-in's audit record went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInAudit {
    Chained(AuditRecord),
    /// Into this console's spool, because the store could not be written (why).
    Spooled(String),
}

/// What [`Store::start_run`] needs.
#[derive(Debug, Clone)]
pub struct StartRun {
    pub plan_id: String,
    pub run: Run,
    pub resources: Vec<String>,
    pub description: String,
    pub now: u64,
    pub lock_until: u64,
}

/// Why a run did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartRefused {
    PlanMissing,
    /// The plan was executed already, as this run.
    PlanConsumed { run_id: String },
    Locked(HeldLock),
}

/// The newest audit record as the log shows it: `audit head id=N hash=H`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub id: i64,
    pub hash: String,
}

impl std::str::FromStr for AuditHead {
    type Err = String;

    /// `N:HASH` (as `audit verify --head` takes it).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (id, hash) = text.split_once(':').ok_or_else(|| format!("{text:?} is not ID:HASH"))?;
        let id = id.trim().parse().map_err(|_| format!("{id:?} is not a record number"))?;
        let hash = hash.trim();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{hash:?} is not a 64-digit hex hash"));
        }
        Ok(AuditHead { id, hash: hash.to_ascii_lowercase() })
    }
}

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn hash_fields(hasher: &mut impl sha2::digest::Update, id: i64, event: &AuditEvent, prev_hash: &str) {
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(id.to_string().as_bytes());
    for field in [&event.at.to_string(), &event.actor, &event.source, &event.action, &event.target, &event.result, &event.details] {
        hasher.update(b"\x1f");
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of a record: its content and the previous record's hash; an HMAC-SHA256 under
/// the audit key when there is one (then nobody without the key can rewrite the chain).
pub fn chain_hash(key: Option<&[u8]>, id: i64, event: &AuditEvent, prev_hash: &str) -> String {
    use hmac::Mac as _;
    match key.and_then(|k| hmac::Hmac::<Sha256>::new_from_slice(k).ok()) {
        Some(mut mac) => {
            hash_fields(&mut mac, id, event, prev_hash);
            hex(&mac.finalize().into_bytes())
        }
        None => {
            let mut hasher = Sha256::new();
            hash_fields(&mut hasher, id, event, prev_hash);
            hex(&hasher.finalize())
        }
    }
}

fn state_text(state: RunState) -> Result<String, StoreError> {
    to_json(&state)
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("stored record unreadable: {e}")))
}

