//! Pacemaker's `crm_mon --one-shot --inactive --output-as=xml` (2.1 and 3.0; the legacy
//! `<crm_mon>` root of `--as-xml` too), read with `quick-xml`.
//!
//! The reader is total: it never panics and never fails. Malformed XML, or a `<status>` with
//! a non-zero code, sets [`CrmMon::error`] and keeps whatever was read before. Every XML
//! attribute is kept, with its name in snake_case (`fail-count` → `fail_count`), beside the
//! typed fields.
//!
//! - **Nodes**: `<nodes><node name online standby …>`.
//! - **Resources**: every `<resource>` under `<resources>` (or, with `--group-by-node`, under
//!   `<nodes><node>`), flattened out of `<clone>`, `<group>` and `<bundle>` (nested too) with
//!   `parent` = the id of the nearest enclosing one; `nodes` = its `<node name>` children. The
//!   role is normalised to Pacemaker 3.0's words (`Master` → `Promoted`, `Slave` →
//!   `Unpromoted`, as 2.1 built with 2.0 compatibility prints them); the printed word stays in
//!   `attributes["role"]` (and in JSON as `printed_role` when it differs).
//! - **Fail-counts**: `<node_history><node name><resource_history id fail-count last-failure>`,
//!   only entries with a fail-count; `INFINITY` (as 1000000, `INFINITY` or `+INFINITY`) is
//!   [`INFINITY`]; larger numbers are capped there. The printed text stays in
//!   `attributes["fail_count"]` (and in JSON as `printed_fail_count` when it is not the number).
//! - **Failures**: `<failures><failure op_key node task exitreason …>`; `resource` is `op_key`
//!   without its `_<task>_<interval>` tail.
//! - **Summary**: each `<summary>` child's attributes: `current_dc` gives `dc`, `with_quorum`
//!   and `dc_<attr>`; `*_configured number` gives e.g. `nodes_configured`; `last_update time`
//!   gives `last_update`; `stack type` gives `stack`; `cluster_options` gives its attributes as
//!   they are (`stonith_enabled`, …); anything else `<element>_<attr>`.

use crate::rdqmstatus::snake_case;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Pacemaker's INFINITY score; a fail-count at INFINITY bans a resource from the node.
pub const INFINITY: u64 = 1_000_000;

/// Everything `crm_mon` reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrmMon {
    /// Not read by the browser app, which does not show it (bundle size).
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    pub summary: BTreeMap<String, String>,
    /// Not read by the browser app, which does not show it (bundle size).
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    pub nodes: Vec<CrmNode>,
    pub resources: Vec<CrmResource>,
    pub fail_counts: Vec<FailCount>,
    pub failures: Vec<CrmFailure>,
    /// Set when the XML is malformed or `<status code>` is not 0.
    pub error: Option<String>,
}

/// A cluster node of `<nodes>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "NodeWire", from = "NodeWire")]
pub struct CrmNode {
    pub name: String,
    pub online: Option<bool>,
    pub standby: Option<bool>,
    pub attributes: BTreeMap<String, String>,
}

/// A primitive resource (one clone instance each), flattened out of its containers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ResourceWire", from = "ResourceWire")]
pub struct CrmResource {
    pub id: String,
    /// `class:provider:type`, e.g. `ocf:linbit:drbd`.
    pub resource_agent: Option<String>,
    /// `Started`, `Stopped`, `Promoted`, `Unpromoted`, … (Master/Slave normalised).
    pub role: Option<String>,
    pub active: Option<bool>,
    pub failed: Option<bool>,
    pub blocked: Option<bool>,
    /// The nodes it runs on.
    pub nodes: Vec<String>,
    /// The id of the nearest enclosing `<clone>`, `<group>` or `<bundle>`.
    pub parent: Option<String>,
    pub attributes: BTreeMap<String, String>,
}

/// A resource's fail-count on a node, from `<node_history>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "FailCountWire", from = "FailCountWire")]
pub struct FailCount {
    pub node: String,
    pub resource: String,
    /// [`INFINITY`] for INFINITY.
    pub fail_count: u64,
    pub last_failure: Option<String>,
    /// The attributes of `<resource_history>` (`id`, `fail_count` as printed, …).
    pub attributes: BTreeMap<String, String>,
}

/// A failed operation of `<failures>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "FailureWire", from = "FailureWire")]
pub struct CrmFailure {
    pub node: Option<String>,
    /// The resource, from `op_key` (`drhaqm1_start_0` → `drhaqm1`).
    pub resource: Option<String>,
    pub task: Option<String>,
    pub exitreason: Option<String>,
    pub attributes: BTreeMap<String, String>,
}

