//! Sign-in attempts are limited per user name and per client address.

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>;

pub struct LoginLimiter {
    by_user: Keyed,
    by_address: Keyed,
    clock: DefaultClock,
}

impl LoginLimiter {
    /// `per_minute` attempts a minute for each user name and each address, all at once at most.
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(n).allow_burst(n);
        LoginLimiter { by_user: RateLimiter::keyed(quota), by_address: RateLimiter::keyed(quota), clock: DefaultClock::default() }
    }

    /// Counts one attempt; `Err(wait)` when the user or the address has no attempts left.
    pub fn check(&self, user: &str, address: &str) -> Result<(), Duration> {
        let user_key = user.to_ascii_lowercase();
        let wait = |e: governor::NotUntil<_>| e.wait_time_from(self.clock.now());
        let by_user = self.by_user.check_key(&user_key).map_err(wait);
        let by_address = self.by_address.check_key(&address.to_string()).map_err(wait);
        match (by_user, by_address) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(a), _) | (_, Err(a)) => Err(a),
        }
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
}
