//! Walking the audit chain, whatever store holds it: the same rules for SQLite and etcd.

use super::{AuditHead, AuditRecord, BrokenLink, GENESIS, chain_hash};

/// Feed it every record in id order; it stops at the first link that does not hold.
pub struct ChainVerifier<'k> {
    key: Option<&'k [u8]>,
    head: Option<AuditHead>,
    prev: String,
    expected_id: i64,
    keyed_seen: bool,
    head_found: bool,
}

impl<'k> ChainVerifier<'k> {
    /// `head`: a head the log recorded earlier, which the chain must still hold as it was.
    pub fn new(key: Option<&'k [u8]>, head: Option<AuditHead>) -> Self {
        ChainVerifier { key, head, prev: GENESIS.to_string(), expected_id: 1, keyed_seen: false, head_found: false }
    }

    /// The next record (and whether it was written under the audit key); `Some` at the first
    /// broken link.
    pub fn next(&mut self, record: &AuditRecord, keyed: bool) -> Option<BrokenLink> {
        let broken = |reason: String| Some(BrokenLink { id: record.id, reason });
        if record.id != self.expected_id {
            return broken(format!("record {} is missing", self.expected_id));
        }
        if record.prev_hash != self.prev {
            return broken("it does not link to the record before it".into());
        }
        if self.keyed_seen && !keyed {
            return broken("an unkeyed record after keyed ones (rewritten without the audit key)".into());
        }
        self.keyed_seen |= keyed;
        let record_key = match (keyed, self.key) {
            (false, _) => None,
            (true, Some(k)) => Some(k),
            (true, None) => return broken("the record is keyed but no audit key is configured, so it cannot be checked".into()),
        };
        if chain_hash(record_key, record.id, &record.event, &record.prev_hash) != record.hash {
            return broken("its content does not match its hash (altered)".into());
        }
        if let Some(h) = &self.head
            && h.id == record.id
        {
            if h.hash != record.hash {
                return broken(format!("it differs from the head the log recorded ({}): the tail was rewritten", h.hash));
            }
            self.head_found = true;
        }
        self.prev = record.hash.clone();
        self.expected_id += 1;
        None
    }

    /// After the last record: what only the whole chain can show.
    pub fn finish(self) -> Option<BrokenLink> {
        // With a key configured the console writes keyed records only: a chain whose newest
        // record is unkeyed was rewritten by someone without the key.
        if self.key.is_some() && self.expected_id > 1 && !self.keyed_seen {
            return Some(BrokenLink {
                id: self.expected_id - 1,
                reason: "no record is keyed although an audit key is configured (the chain was rewritten without the key, or the key was set after the last record: write one and verify again)".into(),
            });
        }
        match self.head {
            Some(h) if !self.head_found => Some(BrokenLink {
                id: h.id,
                reason: format!("the log recorded record {} as the head, but the chain ends at {}: the tail was truncated", h.id, self.expected_id - 1),
            }),
            _ => None,
        }
    }
}
