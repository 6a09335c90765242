//! `dspmq` output: `dspmq`, `dspmq -a -x -s`, `-o all`, `-o ha`, `-o dr`, `-m QM`, `-n`.
//!
//! ```text
//! QMNAME(DRHAQM1)                                           STATUS(Running)
//!     INSTANCE(wdc2-mq1) MODE(Active)
//! ```
//!
//! The reader is total: it never panics and never fails. Each `QMNAME(...)` line starts a
//! queue manager; its other `KEY(value)` attributes are kept with lower-case keys; the
//! `INSTANCE(...) MODE(...)` lines after it are its instances. Everything else (AMQ error
//! messages, a sudo trailer, lines that are not `KEY(value)` lists) is kept verbatim in
//! [`Dspmq::unparsed`].

use crate::status::QmStatus;
use serde::Serialize;
use std::collections::BTreeMap;

/// An `INSTANCE(host) MODE(Active)` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub instance: String,
    /// `Active`, `Standby`, ... as printed; empty when the line had no `MODE`.
    pub mode: String,
}

/// One `QMNAME(...)` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DspmqQm {
    pub qmname: String,
    /// `STATUS(...)` read case-insensitively (`-n` prints `RUNNING ELSEWHERE`); `None`
    /// when the line has no `STATUS`.
    pub status: Option<QmStatus>,
    /// Every attribute but `QMNAME`, keys in lower case, values as printed
    /// (`status`, `default`, `standby`, `instname`, `instpath`, `instver`, `ha`, `drrole`, ...).
    pub attributes: BTreeMap<String, String>,
    pub instances: Vec<Instance>,
}

/// Everything `dspmq` printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dspmq {
    pub qmgrs: Vec<DspmqQm>,
    /// Non-blank lines that are not `QMNAME` or `INSTANCE` lines, verbatim.
    pub unparsed: Vec<String>,
}

impl Dspmq {
    /// The entry for a queue manager name (exact match).
    pub fn get(&self, qmname: &str) -> Option<&DspmqQm> {
        self.qmgrs.iter().find(|q| q.qmname == qmname)
    }
}

impl DspmqQm {
    /// An attribute by key, case-insensitively (`"DRROLE"` or `"drrole"`).
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(&key.to_ascii_lowercase()).map(String::as_str)
    }
}

/// `KEY(value) KEY(value) ...` → pairs; `None` when the line is anything else.
///
/// Values may hold spaces and balanced parentheses, and may be empty.
pub(crate) fn attributes(line: &str) -> Option<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let open = rest.find('(')?;
        let (key, after) = rest.split_at(open);
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let after = after.strip_prefix('(')?;
        let mut depth = 0usize;
        let mut close = None;
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    close = Some(i);
                    break;
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        let (value, tail) = after.split_at(close?);
        let tail = tail.strip_prefix(')')?;
        let next = tail.trim_start();
        if !next.is_empty() && next.len() == tail.len() {
            // `KEY(a)KEY(b)`: attributes are separated by blanks.
            return None;
        }
        out.push((key, value));
        rest = next;
    }
    if out.is_empty() { None } else { Some(out) }
}

/// Reads `dspmq` output. Never fails.
pub fn parse(text: &str) -> Dspmq {
    let mut qmgrs: Vec<DspmqQm> = Vec::new();
    let mut unparsed = Vec::new();
    for line in text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = attributes(line);
        let first_key = parsed.as_ref().and_then(|attrs| attrs.first()).map(|(k, _)| k.to_ascii_uppercase());
        match (first_key.as_deref(), parsed) {
            (Some("QMNAME"), Some(attrs)) => {
                let mut qm =
                    DspmqQm { qmname: String::new(), status: None, attributes: BTreeMap::new(), instances: Vec::new() };
                for (i, (key, value)) in attrs.into_iter().enumerate() {
                    if i == 0 {
                        qm.qmname = value.to_string();
                    } else {
                        qm.attributes.insert(key.to_ascii_lowercase(), value.to_string());
                    }
                }
                qm.status = qm.attributes.get("status").map(|s| QmStatus::parse(s));
                qmgrs.push(qm);
            }
            (Some("INSTANCE"), Some(attrs)) if !qmgrs.is_empty() => {
                let value = |wanted: &str| {
                    attrs.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(wanted)).map_or("", |(_, v)| *v)
                };
                let instance = Instance { instance: value("INSTANCE").to_string(), mode: value("MODE").to_string() };
                if let Some(qm) = qmgrs.last_mut() {
                    qm.instances.push(instance);
                }
            }
            _ => unparsed.push(line.to_string()),
        }
    }
    Dspmq { qmgrs, unparsed }
}
