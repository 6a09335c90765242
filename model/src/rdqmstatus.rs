//! `rdqmstatus` output: `rdqmstatus -m QM`, bare `rdqmstatus` and `rdqmstatus -n`.
//!
//! The reader is total: it never panics and never fails. Every `Label: value` line is kept
//! as a [`Field`] of its block, in printed order; lines it cannot place are kept verbatim in
//! [`RdqmStatus::unparsed`]. The typed view ([`RdqmStatus::qm_view`]) is built on top of the
//! fields, and unknown status words become the enums' `Unknown(text)`.
//!
//! Quirks handled (see `/tmp/research/rdqm_formats.md` and the seed runbook):
//! - the sudo line `Command '/opt/mqm/bin/rdqmstatus' run with sudo.` is taken out of the
//!   data and kept in [`RdqmStatus::sudo_trailer`];
//! - labels padded to 40 columns or spaced in any way; CRLF line endings;
//! - a value wrapped onto the next line (a long host name after `Node:`), and a value
//!   continued on the next line (a long IP list);
//! - values holding `:` (timestamps), split at the first `:` only;
//! - fields that older or newer MQ levels add or leave out are just fields.

use crate::status::{DrRole, DrStatus, HaRole, HaStatus, QmStatus};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::fmt;

/// One `Label: value` line (with any continuation lines joined into `value`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The label as printed, without the `:` and padding.
    pub label: String,
    /// [`snake_case`] of the label.
    pub key: String,
    /// The value as printed, trimmed.
    pub value: String,
}

/// A block that starts with `Node:`. `fields` do not include the `Node:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBlock {
    pub node: String,
    pub fields: Vec<Field>,
}

/// A block of bare `rdqmstatus` that starts with `Queue manager name:`.
/// `fields` do not include the `Queue manager name:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmBlock {
    pub name: String,
    pub fields: Vec<Field>,
}

/// Everything `rdqmstatus` printed, block by block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RdqmStatus {
    pub nodes: Vec<NodeBlock>,
    pub qmgrs: Vec<QmBlock>,
    /// Lines that belong to no block, verbatim (without their line ending), in input order.
    pub unparsed: Vec<String>,
    /// The `Command '...' run with sudo.` line, when present.
    pub sudo_trailer: Option<String>,
}

fn last_value<'a>(fields: &'a [Field], key: &str) -> Option<&'a str> {
    let key = snake_case(key);
    fields.iter().rev().find(|f| f.key == key).map(|f| f.value.as_str())
}

impl NodeBlock {
    /// The value of a field by its snake_case key (a label is accepted too); the last
    /// occurrence wins.
    pub fn get(&self, key: &str) -> Option<&str> {
        last_value(&self.fields, key)
    }
}

impl QmBlock {
    /// The value of a field by its snake_case key (a label is accepted too); the last
    /// occurrence wins.
    pub fn get(&self, key: &str) -> Option<&str> {
        last_value(&self.fields, key)
    }
}

/// Serialises fields as one JSON object in printed order. A key printed twice appears once,
/// at its first position, with its last value (as [`NodeBlock::get`] reads it).
struct FieldMap<'a>(&'a [Field]);

impl Serialize for FieldMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut keys: Vec<&str> = Vec::new();
        for field in self.0 {
            if !keys.contains(&field.key.as_str()) {
                keys.push(field.key.as_str());
            }
        }
        let mut map = serializer.serialize_map(Some(keys.len()))?;
        for key in keys {
            let value = self.0.iter().rev().find(|f| f.key == key).map_or("", |f| f.value.as_str());
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl Serialize for NodeBlock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("node", &self.node)?;
        map.serialize_entry("fields", &FieldMap(&self.fields))?;
        map.end()
    }
}

impl Serialize for QmBlock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("fields", &FieldMap(&self.fields))?;
        map.end()
    }
}

