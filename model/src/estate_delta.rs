//! What changed between two snapshots of the estate, and how a viewer applies it: the event
//! stream (`GET /api/events`) sends the whole snapshot once (event `estate`), then for every
//! refresh an [`EstateDelta`] (event `estate-delta`, or `estate-heartbeat` when nothing but
//! the refresh's time changed).
//!
//! A delta names the snapshot it applies to (`from_version`) and the one it makes
//! (`version`, the poller's refresh number). Per kind of entity — queue managers (by name),
//! nodes (by name, inside their region), MQIPT routes (by instance and listener port), MQIPT
//! instances (by name), findings (by code and subject) — it carries the entities that are new
//! or changed, whole or as a [`Patch`] of the JSON values that changed (whichever is shorter),
//! the keys of those removed, and the new order when it is not the old one with the new
//! entities at the end. A viewer whose snapshot is not `from_version` asks for the whole again.
//!
//! **What a delta leaves out** (values that change on every refresh without the estate
//! changing; [`settle`] is a snapshot with these set as a viewer of deltas holds them):
//! - `last_ok_at` of a node or MQIPT instance that answered this refresh (`reachable`): a node
//!   carried by the delta for another change comes with its own `last_ok_at`; every other
//!   reachable node and instance answered in the refresh of the delta's `polled_at`, which
//!   [`apply`] writes as its `last_ok_at` (a few milliseconds later than the exact time, shown
//!   nowhere while the host answers). An unreachable one keeps the time it last answered.
//! - Pacemaker's `last_update` (the time `crm_mon` ran) and `last_change` in a node's
//!   `layers.pacemaker.summary`: a node carried for another change comes with them as read;
//!   otherwise a viewer keeps older ones. (The simulator prints the current time as
//!   `last_change` while nothing failed.)

use crate::estate::{Finding, MqiptView, NodeView, QmgrView, RegionView, RouteView, Snapshot};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;

/// The event that carries the whole snapshot.
pub const EVENT_ESTATE: &str = "estate";
/// The event that carries an [`EstateDelta`] with changes.
pub const EVENT_DELTA: &str = "estate-delta";
/// The event that carries an [`EstateDelta`] without any (a refresh that changed nothing).
pub const EVENT_HEARTBEAT: &str = "estate-heartbeat";

/// Pacemaker summary entries that are times, left out of the comparison (see the module).
const CRM_SUMMARY_TIMES: &[&str] = &["last_update", "last_change"];

/// The changes from snapshot `from_version` to snapshot `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstateDelta {
    pub from_version: u64,
    pub version: u64,
    pub polled_at: u64,
    pub poll_duration_ms: u64,
    /// The snapshot's other top-level values that changed (e.g. `/poll_interval_ms`), as a
    /// [`Patch`]'s are.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub insert: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset: Vec<String>,
    /// By region name; a changed region carries its nodes' changes (`nodes`) by node name.
    #[serde(default, skip_serializing_if = "ListDelta::is_empty")]
    pub regions: ListDelta<RegionView>,
    #[serde(default, skip_serializing_if = "ListDelta::is_empty")]
    pub qmgrs: ListDelta<QmgrView>,
    #[serde(default, skip_serializing_if = "ListDelta::is_empty")]
    pub routes: ListDelta<RouteView>,
    #[serde(default, skip_serializing_if = "ListDelta::is_empty")]
    pub mqipt: ListDelta<MqiptView>,
    #[serde(default, skip_serializing_if = "ListDelta::is_empty")]
    pub findings: ListDelta<Finding>,
}

impl EstateDelta {
    /// Nothing changed but the refresh's time and number.
    pub fn is_heartbeat(&self) -> bool {
        self.set.is_empty()
            && self.insert.is_empty()
            && self.unset.is_empty()
            && self.regions.is_empty()
            && self.qmgrs.is_empty()
            && self.routes.is_empty()
            && self.mqipt.is_empty()
            && self.findings.is_empty()
    }

    /// The event name it is sent under.
    pub fn event_name(&self) -> &'static str {
        if self.is_heartbeat() { EVENT_HEARTBEAT } else { EVENT_DELTA }
    }
}

/// The changes to one list of entities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Entity", deserialize = "T: Entity"))]
pub struct ListDelta<T: Entity> {
    /// Entities that are new, whole, in their order in the new list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<T>,
    /// Entities that changed, by key: what changed in them, or (pointer `""`) the whole of
    /// one when that is shorter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<T::Change>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<T::Key>,
    /// Every key in the new order, when that is not the old order without the removed ones
    /// and with the added ones at the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Vec<T::Key>>,
    /// The whole list, when two of its entities share a key (never in a valid estate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<T>>,
}

impl<T: Entity> Default for ListDelta<T> {
    fn default() -> Self {
        ListDelta { added: Vec::new(), changed: Vec::new(), removed: Vec::new(), order: None, all: None }
    }
}

impl<T: Entity> ListDelta<T> {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty() && self.order.is_none() && self.all.is_none()
    }
}

/// An entity's values that changed, each at its JSON Pointer (RFC 6901) inside the entity.
/// Applied in this order: `unset` removes members, and array elements from the last down;
/// `insert` puts elements into arrays, from the first up; `set` replaces values (the pointer
/// `""`: the whole entity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patch<K> {
    pub key: K,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub insert: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset: Vec<String>,
}

/// A region's change: its own values (not `nodes`) as a patch, and its nodes' changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionPatch {
    pub key: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub insert: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset: Vec<String>,
    #[serde(default, skip_serializing_if = "ListDelta::is_empty")]
    pub nodes: ListDelta<NodeView>,
}

/// A route: its MQIPT instance and `ListenerPort`; `nth` counts earlier routes with the same
/// two (a file that repeats a port).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RouteKey {
    pub instance: String,
    pub listener_port: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub nth: u32,
}

/// A finding: its code and subject; `nth` counts earlier findings with the same two.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FindingKey {
    pub code: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub nth: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Why a delta could not be applied: the viewer should fetch the whole snapshot again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeltaError {
    #[error("the update applies to version {from}, and the estate held is version {held}")]
    Gap { held: u64, from: u64 },
    #[error("the update does not fit the estate held: {0}")]
    Unfit(String),
}