impl CrmMon {
    /// The fail-count of `resource` on `node` (0 when none is reported).
    pub fn fail_count(&self, node: &str, resource: &str) -> u64 {
        self.fail_counts.iter().filter(|f| f.node == node && f.resource == resource).map(|f| f.fail_count).max().unwrap_or(0)
    }

    /// Every instance of the resource `id`.
    pub fn resources_named<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a CrmResource> + 'a {
        self.resources.iter().filter(move |r| r.id == id)
    }

    /// The node named `name`.
    pub fn node(&self, name: &str) -> Option<&CrmNode> {
        self.nodes.iter().find(|n| n.name == name)
    }
}

/// `true`/`false` as Pacemaker prints booleans (also yes/no, on/off, 1/0).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "y" => Some(true),
        "false" | "no" | "off" | "0" | "n" => Some(false),
        _ => None,
    }
}

/// A score or count as Pacemaker prints it: `INFINITY`/`+INFINITY` or a number, capped at
/// [`INFINITY`]; negative values and `-INFINITY` are 0; anything else `None`.
pub fn parse_count(text: &str) -> Option<u64> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    match upper.as_str() {
        "INFINITY" | "+INFINITY" => return Some(INFINITY),
        "-INFINITY" => return Some(0),
        _ => {}
    }
    let digits = t.strip_prefix('+').unwrap_or(t);
    if let Some(negative) = digits.strip_prefix('-') {
        return (!negative.is_empty() && negative.chars().all(|c| c.is_ascii_digit())).then_some(0);
    }
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<u64>().map_or(INFINITY, |n| n.min(INFINITY)))
}

/// Pacemaker 2.1 (built with 2.0 compatibility) prints `Master`/`Slave`; 3.0 prints
/// `Promoted`/`Unpromoted`.
pub fn normalise_role(role: &str) -> String {
    let t = role.trim();
    if t.eq_ignore_ascii_case("master") {
        "Promoted".to_string()
    } else if t.eq_ignore_ascii_case("slave") {
        "Unpromoted".to_string()
    } else {
        t.to_string()
    }
}

/// The resource of an operation key: `p_drbd_drhaqm1_monitor_20000` → `p_drbd_drhaqm1`.
/// With `task`, the tail must be `_<task>_<digits>`; without, any `_<word>_<digits>`.
/// A history id such as `drhaqm1_last_failure_0` gives `drhaqm1`.
pub fn resource_of_op_key(op_key: &str, task: Option<&str>) -> Option<String> {
    let (head, interval) = op_key.rsplit_once('_')?;
    if interval.is_empty() || !interval.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if let Some(rsc) = head.strip_suffix("_last_failure").or_else(|| head.strip_suffix("_last")) {
        return (!rsc.is_empty()).then(|| rsc.to_string());
    }
    let (rsc, op) = head.rsplit_once('_')?;
    if rsc.is_empty() || op.is_empty() {
        return None;
    }
    match task {
        Some(task) if !task.is_empty() && !op.eq_ignore_ascii_case(task) => {
            // The task attribute may name a migrate_to/migrate_from: match it as a suffix.
            let rsc = head.strip_suffix(task)?.strip_suffix('_')?;
            (!rsc.is_empty()).then(|| rsc.to_string())
        }
        _ => Some(rsc.to_string()),
    }
}

/// The attributes of an element, names snake_cased, values unescaped (raw when the escape is
/// broken). Attributes that cannot be read at all end the list.
fn attributes_of(element: &BytesStart) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for attribute in element.attributes().with_checks(false) {
        let Ok(attribute) = attribute else { break };
        let key = snake_case(attribute.key.as_ref());
        let key = if key.is_empty() { "_".to_string() } else { key };
        let value = match attribute.normalized_value(XmlVersion::Implicit1_0) {
            Ok(value) => value.into_owned(),
            Err(_) => attribute.value.to_string(),
        };
        map.entry(key).or_insert(value);
    }
    map
}

fn summary_key(element: &str, attribute: &str) -> String {
    match (element, attribute) {
        ("current_dc", "name") => "dc".to_string(),
        ("current_dc", "with_quorum") => "with_quorum".to_string(),
        ("current_dc", other) => format!("dc_{other}"),
        ("cluster_options", other) => other.to_string(),
        (element, "number" | "time" | "type") => element.to_string(),
        (element, other) => format!("{element}_{other}"),
    }
}

