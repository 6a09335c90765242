//! The audit chain on etcd: one chain for every instance, appended by a transaction on the
//! head's revision (two instances never fork it), and this console's sign-in spool, appended
//! to it when the store can be written again.

use super::etcd_kv::{Kv, Outcome, got, prefix_end, text};
use super::*;
use etcd_client::{Compare, CompareOp, GetOptions, KeyValue, TxnOp};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Serialize, Deserialize)]
struct StoredAudit {
    #[serde(flatten)]
    record: AuditRecord,
    keyed: bool,
}

const ATTEMPTS: usize = 50;

/// The chain as one instance writes and reads it; clones share the head and the spool.
#[derive(Clone)]
pub(super) struct AuditChain {
    kv: Kv,
    pub key: Option<Arc<Vec<u8>>>,
    /// The head as last written or read: (its revision, id, hash).
    head: Arc<Mutex<Option<(i64, i64, String)>>>,
    pub spool: Option<Arc<AuditSpool>>,
}

fn head_of(kv: &KeyValue) -> Result<(i64, i64, String), StoreError> {
    let head: AuditHead = from_json(&text(kv))?;
    Ok((kv.mod_revision(), head.id, head.hash))
}

impl AuditChain {
    pub fn new(kv: Kv) -> AuditChain {
        AuditChain { kv, key: None, head: Arc::new(Mutex::new(None)), spool: None }
    }

    fn record_key(&self, id: i64) -> String {
        self.kv.key(&format!("audit/{id:020}"))
    }

    fn cached_head(&self) -> Option<(i64, i64, String)> {
        self.head.lock().ok().and_then(|h| h.clone())
    }

    fn remember_head(&self, head: Option<(i64, i64, String)>) {
        if let Ok(mut h) = self.head.lock() {
            *h = head;
        }
    }

    /// The head as stored: (revision, id, hash). A missing head over existing records is a
    /// broken store, never a new chain.
    pub async fn read_head(&self) -> Result<(i64, i64, String), StoreError> {
        // Both at one revision: a head appended between two reads is not a missing head.
        let txn = etcd_client::Txn::new().and_then([
            TxnOp::get(self.kv.key("audit-head"), None),
            TxnOp::get(self.kv.key("audit/"), Some(GetOptions::new().with_prefix().with_count_only())),
        ]);
        let read = self.kv.txn(txn).await?.op_responses();
        if let Some(kv) = read.first().and_then(got) {
            return head_of(&kv);
        }
        if matches!(read.get(1), Some(etcd_client::TxnOpResponse::Get(records)) if records.count() > 0) {
            return Err(StoreError::Other("the audit head is missing but records exist: the store was altered; restore it from a snapshot".into()));
        }
        Ok((0, 0, GENESIS.to_string()))
    }

    /// Appends `event` after what the spool keeps (those go first, in order).
    pub async fn append(&self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        self.drain().await?;
        self.append_now(event).await
    }

