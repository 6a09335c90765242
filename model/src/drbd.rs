//! DRBD 9 `drbdadm status` (the text `drbdsetup status` prints), as RDQM's nodes answer it.
//!
//! ```text
//! drhaqm1 role:Primary
//!   disk:UpToDate
//!   wdc2-mq1 role:Secondary
//!     peer-disk:UpToDate
//!   wdc3-mq1 role:Secondary
//!     replication:SyncSource peer-disk:Inconsistent done:45.20
//!
//! drhaqm1.dr role:Primary
//!   disk:UpToDate
//!   dal1-mq1 connection:Connecting
//!
//! ```
//!
//! The reader is total: it never panics and never fails. Only whether a line is indented
//! matters, not by how much (drbd-utils indents by 2/4/6/8 and wraps long lines at 80 columns
//! onto deeper-indented continuation lines, which are read as more `key:value` pairs of the
//! same resource or peer). A line at column 0 starting with a name opens a resource; an
//! indented line starting with a name opens a peer (a connection) of the current resource;
//! an indented line of `key:value` pairs belongs to the current peer, else to the resource
//! (its `disk:` / `volume:N disk:` lines). A blank line ends the resource. Lines that fit
//! none of this (`# No currently configured DRBD found.`, `r0: No such resource`, a sudo
//! trailer) are kept verbatim in [`DrbdStatus::unparsed`]. Terminal colour codes are ignored.
//!
//! Every `key:value` is kept in `attributes` with its key in snake_case (`peer-disk` →
//! `peer_disk`); the well-known ones are also typed fields. With several volumes, the first
//! volume's values fill the typed fields and keep their plain keys; another volume `N`'s
//! values are kept as `volume_N_<key>`. When a key repeats otherwise, its first value wins.

use crate::rdqmstatus::snake_case;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything `drbdadm status` printed, resource by resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrbdStatus {
    pub resources: Vec<DrbdResource>,
    /// Lines that belong to no resource, verbatim (without their line ending), in input order.
    pub unparsed: Vec<String>,
}

/// One DRBD resource as the local node sees it.
///
/// Serialised as one JSON object: the typed fields, then every other attribute as a key of
/// its own (no key appears twice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ResourceWire", from = "ResourceWire")]
pub struct DrbdResource {
    pub name: String,
    /// The local role: `Primary`, `Secondary` or `Unknown`.
    pub role: Option<String>,
    /// The local disk state (first volume): `UpToDate`, `Inconsistent`, `Outdated`, `Diskless`...
    pub disk: Option<String>,
    /// The connections to the other nodes, in printed order.
    pub peers: Vec<DrbdPeer>,
    /// Every `key:value` of the resource and its volumes, keys in snake_case.
    pub attributes: BTreeMap<String, String>,
}

/// One connection of a resource to a peer node, with its peer device(s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "PeerWire", from = "PeerWire")]
pub struct DrbdPeer {
    /// The peer's node (connection) name.
    pub name: String,
    /// The peer's role, printed while connected.
    pub role: Option<String>,
    /// The connection state, printed when not `Connected` (e.g. `Connecting`, `StandAlone`).
    pub connection: Option<String>,
    /// The peer's disk state (first volume).
    pub peer_disk: Option<String>,
    /// The replication state, printed when beyond `Established` (e.g. `SyncSource`).
    pub replication: Option<String>,
    /// Resynchronisation progress in percent (`done:45.20` → 45.2).
    pub done: Option<f64>,
    /// Every `key:value` of the connection and its peer devices, keys in snake_case.
    pub attributes: BTreeMap<String, String>,
}

impl DrbdStatus {
    /// The resource named `name`, if printed.
    pub fn resource(&self, name: &str) -> Option<&DrbdResource> {
        self.resources.iter().find(|r| r.name == name)
    }
}

impl DrbdResource {
    /// The connection to `name`, if printed.
    pub fn peer(&self, name: &str) -> Option<&DrbdPeer> {
        self.peers.iter().find(|p| p.name == name)
    }

