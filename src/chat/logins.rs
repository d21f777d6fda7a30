//! Failed logins: how many an account and an address may have, so that
//! guessing a student's password stays slow.
//!
//! Two token buckets, both charged by a *failed* login only (a right
//! password costs nothing):
//!
//! - one per account *and* address: [`PAIR_BURST`] failures at once, then
//!   [`PER_MINUTE`] a minute (Ergo's numbers are of this size). Keyed by the
//!   pair, not by the account alone, so a guessing storm from one address
//!   does not lock the real student out from another: alice at home still
//!   gets in while someone hammers `alice` from elsewhere.
//! - one per address, over all accounts: [`ADDRESS_BURST`], then
//!   [`PER_MINUTE`] a minute, so one address cannot try a few passwords on
//!   every account of the class. Behind a school's NAT the class shares it;
//!   the burst is sized for a class's typos, and a right password is never
//!   refused for the address' failures of other accounts' pairs once the
//!   address bucket has a token again.
//!
//! A refused try is answered at once with how long to wait, without being
//! checked (the slow hash is not even run): the lockout is a time stamp,
//! so nothing sleeps and no connection slot is held. Failures are logged at
//! most once a minute per address, with a count.
//!
//! Issue 22 builds one guard for every password; `may_try`/`failed`/
//! `succeeded` are the three calls to swap when it lands.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failed logins one account may have from one address at once.
pub const PAIR_BURST: f64 = 5.0;
/// Failed logins one address may have over all accounts at once.
pub const ADDRESS_BURST: f64 = 10.0;
/// Tries that come back each minute, in both buckets.
pub const PER_MINUTE: f64 = 3.0;
/// At most one log line per address this often.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Bucket {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    /// Tokens now, refilled since the last look.
    fn refill(&mut self, burst: f64, now: Instant) {
        let minutes = now.saturating_duration_since(self.at).as_secs_f64() / 60.0;
        self.tokens = (self.tokens + minutes * PER_MINUTE).min(burst);
        self.at = now;
    }

    /// How long until one whole token.
    fn wait(&self) -> Duration {
        let missing = (1.0 - self.tokens).max(0.0);
        Duration::from_secs_f64(missing / PER_MINUTE * 60.0)
    }
}

/// The buckets, held in the state.
#[derive(Debug, Default)]
pub struct LoginLimits {
    pairs: HashMap<(String, IpAddr), Bucket>,
    addresses: HashMap<IpAddr, Bucket>,
    /// Per address: when it was last logged, and failures since.
    logged: HashMap<IpAddr, (Instant, u32)>,
}

impl LoginLimits {
    /// May `ip` try to log in to `account_key` now? `Err`: how long to wait.
    pub fn may_try(&mut self, account_key: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut wait = Duration::ZERO;
        if let Some(bucket) = self.pairs.get_mut(&(account_key.to_string(), ip)) {
            bucket.refill(PAIR_BURST, now);
            wait = wait.max(bucket.wait());
        }
        if let Some(bucket) = self.addresses.get_mut(&ip) {
            bucket.refill(ADDRESS_BURST, now);
            wait = wait.max(bucket.wait());
        }
        match wait.is_zero() {
            true => Ok(()),
            false => Err(wait),
        }
    }

    /// A wrong password: takes a token from both buckets. Returns a line to
    /// log, at most once per [`LOG_EVERY`] per address.
    pub fn failed(&mut self, account_key: &str, ip: IpAddr, now: Instant) -> Option<String> {
        let pair = self
            .pairs
            .entry((account_key.to_string(), ip))
            .or_insert(Bucket::full(PAIR_BURST, now));
        pair.refill(PAIR_BURST, now);
        pair.tokens -= 1.0;
        let address = self
            .addresses
            .entry(ip)
            .or_insert(Bucket::full(ADDRESS_BURST, now));
        address.refill(ADDRESS_BURST, now);
        address.tokens -= 1.0;
        self.tidy(now);
        let (last, count) = self.logged.entry(ip).or_insert((now - LOG_EVERY, 0));
        *count += 1;
        if now.saturating_duration_since(*last) < LOG_EVERY {
            return None;
        }
        let line = format!(
            "Failed logins from {ip}: {count} in the last minute, the latest for the account {account_key}"
        );
        *last = now;
        *count = 0;
        Some(line)
    }

