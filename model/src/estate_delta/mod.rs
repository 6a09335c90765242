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
use serde_json::Value;
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
    pub code: crate::finding_code::FindingCode,
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

mod pointer;
use pointer::*;

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
    // Keyed by its `name`.
    ($t:ty, by name, $quiet:expr, $always:expr) => {
        plain_entity!($t, String, |l: &[$t]| unique(l.iter().map(|e| e.name.clone()).collect()), |e: &$t, _: &[&String]| e.name.clone(), $quiet, $always);
    };
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

plain_entity!(NodeView, by name, quiet_host, &["/last_ok_at"]);
plain_entity!(MqiptView, by name, quiet_host, &["/last_ok_at"]);
plain_entity!(QmgrView, by name, quiet_nothing, &[]);
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
    |l: &[Finding]| Some(counted(l.iter().map(|f| (f.code, f.subject.clone())), |(code, subject), nth| FindingKey { code, subject, nth })),
    |f: &Finding, held: &[&FindingKey]| FindingKey {
        code: f.code,
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
mod tests;
