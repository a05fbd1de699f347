//! Failed sign-ins, counted per account, so a password cannot be guessed at
//! the speed of the network (and argon2 is not run for a locked account).
//!
//! Pure bookkeeping with the time passed in; the server keeps one behind a
//! mutex. Keyed by the email as typed (lowercased), whether or not the
//! account exists, so the answer reveals nothing about which emails do.

use protocol::UnixMillis;
use std::collections::HashMap;

/// Failures allowed within [`WINDOW_MS`] before the account is locked.
pub const MAX_FAILURES: usize = 5;
/// How long failures count, and so the longest a lock lasts.
pub const WINDOW_MS: i64 = 5 * 60 * 1000;
/// Accounts tracked at once; beyond it the stalest are forgotten, so random
/// emails cannot grow memory without bound.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Default)]
pub struct SignInThrottle {
    failures: HashMap<String, Vec<UnixMillis>>,
}

impl SignInThrottle {
    /// `Some(ms)` to wait when the account is locked now.
    pub fn locked_for(&self, email: &str, now: UnixMillis) -> Option<i64> {
        let recent = self.failures.get(&key(email))?;
        let in_window: Vec<_> = recent.iter().filter(|&&at| now - at < WINDOW_MS).collect();
        (in_window.len() >= MAX_FAILURES).then(|| {
            in_window
                .iter()
                .map(|&&at| at + WINDOW_MS - now)
                .min()
                .unwrap_or(0)
                .max(1)
        })
    }

    pub fn failed(&mut self, email: &str, now: UnixMillis) {
        if self.failures.len() >= MAX_TRACKED {
            self.failures
                .retain(|_, times| times.iter().any(|&at| now - at < WINDOW_MS));
            if self.failures.len() >= MAX_TRACKED {
                self.failures.clear();
            }
        }
        let times = self.failures.entry(key(email)).or_default();
        times.retain(|&at| now - at < WINDOW_MS);
        times.push(now);
    }

    pub fn succeeded(&mut self, email: &str) {
        self.failures.remove(&key(email));
    }
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_the_account_until_the_oldest_ages_out() {
        let mut throttle = SignInThrottle::default();
        for i in 0..MAX_FAILURES as i64 {
            assert_eq!(throttle.locked_for("Rep@x.test", 1_000 + i), None);
            throttle.failed("rep@x.test ", 1_000 + i);
        }
        assert_eq!(
            throttle.locked_for("rep@x.test", 2_000),
            Some(1_000 + WINDOW_MS - 2_000)
        );
        assert_eq!(
            throttle.locked_for("other@x.test", 2_000),
            None,
            "other accounts are not locked"
        );
        assert_eq!(
            throttle.locked_for("rep@x.test", 1_000 + WINDOW_MS),
            None,
            "the first failure aged out"
        );
    }

    #[test]
    fn a_success_clears_the_count() {
        let mut throttle = SignInThrottle::default();
        for i in 0..4 {
            throttle.failed("rep@x.test", i);
        }
        throttle.succeeded("rep@x.test");
        throttle.failed("rep@x.test", 10);
        assert_eq!(throttle.locked_for("rep@x.test", 11), None);
    }

    #[test]
    fn memory_stays_bounded() {
        let mut throttle = SignInThrottle::default();
        for i in 0..(MAX_TRACKED + 10) {
            throttle.failed(&format!("user{i}@x.test"), 0);
        }
        assert!(throttle.failures.len() <= MAX_TRACKED);
    }
}
