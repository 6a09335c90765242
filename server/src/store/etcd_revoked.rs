//! Revocations as this instance last saw them, fed by a watch on `revoked/`: when the store
//! has no quorum, sessions are still checked against every revocation made before the outage
//! (the estate stays visible; nothing can be changed without the store anyway).

use super::etcd_kv::text;
use etcd_client::{Client, EventType, GetOptions, WatchOptions};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
pub(super) async fn follow(mut client: Client, prefix: String, cache: Arc<Mutex<RevokedCache>>) {
    loop {
        let Ok(all) = client.get(prefix.clone(), Some(GetOptions::new().with_prefix())).await else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        let mut next = all.header().map_or(0, |h| h.revision()) + 1;
        if let Ok(mut c) = cache.lock() {
            *c = RevokedCache { loaded: true, ..RevokedCache::default() };
            for kv in all.kvs() {
                c.apply(&String::from_utf8_lossy(&kv.key()[prefix.len()..]), Some(text(kv)));
            }
        }
        // Follow from the revision loaded; a broken stream resumes where it stopped.
        loop {
            let options = WatchOptions::new().with_prefix().with_start_revision(next);
            let Ok(mut stream) = client.watch(prefix.clone(), Some(options)).await else { break };
            let mut reload = false;
            while let Ok(Some(message)) = stream.message().await {
                if message.canceled() {
                    reload = true;
                    break;
                }
                for event in message.events() {
                    let Some(kv) = event.kv() else { continue };
                    next = next.max(kv.mod_revision() + 1);
                    let value = (event.event_type() == EventType::Put).then(|| text(kv));
                    if let Ok(mut c) = cache.lock() {
                        c.apply(&String::from_utf8_lossy(&kv.key()[prefix.len()..]), value);
                    }
                }
            }
            if reload {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
