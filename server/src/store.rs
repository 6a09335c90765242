//! What must outlive a request and hold across console instances: the audit chain and
//! revoked sessions now; the journal, run locks and approvals with the workflows.
//! SQLite by default, behind `Store` so PostgreSQL can follow.

use futures::future::BoxFuture;
use model::plan::Plan;
use model::run::Run;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("store: {0}")]
    Other(String),
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
    /// The newest `limit` records, newest first.
    fn audit_log(&self, limit: usize) -> BoxFuture<'_, Result<Vec<AuditRecord>, StoreError>>;
    /// Walks the whole chain; the first broken link, if any.
    fn verify_audit(&self) -> BoxFuture<'_, Result<Option<BrokenLink>, StoreError>>;
    fn revoke_session(&self, jti: String, expires_at: u64) -> BoxFuture<'_, Result<(), StoreError>>;
    fn is_revoked(&self, jti: String) -> BoxFuture<'_, Result<bool, StoreError>>;

    fn save_plan(&self, plan: Plan) -> BoxFuture<'_, Result<(), StoreError>>;
    fn load_plan(&self, id: String) -> BoxFuture<'_, Result<Option<Plan>, StoreError>>;
    /// Takes the run lock of `subject` for `holder` until `until` (ms); `Err(holder)` with the
    /// current holder when someone else holds an unexpired lock.
    fn acquire_lock(&self, subject: String, holder: String, now: u64, until: u64) -> BoxFuture<'_, Result<Result<(), String>, StoreError>>;
    fn release_lock(&self, subject: String, holder: String) -> BoxFuture<'_, Result<(), StoreError>>;
    fn lock_holder(&self, subject: String, now: u64) -> BoxFuture<'_, Result<Option<String>, StoreError>>;
    /// Writes the whole run (the journal): before and after every step.
    fn save_run(&self, run: Run) -> BoxFuture<'_, Result<(), StoreError>>;
    fn load_run(&self, id: String) -> BoxFuture<'_, Result<Option<Run>, StoreError>>;
    /// The newest `limit` runs, newest first.
    fn list_runs(&self, limit: usize) -> BoxFuture<'_, Result<Vec<Run>, StoreError>>;
}

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of a record: its content and the previous record's hash.
pub fn chain_hash(id: i64, event: &AuditEvent, prev_hash: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(id.to_string().as_bytes());
    for field in [&event.at.to_string(), &event.actor, &event.source, &event.action, &event.target, &event.result, &event.details] {
        hasher.update(b"\x1f");
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
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
             CREATE TABLE IF NOT EXISTS plans (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, json TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS locks (subject TEXT PRIMARY KEY, holder TEXT NOT NULL, until INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, state TEXT NOT NULL, json TEXT NOT NULL);",
        )?;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)) })
    }

    /// Runs `work` on the connection off the async threads.
    fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'_, Result<T, StoreError>> {
        let conn = Arc::clone(&self.conn);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut conn = conn.lock().map_err(|_| StoreError::Other("connection poisoned".into()))?;
                work(&mut conn)
            })
            .await
            .map_err(|e| StoreError::Other(e.to_string()))?
        })
    }
}

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
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
    })
}

const COLUMNS: &str = "id, at, actor, source, action, target, result, details, prev_hash, hash";