/// `"HA current location"` → `"ha_current_location"`: lower case, every run of
/// non-alphanumeric characters one `_`, no leading or trailing `_`.
pub fn snake_case(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut gap = false;
    for c in label.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Splits text into lines without their `\n` / `\r\n` endings (a lone trailing `\r` too).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// `Command '/opt/mqm/bin/rdqmstatus' run with sudo.` (any command).
pub(crate) fn is_sudo_trailer(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("Command ") && (t.ends_with("run with sudo.") || t.ends_with("run with sudo"))
}

/// `AMQ3818E: ...` and similar IBM message lines.
fn is_message_id(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    chars.len() >= 5
        && chars.iter().take(3).all(|c| c.is_ascii_uppercase())
        && chars.last().is_some_and(|c| matches!(c, 'I' | 'W' | 'E' | 'S' | 'T'))
        && chars.iter().skip(3).take(chars.len().saturating_sub(4)).all(|c| c.is_ascii_digit())
}

/// A pasted shell prompt such as `[mqm@wdc1-mq1 ~]$ sudo rdqmstatus -m QM`.
fn is_prompt(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('[') && (t.contains("]$") || t.contains("]#"))
}

/// A line that is an IBM message or a prompt: never a label, never a continuation.
fn is_foreign(line: &str) -> bool {
    if is_prompt(line) {
        return true;
    }
    let t = line.trim_start();
    let word = t.split(|c: char| c == ':' || c.is_whitespace()).next().unwrap_or("");
    is_message_id(word)
}

/// `(label, value)` when the line is `Label: value`.
///
/// The label is the text before the first `:`; it must start with a letter, be at most 39
/// characters and hold only letters, digits, spaces and `()/%.-`.
fn split_label(line: &str) -> Option<(&str, &str)> {
    if is_foreign(line) {
        return None;
    }
    let (label, value) = line.split_once(':')?;
    let label = label.trim();
    let first = label.chars().next()?;
    if !first.is_alphabetic() || label.chars().count() > 39 {
        return None;
    }
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || matches!(c, '(' | ')' | '/' | '%' | '.' | '-');
    if !label.chars().all(allowed) {
        return None;
    }
    // "fe80::1" on a wrapped line is an address, not a label: a label is followed by padding
    // (or, when 39 characters long, by the value at column 41).
    let hex_word = label.chars().all(|c| c.is_ascii_hexdigit());
    if hex_word && label.chars().count() <= 4 && value.chars().next().is_some_and(|c| !c.is_whitespace()) {
        return None;
    }
    Some((label, value.trim()))
}

fn join_continuation(previous: &mut String, more: &str) {
    if previous.is_empty() || previous.ends_with(',') {
        previous.push_str(more);
    } else {
        previous.push(' ');
        previous.push_str(more);
    }
}

/// Where label lines currently go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Before any block header: kept aside for the first node block.
    Preamble,
    Node(usize),
    Qm(usize),
    /// After a blank line, before the next header: kept in `unparsed`.
    Orphan,
}

/// What a continuation line extends.
#[derive(Clone, Copy)]
enum Last {
    NodeName(usize),
    QmName(usize),
    Field(Target, usize),
}

