//! The sign-in spool: audit records of sign-ins made while the shared store could not be
//! written, kept in a local file beside the console until they are in the chain.
//!
//! One JSON object a line, appended and fsynced before the sign-in is answered, so a record
//! the console acknowledged is never lost: `{"kind":"spooled","seq":N,"after":H,"event":{…}}`
//! when a record is kept, `{"kind":"appended","seq":N,"record":ID}` once it is in the chain
//! (as record ID). A line cut short by a crash was never acknowledged, and is dropped when the
//! file is opened again. Once every kept record is in the chain the file is emptied. One
//! console process holds the file (an exclusive lock); `audit verify` only reads it.

use super::AuditEvent;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A record kept in the spool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spooled {
    /// Its place in this spool: records reach the chain in this order.
    pub seq: u64,
    /// The chain's newest record as this console knew it when the record was kept (0: not
    /// known): if an append tried before the spool did reach the chain, it is after this one.
    pub after: i64,
    pub event: AuditEvent,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Spooled(Spooled),
    Appended { seq: u64, record: i64 },
}

pub struct AuditSpool {
    path: PathBuf,
    inner: Mutex<Inner>,
    /// Held while records are being appended to the chain, so they go once and in order.
    pub(super) draining: tokio::sync::Mutex<()>,
}

struct Inner {
    file: File,
    next_seq: u64,
    pending: VecDeque<Spooled>,
}

fn invalid(path: &Path, why: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {why}", path.display()))
}

/// The records of `text` not yet in the chain, the next sequence number, and how many bytes
/// of whole lines it has (a last line without its newline was cut short).
fn parse(path: &Path, text: &str) -> std::io::Result<(VecDeque<Spooled>, u64, usize)> {
    let whole = text.rfind('\n').map_or(0, |i| i + 1);
    let mut pending: VecDeque<Spooled> = VecDeque::new();
    let mut next_seq = 1;
    for (n, line) in text[..whole].lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(line) {
            Ok(Line::Spooled(record)) => {
                next_seq = next_seq.max(record.seq + 1);
                pending.push_back(record);
            }
            Ok(Line::Appended { seq, .. }) => pending.retain(|r| r.seq != seq),
            Err(e) => return Err(invalid(path, format!("line {} is not a spool record ({e}); the file was altered", n + 1))),
        }
    }
    Ok((pending, next_seq, whole))
}

impl AuditSpool {
    /// Opens (or creates, mode 0600) the spool at `path` for this process alone.
    pub fn open(path: &Path) -> std::io::Result<AuditSpool> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new().read(true).append(true).create(true).mode(0o600).open(path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(std::io::Error::new(std::io::ErrorKind::WouldBlock, format!("{} is held by another console process", path.display())));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let (pending, next_seq, whole) = parse(path, &text)?;
        if whole < text.len() || (pending.is_empty() && !text.is_empty()) {
            // A cut line (never acknowledged) goes; a spool whose records are all in the
            // chain starts empty.
            file.set_len(if pending.is_empty() { 0 } else { whole as u64 })?;
            file.sync_all()?;
        }
        Ok(AuditSpool { path: path.to_path_buf(), inner: Mutex::new(Inner { file, next_seq, pending }), draining: tokio::sync::Mutex::new(()) })
    }

    /// The records in the spool at `path` not yet in the chain, as they are now (read only,
    /// beside the console that holds it: `audit verify`). No file, no records.
    pub fn read_pending(path: &Path) -> std::io::Result<Vec<Spooled>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(parse(path, &text)?.0.into())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write(inner: &mut Inner, line: &Line) -> std::io::Result<()> {
        let mut text = serde_json::to_string(line).map_err(std::io::Error::other)?;
        text.push('\n');
        inner.file.write_all(text.as_bytes())?;
        inner.file.sync_data()
    }

    /// Keeps `event` (on disk before this returns).
    pub fn push(&self, after: i64, event: AuditEvent) -> std::io::Result<Spooled> {
        let mut inner = self.inner();
        let record = Spooled { seq: inner.next_seq, after, event };
        Self::write(&mut inner, &Line::Spooled(record.clone()))?;
        inner.next_seq += 1;
        inner.pending.push_back(record.clone());
        Ok(record)
    }

    /// Record `seq` is in the chain as record `record`; an empty spool is emptied on disk too.
    pub fn appended(&self, seq: u64, record: i64) -> std::io::Result<()> {
        let mut inner = self.inner();
        Self::write(&mut inner, &Line::Appended { seq, record })?;
        inner.pending.retain(|r| r.seq != seq);
        if inner.pending.is_empty() {
            inner.file.set_len(0)?;
            inner.file.sync_all()?;
        }
        Ok(())
    }

    /// The records not yet in the chain, oldest first.
    pub fn pending(&self) -> Vec<Spooled> {
        self.inner().pending.iter().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.inner().pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(actor: &str) -> AuditEvent {
        AuditEvent { at: 5, actor: actor.into(), source: "10.0.0.1".into(), action: "login".into(), target: actor.into(), result: "ok".into(), details: "role=\"viewer\"".into() }
    }

    #[test]
    fn kept_until_appended_across_reopening_and_a_cut_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.spool");
        let spool = AuditSpool::open(&path).unwrap();
        assert!(AuditSpool::open(&path).is_err(), "one process holds it");
        let first = spool.push(7, event("mqviewer")).unwrap();
        let second = spool.push(7, event("mqadmin")).unwrap();
        assert_eq!((first.seq, second.seq), (1, 2));
        assert_eq!(AuditSpool::read_pending(&path).unwrap(), [first.clone(), second.clone()], "on disk at once");
        spool.appended(1, 8).unwrap();
        drop(spool);
        // A crash in the middle of a line: the cut line was never acknowledged.
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"kind\":\"spooled\",\"seq\":3,\"af").unwrap();
        let spool = AuditSpool::open(&path).unwrap();
        assert_eq!(spool.pending(), std::slice::from_ref(&second));
        let third = spool.push(9, event("mqadmin2")).unwrap();
        assert_eq!(third.seq, 3);
        assert_eq!(AuditSpool::read_pending(&path).unwrap(), [second, third]);
        spool.appended(2, 10).unwrap();
        spool.appended(3, 11).unwrap();
        assert!(spool.is_empty());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "all in the chain: emptied");
        drop(spool);
        assert!(AuditSpool::open(&path).unwrap().is_empty());
        std::fs::write(&path, "not json\n").unwrap();
        let damaged = AuditSpool::open(&path).err().unwrap().to_string();
        assert!(damaged.contains("line 1 is not a spool record"), "{damaged}");
        assert!(AuditSpool::read_pending(&dir.path().join("none")).unwrap().is_empty());
    }
}
