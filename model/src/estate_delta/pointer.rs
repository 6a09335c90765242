//! JSON-pointer patches of an entity's JSON form: where two values differ, and how a viewer
//! sets, inserts and removes what a [`super::Patch`] names.

use super::{DeltaError, json_len};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What a patch does, before it is keyed.
#[derive(Default)]
pub(super) struct Ops {
    pub(super) set: BTreeMap<String, Value>,
    pub(super) insert: BTreeMap<String, Value>,
    pub(super) unset: Vec<String>,
}

impl Ops {
    /// About what the operations cost in JSON.
    pub(super) fn len(&self) -> usize {
        let values = |m: &BTreeMap<String, Value>| m.iter().map(|(k, v)| k.len() + json_len(v) + 4).sum::<usize>();
        values(&self.set) + values(&self.insert) + self.unset.iter().map(|k| k.len() + 3).sum::<usize>()
    }

    pub(super) fn append(&mut self, mut other: Ops) {
        self.set.append(&mut other.set);
        self.insert.append(&mut other.insert);
        self.unset.append(&mut other.unset);
    }

    pub(super) fn between(a: &Value, b: &Value) -> Ops {
        let mut ops = Ops::default();
        diff_values(a, b, &mut String::new(), &mut ops);
        ops
    }
}

pub(super) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

pub(super) fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The pointers where `a` and `b` differ: objects member by member; arrays by their common
/// beginning and end, the elements between paired off and changed in place, the rest
/// removed or inserted (unless the whole array is shorter); anything else whole.
pub(super) fn diff_values(a: &Value, b: &Value, path: &mut String, ops: &mut Ops) {
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
pub(super) enum Token {
    Index(usize),
    Name(String),
}

pub(super) fn apply_order(pointer: &str) -> Vec<Token> {
    pointer.split('/').map(|t| t.parse().map_or_else(|_| Token::Name(t.to_string()), Token::Index)).collect()
}

pub(super) fn tokens(pointer: &str) -> Result<Vec<String>, DeltaError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let rest = pointer.strip_prefix('/').ok_or_else(|| DeltaError::Unfit(format!("{pointer:?} is not a JSON Pointer")))?;
    Ok(rest.split('/').map(unescape).collect())
}

/// The member or element `token` of `value`; a missing member is made (an empty object), so
/// that a patch of a value this build does not read (a field the browser skips) still goes in.
pub(super) fn child<'v>(value: &'v mut Value, token: &str, pointer: &str) -> Result<&'v mut Value, DeltaError> {
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

pub(super) fn set_at(root: &mut Value, pointer: &str, value: Value) -> Result<(), DeltaError> {
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

pub(super) fn unset_at(root: &mut Value, pointer: &str) -> Result<(), DeltaError> {
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

pub(super) fn insert_at(root: &mut Value, pointer: &str, value: Value) -> Result<(), DeltaError> {
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
pub(super) fn in_order(map: &BTreeMap<String, Value>) -> Vec<(&String, &Value)> {
    let mut ops: Vec<(&String, &Value)> = map.iter().collect();
    ops.sort_by_cached_key(|(p, _)| apply_order(p));
    ops
}

/// Unsets (array elements from the last down), then inserts (from the first up), then sets.
pub(super) fn patch_value(value: &mut Value, set: &BTreeMap<String, Value>, insert: &BTreeMap<String, Value>, unset: &[String]) -> Result<(), DeltaError> {
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
