//! Failed sign-ins, counted so a password cannot be guessed at the speed of
//! the network, and so a stranger cannot lock a rep out.
//!
//! Two counts, both over a sliding [`WINDOW_MS`]:
//! - per account *and* source ([`MAX_FAILURES`]): five wrong passwords from
//!   one place lock that account from that place only, so an attacker
//!   elsewhere cannot keep the rep out of their own account;
//! - per source across all accounts ([`MAX_FAILURES_PER_SOURCE`]): one place
//!   cannot spray guesses over many accounts.
//!
//! A source is an IPv4 address or an IPv6 /64 (one household or server
//! usually holds a whole /64). Keys use the email as typed (lowercased),
//! whether or not the account exists, so answers reveal nothing about which
//! emails do. Both tables are bounded; to make room only entries that lock
//! nothing are forgotten, never a lock.
//!
//! Pure bookkeeping with the time passed in; the server keeps one behind a
//! mutex, and several instances keep theirs in step over the bus
//! (`cluster::sign_ins`).

use protocol::UnixMillis;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Failures allowed per account and source within [`WINDOW_MS`].
pub const MAX_FAILURES: usize = 5;
/// Failures allowed per source, over every account, within [`WINDOW_MS`].
pub const MAX_FAILURES_PER_SOURCE: usize = 50;
/// How long failures count, and so the longest a lock lasts.
pub const WINDOW_MS: i64 = 5 * 60 * 1000;
/// Entries each table holds at most (about 300 bytes each).
pub const DEFAULT_CAPACITY: usize = 50_000;

/// Where sign-in attempts come from, coarse enough that rotating through the
/// addresses of one IPv6 network does not make a new source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    /// The address that stands for the source (an IPv6 /64's first address);
    /// `Source::from` it gives the same source back.
    pub fn ip(self) -> IpAddr {
        self.0
    }
}

impl From<IpAddr> for Source {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Self(IpAddr::V6(prefix.into()))
                }
            },
            v4 => Self(v4),
        }
    }
}

/// Why an attempt is refused, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled {
    /// This account, from this source.
    Account { retry_after_ms: i64 },
    /// Everything from this source.
    Source { retry_after_ms: i64 },
}

impl Throttled {
    pub fn retry_after_ms(self) -> i64 {
        match self {
            Self::Account { retry_after_ms } | Self::Source { retry_after_ms } => retry_after_ms,
        }
    }
}

#[derive(Debug)]
pub struct SignInThrottle {
    accounts: Table<(String, Source)>,
    sources: Table<Source>,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl SignInThrottle {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            accounts: Table::new(capacity, MAX_FAILURES),
            sources: Table::new(capacity, MAX_FAILURES_PER_SOURCE),
        }
    }

    /// Whether an attempt for `email` from `source` may go ahead now.
    pub fn check(&self, email: &str, source: Source, now: UnixMillis) -> Result<(), Throttled> {
        if let Some(retry_after_ms) = self.sources.locked_for(&source, now) {
            return Err(Throttled::Source { retry_after_ms });
        }
        if let Some(retry_after_ms) = self.accounts.locked_for(&(key(email), source), now) {
            return Err(Throttled::Account { retry_after_ms });
        }
        Ok(())
    }

    pub fn failed(&mut self, email: &str, source: Source, now: UnixMillis) {
        self.sources.record(source, now);
        self.accounts.record((key(email), source), now);
    }

    /// A right password from `source` forgets that pair's failures (the
    /// source's own count stays: it is about the source, not the account).
    pub fn succeeded(&mut self, email: &str, source: Source) {
        self.accounts.forget(&(key(email), source));
    }

    /// How many failures count against `email` from `source` now: what the
    /// two-instance tests watch to see an outcome arrive from another instance.
    pub fn recent_failures(&self, email: &str, source: Source, now: UnixMillis) -> usize {
        self.accounts
            .entries
            .get(&(key(email), source))
            .map_or(0, |times| {
                times.iter().filter(|&&at| now - at < WINDOW_MS).count()
            })
    }

    #[cfg(test)]
    fn tracked(&self) -> (usize, usize) {
        (self.accounts.entries.len(), self.sources.entries.len())
    }
}

/// Recent failure times per key, at most `limit` kept per key.
#[derive(Debug)]
struct Table<K> {
    entries: HashMap<K, VecDeque<UnixMillis>>,
    capacity: usize,
    limit: usize,
}

impl<K: std::hash::Hash + Eq> Table<K> {
    fn new(capacity: usize, limit: usize) -> Self {
        Self {
            entries: HashMap::new(),
            capacity,
            limit,
        }
    }

    /// `Some(ms)` until the key's oldest counted failure ages out, when the key
    /// has reached its limit.
    fn locked_for(&self, key: &K, now: UnixMillis) -> Option<i64> {
        let times = self.entries.get(key)?;
        locked_for(times, self.limit, now)
    }