impl Store for SqliteStore {
    fn audit(&self, event: AuditEvent) -> BoxFuture<'_, Result<AuditRecord, StoreError>> {
        self.blocking(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let last: Option<(i64, String)> = tx
                .query_row("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (id, prev_hash) = match last {
                Some((id, hash)) => (id + 1, hash),
                None => (1, GENESIS.to_string()),
            };
            let hash = chain_hash(id, &event, &prev_hash);
            tx.execute(
                &format!("INSERT INTO audit ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
                params![id, event.at as i64, event.actor, event.source, event.action, event.target, event.result, event.details, prev_hash, hash],
            )?;
            tx.commit()?;
            Ok(AuditRecord { id, event, prev_hash, hash })
        })
    }

    fn audit_log(&self, limit: usize) -> BoxFuture<'_, Result<Vec<AuditRecord>, StoreError>> {
        self.blocking(move |conn| {
            let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY id DESC LIMIT ?1"))?;
            let rows = stmt.query_map([limit as i64], row_to_record)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn verify_audit(&self) -> BoxFuture<'_, Result<Option<BrokenLink>, StoreError>> {
        self.blocking(|conn| {
            let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY id ASC"))?;
            let mut rows = stmt.query([])?;
            let mut prev = GENESIS.to_string();
            let mut expected_id = 1;
            while let Some(row) = rows.next()? {
                let record = row_to_record(row)?;
                let broken = |reason: String| Ok(Some(BrokenLink { id: record.id, reason }));
                if record.id != expected_id {
                    return broken(format!("record {expected_id} is missing"));
                }
                if record.prev_hash != prev {
                    return broken("it does not link to the record before it".into());
                }
                if chain_hash(record.id, &record.event, &record.prev_hash) != record.hash {
                    return broken("its content does not match its hash (altered)".into());
                }
                prev = record.hash;
                expected_id += 1;
            }
            Ok(None)
        })
    }

    fn revoke_session(&self, jti: String, expires_at: u64) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            conn.execute("DELETE FROM revoked_sessions WHERE expires_at < ?1", [now as i64])?;
            conn.execute("INSERT OR REPLACE INTO revoked_sessions (jti, expires_at) VALUES (?1, ?2)", params![jti, expires_at as i64])?;
            Ok(())
        })
    }

    fn is_revoked(&self, jti: String) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.blocking(move |conn| {
            let found: Option<i64> =
                conn.query_row("SELECT 1 FROM revoked_sessions WHERE jti = ?1", [jti], |r| r.get(0)).optional()?;
            Ok(found.is_some())
        })
    }

    fn save_plan(&self, plan: Plan) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn| {
            let json = to_json(&plan)?;
            // Plans live minutes: old ones are dropped as new ones come.
            conn.execute("DELETE FROM plans WHERE created_at < ?1", [plan.created_at as i64 - 24 * 3600 * 1000])?;
            conn.execute("INSERT OR REPLACE INTO plans (id, created_at, json) VALUES (?1, ?2, ?3)", params![plan.id, plan.created_at as i64, json])?;
            Ok(())
        })
    }

    fn load_plan(&self, id: String) -> BoxFuture<'_, Result<Option<Plan>, StoreError>> {
        self.blocking(move |conn| {
            let json: Option<String> = conn.query_row("SELECT json FROM plans WHERE id = ?1", [id], |r| r.get(0)).optional()?;
            json.map(|j| from_json(&j)).transpose()
        })
    }

    fn acquire_lock(&self, subject: String, holder: String, now: u64, until: u64) -> BoxFuture<'_, Result<Result<(), String>, StoreError>> {
        self.blocking(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let current: Option<(String, i64)> = tx
                .query_row("SELECT holder, until FROM locks WHERE subject = ?1", [&subject], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((current, expires)) = current
                && current != holder && expires as u64 > now
            {
                return Ok(Err(current));
            }
            tx.execute("INSERT OR REPLACE INTO locks (subject, holder, until) VALUES (?1, ?2, ?3)", params![subject, holder, until as i64])?;
            tx.commit()?;
            Ok(Ok(()))
        })
    }

    fn release_lock(&self, subject: String, holder: String) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn| {
            conn.execute("DELETE FROM locks WHERE subject = ?1 AND holder = ?2", params![subject, holder])?;
            Ok(())
        })
    }

    fn lock_holder(&self, subject: String, now: u64) -> BoxFuture<'_, Result<Option<String>, StoreError>> {
        self.blocking(move |conn| {
            Ok(conn
                .query_row("SELECT holder FROM locks WHERE subject = ?1 AND until > ?2", params![subject, now as i64], |r| r.get(0))
                .optional()?)
        })
    }

    fn save_run(&self, run: Run) -> BoxFuture<'_, Result<(), StoreError>> {
        self.blocking(move |conn| {
            let json = to_json(&run)?;
            let state = to_json(&run.state)?;
            conn.execute(
                "INSERT OR REPLACE INTO runs (id, created_at, state, json) VALUES (?1, ?2, ?3, ?4)",
                params![run.id, run.created_at as i64, state, json],
            )?;
            Ok(())
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
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("stored record unreadable: {e}")))
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
        assert_eq!(store.verify_audit().await.unwrap(), None);
        let log = store.audit_log(10).await.unwrap();
        assert_eq!(log.len(), 4);
        assert_eq!(log[0].event.action, "logout");
        assert_eq!(log[3].prev_hash, GENESIS);
        Connection::open(&path).unwrap().execute("UPDATE audit SET actor = 'intruder' WHERE id = 2", []).unwrap();
        let broken = store.verify_audit().await.unwrap().unwrap();
        assert_eq!(broken.id, 2);
        assert!(broken.reason.contains("altered"));
        Connection::open(&path).unwrap().execute("DELETE FROM audit WHERE id = 2", []).unwrap();
        let broken = store.verify_audit().await.unwrap().unwrap();
        assert_eq!(broken.reason, "record 2 is missing");
    }

    #[tokio::test]
    async fn revoked_sessions_are_remembered() {
        let store = SqliteStore::in_memory().unwrap();
        assert!(!store.is_revoked("a".into()).await.unwrap());
        store.revoke_session("a".into(), u64::MAX / 4).await.unwrap();
        assert!(store.is_revoked("a".into()).await.unwrap());
    }
}