/// Reads `rdqmstatus` output (stdout, stderr or both concatenated). Never fails.
pub fn parse(text: &str) -> RdqmStatus {
    let mut nodes: Vec<NodeBlock> = Vec::new();
    let mut qmgrs: Vec<QmBlock> = Vec::new();
    let mut unparsed: Vec<(usize, String)> = Vec::new();
    let mut sudo_trailer: Option<String> = None;
    let mut preamble: Vec<Field> = Vec::new();
    let mut preamble_raw: Vec<(usize, String)> = Vec::new();
    let mut target = Target::Preamble;
    let mut last: Option<Last> = None;

    for (number, raw) in lines(text).enumerate() {
        if is_sudo_trailer(raw) {
            if let Some(previous) = sudo_trailer.replace(raw.trim().to_string()) {
                unparsed.push((number, previous));
            }
            continue;
        }
        if raw.trim().is_empty() {
            if target != Target::Preamble {
                target = Target::Orphan;
            }
            last = None;
            continue;
        }
        match split_label(raw) {
            Some((label, value)) => {
                let key = snake_case(label);
                if key == "node" {
                    nodes.push(NodeBlock { node: value.to_string(), fields: Vec::new() });
                    let index = nodes.len().saturating_sub(1);
                    target = Target::Node(index);
                    last = Some(Last::NodeName(index));
                    continue;
                }
                if key == "queue_manager_name" {
                    qmgrs.push(QmBlock { name: value.to_string(), fields: Vec::new() });
                    let index = qmgrs.len().saturating_sub(1);
                    target = Target::Qm(index);
                    last = Some(Last::QmName(index));
                    continue;
                }
                let field = Field { label: label.to_string(), key, value: value.to_string() };
                let fields = match target {
                    Target::Preamble => {
                        preamble_raw.push((number, raw.to_string()));
                        Some(&mut preamble)
                    }
                    Target::Node(i) => nodes.get_mut(i).map(|b| &mut b.fields),
                    Target::Qm(i) => qmgrs.get_mut(i).map(|b| &mut b.fields),
                    Target::Orphan => None,
                };
                match fields {
                    Some(fields) => {
                        fields.push(field);
                        last = Some(Last::Field(target, fields.len().saturating_sub(1)));
                    }
                    None => {
                        unparsed.push((number, raw.to_string()));
                        last = None;
                    }
                }
            }
            None => {
                let more = raw.trim();
                let extended = match (last, is_foreign(raw)) {
                    (Some(_), true) | (None, _) => None,
                    (Some(Last::NodeName(i)), false) => nodes.get_mut(i).map(|b| &mut b.node),
                    (Some(Last::QmName(i)), false) => qmgrs.get_mut(i).map(|b| &mut b.name),
                    (Some(Last::Field(t, f)), false) => {
                        let fields = match t {
                            Target::Preamble => Some(&mut preamble),
                            Target::Node(i) => nodes.get_mut(i).map(|b| &mut b.fields),
                            Target::Qm(i) => qmgrs.get_mut(i).map(|b| &mut b.fields),
                            Target::Orphan => None,
                        };
                        fields.and_then(|fs| fs.get_mut(f)).map(|field| &mut field.value)
                    }
                };
                match extended {
                    Some(value) => {
                        join_continuation(value, more);
                        if let Some(Last::Field(Target::Preamble, _)) = last {
                            preamble_raw.push((number, raw.to_string()));
                        }
                    }
                    None => {
                        unparsed.push((number, raw.to_string()));
                        last = None;
                    }
                }
            }
        }
    }

    if !preamble.is_empty() {
        match nodes.first_mut() {
            Some(first) => {
                preamble.append(&mut first.fields);
                first.fields = preamble;
            }
            None => unparsed.extend(preamble_raw),
        }
    }
    unparsed.sort_by_key(|(number, _)| *number);
    RdqmStatus { nodes, qmgrs, unparsed: unparsed.into_iter().map(|(_, l)| l).collect(), sudo_trailer }
}

/// `DR status:` as printed: a status, or `See <node>` on an HA secondary (MQ 9.4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrStatusField {
    Status(DrStatus),
    /// The node named after `See`, which holds the DR details.
    See(String),
}

impl DrStatusField {
    pub fn parse(text: &str) -> Self {
        let t = text.trim();
        let mut words = t.splitn(2, char::is_whitespace);
        match (words.next(), words.next()) {
            (Some(see), Some(node)) if see.eq_ignore_ascii_case("see") && !node.trim().is_empty() => {
                DrStatusField::See(node.trim().to_string())
            }
            _ => DrStatusField::Status(DrStatus::parse(t)),
        }
    }
}

impl fmt::Display for DrStatusField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DrStatusField::Status(status) => f.write_str(status.as_str()),
            DrStatusField::See(node) => write!(f, "See {node}"),
        }
    }
}

impl Serialize for DrStatusField {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read back from the text it is written as (the snapshot's JSON).
impl<'de> serde::Deserialize<'de> for DrStatusField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(DrStatusField::parse(&text))
    }
}