    fn finish(&mut self) {
        self.role = self.attributes.get("role").cloned();
        self.disk = self.attributes.get("disk").cloned();
        for peer in &mut self.peers {
            peer.finish();
        }
    }
}

impl DrbdPeer {
    fn finish(&mut self) {
        self.role = self.attributes.get("role").cloned();
        self.connection = self.attributes.get("connection").cloned();
        self.peer_disk = self.attributes.get("peer_disk").cloned();
        self.replication = self.attributes.get("replication").cloned();
        self.done = self.attributes.get("done").and_then(|d| parse_percent(d));
    }
}

fn parse_percent(text: &str) -> Option<f64> {
    let t = text.trim().trim_end_matches('%');
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+') {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Where a run of `key:value` pairs goes, and which volume it describes.
#[derive(Default)]
struct Pairs {
    first_volume: Option<String>,
    volume: Option<String>,
}

impl Pairs {
    fn insert(&mut self, attributes: &mut BTreeMap<String, String>, key: &str, value: &str) {
        let key = snake_case(key);
        let key = if key.is_empty() { "_".to_string() } else { key };
        if key == "volume" {
            if self.first_volume.is_none() {
                self.first_volume = Some(value.to_string());
                attributes.entry(key).or_insert_with(|| value.to_string());
            }
            self.volume = Some(value.to_string());
            return;
        }
        let key = match (&self.volume, &self.first_volume) {
            (Some(volume), Some(first)) if volume != first => format!("volume_{}_{key}", snake_case(volume)),
            _ => key,
        };
        attributes.entry(key).or_insert_with(|| value.to_string());
    }
}

/// Removes terminal colour sequences (`ESC [ ... letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// A line read as an optional name and its `key:value` pairs.
type Words<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>);

/// `(name, pairs)` of a line whose words are an optional name then only `key:value` pairs
/// (a key is not empty); `None` for anything else.
fn split_line(line: &str) -> Option<Words<'_>> {
    let mut words = line.split_whitespace().peekable();
    let name = match words.peek() {
        Some(word) if !word.contains(':') => words.next(),
        Some(_) => None,
        None => return None,
    };
    let mut pairs = Vec::new();
    for word in words {
        let (key, value) = word.split_once(':')?;
        if key.is_empty() {
            return None;
        }
        pairs.push((key, value));
    }
    Some((name, pairs))
}

/// Reads `drbdadm status` output (stdout, stderr or both). Never fails.
pub fn parse(text: &str) -> DrbdStatus {
    let mut resources: Vec<DrbdResource> = Vec::new();
    let mut unparsed = Vec::new();
    // Whether a resource is open (not closed by a blank line), and its pair contexts.
    let mut open = false;
    let mut resource_pairs = Pairs::default();
    let mut peer_pairs: Option<Pairs> = None;

    for raw in crate::rdqmstatus::lines(text) {
        let line = strip_ansi(raw);
        if line.trim().is_empty() {
            open = false;
            peer_pairs = None;
            continue;
        }
        let indented = line.starts_with(char::is_whitespace);
        let Some((name, pairs)) = split_line(&line) else {
            unparsed.push(raw.to_string());
            continue;
        };
        match (indented, name) {
            (false, Some(name)) => {
                resources.push(DrbdResource {
                    name: name.to_string(),
                    role: None,
                    disk: None,
                    peers: Vec::new(),
                    attributes: BTreeMap::new(),
                });
                open = true;
                resource_pairs = Pairs::default();
                peer_pairs = None;
                if let Some(resource) = resources.last_mut() {
                    for (key, value) in pairs {
                        resource_pairs.insert(&mut resource.attributes, key, value);
                    }
                }
            }
            (true, Some(name)) if open => {
                let Some(resource) = resources.last_mut() else {
                    unparsed.push(raw.to_string());
                    continue;
                };
                let mut peer = DrbdPeer {
                    name: name.to_string(),
                    role: None,
                    connection: None,
                    peer_disk: None,
                    replication: None,
                    done: None,
                    attributes: BTreeMap::new(),
                };
                let mut context = Pairs::default();
                for (key, value) in pairs {
                    context.insert(&mut peer.attributes, key, value);
                }
                resource.peers.push(peer);
                peer_pairs = Some(context);
            }
            (_, None) if open => {
                let Some(resource) = resources.last_mut() else {
                    unparsed.push(raw.to_string());
                    continue;
                };
                match (&mut peer_pairs, resource.peers.last_mut()) {
                    (Some(context), Some(peer)) => {
                        for (key, value) in pairs {
                            context.insert(&mut peer.attributes, key, value);
                        }
                    }
                    _ => {
                        for (key, value) in pairs {
                            resource_pairs.insert(&mut resource.attributes, key, value);
                        }
                    }
                }
            }
            _ => unparsed.push(raw.to_string()),
        }
    }
    for resource in &mut resources {
        resource.finish();
    }
    DrbdStatus { resources, unparsed }
}