/// One open element: its local name and, for containers, its id.
struct Open {
    name: String,
    id: Option<String>,
}

struct State {
    out: CrmMon,
    stack: Vec<Open>,
    /// The resource a `<node>` child is added to.
    current_resource: Option<usize>,
    status: Option<(String, String)>,
    errors: Vec<String>,
    in_error_text: bool,
    saw_element: bool,
}

impl State {
    fn inside(&self, name: &str) -> bool {
        self.stack.iter().any(|o| o.name == name)
    }

    fn parent_is(&self, name: &str) -> bool {
        self.stack.last().is_some_and(|o| o.name == name)
    }

    fn container(&self) -> Option<String> {
        self.stack.iter().rev().find(|o| matches!(o.name.as_str(), "clone" | "group" | "bundle")).and_then(|o| o.id.clone())
    }

    /// Handles an element's start; `empty` when it closes at once.
    fn start(&mut self, element: &BytesStart, empty: bool) {
        self.saw_element = true;
        let name = snake_case(element.local_name().as_ref());
        let attributes = attributes_of(element);
        match name.as_str() {
            _ if self.parent_is("summary") => {
                for (attribute, value) in &attributes {
                    self.out.summary.entry(summary_key(&name, attribute)).or_insert_with(|| value.clone());
                }
            }
            "node" if self.parent_is("nodes") => {
                self.out.nodes.push(CrmNode {
                    name: attributes.get("name").cloned().unwrap_or_default(),
                    online: attributes.get("online").and_then(|v| parse_bool(v)),
                    standby: attributes.get("standby").and_then(|v| parse_bool(v)),
                    attributes: attributes.clone(),
                });
            }
            "node" if self.parent_is("resource") => {
                if let (Some(index), Some(node)) = (self.current_resource, attributes.get("name"))
                    && let Some(resource) = self.out.resources.get_mut(index)
                {
                    resource.nodes.push(node.clone());
                }
            }
            "resource" if self.inside("resources") || self.inside("nodes") => {
                let printed = attributes.get("role").cloned();
                let role = printed.as_deref().map(normalise_role);
                self.out.resources.push(CrmResource {
                    id: attributes.get("id").cloned().unwrap_or_default(),
                    resource_agent: attributes.get("resource_agent").cloned(),
                    role,
                    active: attributes.get("active").and_then(|v| parse_bool(v)),
                    failed: attributes.get("failed").and_then(|v| parse_bool(v)),
                    blocked: attributes.get("blocked").and_then(|v| parse_bool(v)),
                    nodes: Vec::new(),
                    parent: self.container(),
                    attributes: attributes.clone(),
                });
                self.current_resource = (!empty).then(|| self.out.resources.len().saturating_sub(1));
            }
            "resource_history" if self.inside("node_history") => {
                if let Some(count) = attributes.get("fail_count") {
                    let node = self.stack.iter().rev().find(|o| o.name == "node").and_then(|o| o.id.clone());
                    self.out.fail_counts.push(FailCount {
                        node: node.unwrap_or_default(),
                        resource: attributes.get("id").cloned().unwrap_or_default(),
                        fail_count: parse_count(count).unwrap_or(0),
                        last_failure: attributes.get("last_failure").cloned(),
                        attributes: attributes.clone(),
                    });
                }
            }
            "failure" if self.inside("failures") => {
                let task = attributes.get("task").cloned();
                let key = attributes.get("op_key").or_else(|| attributes.get("id"));
                self.out.failures.push(CrmFailure {
                    node: attributes.get("node").cloned(),
                    resource: key.and_then(|k| resource_of_op_key(k, task.as_deref())),
                    task,
                    exitreason: attributes.get("exitreason").cloned(),
                    attributes: attributes.clone(),
                });
            }
            "status" if self.stack.len() == 1 => {
                let code = attributes.get("code").cloned().unwrap_or_default();
                let message = attributes.get("message").cloned().unwrap_or_default();
                self.status = Some((code, message));
            }
            "error" if self.inside("errors") => self.in_error_text = !empty,
            _ => {}
        }
        if !empty {
            // `<node name>` in node_history carries the node name for its resource_history.
            let id = match name.as_str() {
                "node" => attributes.get("name").cloned(),
                _ => attributes.get("id").cloned(),
            };
            self.stack.push(Open { name, id });
        }
    }