impl DrStatusField {
    /// The status itself; none for `See <node>`.
    pub fn status(&self) -> Option<&DrStatus> {
        match self {
            DrStatusField::Status(status) => Some(status),
            DrStatusField::See(_) => None,
        }
    }

    pub fn is(&self, status: DrStatus) -> bool {
        self.status() == Some(&status)
    }
}

/// An HA peer block of `rdqmstatus -m QM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerView {
    pub node: String,
    /// `Unknown("")` when the block has no `HA status` line.
    pub ha_status: HaStatus,
    pub ha_out_of_sync_kb: Option<u64>,
    /// `HA synchronization progress`, e.g. `6.3%`.
    pub sync_progress: Option<String>,
}

/// The DR lines of `rdqmstatus -m QM`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrView {
    pub role: DrRole,
    pub status: Option<DrStatusField>,
    pub out_of_sync_kb: Option<u64>,
    pub port: Option<String>,
    pub local_ip: Option<String>,
    pub remote_ips: Vec<String>,
    /// `None` also when IBM printed `None`.
    pub current_remote_ip: Option<String>,
}

/// `rdqmstatus -m QM` read as values. The first node block is the local node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QmStatusView {
    pub local_node: String,
    pub qm_status: QmStatus,
    pub ha_role: Option<HaRole>,
    pub ha_status: Option<HaStatus>,
    pub ha_control: Option<String>,
    /// `This node` is resolved to `local_node`; `None` is `None`.
    pub ha_current_location: Option<String>,
    /// `This node` is resolved to `local_node`; `None` is `None`.
    pub ha_preferred_location: Option<String>,
    /// `None` is `None`.
    pub ha_blocked_location: Option<String>,
    /// `None` when there is no `DR role` line (an HA-only RDQM).
    pub dr: Option<DrView>,
    /// `CPU: 0.00%` or `CPU: 0.17`.
    pub cpu_percent: Option<f64>,
    pub memory: Option<String>,
    pub file_system: Option<String>,
    /// Every node block after the first.
    pub peers: Vec<PeerView>,
}

fn none_is_none(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("none")).map(str::to_string)
}

fn location(value: Option<&str>, local: &str) -> Option<String> {
    none_is_none(value).map(|v| if v.eq_ignore_ascii_case("this node") { local.to_string() } else { v })
}

fn parse_percent(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t.strip_suffix('%').unwrap_or(t).trim();
    if !t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+') {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl RdqmStatus {
    /// The typed view of `rdqmstatus -m QM`; `None` when there is no node block or the first
    /// has no `Queue manager status`.
    pub fn qm_view(&self) -> Option<QmStatusView> {
        let local = self.nodes.first()?;
        let qm_status = QmStatus::parse(local.get("queue_manager_status")?);
        let local_node = local.node.clone();
        let dr = local.get("dr_role").map(|role| DrView {
            role: DrRole::parse(role),
            status: local.get("dr_status").map(DrStatusField::parse),
            out_of_sync_kb: local.get("dr_out_of_sync_data").and_then(parse_kb),
            port: local.get("dr_port").map(str::to_string),
            local_ip: local.get("dr_local_ip_address").map(str::to_string),
            remote_ips: none_is_none(local.get("dr_remote_ip_address_list"))
                .map(|list| list.split(',').map(str::trim).filter(|ip| !ip.is_empty()).map(str::to_string).collect())
                .unwrap_or_default(),
            current_remote_ip: none_is_none(local.get("dr_current_remote_ip_address")),
        });
        let peers = self
            .nodes
            .iter()
            .skip(1)
            .map(|block| PeerView {
                node: block.node.clone(),
                ha_status: HaStatus::parse(block.get("ha_status").unwrap_or("")),
                ha_out_of_sync_kb: block.get("ha_out_of_sync_data").and_then(parse_kb),
                sync_progress: block.get("ha_synchronization_progress").map(str::to_string),
            })
            .collect();
        Some(QmStatusView {
            qm_status,
            ha_role: local.get("ha_role").map(HaRole::parse),
            ha_status: local.get("ha_status").map(HaStatus::parse),
            ha_control: local.get("ha_control").map(str::to_string),
            ha_current_location: location(local.get("ha_current_location"), &local_node),
            ha_preferred_location: location(local.get("ha_preferred_location"), &local_node),
            ha_blocked_location: none_is_none(local.get("ha_blocked_location")),
            dr,
            cpu_percent: local.get("cpu").and_then(parse_percent),
            memory: local.get("memory").map(str::to_string),
            file_system: local.get("queue_manager_file_system").map(str::to_string),
            peers,
            local_node,
        })
    }
}