    /// A right password: this pair's failures are forgotten.
    pub fn succeeded(&mut self, account_key: &str, ip: IpAddr) {
        self.pairs.remove(&(account_key.to_string(), ip));
    }

    /// Forgets buckets that have filled up again, so a storm of made-up
    /// account names cannot grow the maps without end.
    fn tidy(&mut self, now: Instant) {
        if self.pairs.len() + self.addresses.len() < 1024 {
            return;
        }
        self.pairs.retain(|_, b| {
            b.refill(PAIR_BURST, now);
            b.tokens < PAIR_BURST
        });
        self.addresses.retain(|_, b| {
            b.refill(ADDRESS_BURST, now);
            b.tokens < ADDRESS_BURST
        });
        self.logged
            .retain(|_, (at, _)| now.saturating_duration_since(*at) < LOG_EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn a_burst_then_three_a_minute() {
        let mut limits = LoginLimits::default();
        let start = Instant::now();
        for _ in 0..5 {
            assert!(limits.may_try("alice", ip(1), start).is_ok());
            limits.failed("alice", ip(1), start);
        }
        let wait = limits.may_try("alice", ip(1), start).unwrap_err();
        assert_eq!(wait.as_secs(), 20);
        // 20 s later one more try, then wait again.
        let later = start + Duration::from_secs(20);
        assert!(limits.may_try("alice", ip(1), later).is_ok());
        limits.failed("alice", ip(1), later);
        assert!(limits.may_try("alice", ip(1), later).is_err());
        // Over ten minutes from the start: the burst plus about 3 a minute.
        let mut tries = 6;
        for second in 21..600 {
            let now = start + Duration::from_secs(second);
            if limits.may_try("alice", ip(1), now).is_ok() {
                limits.failed("alice", ip(1), now);
                tries += 1;
            }
        }
        assert!((32..=35).contains(&tries), "{tries}");
    }

    #[test]
    fn the_student_gets_in_from_another_address_during_a_storm() {
        let mut limits = LoginLimits::default();
        let now = Instant::now();
        for _ in 0..50 {
            if limits.may_try("alice", ip(66), now).is_ok() {
                limits.failed("alice", ip(66), now);
            }
        }
        assert!(limits.may_try("alice", ip(66), now).is_err());
        assert!(limits.may_try("alice", ip(7), now).is_ok());
    }

    #[test]
    fn one_address_cannot_try_every_account() {
        let mut limits = LoginLimits::default();
        let now = Instant::now();
        for n in 0..10 {
            let account = format!("student{n}");
            assert!(limits.may_try(&account, ip(1), now).is_ok());
            limits.failed(&account, ip(1), now);
        }
        assert!(limits.may_try("student99", ip(1), now).is_err());
    }

    #[test]
    fn logged_at_most_once_a_minute_per_address() {
        let mut limits = LoginLimits::default();
        let now = Instant::now();
        let first = limits.failed("alice", ip(1), now).unwrap();
        assert!(first.contains("10.0.0.1"), "{first}");
        assert!(limits.failed("bob", ip(1), now).is_none());
        assert!(limits.failed("carol", ip(2), now).is_some());
        let later = now + LOG_EVERY;
        let line = limits.failed("alice", ip(1), later).unwrap();
        assert!(line.contains("2 in the last minute"), "{line}");
    }

    #[test]
    fn a_right_password_forgets_the_pair() {
        let mut limits = LoginLimits::default();
        let now = Instant::now();
        for _ in 0..5 {
            limits.failed("alice", ip(1), now);
        }
        assert!(limits.may_try("alice", ip(1), now).is_err());
        limits.succeeded("alice", ip(1));
        assert!(limits.may_try("alice", ip(1), now).is_ok());
    }
}
