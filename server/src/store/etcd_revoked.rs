//! Revocations as this instance last saw them, fed by a watch on `revoked/`: when the store
//! has no quorum, sessions are still checked against every revocation made before the outage
//! (the estate stays visible; nothing can be changed without the store anyway).

use super::etcd_kv::text;
use etcd_client::{Client, EventType};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub(super) struct RevokedCache {
    /// Whether the copy was ever loaded; without it nothing can be answered.
    loaded: bool,
    jtis: HashSet<String>,
    users: HashMap<String, u64>,
}

impl RevokedCache {
    pub fn answer(&self, jti: &str, user: &str, auth_time: u64) -> Option<bool> {
        self.loaded.then(|| self.jtis.contains(jti) || self.users.get(user).is_some_and(|since| *since >= auth_time))
    }

    fn apply(&mut self, rest: &str, value: Option<String>) {
        if let Some(jti) = rest.strip_prefix("jti/") {
            match value {
                Some(_) => self.jtis.insert(jti.to_string()),
                None => self.jtis.remove(jti),
            };
        } else if let Some(user) = rest.strip_prefix("user/") {
            match value.and_then(|v| v.parse().ok()) {
                Some(since) => self.users.insert(user.to_string(), since),
                None => self.users.remove(user),
            };
        }
    }
}

/// Loads `prefix` (`P/revoked/`) and follows it until the store is dropped.
pub(super) async fn follow(client: Client, prefix: String, cache: Arc<Mutex<RevokedCache>>) {
    let rest = |kv: &etcd_client::KeyValue| String::from_utf8_lossy(&kv.key()[prefix.len()..]).into_owned();
    let loaded = |all: &etcd_client::GetResponse| {
        if let Ok(mut c) = cache.lock() {
            *c = RevokedCache { loaded: true, ..RevokedCache::default() };
            for kv in all.kvs() {
                c.apply(&rest(kv), Some(text(kv)));
            }
        }
    };
    let changed = |event: &etcd_client::Event| {
        let Some(kv) = event.kv() else { return };
        let value = (event.event_type() == EventType::Put).then(|| text(kv));
        if let Ok(mut c) = cache.lock() {
            c.apply(&rest(kv), value);
        }
    };
    super::etcd_watch::follow_prefix(client, prefix.clone(), super::etcd_watch::Load::Everything, loaded, changed).await;
}
