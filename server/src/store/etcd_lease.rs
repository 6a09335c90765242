//! This instance's lease on the shared store: registered under `instances/<owner>`, kept alive
//! every third of its TTL, and the election of the instance that carries the singleton duties.
//! Everything this instance writes is conditioned on the lease (fencing); it stops acting
//! on its own once two thirds of the TTL pass without a renewal, because after a loss of
//! quorum etcd's new leader renews every lease, so a lock can outlive a holder that was cut off.
//! Renewals go through one member at a time over a connection of its own (not the store's
//! balanced channel, which kept picking a member that had died): the member that answered
//! last, and when it does not answer within its share of a tick, the next one at once. A
//! renewal counts from when it was sent, so the fence never starts later than etcd's TTL did.

use super::etcd_kv::Reach;
use super::{StoreError, to_json};
use etcd_client::{Client, Compare, CompareOp, ConnectOptions, PutOptions, Txn, TxnOp, TxnOpResponse};
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
    /// The endpoint of the member the last renewal (or the registration) went through.
    pub through: Option<String>,
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
    // The lease runs from no later than the grant was asked for.
    let sent = Instant::now();
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
    Ok(LeaseState { id, owner, renewed_at: sent, problem: None, leader: None, through: None })
}

/// The members one by one, each over a connection of its own: renewals go through the member
/// that answered the last one, and when it does not answer (killed, cut off, without a leader)
/// the next is asked at once, over its own connection, instead of waiting for a balanced
/// channel to notice the loss and stop picking the dead member.
struct Members {
    endpoints: Vec<String>,
    connect: ConnectOptions,
    /// A client per member, made on demand and dropped when it fails: the next request opens
    /// a new connection rather than waiting on one that may be half open.
    clients: Vec<Option<Client>>,
    /// Whether each member answered the last request sent to it.
    answered: Vec<bool>,
    /// The member that answered last; its keep-alive stream, if open.
    current: usize,
    stream: Option<KeepAlive>,
}

/// How a renewal went.
enum Renewal {
    /// Renewed by etcd, no earlier than this (when the request was sent), through this member.
    Renewed(Instant, String),
    /// etcd says the lease is gone.
    Ended,
    /// No member renewed it: what each said.
    Failed(String),
}

type KeepAlive = (etcd_client::LeaseKeeper, etcd_client::LeaseKeepAliveStream);

impl Members {
    fn new(reach: &Reach) -> Members {
        let n = reach.endpoints.len();
        Members { endpoints: reach.endpoints.clone(), connect: reach.connect.clone(), clients: vec![None; n], answered: vec![true; n], current: 0, stream: None }
    }