/// Something a [`ListDelta`] lists: how it is keyed, compared and patched.
pub trait Entity: Clone + PartialEq + Serialize + DeserializeOwned {
    type Key: Clone + PartialEq + Eq + Hash + Debug + Serialize + DeserializeOwned;
    type Change: Clone + PartialEq + Debug + Serialize + DeserializeOwned;

    /// The keys of `list`, in order; `None` when two entities share one.
    fn keys(list: &[Self]) -> Option<Vec<Self::Key>>;
    /// The key of an added entity, after `held` (a counted key is numbered after the held
    /// ones with the same code and subject, or instance and port).
    fn added_key(&self, held: &[&Self::Key]) -> Self::Key;
    /// What changed from `self` to `next` (`None`: nothing a delta carries).
    fn change(&self, next: &Self, key: &Self::Key) -> Option<Self::Change>;
    /// `next` whole, as a change.
    fn whole(next: &Self, key: &Self::Key) -> Self::Change;
    fn change_key(change: &Self::Change) -> &Self::Key;
    fn apply_change(&mut self, change: &Self::Change, polled_at: u64) -> Result<(), DeltaError>;
    /// An entity the delta does not carry: it was in the refresh of `polled_at`, unchanged.
    fn unchanged(&mut self, _polled_at: u64) {}
}

fn unique<K: Eq + Hash + Clone>(keys: Vec<K>) -> Option<Vec<K>> {
    let mut seen = HashSet::with_capacity(keys.len());
    keys.iter().all(|k| seen.insert(k.clone())).then_some(keys)
}

/// Keys made unique by counting the earlier entities with the same base.
fn counted<B: Eq + Hash + Clone, K>(bases: impl Iterator<Item = B>, make: impl Fn(B, u32) -> K) -> Vec<K> {
    let mut seen: std::collections::HashMap<B, u32> = std::collections::HashMap::new();
    bases
        .map(|base| {
            let n = seen.entry(base.clone()).or_insert(0);
            let key = make(base, *n);
            *n += 1;
            key
        })
        .collect()
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn json_len<T: Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |v| v.len())
}

/// An entity's value as compared: `quiet` removes what changes on every refresh.
fn compared(mut value: Value, quiet: fn(&mut Value)) -> Value {
    quiet(&mut value);
    value
}

/// What a patch does, before it is keyed.
#[derive(Default)]
struct Ops {
    set: BTreeMap<String, Value>,
    insert: BTreeMap<String, Value>,
    unset: Vec<String>,
}

impl Ops {
    /// About what the operations cost in JSON.
    fn len(&self) -> usize {
        let values = |m: &BTreeMap<String, Value>| m.iter().map(|(k, v)| k.len() + json_len(v) + 4).sum::<usize>();
        values(&self.set) + values(&self.insert) + self.unset.iter().map(|k| k.len() + 3).sum::<usize>()
    }

    fn append(&mut self, mut other: Ops) {
        self.set.append(&mut other.set);
        self.insert.append(&mut other.insert);
        self.unset.append(&mut other.unset);
    }

    fn between(a: &Value, b: &Value) -> Ops {
        let mut ops = Ops::default();
        diff_values(a, b, &mut String::new(), &mut ops);
        ops
    }
}

/// `a` → `b` as a patch, its values taken from `exact` (the entity before `quiet`); `always`
/// pointers are set from `exact` whenever anything changed.
fn value_patch<K: Clone>(key: &K, a: &Value, b: &Value, exact: &Value, always: &[&str]) -> Option<Patch<K>> {
    if a == b {
        return None;
    }
    let Ops { mut set, mut insert, unset } = Ops::between(a, b);
    for (pointer, value) in set.iter_mut().chain(insert.iter_mut()) {
        if let Some(exact) = exact.pointer(pointer) {
            value.clone_from(exact);
        }
    }
    for pointer in always {
        if let Some(value) = exact.pointer(pointer) {
            set.insert((*pointer).to_string(), value.clone());
        }
    }
    Some(Patch { key: key.clone(), set, insert, unset })
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The pointers where `a` and `b` differ: objects member by member; arrays by their common
/// beginning and end, the elements between paired off and changed in place, the rest
/// removed or inserted (unless the whole array is shorter); anything else whole.
fn diff_values(a: &Value, b: &Value, path: &mut String, ops: &mut Ops) {
    if a == b {
        return;
    }
    let at = path.len();
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().filter(|k| !b.contains_key(*k)) {
                ops.unset.push(format!("{path}/{}", escape(key)));
            }
            for (key, bv) in b {
                path.push('/');
                path.push_str(&escape(key));
                match a.get(key) {
                    Some(av) => diff_values(av, bv, path, ops),
                    None => {
                        ops.set.insert(path.clone(), bv.clone());
                    }
                }
                path.truncate(at);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
            let suffix = a[prefix..].iter().rev().zip(b[prefix..].iter().rev()).take_while(|(x, y)| x == y).count();
            let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
            let paired = a_mid.len().min(b_mid.len());
            let mut inner = Ops::default();
            for (i, (av, bv)) in a_mid.iter().zip(b_mid).enumerate() {
                path.push('/');
                path.push_str(&(prefix + i).to_string());
                diff_values(av, bv, path, &mut inner);
                path.truncate(at);
            }
            for i in prefix + paired..prefix + a_mid.len() {
                inner.unset.push(format!("{path}/{i}"));
            }
            for (i, bv) in b_mid.iter().enumerate().skip(paired) {
                inner.insert.insert(format!("{path}/{}", prefix + i), bv.clone());
            }
            if a.len() != b.len() && inner.len() >= json_len(b) + path.len() + 4 {
                ops.set.insert(path.clone(), Value::Array(b.clone()));
            } else {
                ops.append(inner);
            }
        }
        _ => {
            ops.set.insert(path.clone(), b.clone());
        }
    }
}

/// A pointer's tokens as they are ordered for applying: array indices by number.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    Index(usize),
    Name(String),
}

fn apply_order(pointer: &str) -> Vec<Token> {
    pointer.split('/').map(|t| t.parse().map_or_else(|_| Token::Name(t.to_string()), Token::Index)).collect()
}

fn tokens(pointer: &str) -> Result<Vec<String>, DeltaError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer.strip_prefix('/').ok_or_else(|| DeltaError::Unfit(format!("{pointer:?} is not a JSON Pointer")))?;
    Ok(rest.split('/').map(unescape).collect())
}