    fn end(&mut self) {
        if let Some(open) = self.stack.pop() {
            match open.name.as_str() {
                "resource" => self.current_resource = None,
                "error" => self.in_error_text = false,
                _ => {}
            }
        }
    }

    fn text(&mut self, text: &str) {
        if self.in_error_text && !text.trim().is_empty() {
            self.errors.push(text.trim().to_string());
        }
    }
}

/// Reads `crm_mon` XML. Never fails; see [`CrmMon::error`].
pub fn parse(xml: &str) -> CrmMon {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut state = State {
        out: CrmMon {
            summary: BTreeMap::new(),
            nodes: Vec::new(),
            resources: Vec::new(),
            fail_counts: Vec::new(),
            failures: Vec::new(),
            error: None,
        },
        stack: Vec::new(),
        current_resource: None,
        status: None,
        errors: Vec::new(),
        in_error_text: false,
        saw_element: false,
    };
    let mut malformed: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) => state.start(&element, false),
            Ok(Event::Empty(element)) => state.start(&element, true),
            Ok(Event::End(_)) => state.end(),
            Ok(Event::Text(text)) => state.text(&text.xml10_content()),
            Ok(Event::CData(data)) => state.text(&data),
            Ok(Event::GeneralRef(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_)) => {}
            Ok(Event::Eof) => break,
            Err(e) => {
                malformed = Some(format!("malformed XML at byte {}: {e}", reader.error_position()));
                break;
            }
        }
    }
    if malformed.is_none() {
        if let Some(open) = state.stack.last() {
            malformed = Some(format!("malformed XML: <{}> is not closed", open.name));
        } else if !state.saw_element {
            malformed = Some("no XML element in the input".to_string());
        }
    }
    let status_error = match &state.status {
        Some((code, message)) if code.trim() != "0" => {
            let mut text = format!("crm_mon status {}: {message}", code.trim());
            for error in &state.errors {
                text.push_str("; ");
                text.push_str(error);
            }
            Some(text)
        }
        _ => None,
    };
    let mut out = state.out;
    out.error = match (malformed, status_error) {
        (Some(m), Some(s)) => Some(format!("{m}; {s}")),
        (m, s) => m.or(s),
    };
    out
}

// ---------------------------------------------------------------------------------------
// JSON: typed fields and attributes in one object, no key twice.

fn without(attributes: BTreeMap<String, String>, keys: &[&str]) -> BTreeMap<String, String> {
    attributes.into_iter().filter(|(k, _)| !keys.contains(&k.as_str())).collect()
}

fn put_back(attributes: &mut BTreeMap<String, String>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        attributes.entry(key.to_string()).or_insert(value);
    }
}

fn bool_text(value: Option<bool>) -> Option<String> {
    value.map(|b| b.to_string())
}

#[derive(Serialize, Deserialize)]
struct NodeWire {
    name: String,
    online: Option<bool>,
    standby: Option<bool>,
    // The browser app shows only the typed fields; reading the rest (serde's flatten) would
    // cost its bundle ~0.6 KB per struct, so in wasm the other attributes are not read.
    #[cfg_attr(not(target_arch = "wasm32"), serde(flatten))]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    attributes: BTreeMap<String, String>,
}

impl From<CrmNode> for NodeWire {
    fn from(n: CrmNode) -> Self {
        NodeWire { name: n.name, online: n.online, standby: n.standby, attributes: without(n.attributes, &["name", "online", "standby"]) }
    }
}

impl From<NodeWire> for CrmNode {
    fn from(w: NodeWire) -> Self {
        let mut attributes = w.attributes;
        put_back(&mut attributes, "name", Some(w.name.clone()));
        put_back(&mut attributes, "online", bool_text(w.online));
        put_back(&mut attributes, "standby", bool_text(w.standby));
        CrmNode { name: w.name, online: w.online, standby: w.standby, attributes }
    }
}

const RESOURCE_KEYS: &[&str] = &["id", "resource_agent", "role", "active", "failed", "blocked", "nodes", "parent", "printed_role"];

#[derive(Serialize, Deserialize)]
struct ResourceWire {
    id: String,
    resource_agent: Option<String>,
    role: Option<String>,
    active: Option<bool>,
    failed: Option<bool>,
    blocked: Option<bool>,
    #[serde(default)]
    nodes: Vec<String>,
    parent: Option<String>,
    /// The role as printed, when normalising changed it (`Master`, `Slave`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    printed_role: Option<String>,
    // The browser app shows only the typed fields; reading the rest (serde's flatten) would
    // cost its bundle ~0.6 KB per struct, so in wasm the other attributes are not read.
    #[cfg_attr(not(target_arch = "wasm32"), serde(flatten))]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    attributes: BTreeMap<String, String>,
}

