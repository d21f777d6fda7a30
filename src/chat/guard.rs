//! Per-address accounting: how fast an IP address opens connections, how
//! much history it may store, and whether it is banned.
//!
//! Limits per *connection* do not stop an attacker, who simply opens another
//! connection; limits per *address* do, because a second address costs real
//! effort. So this module keeps one small record per address, held in the
//! [`State`](crate::chat::state::State) next to the connections (the only
//! place that sees every connection come and go). The first thing in it is
//! a token bucket of new connections (`connect_rate_per_ip` a minute,
//! `connect_burst_per_ip` at once): a class arriving together fits in the
//! burst, a script opening a thousand connections does not. A connection
//! that closes at once holding nothing gives its token back
//! ([`Guard::refund`]). Wrong passwords are counted apart, per secret and
//! address ([`crate::chat::passwords`]).
//!
//! The third thing kept per address is its **share of the history**: the
//! bytes of messages it may have stored in an hour ([`history_share`]: a
//! week's worth of `history_keep_mb` spread over the week's hours, at least
//! [`MIN_HISTORY_SHARE`]). The history never deletes a file younger than a
//! week for size, so spam cannot erase the record; this share is what stops
//! one address from filling the disk instead. Past it, messages are refused
//! with a wait, like flood control.
//!
//! Bans (`KICK bob 10m reason`) are kept here too: an address and the time
//! it may come back. Behind a school NAT one address is the whole class, so
//! a ban is for the person who is not in the room anyway (a stranger, a bot).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The least history share an address gets, whatever `history_keep_mb`:
/// a class of 30 behind one address writes a few MB a *day*.
pub const MIN_HISTORY_SHARE: u64 = 1024 * 1024;

/// Bytes of history one address may store in an hour, for a history kept
/// within `keep_mb` MB (0: no size limit, and no share either). Spread over
/// a week of hours, the age below which nothing is deleted for size, so
/// that one address alone cannot push the history over its limit in that
/// week.
pub fn history_share(keep_mb: u64) -> u64 {
    match keep_mb {
        0 => 0,
        mb => (mb * 1024 * 1024 / (7 * 24)).max(MIN_HISTORY_SHARE),
    }
}

/// A nameless connection that closes this soon, without trying a
/// password, has its connection token given back ([`Guard::refund`]).
pub const QUICK_CLOSE: Duration = Duration::from_secs(2);

/// The longest ban `KICK` can give: a day. A server runs for a lesson or a
/// term; anything longer is for the firewall.
pub const LONGEST_BAN: Duration = Duration::from_secs(86_400);

/// `KICK bob 10m spamming`: a first word of digits and one of `s`, `m`,
/// `h`, `d` is a ban for that long (at most [`LONGEST_BAN`]); the rest is
/// the reason. Any other first word is part of the reason.
pub fn split_ban(reason: &str) -> (Option<Duration>, &str) {
    let (word, rest) = reason.split_once(' ').unwrap_or((reason, ""));
    let Some(unit) = word.chars().last() else {
        return (None, reason);
    };
    let digits = &word[..word.len() - unit.len_utf8()];
    let seconds_per = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return (None, reason),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return (None, reason);
    }
    let Ok(count) = digits.parse::<u64>() else {
        return (Some(LONGEST_BAN), rest.trim_start()); // too many digits
    };
    let ban = Duration::from_secs(count.saturating_mul(seconds_per)).min(LONGEST_BAN);
    (Some(ban), rest.trim_start())
}

/// One address's record.
#[derive(Debug, Clone)]
struct Address {
    /// Connection tokens left, and when they were last refilled.
    tokens: f64,
    refilled_at: Instant,
    /// History bytes it may still store, and when that was last refilled.
    history_bytes: f64,
    history_at: Instant,
}

/// Why a new connection is not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectRefusal {
    /// More than `connect_rate_per_ip` a minute (after the burst).
    TooFast,
}

/// Every address's record. See the module notes.
#[derive(Debug)]
pub struct Guard {
    /// New connections per minute per address; 0 = no limit.
    rate_per_min: u32,
    burst: u32,
    addresses: HashMap<IpAddr, Address>,
    /// Banned addresses and when each ban ends.
    bans: HashMap<IpAddr, Instant>,
    /// Connections seen, to tidy the map every [`TIDY_EVERY`] of them.
    connects: u64,
    /// Bytes of history an address may store in an hour; 0: no limit.
    history_share: u64,
}