/// A data size as RDQM prints it, in KB (1 KB = 1024 bytes): `2048KB` → 2048, `3MB` → 3072,
/// `1.5GB` → 1572864, `12 KB` → 12. A bare number is taken as KB; bytes are rounded to the
/// nearest KB. Anything else (or a value too large for `u64`) is `None`.
pub fn parse_kb(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_uppercase();
    // Factor relative to KB, or the divisor for bytes.
    let shift: i32 = match unit.as_str() {
        "B" | "BYTES" => -1,
        "" | "K" | "KB" | "KIB" => 0,
        "M" | "MB" | "MIB" => 1,
        "G" | "GB" | "GIB" => 2,
        "T" | "TB" | "TIB" => 3,
        "P" | "PB" | "PIB" => 4,
        _ => return None,
    };
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') || number.matches('.').count() > 1 {
        return None;
    }
    if !number.contains('.') {
        let n: u64 = number.parse().ok()?;
        if shift < 0 {
            return Some(n / 1024 + u64::from(n % 1024 >= 512));
        }
        let factor = 1024u64.checked_pow(u32::try_from(shift).ok()?)?;
        return n.checked_mul(factor);
    }
    let n: f64 = number.parse().ok()?;
    let kb = n * 1024f64.powi(shift);
    let kb = kb.round();
    // 2^64 is exactly representable; anything at or above it does not fit.
    if !(0.0..18_446_744_073_709_551_616.0).contains(&kb) {
        return None;
    }
    Some(kb as u64)
}

/// One node of `rdqmstatus -n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeOnline {
    pub node: String,
    /// `Some(true)` for online, `Some(false)` for offline, `None` for any other state.
    pub online: Option<bool>,
    /// The state as printed (`online`, `offline`, or whatever else), or empty when none.
    pub text: String,
}

fn online_word(text: &str) -> Option<bool> {
    let t = text.trim().trim_end_matches('.').trim();
    if t.eq_ignore_ascii_case("online") {
        Some(true)
    } else if t.eq_ignore_ascii_case("offline") {
        Some(false)
    } else {
        None
    }
}

/// `Node wdc1-mq1 is online` → (`wdc1-mq1`, `online`).
fn sentence(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim().strip_prefix("Node ")?;
    let (node, state) = rest.split_once(" is ")?;
    let node = node.trim();
    if node.is_empty() || node.contains(char::is_whitespace) {
        return None;
    }
    Some((node, state.trim()))
}

/// Reads `rdqmstatus -n`: `Node <name> is online|offline` lines, or, when there are none,
/// one entry per `Node:` block with the state taken from a `Status`-like field. Never fails.
pub fn parse_nodes(text: &str) -> Vec<NodeOnline> {
    let sentences: Vec<NodeOnline> = lines(text)
        .filter_map(sentence)
        .map(|(node, state)| NodeOnline { node: node.to_string(), online: online_word(state), text: state.to_string() })
        .collect();
    if !sentences.is_empty() {
        return sentences;
    }
    const STATE_KEYS: &[&str] = &["status", "node_status", "online_status", "state", "ha_status"];
    parse(text)
        .nodes
        .into_iter()
        .map(|block| {
            let state = STATE_KEYS.iter().find_map(|key| block.get(key)).unwrap_or("").to_string();
            NodeOnline { online: online_word(&state), text: state, node: block.node }
        })
        .collect()
}
