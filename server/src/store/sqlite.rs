//! The embedded store: one SQLite file, for a single console (the default).

use super::*;
use model::instance::{InstanceInfo, StoreKind, StoreStatus};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Arc;

pub struct SqliteStore {
    /// The one connection, owned by its own thread: every call queues there rather than
    /// taking a thread of the blocking pool that would wait on a lock (a thousand viewers'
    /// session checks grew that pool to fifty threads, each with its own heap arena).
    conn: tokio_rusqlite::Connection,
    audit_key: Option<Arc<Vec<u8>>>,
    /// This process: a run still running under any other owner was interrupted by a restart.
    this: InstanceInfo,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    /// Audit records written from now on are keyed (HMAC-SHA256 with `key`).
    pub fn with_audit_key(mut self, key: Option<Vec<u8>>) -> Self {
        self.audit_key = key.map(Arc::new);
        self
    }

    /// Names this console (`[store] instance`); its runs are owned by this process.
    pub fn with_instance(mut self, name: &str, url: Option<String>) -> Self {
        self.this.instance = name.to_string();
        self.this.owner = format!("{name}/{:016x}", rand::random::<u64>());
        self.this.url = url;
        self
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS audit (
                 id INTEGER PRIMARY KEY,
                 at INTEGER NOT NULL, actor TEXT NOT NULL, source TEXT NOT NULL, action TEXT NOT NULL,
                 target TEXT NOT NULL, result TEXT NOT NULL, details TEXT NOT NULL,
                 prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS revoked_sessions (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS revoked_users (user TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS plans (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS run_locks (resource TEXT PRIMARY KEY, run_id TEXT NOT NULL, description TEXT NOT NULL, until INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, state TEXT NOT NULL, json TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS runs_by_state ON runs (state);
             CREATE TABLE IF NOT EXISTS drill_reports (run_id TEXT PRIMARY KEY, finished_at INTEGER NOT NULL, digest TEXT NOT NULL, json TEXT NOT NULL);",
        )?;
        // Columns added after the first release; an existing file gains them.
        for (table, column, definition) in [("audit", "keyed", "INTEGER NOT NULL DEFAULT 0"), ("plans", "consumed_by", "TEXT")] {
            let present: bool = conn
                .prepare(&format!("SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"))?
                .exists([column])?;
            if !present {
                conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {definition}"))?;
            }
        }
        let this = InstanceInfo { instance: "console".into(), owner: String::new(), url: None, started_at: crate::clock::now_ms() };
        Ok(SqliteStore { conn: conn.into(), audit_key: None, this }.with_instance("console", None))
    }

    /// Runs `work` on the connection's thread, off the async threads.
    fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        Box::pin(async move {
            // The thread ends only if a call panicked; every later call then fails here.
            self.conn.call_raw(work).await.map_err(|_| StoreError::Other("the SQLite connection's thread has stopped".into()))?
        })
    }
}

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<(AuditRecord, bool)> {
    let record = AuditRecord {
        id: row.get(0)?,
        event: AuditEvent {
            at: row.get::<_, i64>(1)? as u64,
            actor: row.get(2)?,
            source: row.get(3)?,
            action: row.get(4)?,
            target: row.get(5)?,
            result: row.get(6)?,
            details: row.get(7)?,
        },
        prev_hash: row.get(8)?,
        hash: row.get(9)?,
    };
    Ok((record, row.get::<_, i64>(10)? != 0))
}

const COLUMNS: &str = "id, at, actor, source, action, target, result, details, prev_hash, hash, keyed";


fn lock_in_way(tx: &rusqlite::Transaction<'_>, resources: &[String], run_id: &str, now: u64) -> Result<Option<HeldLock>, StoreError> {
    for resource in resources {
        let current: Option<(String, String, i64)> = tx
            .query_row("SELECT run_id, description, until FROM run_locks WHERE resource = ?1", [resource], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((holder, description, until)) = current
            && holder != run_id
            && until as u64 > now
        {
            return Ok(Some(HeldLock { resource: resource.clone(), run_id: holder, description }));
        }
    }
    Ok(None)
}

fn take_locks(tx: &rusqlite::Transaction<'_>, resources: &[String], run_id: &str, description: &str, until: u64) -> Result<(), StoreError> {
    for resource in resources {
        tx.execute(
            "INSERT OR REPLACE INTO run_locks (resource, run_id, description, until) VALUES (?1, ?2, ?3, ?4)",
            params![resource, run_id, description, until as i64],
        )?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn audit(&self, event: AuditEvent) -> BoxFuture<'_, Result<AuditRecord, StoreError>> {
        let key = self.audit_key.clone();
        self.blocking(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let last: Option<(i64, String)> = tx
                .query_row("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (id, prev_hash) = match last {
                Some((id, hash)) => (id + 1, hash),
                None => (1, GENESIS.to_string()),
            };
            let hash = chain_hash(key.as_deref().map(Vec::as_slice), id, &event, &prev_hash);
            tx.execute(
                &format!("INSERT INTO audit ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
                params![id, event.at as i64, event.actor, event.source, event.action, event.target, event.result, event.details, prev_hash, hash, i64::from(key.is_some())],
            )?;
            tx.commit()?;
            Ok(AuditRecord { id, event, prev_hash, hash })
        })
    }

    fn audit_find(&self, after: i64, event: AuditEvent) -> BoxFuture<'_, Result<Option<i64>, StoreError>> {
        self.blocking(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id FROM audit WHERE id > ?1 AND at = ?2 AND actor = ?3 AND source = ?4 AND action = ?5 AND target = ?6 AND result = ?7 AND details = ?8 ORDER BY id LIMIT 1",
                    params![after, event.at as i64, event.actor, event.source, event.action, event.target, event.result, event.details],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    fn audit_log(&self, limit: usize) -> BoxFuture<'_, Result<Vec<AuditRecord>, StoreError>> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY id DESC LIMIT ?1"))?;
            let rows = stmt.query_map([limit.min(i64::MAX as usize) as i64], row_to_record)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().map(|(r, _)| r).collect())
        })
    }

    fn audit_head(&self) -> BoxFuture<'_, Result<Option<AuditHead>, StoreError>> {
        self.blocking(|conn| {
            Ok(conn
                .query_row("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| Ok(AuditHead { id: r.get(0)?, hash: r.get(1)? }))
                .optional()?)
        })
    }

    fn verify_audit(&self, head: Option<AuditHead>) -> BoxFuture<'_, Result<Option<BrokenLink>, StoreError>> {
        let key = self.audit_key.clone();
        self.blocking(move |conn| {
            let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY id ASC"))?;
            let mut rows = stmt.query([])?;
            let mut verifier = ChainVerifier::new(key.as_deref().map(Vec::as_slice), head);
            while let Some(row) = rows.next()? {
                let (record, keyed) = row_to_record(row)?;
                if let Some(broken) = verifier.next(&record, keyed) {
                    return Ok(Some(broken));
                }
            }
            Ok(verifier.finish())
        })
    }

