//! The store shared by one console per region: etcd (v3). Every state transition is one
//! transaction on the revisions it read; locks and this instance's registration live under
//! its lease. Keys under the configured prefix `P`:
//!
//! | key | value |
//! |---|---|
//! | `P/audit/<id:020>`, `P/audit-head` | an audit record; `{id, hash}` of the newest |
//! | `P/plans/<id>`, `P/plan-used/<id>`, `P/plans-by-time/<at>/<id>` | plan JSON; the run that consumed it |
//! | `P/runs/<id>`, `P/run-state/<id>`, `P/runs-by-time/<newest first>` | run JSON; its state |
//! | `P/locks/<resource>` | `{run_id, description, until}` under the holder's lease |
//! | `P/revoked/jti/<jti>`, `P/revoked/user/<name>` | until when; since when |
//! | `P/drills/<run>`, `P/drills-by-time/<newest first>` | drill report JSON |
//! | `P/instances/<owner>`, `P/leader` | each live instance; the owner carrying singleton duties |

use super::etcd_audit::AuditChain;
use super::etcd_kv::{Kv, Outcome, Reach, got, newest_first, text};
use super::etcd_lease::{Lease, LeaseState, register, spawn_keeper};
use super::*;
use etcd_client::{Client, Compare, CompareOp, ConnectOptions, GetOptions, KeyValue, PutOptions, TxnOp};
use model::instance::{InstanceInfo, StoreKind, StoreStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How to reach etcd and who this instance is.
#[derive(Debug, Clone)]
pub struct EtcdOptions {
    pub endpoints: Vec<String>,
    /// Every key starts with it; ends with `/`.
    pub prefix: String,
    pub instance: String,
    pub url: Option<String>,
    pub lease_ttl: Duration,
    pub timeout: Duration,
    /// TLS to the members: their CA, and this console's client certificate if they ask
    /// for one. `None`: plain gRPC.
    pub tls: Option<EtcdTls>,
}

/// The PEM files of TLS to etcd, read at start.
#[derive(Clone)]
pub struct EtcdTls {
    /// The CA that signed the members' certificates.
    pub ca: Vec<u8>,
    /// This console's client certificate and its key.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for EtcdTls {
    /// Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdTls").field("ca_bytes", &self.ca.len()).field("client_certificate", &self.identity.is_some()).finish()
    }
}

pub struct EtcdStore {
    kv: Kv,
    chain: AuditChain,
    this: InstanceInfo,
    revoked: Arc<Mutex<super::etcd_revoked::RevokedCache>>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The instances as last read for [`Store::status`], and when: read again after
    /// [`STATUS_FRESH`], by one caller while the others wait for its answer.
    instances: tokio::sync::Mutex<Option<(Instant, InstancesRead)>>,
}

/// The live instances, or why etcd could not say.
type InstancesRead = Result<Vec<InstanceInfo>, String>;

/// How long the store status' reading of etcd serves: `/api/store`, `/healthz` and `/metrics`
/// of every browser cost one etcd range per this, whatever their number. The lease (this
/// instance may act or not) is looked at on every call.
const STATUS_FRESH: Duration = Duration::from_secs(1);

