//! Sign-in attempts are limited per user name and per client address; refusals for too many
//! attempts are tallied, so a flood of them is a few audit records, not a write each.

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use unicode_normalization::UnicodeNormalization as _;

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

/// The name as the directory compares it (LDAP's string preparation folds width and case:
/// `ＭＱＡＤＭＩＮ`, `MQADMIN` and `mqadmin` are one user), so that no spelling gets attempts of
/// its own.
pub fn user_key(user: &str) -> String {
    user.trim().nfkc().collect::<String>().to_lowercase()
}

pub struct LoginLimiter {
    by_user: Keyed,
    by_address: Keyed,
    clock: DefaultClock,
    checks: AtomicU64,
    /// Rate-limited refusals not yet in the audit log, per (user key, address).
    refused: Mutex<BTreeMap<(String, String), u64>>,
}

impl LoginLimiter {
    /// `per_minute` attempts a minute for each user name and each address, all at once at most.
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(n).allow_burst(n);
        LoginLimiter {
            by_user: RateLimiter::keyed(quota),
            by_address: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
            refused: Mutex::new(BTreeMap::new()),
        }
    }

    /// Counts one attempt; `Err(wait)` when the user or the address has no attempts left.
    pub fn check(&self, user: &str, address: &str) -> Result<(), Duration> {
        // Keys whose attempts have all been given back are dropped now and then, so the maps
        // do not grow with every name ever tried.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 256 == 255 {
            self.prune();
        }
        let wait = |e: governor::NotUntil<_>| e.wait_time_from(self.clock.now());
        let by_user = self.by_user.check_key(&user_key(user)).map_err(wait);
        let by_address = self.by_address.check_key(&address.to_string()).map_err(wait);
        match (by_user, by_address) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(a), _) | (_, Err(a)) => Err(a),
        }
    }

    pub fn prune(&self) {
        for map in [&self.by_user, &self.by_address] {
            map.retain_recent();
            map.shrink_to_fit();
        }
    }

    /// How many keys the limiter holds (users + addresses).
    pub fn len(&self) -> usize {
        self.by_user.len() + self.by_address.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Notes a refusal for too many attempts; `true` for the first of its kind since the last
    /// [`drain_refusals`](Self::drain_refusals) (that one is audited at once).
    pub fn note_refusal(&self, user: &str, address: &str) -> bool {
        let Ok(mut refused) = self.refused.lock() else { return true };
        let count = refused.entry((user_key(user), address.to_string())).or_insert(0);
        *count += 1;
        *count == 1
    }

    /// The refusals noted since the last call beyond the first of each kind: (user, address, count).
    pub fn drain_refusals(&self) -> Vec<(String, String, u64)> {
        let Ok(mut refused) = self.refused.lock() else { return Vec::new() };
        std::mem::take(&mut *refused).into_iter().filter(|(_, n)| *n > 1).map(|((u, a), n)| (u, a, n - 1)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_rapid_attempt_is_refused() {
        let limiter = LoginLimiter::new(10);
        for _ in 0..10 {
            limiter.check("mqadmin", "127.0.0.1").unwrap();
        }
        let wait = limiter.check("MQADMIN", "10.0.0.9").unwrap_err();
        assert!(wait > Duration::ZERO);
        let wait = limiter.check("someone-else", "127.0.0.1").unwrap_err();
        assert!(wait > Duration::ZERO);
        limiter.check("someone-else", "10.0.0.9").unwrap();
    }

    #[test]
    fn every_spelling_of_a_name_shares_its_attempts() {
        let limiter = LoginLimiter::new(3);
        for (i, spelling) in ["mqadmin", "MQADMIN", "ｍｑａｄｍｉｎ"].iter().enumerate() {
            limiter.check(spelling, &format!("10.0.0.{i}")).unwrap();
        }
        assert!(limiter.check("ＭＱＡＤＭＩＮ", "10.0.0.9").is_err(), "full-width upper case is the same user");
        assert_eq!(user_key(" ＭＱadmin "), "mqadmin");
    }

    #[test]
    fn refusals_are_tallied_and_keys_pruned() {
        let limiter = LoginLimiter::new(1);
        assert!(limiter.note_refusal("mqadmin", "a"));
        assert!(!limiter.note_refusal("MQADMIN", "a"));
        assert!(!limiter.note_refusal("mqadmin", "a"));
        assert!(limiter.note_refusal("x", "b"));
        assert_eq!(limiter.drain_refusals(), vec![("mqadmin".to_string(), "a".to_string(), 2)]);
        assert!(limiter.drain_refusals().is_empty());
        assert!(limiter.note_refusal("mqadmin", "a"), "a new window starts");
        for i in 0..100 {
            let _ = limiter.check(&format!("user{i}"), "c");
        }
        // Used within the minute, so every key is still needed.
        limiter.prune();
        assert_eq!(limiter.len(), 101);
    }
}