    fn revoke_session(&self, jti: String, expires_at: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn| {
            let now = crate::clock::now_secs();
            conn.execute("DELETE FROM revoked_sessions WHERE expires_at < ?1", [now as i64])?;
            conn.execute("INSERT OR REPLACE INTO revoked_sessions (jti, expires_at) VALUES (?1, ?2)", params![jti, expires_at as i64])?;
            Ok(())
        })
    }

    fn revoke_user(&self, user: String, at: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        // The directory matches names without regard to case: so does revocation.
        let user = user.to_lowercase();
        self.blocking(move |conn| {
            conn.execute(
                "INSERT INTO revoked_users (user, revoked_at) VALUES (?1, ?2)
                 ON CONFLICT(user) DO UPDATE SET revoked_at = MAX(revoked_at, excluded.revoked_at)",
                params![user, at as i64],
            )?;
            Ok(())
        })
    }

    fn is_revoked(&self, jti: String, user: String, auth_time: u64) -> BoxFuture<'_, Result<bool, StoreError>> {
        let user = user.to_lowercase();
        self.blocking(move |conn| {
            let found: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM revoked_sessions WHERE jti = ?1
                     UNION ALL SELECT 1 FROM revoked_users WHERE user = ?2 AND revoked_at >= ?3 LIMIT 1",
                    params![jti, user, auth_time as i64],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(found.is_some())
        })
    }

    fn save_plan(&self, plan: Plan) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn| {
            let json = to_json(&plan)?;
            // Plans live minutes: old ones are dropped as new ones come.
            conn.execute("DELETE FROM plans WHERE created_at < ?1", [plan.created_at as i64 - 24 * 3600 * 1000])?;
            conn.execute("INSERT INTO plans (id, created_at, json) VALUES (?1, ?2, ?3)", params![plan.id, plan.created_at as i64, json])?;
            Ok(())
        })
    }

    fn load_plan(&self, id: String) -> BoxFuture<'_, Result<Option<Plan>, StoreError>> {
        self.blocking(move |conn| {
            let row: Option<(String, Option<String>)> =
                conn.query_row("SELECT json, consumed_by FROM plans WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            row.map(|(json, consumed_by)| {
                let mut plan: Plan = from_json(&json)?;
                plan.consumed_by_run = consumed_by;
                Ok(plan)
            })
            .transpose()
        })
    }

    fn start_run(&self, start: StartRun) -> BoxFuture<'_, Result<Result<(), StartRefused>, StoreError>> {
        self.blocking(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let consumed: Option<Option<String>> =
                tx.query_row("SELECT consumed_by FROM plans WHERE id = ?1", [&start.plan_id], |r| r.get(0)).optional()?;
            match consumed {
                None => return Ok(Err(StartRefused::PlanMissing)),
                Some(Some(run_id)) => return Ok(Err(StartRefused::PlanConsumed { run_id })),
                Some(None) => {}
            }
            if let Some(lock) = lock_in_way(&tx, &start.resources, &start.run.id, start.now)? {
                return Ok(Err(StartRefused::Locked(lock)));
            }
            take_locks(&tx, &start.resources, &start.run.id, &start.description, start.lock_until)?;
            tx.execute(
                "INSERT INTO runs (id, created_at, state, json) VALUES (?1, ?2, ?3, ?4)",
                params![start.run.id, start.run.created_at as i64, state_text(start.run.state)?, to_json(&start.run)?],
            )?;
            let changed = tx.execute("UPDATE plans SET consumed_by = ?1 WHERE id = ?2 AND consumed_by IS NULL", params![start.run.id, start.plan_id])?;
            if changed != 1 {
                return Err(StoreError::Other(format!("plan {} changed during its own start", start.plan_id)));
            }
            tx.commit()?;
            Ok(Ok(()))
        })
    }

    fn update_run(&self, run: Run, from: RunState) -> BoxFuture<'_, Result<Result<(), RunState>, StoreError>> {
        self.blocking(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let changed = tx.execute(
                "UPDATE runs SET state = ?1, json = ?2 WHERE id = ?3 AND state = ?4",
                params![state_text(run.state)?, to_json(&run)?, run.id, state_text(from)?],
            )?;
            if changed == 1 {
                tx.commit()?;
                return Ok(Ok(()));
            }
            let current: Option<String> = tx.query_row("SELECT state FROM runs WHERE id = ?1", [&run.id], |r| r.get(0)).optional()?;
            match current {
                Some(state) => Ok(Err(from_json(&state)?)),
                None => Err(StoreError::Other(format!("no run {}", run.id))),
            }
        })
    }

    fn acquire_locks(&self, resources: Vec<String>, run_id: String, description: String, now: u64, until: u64) -> BoxFuture<'_, Result<Result<(), HeldLock>, StoreError>> {
        self.blocking(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            if let Some(lock) = lock_in_way(&tx, &resources, &run_id, now)? {
                return Ok(Err(lock));
            }
            take_locks(&tx, &resources, &run_id, &description, until)?;
            tx.commit()?;
            Ok(Ok(()))
        })
    }

    fn release_locks(&self, run_id: String) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn| {
            conn.execute("DELETE FROM run_locks WHERE run_id = ?1", [run_id])?;
            Ok(())
        })
    }

    fn held_locks(&self, now: u64) -> BoxFuture<'_, Result<Vec<HeldLock>, StoreError>> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare("SELECT resource, run_id, description FROM run_locks WHERE until > ?1 ORDER BY resource")?;
            let rows = stmt
                .query_map([now as i64], |r| Ok(HeldLock { resource: r.get(0)?, run_id: r.get(1)?, description: r.get(2)? }))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn load_run(&self, id: String) -> BoxFuture<'_, Result<Option<Run>, StoreError>> {
        self.blocking(move |conn| {
            let json: Option<String> = conn.query_row("SELECT json FROM runs WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            json.map(|j| from_json(&j)).transpose()
        })
    }

    fn list_runs(&self, limit: usize) -> BoxFuture<'_, Result<Vec<Run>, StoreError>> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare("SELECT json FROM runs ORDER BY created_at DESC, id DESC LIMIT ?1")?;
            let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            rows.iter().map(|j| from_json(j)).collect()
        })
    }

    fn save_drill_report(&self, report: DrillReport) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn| {
            let json = to_json(&report)?;
            conn.execute(
                "INSERT OR REPLACE INTO drill_reports (run_id, finished_at, digest, json) VALUES (?1, ?2, ?3, ?4)",
                params![report.run_id, report.finished_at as i64, report.digest(), json],
            )?;
            Ok(())
        })
    }

    fn load_drill_report(&self, run_id: String) -> BoxFuture<'_, Result<Option<DrillReport>, StoreError>> {
        self.blocking(move |conn| {
            let json: Option<String> = conn.query_row("SELECT json FROM drill_reports WHERE run_id = ?1", [run_id], |r| r.get(0)).optional()?;
            json.map(|j| from_json(&j)).transpose()
        })
    }

    fn list_drill_reports(&self, limit: usize) -> BoxFuture<'_, Result<Vec<DrillReport>, StoreError>> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare("SELECT json FROM drill_reports ORDER BY finished_at DESC, run_id DESC LIMIT ?1")?;
            let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            rows.iter().map(|j| from_json(j)).collect()
        })
    }

    fn runs_in_state(&self, state: RunState) -> BoxFuture<'_, Result<Vec<Run>, StoreError>> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare("SELECT json FROM runs WHERE state = ?1 ORDER BY created_at DESC, id DESC")?;
            let rows = stmt.query_map([state_text(state)?], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
            rows.iter().map(|j| from_json(j)).collect()
        })
    }

    fn owner(&self) -> String {
        self.this.owner.clone()
    }

    fn live_owners(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(async move { Ok(vec![self.this.owner.clone()]) })
    }

    fn may_act(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn status(&self) -> BoxFuture<'_, StoreStatus> {
        Box::pin(async move {
            StoreStatus { kind: StoreKind::Sqlite, this: self.this.clone(), writable: true, problem: None, leader: Some(self.this.owner.clone()), instances: vec![self.this.clone()] }
        })
    }

    fn leads(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str) -> AuditEvent {
        AuditEvent {
            at: 1,
            actor: "mqadmin".into(),
            source: "127.0.0.1".into(),
            action: action.into(),
            target: "DRHAQM1".into(),
            result: "ok".into(),
            details: String::new(),
        }
    }

    #[tokio::test]
    async fn the_chain_verifies_and_shows_the_first_altered_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        for action in ["login", "plan", "execute", "logout"] {
            store.audit(event(action)).await.unwrap();
        }
        assert_eq!(store.verify_audit(None).await.unwrap(), None);
        let log = store.audit_log(10).await.unwrap();
        assert_eq!(log.len(), 4);
        assert_eq!(log[0].event.action, "logout");
        assert_eq!(log[3].prev_hash, GENESIS);
        Connection::open(&path).unwrap().execute("UPDATE audit SET actor = 'intruder' WHERE id = 2", []).unwrap();
        let broken = store.verify_audit(None).await.unwrap().unwrap();
        assert_eq!(broken.id, 2);
        assert!(broken.reason.contains("altered"));
        Connection::open(&path).unwrap().execute("DELETE FROM audit WHERE id = 2", []).unwrap();
        let broken = store.verify_audit(None).await.unwrap().unwrap();
        assert_eq!(broken.reason, "record 2 is missing");
    }

    /// A keyed chain: rewriting the tail consistently needs the key; truncating it shows
    /// against the head the log recorded.
    #[tokio::test]
    async fn a_keyed_chain_detects_a_rewritten_or_truncated_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let key = b"audit key audit key audit key !!".to_vec();
        let store = SqliteStore::open(&path).unwrap().with_audit_key(Some(key.clone()));
        for action in ["login", "plan", "execute", "outcome"] {
            store.audit(event(action)).await.unwrap();
        }
        let head = store.audit_head().await.unwrap().unwrap();
        assert_eq!(head.id, 4);
        assert_eq!(store.verify_audit(Some(head.clone())).await.unwrap(), None);

        // Someone without the key recomputes the last record's hash with plain SHA-256.
        let records = store.audit_log(10).await.unwrap();
        let mut forged = records[0].event.clone();
        forged.result = "refused".into();
        let forged_hash = chain_hash(None, 4, &forged, &records[0].prev_hash);
        Connection::open(&path)
            .unwrap()
            .execute("UPDATE audit SET result = 'refused', hash = ?1 WHERE id = 4", [&forged_hash])
            .unwrap();
        let broken = store.verify_audit(None).await.unwrap().unwrap();
        assert_eq!((broken.id, broken.reason.contains("altered")), (4, true), "{broken:?}");
        Connection::open(&path).unwrap().execute("UPDATE audit SET keyed = 0 WHERE id = 4", []).unwrap();
        let broken = store.verify_audit(None).await.unwrap().unwrap();
        assert!(broken.reason.contains("unkeyed record after keyed"), "{broken:?}");

        // The tail is cut off: the chain itself still holds, the recorded head does not.
        Connection::open(&path).unwrap().execute("DELETE FROM audit WHERE id = 4", []).unwrap();
        assert_eq!(store.verify_audit(None).await.unwrap(), None);
        let broken = store.verify_audit(Some(head)).await.unwrap().unwrap();
        assert!(broken.reason.contains("truncated"), "{broken:?}");
        assert!("4:xyz".parse::<AuditHead>().is_err());

        // Every record turned unkeyed and re-hashed with plain SHA-256 from the genesis.
        let db = Connection::open(&path).unwrap();
        let mut prev = GENESIS.to_string();
        for record in store.audit_log(10).await.unwrap().into_iter().rev() {
            let hash = chain_hash(None, record.id, &record.event, &prev);
            db.execute("UPDATE audit SET keyed = 0, prev_hash = ?1, hash = ?2 WHERE id = ?3", rusqlite::params![prev, hash, record.id]).unwrap();
            prev = hash;
        }
        let broken = store.verify_audit(None).await.unwrap().unwrap();
        assert!(broken.reason.contains("no record is keyed"), "{broken:?}");
    }

    #[tokio::test]
    async fn revoked_sessions_and_users_are_remembered() {
        let store = SqliteStore::in_memory().unwrap();
        assert!(!store.is_revoked("a".into(), "mqadmin".into(), 100).await.unwrap());
        store.revoke_session("a".into(), u64::MAX / 4).await.unwrap();
        assert!(store.is_revoked("a".into(), "mqadmin".into(), 100).await.unwrap());
        store.revoke_user("mqadmin".into(), 200).await.unwrap();
        assert!(store.is_revoked("b".into(), "mqadmin".into(), 150).await.unwrap(), "a session begun before the revocation");
        assert!(!store.is_revoked("c".into(), "mqadmin".into(), 201).await.unwrap(), "a session begun after it");
        assert!(!store.is_revoked("d".into(), "mqadmin2".into(), 150).await.unwrap());
    }

    fn run(id: &str, state: RunState) -> Run {
        Run {
            id: id.into(),
            plan_id: "p1".into(),
            kind: "dr-switchover".into(),
            subject: "DRHAQM1".into(),
            intent: model::plan::Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() },
            requested_by: "mqadmin".into(),
            state,
            created_at: 1,
            updated_at: 1,
            steps: Vec::new(),
            undo: Vec::new(),
            remediation: Vec::new(),
            message: None,
            approved_by: None,
            approval_expires_at: None,
            denied_by: None,
            owner: None,
        rotation: None,
        signed_certificate: None,
        }
    }

    fn plan(id: &str) -> Plan {
        let json = serde_json::json!({
            "id": id, "kind": "dr-switchover", "intent": {"kind": "dr-switchover", "qmgr": "DRHAQM1", "to_region": "DAL"},
            "subject": "DRHAQM1", "preconditions": [], "steps": [], "diff": null,
            "fingerprint": {"dr_primary_region": null, "running_on": null, "conf_sha256": null},
            "created_at": 1, "expires_at": 2, "created_by": "mqadmin"
        });
        serde_json::from_value(json).unwrap()
    }

    fn start(plan_id: &str, run_id: &str, resources: &[&str]) -> StartRun {
        StartRun {
            plan_id: plan_id.into(),
            run: run(run_id, RunState::Running),
            resources: resources.iter().map(|r| r.to_string()).collect(),
            description: format!("run {run_id}"),
            now: 10,
            lock_until: 1000,
        }
    }

    #[tokio::test]
    async fn a_plan_starts_once_and_locks_all_or_nothing() {
        let store = SqliteStore::in_memory().unwrap();
        store.save_plan(plan("p1")).await.unwrap();
        store.save_plan(plan("p2")).await.unwrap();
        assert_eq!(store.start_run(start("p1", "r1", &["qmgr:DRHAQM1", "mqipt:HAMQ"])).await.unwrap(), Ok(()));
        assert_eq!(
            store.start_run(start("p1", "r2", &["qmgr:OTHER"])).await.unwrap(),
            Err(StartRefused::PlanConsumed { run_id: "r1".into() })
        );
        assert_eq!(store.load_plan("p1".into()).await.unwrap().unwrap().consumed_by_run.as_deref(), Some("r1"));
        let refused = store.start_run(start("p2", "r3", &["host:wdc-bastion", "mqipt:HAMQ"])).await.unwrap();
        assert!(matches!(&refused, Err(StartRefused::Locked(l)) if l.resource == "mqipt:HAMQ" && l.run_id == "r1"), "{refused:?}");
        let held = store.held_locks(10).await.unwrap();
        assert_eq!(held.iter().map(|l| l.resource.as_str()).collect::<Vec<_>>(), ["mqipt:HAMQ", "qmgr:DRHAQM1"], "nothing of the refused start was taken");
        assert!(store.load_run("r3".into()).await.unwrap().is_none());
        assert_eq!(store.load_plan("p2".into()).await.unwrap().unwrap().consumed_by_run, None, "the refused plan stays usable");
        store.release_locks("r1".into()).await.unwrap();
        assert_eq!(store.start_run(start("p2", "r3", &["host:wdc-bastion", "mqipt:HAMQ"])).await.unwrap(), Ok(()));
        assert_eq!(store.held_locks(2000).await.unwrap(), Vec::new(), "leases end");
    }

    #[tokio::test]
    async fn run_transitions_are_compare_and_swap() {
        let store = SqliteStore::in_memory().unwrap();
        store.save_plan(plan("p1")).await.unwrap();
        let mut s = start("p1", "r1", &[]);
        s.run.state = RunState::AwaitingApproval;
        store.start_run(s).await.unwrap().unwrap();
        let mut tasks = Vec::new();
        let store = Arc::new(store);
        for _ in 0..10 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move { store.update_run(run("r1", RunState::Running), RunState::AwaitingApproval).await.unwrap() }));
        }
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.unwrap());
        }
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
        assert!(outcomes.iter().filter(|o| o.is_err()).all(|o| *o == Err(RunState::Running)));
    }
}