    fn record(&mut self, key: K, now: UnixMillis) {
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            self.make_room(now);
            if self.entries.len() >= self.capacity {
                // Every entry is a live lock. Dropping one would unlock an
                // account, so this failure goes uncounted here (the other
                // table, and the hashing limit, still bound the guessing).
                tracing::warn!(
                    capacity = self.capacity,
                    "sign-in throttle full of locks; a failure went uncounted"
                );
                return;
            }
        }
        let times = self.entries.entry(key).or_default();
        times.retain(|&at| now - at < WINDOW_MS);
        if times.len() >= self.limit {
            times.pop_front();
        }
        times.push_back(now);
    }

    fn forget(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Forgets every entry that locks nothing now.
    fn make_room(&mut self, now: UnixMillis) {
        let limit = self.limit;
        self.entries
            .retain(|_, times| locked_for(times, limit, now).is_some());
    }
}

fn locked_for(times: &VecDeque<UnixMillis>, limit: usize, now: UnixMillis) -> Option<i64> {
    let mut recent = times.iter().filter(|&&at| now - at < WINDOW_MS);
    let count = recent.clone().count();
    (count >= limit).then(|| {
        let oldest = recent.next().copied().unwrap_or(now);
        (oldest + WINDOW_MS - now).max(1)
    })
}

fn key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(ip: &str) -> Source {
        Source::from(ip.parse::<IpAddr>().expect("an address"))
    }

    #[test]
    fn five_failures_lock_the_account_from_that_source_until_the_oldest_ages_out() {
        let mut throttle = SignInThrottle::default();
        let here = source("192.0.2.1");
        for i in 0..MAX_FAILURES as i64 {
            assert_eq!(throttle.check("Rep@x.test", here, 1_000 + i), Ok(()));
            throttle.failed("rep@x.test ", here, 1_000 + i);
        }
        assert_eq!(
            throttle.check("rep@x.test", here, 2_000),
            Err(Throttled::Account {
                retry_after_ms: 1_000 + WINDOW_MS - 2_000
            })
        );
        assert_eq!(
            throttle.check("other@x.test", here, 2_000),
            Ok(()),
            "other accounts are not locked"
        );
        assert_eq!(
            throttle.check("rep@x.test", here, 1_000 + WINDOW_MS),
            Ok(()),
            "the first failure aged out"
        );
    }

    #[test]
    fn a_stranger_cannot_lock_the_rep_out_from_elsewhere() {
        let mut throttle = SignInThrottle::default();
        let stranger = source("203.0.113.9");
        for i in 0..20 {
            throttle.failed("rep@x.test", stranger, i);
        }
        assert!(throttle.check("rep@x.test", stranger, 30).is_err());
        assert_eq!(
            throttle.check("rep@x.test", source("192.0.2.1"), 30),
            Ok(())
        );
    }

    #[test]
    fn one_source_cannot_spray_guesses_over_many_accounts() {
        let mut throttle = SignInThrottle::default();
        let sprayer = source("203.0.113.9");
        for i in 0..MAX_FAILURES_PER_SOURCE {
            let email = format!("user{i}@x.test");
            assert_eq!(throttle.check(&email, sprayer, i as i64), Ok(()));
            throttle.failed(&email, sprayer, i as i64);
        }
        assert!(matches!(
            throttle.check("fresh@x.test", sprayer, 100),
            Err(Throttled::Source { .. })
        ));
        assert_eq!(
            throttle.check("fresh@x.test", source("192.0.2.1"), 100),
            Ok(())
        );
    }

    #[test]
    fn an_ipv6_network_is_one_source() {
        assert_eq!(source("2001:db8:1:2::1"), source("2001:db8:1:2:ffff::9"));
        assert_ne!(source("2001:db8:1:2::1"), source("2001:db8:1:3::1"));
        assert_eq!(source("::ffff:192.0.2.1"), source("192.0.2.1"));
    }

    #[test]
    fn a_success_clears_the_pair() {
        let mut throttle = SignInThrottle::default();
        let here = source("192.0.2.1");
        for i in 0..4 {
            throttle.failed("rep@x.test", here, i);
        }
        throttle.succeeded("rep@x.test", here);
        throttle.failed("rep@x.test", here, 10);
        assert_eq!(throttle.check("rep@x.test", here, 11), Ok(()));
    }

    #[test]
    fn filling_the_table_never_unlocks_an_account() {
        let capacity = 100;
        let mut throttle = SignInThrottle::with_capacity(capacity);
        let here = source("192.0.2.1");
        for i in 0..MAX_FAILURES as i64 {
            throttle.failed("rep@x.test", here, i);
        }
        // Far more one-off failures, from many sources, than the table holds.
        for i in 0..(capacity * 100) {
            let from = Source::from(IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]));
            throttle.failed(&format!("user{i}@x.test"), from, 10);
        }
        assert!(
            throttle.check("rep@x.test", here, 20).is_err(),
            "still locked"
        );
        let (accounts, sources) = throttle.tracked();
        assert!(accounts <= capacity && sources <= capacity, "bounded");
    }

    #[test]
    fn a_table_full_of_locks_keeps_every_lock() {
        let capacity = 10;
        let mut throttle = SignInThrottle::with_capacity(capacity);
        let from = |account: usize| Source::from(IpAddr::from([192, 0, 2, account as u8]));
        for account in 0..capacity {
            for i in 0..MAX_FAILURES as i64 {
                throttle.failed(&format!("rep{account}@x.test"), from(account), i);
            }
        }
        throttle.failed("newcomer@x.test", from(200), 10);
        for account in 0..capacity {
            assert!(
                throttle
                    .check(&format!("rep{account}@x.test"), from(account), 20)
                    .is_err()
            );
        }
    }
}