/// How many connections pass between two [`Guard::tidy`]s: the map would
/// otherwise grow with every address ever seen.
const TIDY_EVERY: u64 = 256;

impl Guard {
    pub fn new(rate_per_min: u32, burst: u32) -> Guard {
        Guard {
            rate_per_min,
            burst,
            addresses: HashMap::new(),
            bans: HashMap::new(),
            connects: 0,
            history_share: 0,
        }
    }

    /// Limits the history each address may store (see [`history_share`]).
    pub fn with_history_share(mut self, bytes_per_hour: u64) -> Guard {
        self.history_share = bytes_per_hour;
        self
    }

    fn record(&mut self, ip: IpAddr, now: Instant) -> &mut Address {
        let burst = f64::from(self.burst);
        let share = self.history_share as f64;
        self.addresses.entry(ip).or_insert(Address {
            tokens: burst,
            refilled_at: now,
            history_bytes: share,
            history_at: now,
        })
    }

    /// The history share, in whole MB an hour (for the refusal).
    pub fn history_share_mb(&self) -> u64 {
        self.history_share.div_ceil(1024 * 1024)
    }

    /// `ip` wants to store `bytes` of history: `Err` is how long until its
    /// share has room for them.
    pub fn store(&mut self, ip: IpAddr, bytes: usize, now: Instant) -> Result<(), Duration> {
        if self.history_share == 0 {
            return Ok(());
        }
        let share = self.history_share as f64;
        let per_sec = share / 3600.0;
        let address = self.record(ip, now);
        let elapsed = now.saturating_duration_since(address.history_at);
        address.history_bytes =
            (address.history_bytes + elapsed.as_secs_f64() * per_sec).min(share);
        address.history_at = now;
        let bytes = bytes as f64;
        if address.history_bytes >= bytes {
            address.history_bytes -= bytes;
            Ok(())
        } else {
            let missing = (bytes - address.history_bytes).min(share);
            Err(Duration::from_secs_f64(missing / per_sec))
        }
    }

    /// A new connection from `ip`: takes one of its tokens, or says no.
    pub fn connect(&mut self, ip: IpAddr, now: Instant) -> Result<(), ConnectRefusal> {
        self.connects += 1;
        if self.connects.is_multiple_of(TIDY_EVERY) {
            self.tidy(now);
        }
        if self.rate_per_min == 0 || self.burst == 0 {
            return Ok(());
        }
        let per_sec = f64::from(self.rate_per_min) / 60.0;
        let burst = f64::from(self.burst);
        let address = self.record(ip, now);
        let elapsed = now.saturating_duration_since(address.refilled_at);
        address.tokens = (address.tokens + elapsed.as_secs_f64() * per_sec).min(burst);
        address.refilled_at = now;
        if address.tokens >= 1.0 {
            address.tokens -= 1.0;
            Ok(())
        } else {
            Err(ConnectRefusal::TooFast)
        }
    }

    /// Gives back the token of a connection from `ip` that held nothing:
    /// it closed at once, nameless and without trying a password (see
    /// [`QUICK_CLOSE`]). Connecting and closing in a loop then costs the
    /// address nothing, so a prankster behind a school's address cannot
    /// spend the class's burst that way; holding connections still costs.
    pub fn refund(&mut self, ip: IpAddr) {
        if let Some(address) = self.addresses.get_mut(&ip) {
            address.tokens = (address.tokens + 1.0).min(f64::from(self.burst));
        }
    }

    /// Bans `ip` until `until`. An IPv4 address seen through an IPv6
    /// socket (`::ffff:10.0.0.5`) is the same address as `10.0.0.5`.
    pub fn ban(&mut self, ip: IpAddr, until: Instant) {
        self.bans.insert(ip.to_canonical(), until);
    }

    /// How long `ip` is still banned for, if it is.
    pub fn banned(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let until = *self.bans.get(&ip.to_canonical())?;
        (until > now).then(|| until - now)
    }