// ---------------------------------------------------------------------------------------
// JSON: typed fields and attributes in one object, no key twice.

#[derive(Serialize, Deserialize)]
struct ResourceWire {
    name: String,
    role: Option<String>,
    disk: Option<String>,
    #[serde(default)]
    peers: Vec<DrbdPeer>,
    // The browser app shows only the typed fields; reading the rest (serde's flatten) would
    // cost its bundle ~0.6 KB per struct, so in wasm the other attributes are not read.
    #[cfg_attr(not(target_arch = "wasm32"), serde(flatten))]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    attributes: BTreeMap<String, String>,
}

const RESOURCE_KEYS: &[&str] = &["name", "role", "disk", "peers"];
const PEER_KEYS: &[&str] = &["name", "role", "connection", "peer_disk", "replication", "done"];

fn without(attributes: BTreeMap<String, String>, keys: &[&str]) -> BTreeMap<String, String> {
    attributes.into_iter().filter(|(k, _)| !keys.contains(&k.as_str())).collect()
}

fn put_back(attributes: &mut BTreeMap<String, String>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        attributes.entry(key.to_string()).or_insert_with(|| value.clone());
    }
}

impl From<DrbdResource> for ResourceWire {
    fn from(r: DrbdResource) -> Self {
        ResourceWire { name: r.name, role: r.role, disk: r.disk, peers: r.peers, attributes: without(r.attributes, RESOURCE_KEYS) }
    }
}

impl From<ResourceWire> for DrbdResource {
    fn from(w: ResourceWire) -> Self {
        let mut attributes = w.attributes;
        put_back(&mut attributes, "role", &w.role);
        put_back(&mut attributes, "disk", &w.disk);
        DrbdResource { name: w.name, role: w.role, disk: w.disk, peers: w.peers, attributes }
    }
}

#[derive(Serialize, Deserialize)]
struct PeerWire {
    name: String,
    role: Option<String>,
    connection: Option<String>,
    peer_disk: Option<String>,
    replication: Option<String>,
    done: Option<f64>,
    // The browser app shows only the typed fields; reading the rest (serde's flatten) would
    // cost its bundle ~0.6 KB per struct, so in wasm the other attributes are not read.
    #[cfg_attr(not(target_arch = "wasm32"), serde(flatten))]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    attributes: BTreeMap<String, String>,
}

impl From<DrbdPeer> for PeerWire {
    fn from(p: DrbdPeer) -> Self {
        PeerWire {
            name: p.name,
            role: p.role,
            connection: p.connection,
            peer_disk: p.peer_disk,
            replication: p.replication,
            done: p.done,
            attributes: without(p.attributes, PEER_KEYS),
        }
    }
}

impl From<PeerWire> for DrbdPeer {
    fn from(w: PeerWire) -> Self {
        let mut attributes = w.attributes;
        put_back(&mut attributes, "role", &w.role);
        put_back(&mut attributes, "connection", &w.connection);
        put_back(&mut attributes, "peer_disk", &w.peer_disk);
        put_back(&mut attributes, "replication", &w.replication);
        put_back(&mut attributes, "done", &w.done.map(|d| format!("{d:.2}")));
        DrbdPeer {
            name: w.name,
            role: w.role,
            connection: w.connection,
            peer_disk: w.peer_disk,
            replication: w.replication,
            done: w.done,
            attributes,
        }
    }
}