/// The member or element `token` of `value`; a missing member is made (an empty object), so
/// that a patch of a value this build does not read (a field the browser skips) still goes in.
fn child<'v>(value: &'v mut Value, token: &str, pointer: &str) -> Result<&'v mut Value, DeltaError> {
    if value.is_null() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => Ok(map.entry(token.to_string()).or_insert(Value::Null)),
        Value::Array(list) => token
            .parse::<usize>()
            .ok()
            .and_then(|i| list.get_mut(i))
            .ok_or_else(|| DeltaError::Unfit(format!("{pointer}: no element {token}"))),
        _ => Err(DeltaError::Unfit(format!("{pointer}: {token} inside a scalar"))),
    }
}

fn set_at(root: &mut Value, pointer: &str, value: Value) -> Result<(), DeltaError> {
    let mut tokens = tokens(pointer)?;
    let Some(last) = tokens.pop() else {
        *root = value;
        return Ok(());
    };
    let mut target = root;
    for token in tokens {
        target = child(target, &token, pointer)?;
    }
    if target.is_null() {
        *target = Value::Object(Map::new());
    }
    match target {
        Value::Object(map) => {
            map.insert(last, value);
        }
        Value::Array(list) => match last.parse::<usize>() {
            Ok(i) if i < list.len() => list[i] = value,
            _ => return Err(DeltaError::Unfit(format!("{pointer}: no element {last}"))),
        },
        _ => return Err(DeltaError::Unfit(format!("{pointer}: {last} inside a scalar"))),
    }
    Ok(())
}

fn unset_at(root: &mut Value, pointer: &str) -> Result<(), DeltaError> {
    let mut tokens = tokens(pointer)?;
    let Some(last) = tokens.pop() else { return Err(DeltaError::Unfit("the whole entity unset".into())) };
    let mut target = root;
    for token in tokens {
        target = match target {
            Value::Object(map) => match map.get_mut(&token) {
                Some(next) => next,
                None => return Ok(()),
            },
            Value::Array(list) => match token.parse::<usize>().ok().and_then(|i| list.get_mut(i)) {
                Some(next) => next,
                None => return Err(DeltaError::Unfit(format!("{pointer}: no element {token}"))),
            },
            _ => return Ok(()),
        };
    }
    match target {
        Value::Object(map) => {
            map.remove(&last);
        }
        Value::Array(list) => match last.parse::<usize>() {
            Ok(i) if i < list.len() => {
                list.remove(i);
            }
            _ => return Err(DeltaError::Unfit(format!("{pointer}: no element {last}"))),
        },
        _ => {}
    }
    Ok(())
}

fn insert_at(root: &mut Value, pointer: &str, value: Value) -> Result<(), DeltaError> {
    let mut tokens = tokens(pointer)?;
    let Some(last) = tokens.pop() else { return Err(DeltaError::Unfit("an insert without an index".into())) };
    let mut target = root;
    for token in tokens {
        target = child(target, &token, pointer)?;
    }
    match (target, last.parse::<usize>()) {
        (Value::Array(list), Ok(i)) if i <= list.len() => {
            list.insert(i, value);
            Ok(())
        }
        _ => Err(DeltaError::Unfit(format!("{pointer}: no place {last} in an array"))),
    }
}

/// The operations of `map` in the order they are applied: array indices by number.
fn in_order(map: &BTreeMap<String, Value>) -> Vec<(&String, &Value)> {
    let mut ops: Vec<(&String, &Value)> = map.iter().collect();
    ops.sort_by_cached_key(|(p, _)| apply_order(p));
    ops
}

/// Unsets (array elements from the last down), then inserts (from the first up), then sets.
fn patch_value(value: &mut Value, set: &BTreeMap<String, Value>, insert: &BTreeMap<String, Value>, unset: &[String]) -> Result<(), DeltaError> {
    let mut unset: Vec<&String> = unset.iter().collect();
    unset.sort_by_cached_key(|p| std::cmp::Reverse(apply_order(p)));
    for pointer in unset {
        unset_at(value, pointer)?;
    }
    for (pointer, v) in in_order(insert) {
        insert_at(value, pointer, v.clone())?;
    }
    for (pointer, v) in in_order(set) {
        set_at(value, pointer, v.clone())?;
    }
    Ok(())
}

/// Patches `entity` through its JSON form.
fn patch_entity<T: Serialize + DeserializeOwned>(
    entity: &mut T,
    set: &BTreeMap<String, Value>,
    insert: &BTreeMap<String, Value>,
    unset: &[String],
) -> Result<(), DeltaError> {
    let mut value = serde_json::to_value(&*entity).map_err(|e| DeltaError::Unfit(e.to_string()))?;
    patch_value(&mut value, set, insert, unset)?;
    *entity = serde_json::from_value(value).map_err(|e| DeltaError::Unfit(e.to_string()))?;
    Ok(())
}

fn quiet_nothing(_: &mut Value) {}

/// A reachable host's `last_ok_at`, and Pacemaker's summary times (see the module).
fn quiet_host(value: &mut Value) {
    if let Some(map) = value.as_object_mut() {
        if map.get("reachable") == Some(&Value::Bool(true)) {
            map.insert("last_ok_at".into(), Value::Null);
        }
        if let Some(summary) = map.get_mut("layers").and_then(|l| l.pointer_mut("/pacemaker/summary")).and_then(Value::as_object_mut) {
            for key in CRM_SUMMARY_TIMES {
                summary.remove(*key);
            }
        }
    }
}

/// The change of an entity patched through its JSON form.
fn plain_change<T: Serialize, K: Clone>(a: &T, b: &T, key: &K, quiet: fn(&mut Value), always: &[&str]) -> Option<Patch<K>> {
    let exact = to_value(b);
    value_patch(key, &compared(to_value(a), quiet), &compared(exact.clone(), quiet), &exact, always)
}

/// The whole of `next` as a patch: its value at the pointer `""`.
fn whole_patch<T: Serialize, K: Clone>(next: &T, key: &K) -> Patch<K> {
    Patch { key: key.clone(), set: BTreeMap::from([(String::new(), to_value(next))]), insert: BTreeMap::new(), unset: Vec::new() }
}

/// What a delta leaves for the viewer to derive in an entity it does not carry.
trait Answered {
    fn answered(&mut self, _polled_at: u64) {}
}

impl Answered for NodeView {
    fn answered(&mut self, polled_at: u64) {
        if self.reachable {
            self.last_ok_at = Some(polled_at);
        }
    }
}

