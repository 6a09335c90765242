//! Event streams are capped per session, per user and overall, and end with the session.

use crate::error::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many event streams may be open at once.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub per_session: usize,
    pub per_user: usize,
    pub total: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits { per_session: 4, per_user: 16, total: 2000 }
    }
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_session: HashMap<String, usize>,
    per_user: HashMap<String, usize>,
}

#[derive(Default)]
pub struct StreamRegistry {
    pub limits: StreamLimits,
    counts: Arc<Mutex<Counts>>,
}

/// One open stream; dropping it (the stream ended) gives its place back.
pub struct StreamGuard {
    counts: Arc<Mutex<Counts>>,
    session: String,
    user: String,
}

fn give_back(map: &mut HashMap<String, usize>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.total = counts.total.saturating_sub(1);
            give_back(&mut counts.per_session, &self.session);
            give_back(&mut counts.per_user, &self.user);
        }
    }
}

impl StreamRegistry {
    pub fn new(limits: StreamLimits) -> Self {
        StreamRegistry { limits, counts: Arc::default() }
    }

    /// A place for one more stream of `session` (its token id) of `user`, or 429 saying which
    /// limit is reached.
    pub fn open(&self, session: &str, user: &str) -> Result<StreamGuard, ApiError> {
        let mut counts = self.counts.lock().map_err(|_| ApiError::Internal("stream registry poisoned".into()))?;
        let full = |what: &str, limit: usize| {
            Err(ApiError::TooManyRequests { retry_after_secs: 5, message: Some(format!("too many open event streams {what} (at most {limit}); close another tab first")) })
        };
        if counts.per_session.get(session).copied().unwrap_or(0) >= self.limits.per_session {
            return full("for this session", self.limits.per_session);
        }
        if counts.per_user.get(user).copied().unwrap_or(0) >= self.limits.per_user {
            return full(&format!("for {user}"), self.limits.per_user);
        }
        if counts.total >= self.limits.total {
            return full("on this console", self.limits.total);
        }
        counts.total += 1;
        *counts.per_session.entry(session.to_string()).or_default() += 1;
        *counts.per_user.entry(user.to_string()).or_default() += 1;
        Ok(StreamGuard { counts: Arc::clone(&self.counts), session: session.to_string(), user: user.to_string() })
    }

    pub fn open_count(&self) -> usize {
        self.counts.lock().map_or(0, |c| c.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_session_user_and_total_and_places_come_back() {
        let registry = StreamRegistry::new(StreamLimits { per_session: 2, per_user: 3, total: 4 });
        let a1 = registry.open("s1", "alice").unwrap();
        let _a2 = registry.open("s1", "alice").unwrap();
        assert!(registry.open("s1", "alice").is_err(), "third stream of one session");
        let _a3 = registry.open("s2", "alice").unwrap();
        assert!(registry.open("s3", "alice").is_err(), "fourth stream of one user");
        let _b1 = registry.open("s4", "bob").unwrap();
        assert!(matches!(registry.open("s5", "carol"), Err(ApiError::TooManyRequests { .. })), "the console's total");
        drop(a1);
        assert_eq!(registry.open_count(), 3);
        let _c1 = registry.open("s5", "carol").unwrap();
    }
}
