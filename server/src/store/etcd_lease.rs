//! This instance's lease on the shared store: registered under `instances/<owner>`, kept alive
//! every third of its TTL, and the election of the instance that carries the singleton duties.
//! Everything this instance writes is conditioned on the lease (fencing); it stops acting
//! on its own once two thirds of the TTL pass without a renewal, because after a loss of
//! quorum etcd's new leader renews every lease, so a lock can outlive a holder that was cut off.

use super::etcd_kv::Reach;
use super::{StoreError, to_json};
use etcd_client::{Client, Compare, CompareOp, PutOptions, Txn, TxnOp, TxnOpResponse};
use model::instance::InstanceInfo;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub(super) struct LeaseState {
    pub id: i64,
    /// `instance/lease-hex`: who owns the runs started under this lease.
    pub owner: String,
    pub renewed_at: Instant,
    /// Why the last renewal failed, if it did.
    pub problem: Option<String>,
    /// The owner that carries the singleton duties, as last seen.
    pub leader: Option<String>,
}

pub(super) struct Lease {
    pub state: Mutex<LeaseState>,
    pub ttl: Duration,
}

impl Lease {
    pub fn snapshot(&self) -> LeaseState {
        self.state.lock().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// `Err` once the lease may have ended: no renewal for two thirds of its TTL.
    pub fn may_act(&self) -> Result<(i64, String), StoreError> {
        let s = self.snapshot();
        let quiet = s.renewed_at.elapsed();
        if s.id == 0 {
            let why = s.problem.unwrap_or_else(|| "not yet".into());
            return Err(StoreError::Unavailable(format!("this console instance is not registered in the shared store: {why}")));
        }
        if quiet > self.ttl * 2 / 3 {
            let why = s.problem.unwrap_or_else(|| "no renewal".into());
            return Err(StoreError::Fenced(format!("not renewed for {} s: {why}", quiet.as_secs())));
        }
        Ok((s.id, s.owner))
    }

    fn set(&self, change: impl FnOnce(&mut LeaseState)) {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut guard);
    }
}

/// Why the store refused, without the kind of error the caller words itself.
pub(super) fn reason(e: &StoreError) -> String {
    match e {
        StoreError::Unavailable(why) => why.clone(),
        other => other.to_string(),
    }
}

pub(super) fn instance_key(prefix: &str, owner: &str) -> String {
    format!("{prefix}instances/{owner}")
}

/// Grants a lease and registers the instance under it; the new owner name.
pub(super) async fn register(client: &mut Client, reach: &Reach, prefix: &str, info: &InstanceInfo, ttl: Duration) -> Result<LeaseState, StoreError> {
    let granted = match client.lease_grant(ttl.as_secs().max(2) as i64, None).await {
        Ok(granted) => granted,
        // The first request of a console that may not reach etcd at all: say why, per member.
        Err(e) => return Err(reach.explain(e).await),
    };
    let id = granted.id();
    let owner = format!("{}/{id:016x}", info.instance);
    let mut info = info.clone();
    info.owner = owner.clone();
    client
        .put(instance_key(prefix, &owner), to_json(&info)?, Some(PutOptions::new().with_lease(id)))
        .await
        .map_err(|e| reach.unavailable(e))?;
    Ok(LeaseState { id, owner, renewed_at: Instant::now(), problem: None, leader: None })
}