impl Answered for MqiptView {
    fn answered(&mut self, polled_at: u64) {
        if self.reachable {
            self.last_ok_at = Some(polled_at);
        }
    }
}

impl Answered for QmgrView {}
impl Answered for RouteView {}
impl Answered for Finding {}

/// An entity patched through its JSON form: its key, the key of an added one, what is left
/// out of the comparison and the pointers always sent with a change.
macro_rules! plain_entity {
    ($t:ty, $key:ty, $keys:expr, $added_key:expr, $quiet:expr, $always:expr) => {
        impl Entity for $t {
            type Key = $key;
            type Change = Patch<$key>;
            fn keys(list: &[Self]) -> Option<Vec<Self::Key>> {
                ($keys)(list)
            }
            fn added_key(&self, held: &[&Self::Key]) -> Self::Key {
                ($added_key)(self, held)
            }
            fn change(&self, next: &Self, key: &Self::Key) -> Option<Self::Change> {
                if self == next { None } else { plain_change(self, next, key, $quiet, $always) }
            }
            fn whole(next: &Self, key: &Self::Key) -> Self::Change {
                whole_patch(next, key)
            }
            fn change_key(change: &Self::Change) -> &Self::Key {
                &change.key
            }
            fn apply_change(&mut self, change: &Self::Change, _polled_at: u64) -> Result<(), DeltaError> {
                patch_entity(self, &change.set, &change.insert, &change.unset)
            }
            fn unchanged(&mut self, polled_at: u64) {
                self.answered(polled_at);
            }
        }
    };
}

plain_entity!(
    NodeView,
    String,
    |l: &[NodeView]| unique(l.iter().map(|n| n.name.clone()).collect()),
    |n: &NodeView, _: &[&String]| n.name.clone(),
    quiet_host,
    &["/last_ok_at"]
);
plain_entity!(
    MqiptView,
    String,
    |l: &[MqiptView]| unique(l.iter().map(|m| m.name.clone()).collect()),
    |m: &MqiptView, _: &[&String]| m.name.clone(),
    quiet_host,
    &["/last_ok_at"]
);
plain_entity!(
    QmgrView,
    String,
    |l: &[QmgrView]| unique(l.iter().map(|q| q.name.clone()).collect()),
    |q: &QmgrView, _: &[&String]| q.name.clone(),
    quiet_nothing,
    &[]
);
plain_entity!(
    RouteView,
    RouteKey,
    |l: &[RouteView]| Some(counted(l.iter().map(|r| (r.instance.clone(), r.listener_port.clone())), |(instance, listener_port), nth| RouteKey {
        instance,
        listener_port,
        nth
    })),
    |r: &RouteView, held: &[&RouteKey]| RouteKey {
        instance: r.instance.clone(),
        listener_port: r.listener_port.clone(),
        nth: held.iter().filter(|k| k.instance == r.instance && k.listener_port == r.listener_port).count() as u32,
    },
    quiet_nothing,
    &[]
);
plain_entity!(
    Finding,
    FindingKey,
    |l: &[Finding]| Some(counted(l.iter().map(|f| (f.code.clone(), f.subject.clone())), |(code, subject), nth| FindingKey { code, subject, nth })),
    |f: &Finding, held: &[&FindingKey]| FindingKey {
        code: f.code.clone(),
        subject: f.subject.clone(),
        nth: held.iter().filter(|k| k.code == f.code && k.subject == f.subject).count() as u32,
    },
    quiet_nothing,
    &[]
);

/// A region's own values: everything but its nodes.
fn region_own(region: &RegionView) -> Value {
    let mut value = to_value(region);
    if let Some(map) = value.as_object_mut() {
        map.remove("nodes");
    }
    value
}

impl Entity for RegionView {
    type Key = String;
    type Change = RegionPatch;

    fn keys(list: &[Self]) -> Option<Vec<String>> {
        unique(list.iter().map(|r| r.name.clone()).collect())
    }

    fn added_key(&self, _: &[&String]) -> String {
        self.name.clone()
    }

    fn change(&self, next: &Self, key: &String) -> Option<RegionPatch> {
        if self == next {
            return None;
        }
        let exact = region_own(next);
        let own = value_patch(key, &region_own(self), &exact, &exact, &[]);
        let nodes = diff_list(&self.nodes, &next.nodes);
        if own.is_none() && nodes.is_empty() {
            return None;
        }
        let (set, insert, unset) = own.map(|p| (p.set, p.insert, p.unset)).unwrap_or_default();
        Some(RegionPatch { key: key.clone(), set, insert, unset, nodes })
    }

    fn whole(next: &Self, key: &String) -> RegionPatch {
        let Patch { key, set, insert, unset } = whole_patch(next, key);
        RegionPatch { key, set, insert, unset, nodes: ListDelta::default() }
    }

    fn change_key(change: &RegionPatch) -> &String {
        &change.key
    }

    fn apply_change(&mut self, change: &RegionPatch, polled_at: u64) -> Result<(), DeltaError> {
        if change.set.contains_key("") {
            return patch_entity(self, &change.set, &change.insert, &change.unset);
        }
        if !change.set.is_empty() || !change.insert.is_empty() || !change.unset.is_empty() {
            let nodes = std::mem::take(&mut self.nodes);
            let patched = patch_entity(self, &change.set, &change.insert, &change.unset);
            self.nodes = nodes;
            patched?;
        }
        apply_list(&mut self.nodes, &change.nodes, polled_at)
    }

    fn unchanged(&mut self, polled_at: u64) {
        for node in &mut self.nodes {
            node.answered(polled_at);
        }
    }
}

fn diff_list<T: Entity>(a: &[T], b: &[T]) -> ListDelta<T> {
    let (Some(a_keys), Some(b_keys)) = (T::keys(a), T::keys(b)) else {
        return if a == b { ListDelta::default() } else { ListDelta { all: Some(b.to_vec()), ..ListDelta::default() } };
    };
    let mut delta = ListDelta::default();
    let held: std::collections::HashMap<&T::Key, usize> = a_keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let in_b: HashSet<&T::Key> = b_keys.iter().collect();
    delta.removed = a_keys.iter().filter(|k| !in_b.contains(k)).cloned().collect();
    let mut default_order: Vec<&T::Key> = a_keys.iter().filter(|k| in_b.contains(k)).collect();
    for (key, next) in b_keys.iter().zip(b) {
        match held.get(key) {
            Some(&i) => {
                if let Some(change) = a[i].change(next, key) {
                    let whole = T::whole(next, key);
                    delta.changed.push(if json_len(&change) < json_len(&whole) { change } else { whole });
                }
            }
            None => {
                default_order.push(key);
                delta.added.push(next.clone());
            }
        }
    }
    if default_order.into_iter().ne(b_keys.iter()) {
        delta.order = Some(b_keys);
    }
    delta
}