impl From<CrmResource> for ResourceWire {
    fn from(r: CrmResource) -> Self {
        let printed_role = r.attributes.get("role").filter(|printed| Some(printed.as_str()) != r.role.as_deref()).cloned();
        ResourceWire {
            id: r.id,
            resource_agent: r.resource_agent,
            role: r.role,
            active: r.active,
            failed: r.failed,
            blocked: r.blocked,
            nodes: r.nodes,
            parent: r.parent,
            printed_role,
            attributes: without(r.attributes, RESOURCE_KEYS),
        }
    }
}

impl From<ResourceWire> for CrmResource {
    fn from(w: ResourceWire) -> Self {
        let mut attributes = w.attributes;
        put_back(&mut attributes, "id", Some(w.id.clone()));
        put_back(&mut attributes, "resource_agent", w.resource_agent.clone());
        put_back(&mut attributes, "role", w.printed_role.or_else(|| w.role.clone()));
        put_back(&mut attributes, "active", bool_text(w.active));
        put_back(&mut attributes, "failed", bool_text(w.failed));
        put_back(&mut attributes, "blocked", bool_text(w.blocked));
        CrmResource {
            id: w.id,
            resource_agent: w.resource_agent,
            role: w.role,
            active: w.active,
            failed: w.failed,
            blocked: w.blocked,
            nodes: w.nodes,
            parent: w.parent,
            attributes,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct FailCountWire {
    node: String,
    resource: String,
    fail_count: u64,
    last_failure: Option<String>,
    /// The fail-count as printed, when it is not the number (`INFINITY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    printed_fail_count: Option<String>,
    // The browser app shows only the typed fields; reading the rest (serde's flatten) would
    // cost its bundle ~0.6 KB per struct, so in wasm the other attributes are not read.
    #[cfg_attr(not(target_arch = "wasm32"), serde(flatten))]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    attributes: BTreeMap<String, String>,
}

impl From<FailCount> for FailCountWire {
    fn from(f: FailCount) -> Self {
        let number = f.fail_count.to_string();
        let printed_fail_count = f.attributes.get("fail_count").filter(|printed| **printed != number).cloned();
        FailCountWire {
            node: f.node,
            resource: f.resource,
            fail_count: f.fail_count,
            last_failure: f.last_failure,
            printed_fail_count,
            attributes: without(f.attributes, &["node", "resource", "fail_count", "last_failure", "printed_fail_count"]),
        }
    }
}

impl From<FailCountWire> for FailCount {
    fn from(w: FailCountWire) -> Self {
        let mut attributes = w.attributes;
        put_back(&mut attributes, "fail_count", Some(w.printed_fail_count.unwrap_or_else(|| w.fail_count.to_string())));
        put_back(&mut attributes, "last_failure", w.last_failure.clone());
        FailCount { node: w.node, resource: w.resource, fail_count: w.fail_count, last_failure: w.last_failure, attributes }
    }
}

#[derive(Serialize, Deserialize)]
struct FailureWire {
    node: Option<String>,
    resource: Option<String>,
    task: Option<String>,
    exitreason: Option<String>,
    // The browser app shows only the typed fields; reading the rest (serde's flatten) would
    // cost its bundle ~0.6 KB per struct, so in wasm the other attributes are not read.
    #[cfg_attr(not(target_arch = "wasm32"), serde(flatten))]
    #[cfg_attr(target_arch = "wasm32", serde(skip))]
    attributes: BTreeMap<String, String>,
}

impl From<CrmFailure> for FailureWire {
    fn from(f: CrmFailure) -> Self {
        FailureWire {
            node: f.node,
            resource: f.resource,
            task: f.task,
            exitreason: f.exitreason,
            attributes: without(f.attributes, &["node", "resource", "task", "exitreason"]),
        }
    }
}

impl From<FailureWire> for CrmFailure {
    fn from(w: FailureWire) -> Self {
        let mut attributes = w.attributes;
        put_back(&mut attributes, "node", w.node.clone());
        put_back(&mut attributes, "task", w.task.clone());
        put_back(&mut attributes, "exitreason", w.exitreason.clone());
        CrmFailure { node: w.node, resource: w.resource, task: w.task, exitreason: w.exitreason, attributes }
    }
}