    /// Forgets addresses with nothing worth keeping: a full bucket and a
    /// full history share. Called now and then so the map stays
    /// the size of the recent visitors, not of everyone ever.
    pub fn tidy(&mut self, now: Instant) {
        self.bans.retain(|_, until| *until > now);
        let per_sec = f64::from(self.rate_per_min) / 60.0;
        let burst = f64::from(self.burst);
        self.addresses.retain(|_, address| {
            let refilled = address.tokens
                + now
                    .saturating_duration_since(address.refilled_at)
                    .as_secs_f64()
                    * per_sec;
            let share = self.history_share as f64;
            let history = address.history_bytes
                + now
                    .saturating_duration_since(address.history_at)
                    .as_secs_f64()
                    * share
                    / 3600.0;
            (per_sec > 0.0 && refilled < burst) || history < share
        });
    }

    /// How many addresses are remembered (for tests).
    #[cfg(test)]
    pub fn remembered(&self) -> usize {
        self.addresses.len()
    }
}

/// A wait in whole seconds, rounded up, as a person is told it.
pub fn seconds_to_wait(wait: Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 8));

    #[test]
    fn a_class_fits_in_the_burst_and_a_script_does_not() {
        let now = Instant::now();
        let mut guard = Guard::new(60, 120);
        assert!((0..120).all(|_| guard.connect(IP, now).is_ok()));
        assert_eq!(guard.connect(IP, now), Err(ConnectRefusal::TooFast));
        // Another address has its own bucket.
        assert!(guard.connect(OTHER, now).is_ok());
        // 60 a minute: one more after a second, not two.
        let later = now + Duration::from_secs(1);
        assert!(guard.connect(IP, later).is_ok());
        assert!(guard.connect(IP, later).is_err());
    }

    #[test]
    fn zero_turns_the_connect_limit_off() {
        let now = Instant::now();
        for mut guard in [Guard::new(0, 5), Guard::new(5, 0)] {
            assert!((0..10_000).all(|_| guard.connect(IP, now).is_ok()));
        }
    }

    #[test]
    fn a_kick_reason_may_start_with_a_ban() {
        let minutes = |m: u64| Some(Duration::from_secs(60 * m));
        assert_eq!(split_ban("10m spamming"), (minutes(10), "spamming"));
        assert_eq!(split_ban("2h"), (minutes(120), ""));
        assert_eq!(
            split_ban("30s  flood"),
            (Some(Duration::from_secs(30)), "flood")
        );
        assert_eq!(split_ban("9d"), (Some(LONGEST_BAN), ""));
        assert_eq!(split_ban("99999999999999999999d"), (Some(LONGEST_BAN), ""));
        for reason in [
            "spamming",
            "m",
            "10 minutes",
            "10x",
            "1.5h",
            "ten m",
            "",
            "é",
        ] {
            assert_eq!(split_ban(reason), (None, reason));
        }
    }

    #[test]
    fn a_ban_ends() {
        let now = Instant::now();
        let mut guard = Guard::new(0, 0);
        guard.ban(IP, now + Duration::from_secs(60));
        assert_eq!(guard.banned(IP, now), Some(Duration::from_secs(60)));
        assert_eq!(guard.banned(OTHER, now), None);
        assert_eq!(guard.banned(IP, now + Duration::from_secs(60)), None);
    }

    #[test]
    fn tidy_forgets_quiet_addresses() {
        let now = Instant::now();
        let mut guard = Guard::new(60, 10);
        guard.connect(IP, now).ok();
        guard.connect(OTHER, now).ok();
        guard.tidy(now);
        assert_eq!(guard.remembered(), 2);
        guard.tidy(now + Duration::from_secs(60));
        assert_eq!(guard.remembered(), 0);
    }

    #[test]
    fn an_address_stores_its_share_of_history_an_hour_and_no_more() {
        let now = Instant::now();
        let share = history_share(8);
        assert_eq!(share, MIN_HISTORY_SHARE);
        assert_eq!(history_share(2000), 2000 * 1024 * 1024 / 168);
        let mut guard = Guard::new(0, 0).with_history_share(share);
        let line = 1000;
        let lines = (0..10_000)
            .take_while(|_| guard.store(IP, line, now).is_ok())
            .count();
        assert_eq!(lines as u64, share / line as u64);
        let wait = guard.store(IP, line, now).unwrap_err();
        assert!(wait <= Duration::from_secs(4), "{wait:?}");
        assert!(guard.store(OTHER, line, now).is_ok());
        // An hour refills it.
        assert!(guard
            .store(IP, line, now + Duration::from_secs(3600))
            .is_ok());
        assert!(Guard::new(0, 0).store(IP, usize::MAX, now).is_ok());
    }
}