fn apply_list<T: Entity>(list: &mut Vec<T>, delta: &ListDelta<T>, polled_at: u64) -> Result<(), DeltaError> {
    if let Some(all) = &delta.all {
        list.clone_from(all);
        return Ok(());
    }
    let keys = T::keys(list).ok_or_else(|| DeltaError::Unfit("two entities share a key".into()))?;
    let removed: HashSet<&T::Key> = delta.removed.iter().collect();
    let mut entries: Vec<(T::Key, T, bool)> =
        keys.into_iter().zip(std::mem::take(list)).filter(|(k, _)| !removed.contains(k)).map(|(k, e)| (k, e, false)).collect();
    for change in &delta.changed {
        let key = T::change_key(change);
        let entry = entries.iter_mut().find(|(k, _, _)| k == key).ok_or_else(|| DeltaError::Unfit(format!("{key:?} is not held")))?;
        entry.1.apply_change(change, polled_at)?;
        entry.2 = true;
    }
    for (_, entity, carried) in &mut entries {
        if !*carried {
            entity.unchanged(polled_at);
        }
    }
    for entity in &delta.added {
        let key = {
            let held: Vec<&T::Key> = entries.iter().map(|(k, _, _)| k).collect();
            entity.added_key(&held)
        };
        if entries.iter().any(|(k, _, _)| *k == key) {
            return Err(DeltaError::Unfit(format!("{key:?} is added and already held")));
        }
        entries.push((key, entity.clone(), true));
    }
    if let Some(order) = &delta.order {
        if order.len() != entries.len() {
            return Err(DeltaError::Unfit("the new order does not list every entity".into()));
        }
        let mut slots: Vec<Option<(T::Key, T, bool)>> = entries.into_iter().map(Some).collect();
        let mut ordered = Vec::with_capacity(order.len());
        for key in order {
            let slot = slots
                .iter_mut()
                .find(|s| s.as_ref().is_some_and(|(k, _, _)| k == key))
                .and_then(Option::take)
                .ok_or_else(|| DeltaError::Unfit(format!("{key:?} is not held")))?;
            ordered.push(slot);
        }
        entries = ordered;
    }
    *list = entries.into_iter().map(|(_, e, _)| e).collect();
    Ok(())
}

/// The changes from `from` to `to` (see the module for what is left out).
pub fn diff(from: &Snapshot, to: &Snapshot) -> EstateDelta {
    let (rest_from, rest_to) = (rest(from), rest(to));
    let Ops { set, insert, unset } = Ops::between(&rest_from, &rest_to);
    EstateDelta {
        from_version: from.version,
        version: to.version,
        polled_at: to.polled_at,
        poll_duration_ms: to.poll_duration_ms,
        set,
        insert,
        unset,
        regions: diff_list(&from.regions, &to.regions),
        qmgrs: diff_list(&from.qmgrs, &to.qmgrs),
        routes: diff_list(&from.routes, &to.routes),
        mqipt: diff_list(&from.mqipt, &to.mqipt),
        findings: diff_list(&from.findings, &to.findings),
    }
}

/// The top-level values a delta names by pointer: all but the lists and the named scalars.
const NAMED: &[&str] = &["version", "polled_at", "poll_duration_ms", "regions", "qmgrs", "routes", "mqipt", "findings"];

fn rest(snapshot: &Snapshot) -> Value {
    let mut value = to_value(snapshot);
    if let Some(map) = value.as_object_mut() {
        for key in NAMED {
            map.remove(*key);
        }
    }
    value
}

/// Applies `delta` to `snapshot`, which must be the delta's `from_version`. On an error the
/// snapshot may be part changed: fetch the whole again.
pub fn apply(snapshot: &mut Snapshot, delta: &EstateDelta) -> Result<(), DeltaError> {
    if snapshot.version != delta.from_version {
        return Err(DeltaError::Gap { held: snapshot.version, from: delta.from_version });
    }
    if !delta.set.is_empty() || !delta.insert.is_empty() || !delta.unset.is_empty() {
        let lists = (
            std::mem::take(&mut snapshot.regions),
            std::mem::take(&mut snapshot.qmgrs),
            std::mem::take(&mut snapshot.routes),
            std::mem::take(&mut snapshot.mqipt),
            std::mem::take(&mut snapshot.findings),
        );
        let patched = patch_entity(snapshot, &delta.set, &delta.insert, &delta.unset);
        (snapshot.regions, snapshot.qmgrs, snapshot.routes, snapshot.mqipt, snapshot.findings) = lists;
        patched?;
    }
    let at = delta.polled_at;
    apply_list(&mut snapshot.regions, &delta.regions, at)?;
    apply_list(&mut snapshot.qmgrs, &delta.qmgrs, at)?;
    apply_list(&mut snapshot.routes, &delta.routes, at)?;
    apply_list(&mut snapshot.mqipt, &delta.mqipt, at)?;
    apply_list(&mut snapshot.findings, &delta.findings, at)?;
    snapshot.version = delta.version;
    snapshot.polled_at = delta.polled_at;
    snapshot.poll_duration_ms = delta.poll_duration_ms;
    Ok(())
}