impl Drop for EtcdStore {
    fn drop(&mut self) {
        for task in self.tasks.lock().map(|mut t| std::mem::take(&mut *t)).unwrap_or_default() {
            task.abort();
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredLock {
    run_id: String,
    description: String,
    until: u64,
}

/// Compares that hold while locks are as read, and the puts that take them.
type Taking = (Vec<Compare>, Vec<TxnOp>);

const ATTEMPTS: usize = 50;

fn contended(what: &str) -> StoreError {
    StoreError::Other(format!("{what}: other instances kept changing it ({ATTEMPTS} attempts)"))
}

impl EtcdStore {
    /// Connects and registers this instance. Without quorum the console still starts (it shows
    /// the estate) and registers as soon as the store answers.
    pub async fn connect(options: EtcdOptions) -> Result<Self, StoreError> {
        let connect = ConnectOptions::new()
            .with_connect_timeout(options.timeout)
            .with_timeout(options.timeout)
            .with_keep_alive(Duration::from_secs(5), options.timeout)
            .with_require_leader(true);
        let connect = match &options.tls {
            None => connect,
            Some(tls) => {
                let mut config = etcd_client::TlsOptions::new().ca_certificate(etcd_client::Certificate::from_pem(&tls.ca));
                if let Some((cert, key)) = &tls.identity {
                    config = config.identity(etcd_client::Identity::from_pem(cert, key));
                }
                connect.with_tls(config)
            }
        };
        let reach = Arc::new(Reach::new(options.endpoints.clone(), options.tls.as_ref().map(|t| t.identity.is_some()), connect.clone()));
        let mut client = Client::connect(&options.endpoints, Some(connect)).await.map_err(|e| reach.unavailable(e))?;
        let this = InstanceInfo { instance: options.instance.clone(), owner: String::new(), url: options.url.clone(), started_at: crate::clock::now_ms() };
        let first = match register(&mut client, &reach, &options.prefix, &this, options.lease_ttl).await {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!(error = %e, "not registered in the store yet; workflows wait for it");
                LeaseState { id: 0, owner: format!("{}/unregistered", options.instance), renewed_at: Instant::now() - options.lease_ttl, problem: Some(super::etcd_lease::reason(&e)), leader: None, through: None }
            }
        };
        let lease = Arc::new(Lease { state: Mutex::new(first), ttl: options.lease_ttl });
        let keeper = spawn_keeper(Arc::clone(&reach), options.prefix.clone(), this.clone(), Arc::clone(&lease));
        let revoked = Arc::new(Mutex::new(super::etcd_revoked::RevokedCache::default()));
        let following = tokio::spawn(super::etcd_revoked::follow(client.clone(), format!("{}revoked/", options.prefix), Arc::clone(&revoked)));
        let kv = Kv { client, prefix: options.prefix, lease, reach };
        Ok(EtcdStore {
            chain: AuditChain::new(kv.clone()),
            kv,
            this,
            revoked,
            tasks: Mutex::new(vec![keeper, following]),
            instances: tokio::sync::Mutex::new(None),
        })
    }

    /// Keys the audit records this instance writes (before [`EtcdStore::with_spool`]).
    pub fn with_audit_key(mut self, key: Option<Vec<u8>>) -> Self {
        debug_assert!(self.chain.spool.is_none(), "with_audit_key before with_spool");
        self.chain.key = key.map(Arc::new);
        self
    }

    /// Keeps sign-ins made while the store cannot be written in the spool at `path` (this
    /// process alone holds it), and appends them to the chain as soon as it can be written.
    pub fn with_spool(mut self, path: &std::path::Path) -> Result<Self, StoreError> {
        let spool = AuditSpool::open(path).map_err(|e| StoreError::Other(format!("store.audit_spool: {e}")))?;
        let waiting = spool.pending().len();
        if waiting > 0 {
            tracing::warn!(records = waiting, spool = %path.display(), "sign-ins kept in the audit spool wait for the store");
        }
        self.chain.spool = Some(Arc::new(spool));
        let drainer = self.chain.spawn_drainer();
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.push(drainer);
        }
        Ok(self)
    }

    /// The endpoint of the etcd member this instance's lease was last renewed through (the
    /// keeper asks it first next time, and another at once when it does not answer).
    pub fn renews_through(&self) -> Option<String> {
        self.kv.lease.snapshot().through
    }

    fn key(&self, rest: &str) -> String {
        self.kv.key(rest)
    }

    /// The live instances (or why etcd could not say) as read at most [`STATUS_FRESH`] ago;
    /// concurrent callers share one read.
    async fn instances_now(&self) -> InstancesRead {
        let mut last = self.instances.lock().await;
        if let Some((at, read)) = &*last
            && at.elapsed() < STATUS_FRESH
        {
            return read.clone();
        }
        let read = match self.kv.range_all("instances/").await {
            Ok(kvs) => Ok(kvs.iter().filter_map(|kv| from_json::<InstanceInfo>(&text(kv)).ok()).collect()),
            Err(e) => Err(e.to_string()),
        };
        *last = Some((Instant::now(), read.clone()));
        read
    }

    /// Lock keys of `resources` (sorted, once each) and what holds them now.
    async fn locks_now(&self, resources: &[String]) -> Result<(Vec<String>, Vec<Option<KeyValue>>), StoreError> {
        let mut names = resources.to_vec();
        names.sort();
        names.dedup();
        let keys: Vec<String> = names.iter().map(|r| self.key(&format!("locks/{r}"))).collect();
        let held = self.kv.get_many(&keys).await?;
        Ok((names, held))
    }

    /// Compares that hold while the locks are as read, puts that take them for `run_id`;
    /// or the lock in the way.
    fn take_locks(&self, names: &[String], held: &[Option<KeyValue>], lock: &StoredLock, now: u64, lease_id: i64) -> Result<Result<Taking, HeldLock>, StoreError> {
        let (mut compares, mut puts) = (Vec::new(), Vec::new());
        let value = to_json(lock)?;
        for (name, kv) in names.iter().zip(held) {
            let key = self.key(&format!("locks/{name}"));
            match kv {
                None => compares.push(Compare::create_revision(key.clone(), CompareOp::Equal, 0)),
                Some(kv) => {
                    let current: StoredLock = from_json(&text(kv))?;
                    if current.run_id != lock.run_id && current.until > now {
                        return Ok(Err(HeldLock { resource: name.clone(), run_id: current.run_id, description: current.description }));
                    }
                    compares.push(Compare::mod_revision(key.clone(), CompareOp::Equal, kv.mod_revision()));
                }
            }
            puts.push(TxnOp::put(key, value.clone(), Some(PutOptions::new().with_lease(lease_id))));
        }
        Ok(Ok((compares, puts)))
    }

    /// The values of `index` (ids, newest first), then their records under `records`.
    async fn newest<T: serde::de::DeserializeOwned>(&self, index: &str, records: &str, limit: usize) -> Result<Vec<T>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let ids = self.kv.get(self.key(index), Some(GetOptions::new().with_prefix().with_limit(limit as i64))).await?;
        let keys: Vec<String> = ids.kvs().iter().map(|kv| self.key(&format!("{records}{}", text(kv)))).collect();
        self.kv.get_many(&keys).await?.into_iter().flatten().map(|kv| from_json(&text(&kv))).collect()
    }