    async fn append_now(&self, event: AuditEvent) -> Result<AuditRecord, StoreError> {
        let key = self.key.clone();
        for _ in 0..ATTEMPTS {
            let (rev, last_id, prev_hash) = match self.cached_head() {
                Some(head) => head,
                None => self.read_head().await?,
            };
            let id = last_id + 1;
            let hash = chain_hash(key.as_deref().map(Vec::as_slice), id, &event, &prev_hash);
            let record = AuditRecord { id, event: event.clone(), prev_hash, hash: hash.clone() };
            let record_key = self.record_key(id);
            let head_key = self.kv.key("audit-head");
            let compares = vec![
                Compare::mod_revision(head_key.clone(), CompareOp::Equal, rev),
                Compare::create_revision(record_key.clone(), CompareOp::Equal, 0),
            ];
            let puts = vec![
                TxnOp::put(record_key.clone(), to_json(&StoredAudit { record: record.clone(), keyed: key.is_some() })?, None),
                TxnOp::put(head_key.clone(), to_json(&AuditHead { id, hash: hash.clone() })?, None),
            ];
            match self.kv.fenced(compares, puts, vec![TxnOp::get(head_key, None)]).await {
                Ok(Outcome::Applied(done)) => {
                    self.remember_head(Some((done.header().map_or(0, |h| h.revision()), id, hash)));
                    return Ok(record);
                }
                Ok(Outcome::Refused(read)) => {
                    // Another instance appended first: link to its record and try again.
                    let head = match read.first().and_then(got) {
                        Some(kv) => head_of(&kv)?,
                        None => (0, 0, GENESIS.to_string()),
                    };
                    self.remember_head(Some(head));
                }
                Err(StoreError::Unavailable(why)) => {
                    // The append may have been applied before the answer was lost: look.
                    self.remember_head(None);
                    if let Ok(Some(kv)) = self.kv.get_one(record_key).await
                        && from_json::<StoredAudit>(&text(&kv)).is_ok_and(|s| s.record.hash == hash)
                    {
                        return Ok(record);
                    }
                    return Err(StoreError::Unavailable(why));
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Other(format!("the audit chain: other instances kept changing it ({ATTEMPTS} attempts)")))
    }

    /// A sign-in: in the chain, or kept in the spool when the store cannot be written.
    pub async fn sign_in(&self, event: AuditEvent) -> Result<SignInAudit, StoreError> {
        let Some(spool) = &self.spool else { return self.append(event).await.map(SignInAudit::Chained) };
        // If the append below reaches the chain though its answer is lost, it is after this.
        let after = self.cached_head().map_or(0, |(_, id, _)| id);
        let appended = match self.drain().await {
            Ok(_) => self.append_now(event.clone()).await,
            Err(e) => Err(e),
        };
        match appended {
            Ok(record) => Ok(SignInAudit::Chained(record)),
            Err(e @ (StoreError::Unavailable(_) | StoreError::Fenced(_))) => {
                spool
                    .push(after, event)
                    .map_err(|io| StoreError::Other(format!("the store cannot be written ({e}), nor the audit spool {}: {io}", spool.path().display())))?;
                tracing::warn!(error = %e, spool = %spool.path().display(), "a sign-in's audit record is kept in the spool until the store can be written");
                Ok(SignInAudit::Spooled(super::etcd_lease::reason(&e)))
            }
            Err(e) => Err(e),
        }
    }

    /// Appends what the spool keeps, oldest first, each once: a record already in the chain
    /// (appended before its answer was lost, or before a crash) is marked, not appended again.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let Some(spool) = &self.spool else { return Ok(0) };
        if spool.is_empty() {
            return Ok(0);
        }
        let _turn = spool.draining.lock().await;
        let mut done = 0;
        for record in spool.pending() {
            let id = match self.find(record.after, &record.event).await? {
                Some(id) => id,
                None => self.append_now(record.event.clone()).await?.id,
            };
            spool.appended(record.seq, id).map_err(|e| StoreError::Other(format!("audit spool {}: {e}", spool.path().display())))?;
            done += 1;
        }
        if done > 0 {
            tracing::info!(records = done, spool = %spool.path().display(), "sign-ins kept in the audit spool are in the chain now");
        }
        Ok(done)
    }

    /// The first record after `after` holding exactly `event`, read in pages at one revision.
    pub async fn find(&self, after: i64, event: &AuditEvent) -> Result<Option<i64>, StoreError> {
        let end = prefix_end(&self.kv.key("audit/"));
        let mut from = self.record_key(after.max(0) + 1).into_bytes();
        let mut revision = 0;
        loop {
            let mut options = GetOptions::new().with_range(end.clone()).with_limit(500);
            if revision > 0 {
                options = options.with_revision(revision);
            }
            let page = self.kv.get(from.clone(), Some(options)).await?;
            if revision == 0 {
                revision = page.header().map_or(0, |h| h.revision());
            }
            for kv in page.kvs() {
                let stored: StoredAudit = from_json(&text(kv))?;
                if stored.record.event == *event {
                    return Ok(Some(stored.record.id));
                }
            }
            match page.kvs().last() {
                Some(last) if page.more() => {
                    from = last.key().to_vec();
                    from.push(0);
                }
                _ => return Ok(None),
            }
        }
    }

    pub async fn log(&self, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let (_, last, _) = self.read_head().await?;
        if limit == 0 || last == 0 {
            return Ok(Vec::new());
        }
        let first = (last - limit.min(i64::MAX as usize) as i64 + 1).max(1);
        let page = self.kv.get(self.record_key(first), Some(GetOptions::new().with_range(self.record_key(last + 1)))).await?;
        let mut records = page.kvs().iter().map(|kv| from_json::<StoredAudit>(&text(kv)).map(|s| s.record)).collect::<Result<Vec<_>, _>>()?;
        records.reverse();
        Ok(records)
    }

    pub async fn verify(&self, head: Option<AuditHead>) -> Result<Option<BrokenLink>, StoreError> {
        let key = self.key.clone();
        let mut verifier = ChainVerifier::new(key.as_deref().map(Vec::as_slice), head);
        for kv in self.kv.range_all("audit/").await? {
            let stored: StoredAudit = from_json(&text(&kv))?;
            // Records are written once: a second version is a rewrite, whatever its hash.
            if kv.version() != 1 {
                return Ok(Some(BrokenLink { id: stored.record.id, reason: format!("it was rewritten in etcd (version {})", kv.version()) }));
            }
            if let Some(broken) = verifier.next(&stored.record, stored.keyed) {
                return Ok(Some(broken));
            }
        }
        Ok(verifier.finish())
    }

    /// Appends what the spool keeps as soon as this instance may write again (checked every
    /// second), until the store is dropped.
    pub fn spawn_drainer(&self) -> tokio::task::JoinHandle<()> {
        let chain = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let waiting = chain.spool.as_ref().is_some_and(|s| !s.is_empty());
                if waiting
                    && chain.kv.lease.may_act().is_ok()
                    && let Err(e) = chain.drain().await
                {
                    tracing::debug!(error = %e, "the audit spool waits for the store");
                }
            }
        })
    }
}