/// `snapshot` as a viewer that follows deltas holds it, whatever it started from: every
/// reachable node's and MQIPT instance's `last_ok_at` is `polled_at`, and Pacemaker's
/// summary times are left out. Two snapshots that settle equal show the same estate.
pub fn settle(snapshot: &Snapshot) -> Snapshot {
    let mut settled = snapshot.clone();
    let at = settled.polled_at;
    for node in settled.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()) {
        node.answered(at);
        if let Some(summary) = node.layers.as_mut().and_then(|l| l.pacemaker.as_mut()).map(|p| &mut p.summary) {
            for key in CRM_SUMMARY_TIMES {
                summary.remove(*key);
            }
        }
    }
    for instance in &mut settled.mqipt {
        instance.answered(at);
    }
    settled
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::estate::{Evidence, Severity};
    use proptest::prelude::*;

    fn reference() -> Snapshot {
        let mut snapshot: Snapshot = serde_json::from_str(include_str!("../tests/fixtures/reference-snapshot.json")).unwrap();
        snapshot.version = 41;
        snapshot
    }

    /// Another refresh in which nothing changed: the hosts answered a little later.
    fn tick(s: &mut Snapshot, ms: u64) {
        s.polled_at += ms.max(1);
        s.poll_duration_ms = 9 + ms % 40;
        let at = s.polled_at;
        for node in s.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()) {
            if node.reachable {
                node.last_ok_at = Some(at - 3);
                if let Some(summary) = node.layers.as_mut().and_then(|l| l.pacemaker.as_mut()).map(|p| &mut p.summary) {
                    summary.insert("last_update".into(), format!("t{at}"));
                    summary.insert("last_change".into(), format!("t{at}"));
                }
            }
        }
        for instance in s.mqipt.iter_mut().filter(|m| m.reachable) {
            instance.last_ok_at = Some(at - 5);
        }
    }

    fn nodes_mut(s: &mut Snapshot) -> Vec<&mut NodeView> {
        s.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()).collect()
    }

    fn node_down(s: &mut Snapshot, name: &str) {
        for node in nodes_mut(s).into_iter().filter(|n| n.name == name) {
            node.reachable = false;
            node.stale = node.last_ok_at.is_some();
            node.error = Some(format!("ssh: connect to host {name} port 22: Connection refused"));
        }
        for qm_node in s.qmgrs.iter_mut().flat_map(|q| q.sides.iter_mut()).flat_map(|side| side.nodes.iter_mut()).filter(|n| n.node == name) {
            qm_node.stale = true;
        }
        s.findings.insert(
            0,
            Finding {
                severity: Severity::Critical,
                code: "node_unreachable".into(),
                message: format!("{name} is unreachable (last answered 0 s ago; its data below is stale)"),
                subject: name.into(),
                evidence: vec![Evidence { host: name.into(), command: "ssh".into(), lines: vec!["Connection refused".into()] }],
            },
        );
    }

    /// One queue manager's change: DR replication behind on DRHAQM1's primary in WDC.
    fn dr_behind(s: &mut Snapshot, kb: u64) {
        let mut value = serde_json::to_value(&*s).unwrap();
        let qm = value["qmgrs"].as_array_mut().unwrap().iter_mut().find(|q| q["name"] == "DRHAQM1").unwrap();
        let side = &mut qm["sides"][0];
        side["dr_status"] = "Synchronization in progress".into();
        side["dr_out_of_sync_kb"] = kb.into();
        let node = &mut side["nodes"][0];
        node["dr_status"] = "Synchronization in progress".into();
        let fields = node["fields"].as_array_mut().unwrap();
        fields.retain(|f| f[0] != "DR out of sync data");
        let at = fields.iter().position(|f| f[0] == "DR status").unwrap();
        fields[at][1] = "Synchronization in progress".into();
        // rdqmstatus prints it after the DR status.
        fields.insert(at + 1, serde_json::json!(["DR out of sync data", format!("{kb} KB")]));
        *s = serde_json::from_value(value).unwrap();
        s.findings.retain(|f| f.code != "dr_not_normal");
        s.findings.push(Finding {
            severity: Severity::Warning,
            code: "dr_not_normal".into(),
            message: format!("DRHAQM1: DR status in WDC is Synchronization in progress, {kb} KB not yet replicated"),
            subject: "DRHAQM1".into(),
            evidence: vec![Evidence {
                host: "wdc1-mq1".into(),
                command: "rdqmstatus -m DRHAQM1".into(),
                lines: vec!["DR status:                              Synchronization in progress".into(), format!("DR out of sync data:                    {kb} KB")],
            }],
        });
    }

    /// What a delta's JSON on the wire costs, as a server-sent event.
    fn event_bytes(delta: &EstateDelta) -> usize {
        format!("event: {}\ndata: {}\n\n", delta.event_name(), serde_json::to_string(delta).unwrap()).len()
    }

    fn next(a: &Snapshot, change: impl FnOnce(&mut Snapshot)) -> Snapshot {
        let mut b = a.clone();
        b.version = a.version + 1;
        tick(&mut b, 2000);
        change(&mut b);
        b
    }

    /// Applies `delta` to a copy of `held`.
    fn applied(held: &Snapshot, delta: &EstateDelta) -> Snapshot {
        let mut out = held.clone();
        apply(&mut out, delta).unwrap();
        out
    }

    #[test]
    fn a_refresh_that_changed_nothing_is_a_small_heartbeat() {
        let a = reference();
        let b = next(&a, |_| {});
        let delta = diff(&a, &b);
        assert!(delta.is_heartbeat(), "{delta:?}");
        assert_eq!(delta.event_name(), EVENT_HEARTBEAT);
        assert!(event_bytes(&delta) < 200, "{}", event_bytes(&delta));
        let held = applied(&a, &delta);
        assert_eq!(held.version, b.version);
        assert_eq!(held.polled_at, b.polled_at);
        // Every host answered in that refresh: its polled_at stands for their answers.
        assert_eq!(settle(&held), settle(&b));
        assert!(held.regions.iter().flat_map(|r| &r.nodes).all(|n| n.last_ok_at == Some(b.polled_at)));
    }

    #[test]
    fn one_queue_managers_change_costs_under_two_kilobytes() {
        let a = reference();
        let b = next(&a, |s| dr_behind(s, 2048));
        let delta = diff(&a, &b);
        assert_eq!(delta.event_name(), EVENT_DELTA);
        assert!(event_bytes(&delta) < 2048, "{}: {}", event_bytes(&delta), serde_json::to_string(&delta).unwrap());
        assert_eq!(settle(&applied(&a, &delta)), settle(&b));
        // The data grows: the next refresh carries only the numbers.
        let c = next(&b, |s| dr_behind(s, 4096));
        let delta = diff(&b, &c);
        assert!(event_bytes(&delta) < 1024, "{}: {}", event_bytes(&delta), serde_json::to_string(&delta).unwrap());
    }

    #[test]
    fn a_typical_delta() {
        let a = reference();
        let b = next(&a, |s| {
            node_down(s, "dal2-mq1");
            dr_behind(s, 2048);
        });
        let delta = diff(&a, &b);
        insta::assert_json_snapshot!(delta);
        assert_eq!(settle(&applied(&a, &delta)), settle(&b));
    }

    #[test]
    fn a_delta_for_another_version_is_refused() {
        let a = reference();
        let b = next(&a, |s| dr_behind(s, 1));
        let c = next(&b, |s| dr_behind(s, 2));
        let mut held = a.clone();
        assert_eq!(apply(&mut held, &diff(&b, &c)), Err(DeltaError::Gap { held: 41, from: 42 }));
    }

    #[test]
    fn a_node_that_stops_answering_keeps_the_time_it_last_answered() {
        let a = reference();
        let b = next(&a, |_| {});
        let before = b.regions[0].nodes[1].last_ok_at;
        let c = next(&b, |s| {
            node_down(s, "wdc2-mq1");
            s.regions[0].nodes[1].last_ok_at = before;
        });
        // The viewer derived wdc2-mq1's answer time from b's heartbeat; c carries the exact one.
        let held = applied(&applied(&a, &diff(&a, &b)), &diff(&b, &c));
        let node = |s: &Snapshot| s.regions.iter().flat_map(|r| &r.nodes).find(|n| n.name == "wdc2-mq1").unwrap().clone();
        assert_eq!(node(&settle(&held)), node(&settle(&c)));
        assert_eq!(node(&held).last_ok_at, Some(b.polled_at - 3));
    }

    /// Changes a refresh can bring, as the property test draws them.
    #[derive(Debug, Clone)]
    enum Mutation {
        Tick(u16),
        NodeDown(u8),
        NodeUp(u8),
        QmField(u8, u8, u8, u8),
        RunningOn(u8),
        OutOfSync(u8, u32),
        RemoveQm(u8),
        CopyQm(u8, u8, u8),
        ReverseQms,
        RemoveRoute(u8),
        CopyRoute(u8, u8),
        RouteProperty(u8, u8),
        AddFinding(u8, u8, u8),
        RemoveFinding(u8),
        FindingMessage(u8, u8),
        ReverseFindings,
        LayersGone(u8),
        CrmSummary(u8, u8),
        GroupOnline(u8),
        RegionBalancer(u8, u8),
        RemoveNode(u8),
        CopyNode(u8, u8),
        CopyRegion(u8),
        ReverseRegions,
        PollInterval(u16),
        MqiptDown,
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        use Mutation::*;
        let n = || any::<u8>();
        prop_oneof![
            any::<u16>().prop_map(Tick),
            n().prop_map(NodeDown),
            n().prop_map(NodeUp),
            (n(), n(), n(), n()).prop_map(|(a, b, c, d)| QmField(a, b, c, d)),
            n().prop_map(RunningOn),
            (n(), any::<u32>()).prop_map(|(a, b)| OutOfSync(a, b)),
            n().prop_map(RemoveQm),
            (n(), n(), n()).prop_map(|(a, b, c)| CopyQm(a, b, c)),
            Just(ReverseQms),
            n().prop_map(RemoveRoute),
            (n(), n()).prop_map(|(a, b)| CopyRoute(a, b)),
            (n(), n()).prop_map(|(a, b)| RouteProperty(a, b)),
            (n(), n(), n()).prop_map(|(a, b, c)| AddFinding(a, b, c)),
            n().prop_map(RemoveFinding),
            (n(), n()).prop_map(|(a, b)| FindingMessage(a, b)),
            Just(ReverseFindings),
            n().prop_map(LayersGone),
            (n(), n()).prop_map(|(a, b)| CrmSummary(a, b)),
            n().prop_map(GroupOnline),
            (n(), n()).prop_map(|(a, b)| RegionBalancer(a, b)),
            n().prop_map(RemoveNode),
            (n(), n()).prop_map(|(a, b)| CopyNode(a, b)),
            n().prop_map(CopyRegion),
            Just(ReverseRegions),
            any::<u16>().prop_map(PollInterval),
            Just(MqiptDown),
        ]
    }

    fn pick(len: usize, i: u8) -> Option<usize> {
        (len > 0).then(|| i as usize % len)
    }

    fn mutate(s: &mut Snapshot, m: &Mutation) {
        use Mutation::*;
        match *m {
            Tick(ms) => tick(s, u64::from(ms)),
            NodeDown(i) => {
                let names: Vec<String> = s.regions.iter().flat_map(|r| &r.nodes).map(|n| n.name.clone()).collect();
                if let Some(i) = pick(names.len(), i) {
                    node_down(s, &names[i]);
                }
            }
            NodeUp(i) => {
                let at = s.polled_at;
                let mut nodes = nodes_mut(s);
                if let Some(i) = pick(nodes.len(), i) {
                    let node = &mut nodes[i];
                    node.reachable = true;
                    node.stale = false;
                    node.error = None;
                    node.last_ok_at = Some(at - 1);
                }
            }
            QmField(q, side, node, v) => {
                if let Some(q) = pick(s.qmgrs.len(), q) {
                    let sides = &mut s.qmgrs[q].sides;
                    if let Some(side) = pick(sides.len(), side) {
                        let nodes = &mut sides[side].nodes;
                        if let Some(node) = pick(nodes.len(), node) {
                            let fields = &mut nodes[node].fields;
                            match pick(fields.len(), v) {
                                Some(f) if v % 3 == 0 => {
                                    fields.remove(f);
                                }
                                Some(f) if v % 3 == 1 => fields[f].1 = format!("{v}%"),
                                Some(f) => fields.insert(f, ("HA synchronization progress".into(), format!("{v}%"))),
                                None => fields.push(("CPU".into(), format!("{v}%"))),
                            }
                        }
                    }
                }
            }
            RunningOn(q) => {
                if let Some(q) = pick(s.qmgrs.len(), q) {
                    let qm = &mut s.qmgrs[q];
                    qm.running_on = if qm.running_on.is_some() { None } else { Some("dal3-mq1".into()) };
                }
            }
            OutOfSync(q, kb) => {
                if let Some(side) = pick(s.qmgrs.len(), q).and_then(|q| s.qmgrs[q].sides.first_mut()) {
                    side.dr_out_of_sync_kb = Some(u64::from(kb));
                }
            }
            RemoveQm(q) => {
                if let Some(q) = pick(s.qmgrs.len(), q) {
                    s.qmgrs.remove(q);
                }
            }
            CopyQm(q, name, at) => {
                if let Some(q) = pick(s.qmgrs.len(), q) {
                    let mut copy = s.qmgrs[q].clone();
                    copy.name = format!("QM{}", name % 4);
                    if s.qmgrs.iter().all(|other| other.name != copy.name) {
                        s.qmgrs.insert(at as usize % (s.qmgrs.len() + 1), copy);
                    }
                }
            }
            ReverseQms => s.qmgrs.reverse(),
            RemoveRoute(i) => {
                if let Some(i) = pick(s.routes.len(), i) {
                    s.routes.remove(i);
                }
            }
            CopyRoute(i, at) => {
                // The same instance and port again (a file that repeats one).
                if let Some(i) = pick(s.routes.len(), i) {
                    let mut copy = s.routes[i].clone();
                    copy.active = !copy.active;
                    s.routes.insert(at as usize % (s.routes.len() + 1), copy);
                }
            }
            RouteProperty(i, v) => {
                if let Some(i) = pick(s.routes.len(), i) {
                    s.routes[i].properties.insert(format!("Key/{}~", v % 3), format!("{v}"));
                }
            }
            AddFinding(code, subject, at) => {
                let finding = Finding {
                    severity: [Severity::Critical, Severity::Warning, Severity::Info][code as usize % 3],
                    code: format!("code_{}", code % 3),
                    message: format!("message {code} {subject}"),
                    subject: format!("subject/{}", subject % 2),
                    evidence: vec![Evidence { host: "wdc1-mq1".into(), command: "true".into(), lines: vec![format!("{at}")] }],
                };
                s.findings.insert(at as usize % (s.findings.len() + 1), finding);
            }
            RemoveFinding(i) => {
                if let Some(i) = pick(s.findings.len(), i) {
                    s.findings.remove(i);
                }
            }
            FindingMessage(i, v) => {
                if let Some(i) = pick(s.findings.len(), i) {
                    s.findings[i].message = format!("changed {v}");
                    s.findings[i].evidence[0].lines.insert(0, format!("line {v}"));
                }
            }
            ReverseFindings => s.findings.reverse(),
            LayersGone(i) => {
                let mut nodes = nodes_mut(s);
                if let Some(i) = pick(nodes.len(), i) {
                    nodes[i].layers = None;
                }
            }
            CrmSummary(i, v) => {
                let mut nodes = nodes_mut(s);
                if let Some(crm) = pick(nodes.len(), i).and_then(|i| nodes[i].layers.as_mut()).and_then(|l| l.pacemaker.as_mut()) {
                    crm.summary.insert("dc".into(), format!("node{v}"));
                    if v % 2 == 0 {
                        crm.resources.pop();
                    }
                }
            }
            GroupOnline(i) => {
                let mut nodes = nodes_mut(s);
                if let Some(i) = pick(nodes.len(), i) {
                    let online = &mut nodes[i].group_online;
                    let first = online.keys().next().cloned();
                    if let Some(first) = first {
                        online.insert(first, None);
                    }
                }
            }
            RegionBalancer(r, v) => {
                if let Some(r) = pick(s.regions.len(), r) {
                    s.regions[r].load_balancer = format!("lb{v}.example");
                }
            }
            RemoveNode(i) => {
                if let Some(r) = pick(s.regions.len(), i) {
                    let nodes = &mut s.regions[r].nodes;
                    if let Some(n) = pick(nodes.len(), i / 2) {
                        nodes.remove(n);
                    }
                }
            }
            CopyNode(i, name) => {
                if let Some(r) = pick(s.regions.len(), i) {
                    let nodes = &mut s.regions[r].nodes;
                    if let Some(n) = pick(nodes.len(), i / 2) {
                        let mut copy = nodes[n].clone();
                        copy.name = format!("extra{}-mq1", name % 3);
                        if nodes.iter().all(|other| other.name != copy.name) {
                            nodes.insert(0, copy);
                        }
                    }
                }
            }
            CopyRegion(r) => {
                if let Some(r) = pick(s.regions.len(), r) {
                    let mut copy = s.regions[r].clone();
                    copy.name = format!("R{}", r % 2);
                    if s.regions.iter().all(|other| other.name != copy.name) {
                        s.regions.push(copy);
                    }
                }
            }
            ReverseRegions => s.regions.reverse(),
            PollInterval(ms) => s.poll_interval_ms = u64::from(ms),
            MqiptDown => {
                for instance in &mut s.mqipt {
                    instance.reachable = false;
                    instance.stale = true;
                    instance.error = Some("ssh: Connection refused".into());
                }
            }
        }
    }

    fn mutated(from: &Snapshot, version: u64, mutations: &[Mutation]) -> Snapshot {
        let mut s = from.clone();
        s.version = version;
        tick(&mut s, 1000);
        for m in mutations {
            mutate(&mut s, m);
        }
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A delta turns the snapshot it was made from into the next one: exactly when both
        /// are as a viewer of deltas holds them (settled), and up to the values a delta leaves
        /// out otherwise, over a chain of refreshes, from a delta that went over the wire.
        #[test]
        fn applying_the_diff_gives_the_next_snapshot(
            first in prop::collection::vec(mutation(), 0..6),
            second in prop::collection::vec(mutation(), 0..6),
            third in prop::collection::vec(mutation(), 0..6),
            independent in any::<bool>(),
        ) {
            let reference = reference();
            let a = mutated(&reference, 7, &first);
            let b = mutated(if independent { &reference } else { &a }, 8, &second);
            let c = mutated(&b, 9, &third);

            let (sa, sb) = (settle(&a), settle(&b));
            prop_assert_eq!(applied(&sa, &diff(&sa, &sb)), sb.clone());

            let wire = |d: EstateDelta| -> EstateDelta {
                let text = serde_json::to_string(&d).unwrap();
                let back: EstateDelta = serde_json::from_str(&text).unwrap();
                assert_eq!(back, d);
                back
            };
            let ab = wire(diff(&a, &b));
            let bc = wire(diff(&b, &c));
            // A viewer that started from the whole `a`, and one that started settled.
            for start in [a.clone(), sa.clone()] {
                let at_b = applied(&start, &ab);
                prop_assert_eq!(settle(&at_b), sb.clone());
                let at_c = applied(&at_b, &bc);
                prop_assert_eq!(settle(&at_c), settle(&c));
            }
            // Nothing but another refresh: a heartbeat.
            let mut later = c.clone();
            later.version = 10;
            tick(&mut later, 500);
            prop_assert!(diff(&c, &later).is_heartbeat());
        }
    }
}