    /// Deletes plans older than a day (as the SQLite store does), a page at a time.
    async fn sweep_plans(&self, before: u64) -> Result<(), StoreError> {
        let from = self.key("plans-by-time/");
        let until = self.key(&format!("plans-by-time/{before:020}"));
        let old = self.kv.get(from, Some(GetOptions::new().with_range(until).with_limit(40))).await?;
        let mut deletes = Vec::new();
        for kv in old.kvs() {
            let id = text(kv);
            deletes.push(TxnOp::delete(kv.key().to_vec(), None));
            deletes.push(TxnOp::delete(self.key(&format!("plans/{id}")), None));
            deletes.push(TxnOp::delete(self.key(&format!("plan-used/{id}")), None));
        }
        if !deletes.is_empty() {
            self.kv.fenced(Vec::new(), deletes, Vec::new()).await?;
        }
        Ok(())
    }
}

impl Store for EtcdStore {
    fn audit(&self, event: AuditEvent) -> BoxFuture<'_, Result<AuditRecord, StoreError>> {
        Box::pin(self.chain.append(event))
    }

    fn audit_sign_in(&self, event: AuditEvent) -> BoxFuture<'_, Result<SignInAudit, StoreError>> {
        Box::pin(self.chain.sign_in(event))
    }

    fn audit_find(&self, after: i64, event: AuditEvent) -> BoxFuture<'_, Result<Option<i64>, StoreError>> {
        Box::pin(async move { self.chain.find(after, &event).await })
    }

    fn audit_log(&self, limit: usize) -> BoxFuture<'_, Result<Vec<AuditRecord>, StoreError>> {
        Box::pin(self.chain.log(limit))
    }

    fn audit_head(&self) -> BoxFuture<'_, Result<Option<AuditHead>, StoreError>> {
        Box::pin(async move {
            let (_, id, hash) = self.chain.read_head().await?;
            Ok((id > 0).then_some(AuditHead { id, hash }))
        })
    }

    fn verify_audit(&self, head: Option<AuditHead>) -> BoxFuture<'_, Result<Option<BrokenLink>, StoreError>> {
        Box::pin(self.chain.verify(head))
    }

    fn revoke_session(&self, jti: String, expires_at: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            // It goes when the session would have ended anyway.
            let ttl = expires_at.saturating_sub(crate::clock::now_secs()).max(60);
            let lease = self.kv.client.clone().lease_grant(ttl as i64, None).await.map_err(|e| self.kv.reach.unavailable(e))?;
            let put = TxnOp::put(self.key(&format!("revoked/jti/{jti}")), expires_at.to_string(), Some(PutOptions::new().with_lease(lease.id())));
            self.kv.fenced(Vec::new(), vec![put], Vec::new()).await?;
            Ok(())
        })
    }

    fn revoke_user(&self, user: String, at: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        let key = self.key(&format!("revoked/user/{}", user.to_lowercase()));
        Box::pin(async move {
            for _ in 0..ATTEMPTS {
                let current = self.kv.get_one(key.clone()).await?;
                let compare = match &current {
                    Some(kv) if text(kv).parse::<u64>().is_ok_and(|since| since >= at) => return Ok(()),
                    Some(kv) => Compare::mod_revision(key.clone(), CompareOp::Equal, kv.mod_revision()),
                    None => Compare::create_revision(key.clone(), CompareOp::Equal, 0),
                };
                if let Outcome::Applied(_) = self.kv.fenced(vec![compare], vec![TxnOp::put(key.clone(), at.to_string(), None)], Vec::new()).await? {
                    return Ok(());
                }
            }
            Err(contended("the user's revocation"))
        })
    }

    fn is_revoked(&self, jti: String, user: String, auth_time: u64) -> BoxFuture<'_, Result<bool, StoreError>> {
        let keys = [self.key(&format!("revoked/jti/{jti}")), self.key(&format!("revoked/user/{}", user.to_lowercase()))];
        Box::pin(async move {
            let found = match self.kv.get_many(&keys).await {
                Ok(found) => found,
                // Without quorum: every revocation made before the outage still holds.
                Err(e @ StoreError::Unavailable(_)) => {
                    let user = user.to_lowercase();
                    let known = self.revoked.lock().ok().and_then(|c| c.answer(&jti, &user, auth_time));
                    return known.ok_or(e);
                }
                Err(e) => return Err(e),
            };
            let session = found[0].is_some();
            let user = found[1].as_ref().is_some_and(|kv| text(kv).parse::<u64>().is_ok_and(|since| since >= auth_time));
            Ok(session || user)
        })
    }

    fn save_plan(&self, plan: Plan) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            if let Err(e) = self.sweep_plans(plan.created_at.saturating_sub(24 * 3600 * 1000)).await {
                tracing::warn!(error = %e, "old plans not swept");
            }
            let puts = vec![
                TxnOp::put(self.key(&format!("plans/{}", plan.id)), to_json(&plan)?, None),
                TxnOp::put(self.key(&format!("plans-by-time/{:020}/{}", plan.created_at, plan.id)), plan.id.clone(), None),
            ];
            let absent = Compare::create_revision(self.key(&format!("plans/{}", plan.id)), CompareOp::Equal, 0);
            match self.kv.fenced(vec![absent], puts, Vec::new()).await? {
                Outcome::Applied(_) => Ok(()),
                Outcome::Refused(_) => Err(StoreError::Other(format!("plan {} exists already", plan.id))),
            }
        })
    }

    fn load_plan(&self, id: String) -> BoxFuture<'_, Result<Option<Plan>, StoreError>> {
        let keys = [self.key(&format!("plans/{id}")), self.key(&format!("plan-used/{id}"))];
        Box::pin(async move {
            let found = self.kv.get_many(&keys).await?;
            let Some(kv) = &found[0] else { return Ok(None) };
            let mut plan: Plan = from_json(&text(kv))?;
            plan.consumed_by_run = found[1].as_ref().map(text);
            Ok(Some(plan))
        })
    }

    fn start_run(&self, start: StartRun) -> BoxFuture<'_, Result<Result<(), StartRefused>, StoreError>> {
        Box::pin(async move {
            let plan_key = self.key(&format!("plans/{}", start.plan_id));
            let used_key = self.key(&format!("plan-used/{}", start.plan_id));
            let run_key = self.key(&format!("runs/{}", start.run.id));
            for _ in 0..ATTEMPTS {
                // The plan, its use and the locks at one revision: a start that lost sees the
                // plan consumed, not the winner's locks.
                let mut names = start.resources.clone();
                names.sort();
                names.dedup();
                let mut keys = vec![plan_key.clone(), used_key.clone()];
                keys.extend(names.iter().map(|r| self.key(&format!("locks/{r}"))));
                let mut found = self.kv.get_many(&keys).await?;
                let held = found.split_off(2);
                let Some(plan) = &found[0] else { return Ok(Err(StartRefused::PlanMissing)) };
                if let Some(used) = &found[1] {
                    let run_id = text(used);
                    // Our own start, applied before its answer was lost.
                    if run_id == start.run.id {
                        return Ok(Ok(()));
                    }
                    return Ok(Err(StartRefused::PlanConsumed { run_id }));
                }
                let lock = StoredLock { run_id: start.run.id.clone(), description: start.description.clone(), until: start.lock_until };
                let (mut compares, mut ops) = match self.take_locks(&names, &held, &lock, start.now, self.kv.lease_id()?)? {
                    Ok(taken) => taken,
                    Err(held) => return Ok(Err(StartRefused::Locked(held))),
                };
                compares.push(Compare::mod_revision(plan_key.clone(), CompareOp::Equal, plan.mod_revision()));
                compares.push(Compare::create_revision(used_key.clone(), CompareOp::Equal, 0));
                compares.push(Compare::create_revision(run_key.clone(), CompareOp::Equal, 0));
                ops.push(TxnOp::put(run_key.clone(), to_json(&start.run)?, None));
                ops.push(TxnOp::put(self.key(&format!("run-state/{}", start.run.id)), state_text(start.run.state)?, None));
                ops.push(TxnOp::put(self.key(&format!("runs-by-time/{}", newest_first(start.run.created_at, &start.run.id))), start.run.id.clone(), None));
                ops.push(TxnOp::put(used_key.clone(), start.run.id.clone(), None));
                if let Outcome::Applied(_) = self.kv.fenced(compares, ops, Vec::new()).await? {
                    return Ok(Ok(()));
                }
            }
            Err(contended("the plan's start"))
        })
    }

    fn update_run(&self, run: Run, from: RunState) -> BoxFuture<'_, Result<Result<(), RunState>, StoreError>> {
        Box::pin(async move {
            let state_key = self.key(&format!("run-state/{}", run.id));
            let compare = Compare::value(state_key.clone(), CompareOp::Equal, state_text(from)?);
            let puts = vec![TxnOp::put(self.key(&format!("runs/{}", run.id)), to_json(&run)?, None), TxnOp::put(state_key.clone(), state_text(run.state)?, None)];
            match self.kv.fenced(vec![compare], puts, vec![TxnOp::get(state_key, None)]).await? {
                Outcome::Applied(_) => Ok(Ok(())),
                Outcome::Refused(read) => match read.first().and_then(got) {
                    Some(kv) => Ok(Err(from_json(&text(&kv))?)),
                    None => Err(StoreError::Other(format!("no run {}", run.id))),
                },
            }
        })
    }

    fn acquire_locks(&self, resources: Vec<String>, run_id: String, description: String, now: u64, until: u64) -> BoxFuture<'_, Result<Result<(), HeldLock>, StoreError>> {
        Box::pin(async move {
            let lock = StoredLock { run_id, description, until };
            for _ in 0..ATTEMPTS {
                let (names, held) = self.locks_now(&resources).await?;
                let (compares, puts) = match self.take_locks(&names, &held, &lock, now, self.kv.lease_id()?)? {
                    Ok(taken) => taken,
                    Err(held) => return Ok(Err(held)),
                };
                if let Outcome::Applied(_) = self.kv.fenced(compares, puts, Vec::new()).await? {
                    return Ok(Ok(()));
                }
            }
            Err(contended("the run's locks"))
        })
    }

    fn release_locks(&self, run_id: String) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let mut deletes = Vec::new();
            for kv in self.kv.range_all("locks/").await? {
                if from_json::<StoredLock>(&text(&kv)).is_ok_and(|l| l.run_id == run_id) {
                    deletes.push((kv.key().to_vec(), kv.mod_revision()));
                }
            }
            // Each only as read: a lock another run took meanwhile stays its own. Not fenced:
            // freeing is always safe.
            for (key, revision) in deletes {
                let txn = etcd_client::Txn::new().when([Compare::mod_revision(key.clone(), CompareOp::Equal, revision)]).and_then([TxnOp::delete(key, None)]);
                self.kv.txn(txn).await?;
            }
            Ok(())
        })
    }

    fn held_locks(&self, now: u64) -> BoxFuture<'_, Result<Vec<HeldLock>, StoreError>> {
        Box::pin(async move {
            let prefix = self.key("locks/");
            let mut held = Vec::new();
            for kv in self.kv.range_all("locks/").await? {
                let lock: StoredLock = from_json(&text(&kv))?;
                if lock.until > now {
                    let resource = String::from_utf8_lossy(&kv.key()[prefix.len()..]).into_owned();
                    held.push(HeldLock { resource, run_id: lock.run_id, description: lock.description });
                }
            }
            Ok(held)
        })
    }

    fn load_run(&self, id: String) -> BoxFuture<'_, Result<Option<Run>, StoreError>> {
        Box::pin(async move { self.kv.get_one(self.key(&format!("runs/{id}"))).await?.map(|kv| from_json(&text(&kv))).transpose() })
    }

    fn list_runs(&self, limit: usize) -> BoxFuture<'_, Result<Vec<Run>, StoreError>> {
        Box::pin(async move { self.newest("runs-by-time/", "runs/", limit).await })
    }

    fn save_drill_report(&self, report: DrillReport) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let key = self.key(&format!("drills/{}", report.run_id));
            let index = self.key(&format!("drills-by-time/{}", newest_first(report.finished_at, &report.run_id)));
            for _ in 0..ATTEMPTS {
                let mut ops = vec![TxnOp::put(key.clone(), to_json(&report)?, None), TxnOp::put(index.clone(), report.run_id.clone(), None)];
                let compare = match self.kv.get_one(key.clone()).await? {
                    None => Compare::create_revision(key.clone(), CompareOp::Equal, 0),
                    Some(kv) => {
                        let old: DrillReport = from_json(&text(&kv))?;
                        let old_index = self.key(&format!("drills-by-time/{}", newest_first(old.finished_at, &old.run_id)));
                        if old_index != index {
                            ops.push(TxnOp::delete(old_index, None));
                        }
                        Compare::mod_revision(key.clone(), CompareOp::Equal, kv.mod_revision())
                    }
                };
                if let Outcome::Applied(_) = self.kv.fenced(vec![compare], ops, Vec::new()).await? {
                    return Ok(());
                }
            }
            Err(contended("the drill report"))
        })
    }

    fn load_drill_report(&self, run_id: String) -> BoxFuture<'_, Result<Option<DrillReport>, StoreError>> {
        Box::pin(async move { self.kv.get_one(self.key(&format!("drills/{run_id}"))).await?.map(|kv| from_json(&text(&kv))).transpose() })
    }

    fn list_drill_reports(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DrillReport>, StoreError>> {
        Box::pin(async move { self.newest("drills-by-time/", "drills/", limit).await })
    }

    fn runs_in_state(&self, state: RunState) -> BoxFuture<'_, Result<Vec<Run>, StoreError>> {
        Box::pin(async move {
            let wanted = state_text(state)?;
            let prefix = self.key("run-state/");
            let keys: Vec<String> = self
                .kv
                .range_all("run-state/")
                .await?
                .iter()
                .filter(|kv| text(kv) == wanted)
                .map(|kv| self.key(&format!("runs/{}", String::from_utf8_lossy(&kv.key()[prefix.len()..]))))
                .collect();
            let mut runs: Vec<Run> = self.kv.get_many(&keys).await?.into_iter().flatten().map(|kv| from_json(&text(&kv))).collect::<Result<_, _>>()?;
            runs.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
            Ok(runs)
        })
    }

    fn owner(&self) -> String {
        self.kv.lease.snapshot().owner
    }

    fn live_owners(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let prefix = self.key("instances/");
            Ok(self.kv.range_all("instances/").await?.iter().map(|kv| String::from_utf8_lossy(&kv.key()[prefix.len()..]).into_owned()).collect())
        })
    }

    fn may_act(&self) -> Result<(), StoreError> {
        self.kv.lease.may_act().map(|_| ())
    }

    fn status(&self) -> BoxFuture<'_, StoreStatus> {
        Box::pin(async move {
            let read = self.instances_now().await;
            // The lease after the read: a lease lost meanwhile shows now.
            let lease = self.kv.lease.snapshot();
            let mut this = self.this.clone();
            this.owner = lease.owner.clone();
            let mut problem = self.may_act().err().map(|e| e.to_string());
            let instances = match read {
                Ok(instances) => instances,
                Err(e) => {
                    problem.get_or_insert(e);
                    Vec::new()
                }
            };
            StoreStatus { kind: StoreKind::Etcd, this, writable: problem.is_none(), problem, leader: lease.leader, instances }
        })
    }

    fn leads(&self) -> bool {
        let lease = self.kv.lease.snapshot();
        self.may_act().is_ok() && lease.leader.as_deref() == Some(lease.owner.as_str())
    }

    fn follow_runs(&self, sink: tokio::sync::broadcast::Sender<Run>) {
        let client = self.kv.client.clone();
        let prefix = self.key("runs/");
        let task = tokio::spawn(watch_runs(client, prefix, sink));
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.push(task);
        }
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            for task in self.tasks.lock().map(|mut t| std::mem::take(&mut *t)).unwrap_or_default() {
                task.abort();
            }
            let id = self.kv.lease.snapshot().id;
            if id != 0 {
                let mut client = self.kv.client.clone();
                if let Err(e) = client.lease_revoke(id).await {
                    tracing::warn!(error = %e, "the instance's lease was not revoked; it ends with its TTL");
                }
            }
        })
    }
}

/// Every write of a run, from any instance, to `sink` (after a compaction, from then on: the
/// runs page reloads).
async fn watch_runs(client: Client, prefix: String, sink: tokio::sync::broadcast::Sender<Run>) {
    let send = |event: &etcd_client::Event| {
        if event.event_type() == etcd_client::EventType::Put
            && let Some(run) = event.kv().and_then(|kv| serde_json::from_slice::<Run>(kv.value()).ok())
        {
            let _ = sink.send(run);
        }
    };
    super::etcd_watch::follow_prefix(client, prefix, super::etcd_watch::Load::Revision, |_| {}, send).await;
}