    /// The order to ask the members in: the one that answered last, then those that answered
    /// their last request, then those that did not (each group from the current one on).
    fn order(&self) -> Vec<usize> {
        let n = self.endpoints.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (i != self.current, !self.answered[i], (i + n - self.current) % n));
        order
    }

    async fn client(&mut self, i: usize) -> Result<Client, String> {
        if let Some(client) = &self.clients[i] {
            return Ok(client.clone());
        }
        // Lazy: nothing is sent before the first request.
        let client = Client::connect([self.endpoints[i].as_str()], Some(self.connect.clone())).await.map_err(|e| e.to_string())?;
        self.clients[i] = Some(client.clone());
        Ok(client)
    }

    fn answered(&mut self, i: usize) {
        self.answered[i] = true;
        if self.current != i {
            self.stream = None;
        }
        self.current = i;
    }

    fn failed(&mut self, i: usize) {
        self.answered[i] = false;
        self.clients[i] = None;
        if self.current == i {
            self.stream = None;
        }
    }

    /// One renewal, through the members in [`Members::order`], each given `wait` to answer.
    async fn renew(&mut self, id: i64, wait: Duration) -> Renewal {
        let mut said = Vec::new();
        for i in self.order() {
            let sent = Instant::now();
            let answer = match tokio::time::timeout(wait, self.renew_on(i, id)).await {
                Ok(answer) => answer,
                Err(_) => Err(format!("no answer within {} ms", wait.as_millis())),
            };
            match answer {
                Ok(true) => {
                    self.answered(i);
                    return Renewal::Renewed(sent, self.endpoints[i].clone());
                }
                Ok(false) => {
                    self.answered(i);
                    self.stream = None;
                    return Renewal::Ended;
                }
                Err(e) => {
                    self.failed(i);
                    said.push(format!("{}: {e}", self.endpoints[i]));
                }
            }
        }
        Renewal::Failed(said.join("; "))
    }

    /// A renewal through member `i`: on the stream open to it, or on a new one (opening a
    /// keep-alive stream is itself a renewal). `Ok(false)` when etcd says the lease is gone.
    async fn renew_on(&mut self, i: usize, id: i64) -> Result<bool, String> {
        if self.current != i || self.stream.is_none() {
            self.stream = None;
            let mut client = self.client(i).await?;
            return match client.lease_keep_alive(id).await {
                Ok(pair) => {
                    self.current = i;
                    self.stream = Some(pair);
                    Ok(true)
                }
                Err(e) if e.to_string().contains("lease not found") => Ok(false),
                Err(e) => Err(e.to_string()),
            };
        }
        let Some((keeper, answers)) = self.stream.as_mut() else { return Err("no keep-alive stream".into()) };
        keeper.keep_alive().await.map_err(|e| e.to_string())?;
        match answers.message().await {
            Ok(Some(answer)) => Ok(answer.ttl() > 0),
            Ok(None) => Err("the renewal stream ended".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A new lease and registration, through the first member that grants it. Each request is
    /// bounded by the store's timeout; the error says why (per member when a connection failed).
    async fn register(&mut self, reach: &Reach, prefix: &str, info: &InstanceInfo, ttl: Duration) -> Result<LeaseState, StoreError> {
        let mut last = StoreError::Unavailable("etcd: no endpoint".into());
        for i in self.order() {
            let mut client = match self.client(i).await {
                Ok(client) => client,
                Err(e) => {
                    self.failed(i);
                    last = StoreError::Unavailable(format!("etcd at {}: {e}", self.endpoints[i]));
                    continue;
                }
            };
            match register(&mut client, reach, prefix, info, ttl).await {
                Ok(mut state) => {
                    self.answered(i);
                    self.stream = None;
                    state.through = Some(self.endpoints[i].clone());
                    return Ok(state);
                }
                Err(e) => {
                    self.failed(i);
                    last = e;
                }
            }
        }
        Err(last)
    }
}

/// Keeps the lease alive until the store is dropped; registers again (a new owner) when the
/// lease ended, and takes part in the election of the leader.
pub(super) fn spawn_keeper(reach: Arc<Reach>, prefix: String, info: InstanceInfo, lease: Arc<Lease>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tick = lease.ttl / 3;
        // A member that does not answer within its share of a tick is passed over for the
        // next: all of them asked in turn still fit in the tick between a renewal falling due
        // and the fence, two thirds of the TTL after the last one.
        let wait = (tick / reach.endpoints.len().max(1) as u32).max(Duration::from_millis(200));
        let mut members = Members::new(&reach);
        let mut first = true;
        loop {
            // The first campaign at once: a console knows who leads as soon as it serves. A
            // renewal falls due a tick after the last one was sent; after a failed one the next
            // try comes 200 ms later, the members asked in their new order.
            let LeaseState { id, renewed_at, problem, .. } = lease.snapshot();
            if !std::mem::take(&mut first) {
                let pause = match (problem.is_some(), id) {
                    // Never registered (etcd unreachable or refusing this console): a second apart.
                    (true, 0) => Duration::from_secs(1),
                    (true, _) => Duration::from_millis(200),
                    (false, _) => (renewed_at + tick).saturating_duration_since(Instant::now()),
                };
                tokio::time::sleep(pause).await;
            }
            let renewed = if id == 0 { Renewal::Ended } else { members.renew(id, wait).await };
            match renewed {
                Renewal::Renewed(sent, through) => lease.set(|s| {
                    // Never later than etcd renewed it: the fence counts from the request.
                    s.renewed_at = sent;
                    s.problem = None;
                    s.through = Some(through);
                }),
                Renewal::Ended => {
                    // The lease ended (etcd expired it): whatever ran under it was interrupted.
                    if id != 0 {
                        tracing::warn!(lease = %format!("{id:016x}"), "the store lease ended; registering again");
                    }
                    match members.register(&reach, &prefix, &info, lease.ttl).await {
                        Ok(fresh) => lease.set(|s| *s = fresh),
                        Err(e) if id == 0 => lease.set(|s| s.problem = Some(reason(&e))),
                        Err(e) => lease.set(|s| s.problem = Some(format!("the lease ended and a new one could not be granted: {e}"))),
                    }
                }
                Renewal::Failed(said) => {
                    tracing::debug!(%said, "the store lease was not renewed through any member");
                    lease.set(|s| s.problem = Some(format!("no etcd member renewed the lease ({said})")));
                }
            }
            let LeaseState { id, owner, problem, .. } = lease.snapshot();
            if problem.is_some() {
                continue;
            }
            // Through the member that just answered, no longer than a renewal may take.
            let Ok(mut client) = members.client(members.current).await else { continue };
            if let Ok(Ok(leader)) = tokio::time::timeout(wait, campaign(&mut client, &reach, &prefix, id, &owner)).await {
                lease.set(|s| s.leader = Some(leader));
            }
        }
    })
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