/// Keeps the lease alive until the store is dropped; registers again (a new owner) when the
/// lease ended, and takes part in the election of the leader.
pub(super) fn spawn_keeper(mut client: Client, reach: Arc<Reach>, prefix: String, info: InstanceInfo, lease: Arc<Lease>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tick = lease.ttl / 3;
        let mut stream = None;
        let mut first = true;
        let mut failed = false;
        loop {
            // The first campaign at once: a console knows who leads as soon as it serves. After
            // a failed renewal (its member died, the stream closed) the next try comes at once
            // on a new stream, not a tick later: two lost ticks would fence the instance.
            let LeaseState { id, .. } = lease.snapshot();
            if !std::mem::take(&mut first) {
                // Never registered (etcd unreachable or refusing this console): a second apart.
                let pause = match (failed, id) {
                    (true, 0) => Duration::from_secs(1),
                    (true, _) => Duration::from_millis(200),
                    (false, _) => tick,
                };
                tokio::time::sleep(pause).await;
            }
            // Half a tick for an answer: a renewal stuck on a member that died (its stream half
            // open) must leave time for another try on a new stream before the fence, two
            // thirds of the TTL after the last renewal.
            let wait = (tick / 2).max(Duration::from_millis(300));
            let renewed = if id == 0 { Ok(false) } else { renew(&mut client, id, &mut stream, wait).await };
            match renewed {
                Ok(true) => lease.set(|s| {
                    s.renewed_at = Instant::now();
                    s.problem = None;
                }),
                Ok(false) => {
                    // The lease ended (etcd expired it): whatever ran under it was interrupted.
                    if id != 0 {
                        tracing::warn!(lease = %format!("{id:016x}"), "the store lease ended; registering again");
                    }
                    stream = None;
                    match register(&mut client, &reach, &prefix, &info, lease.ttl).await {
                        Ok(fresh) => lease.set(|s| *s = fresh),
                        Err(e) if id == 0 => lease.set(|s| s.problem = Some(reason(&e))),
                        Err(e) => lease.set(|s| s.problem = Some(format!("the lease ended and a new one could not be granted: {e}"))),
                    }
                }
                Err(e) => {
                    stream = None;
                    lease.set(|s| s.problem = Some(reach.describe_text(&e)));
                }
            }
            failed = lease.snapshot().problem.is_some();
            let LeaseState { id, owner, .. } = lease.snapshot();
            if let Ok(leader) = campaign(&mut client, &reach, &prefix, id, &owner).await {
                lease.set(|s| s.leader = Some(leader));
            }
        }
    })
}

type KeepAlive = (etcd_client::LeaseKeeper, etcd_client::LeaseKeepAliveStream);

/// One renewal: `Ok(false)` when etcd says the lease is gone.
async fn renew(client: &mut Client, id: i64, stream: &mut Option<KeepAlive>, wait: Duration) -> Result<bool, String> {
    if stream.is_none() {
        match tokio::time::timeout(wait, client.lease_keep_alive(id)).await {
            Err(_) => return Err("the store did not answer".into()),
            Ok(Err(e)) if e.to_string().contains("lease not found") => return Ok(false),
            Ok(Err(e)) => return Err(e.to_string()),
            Ok(Ok(pair)) => *stream = Some(pair),
        }
    }
    let Some((keeper, answers)) = stream.as_mut() else { return Err("no keep-alive stream".into()) };
    keeper.keep_alive().await.map_err(|e| e.to_string())?;
    match tokio::time::timeout(wait, answers.message()).await {
        Err(_) => Err("the store did not answer the renewal".into()),
        Ok(Ok(Some(answer))) => Ok(answer.ttl() > 0),
        Ok(Ok(None)) => Err("the renewal stream ended".into()),
        Ok(Err(e)) => Err(e.to_string()),
    }
}

/// The election: `leader` is created once, under the winner's lease, and goes with it.
async fn campaign(client: &mut Client, reach: &Reach, prefix: &str, lease_id: i64, owner: &str) -> Result<String, StoreError> {
    let key = format!("{prefix}leader");
    let txn = Txn::new()
        .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
        .and_then([TxnOp::put(key.clone(), owner, Some(PutOptions::new().with_lease(lease_id)))])
        .or_else([TxnOp::get(key, None)]);
    let answer = client.txn(txn).await.map_err(|e| reach.unavailable(e))?;
    if answer.succeeded() {
        return Ok(owner.to_string());
    }
    match answer.op_responses().into_iter().next() {
        Some(TxnOpResponse::Get(got)) => Ok(got.kvs().first().map(|kv| String::from_utf8_lossy(kv.value()).into_owned()).unwrap_or_default()),
        _ => Err(StoreError::Other("the election answered without the leader".into())),
    }
}
