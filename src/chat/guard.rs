//! Per-address accounting: how fast an IP address opens connections, and
//! how many wrong passwords it has tried.
//!
//! Limits per *connection* do not stop an attacker, who simply opens another
//! connection; limits per *address* do, because a second address costs real
//! effort. So this module keeps one small record per address, held in the
//! [`State`](crate::chat::state::State) next to the connections (the only
//! place that sees every connection come and go), with two things in it:
//!
//! - a token bucket of new connections (`connect_rate_per_ip` a minute,
//!   `connect_burst_per_ip` at once): a class arriving together fits in the
//!   burst, a script opening a thousand connections does not;
//! - for each of the two passwords (`PASS` and `OPER`), the wrong tries. The
//!   first [`FREE_TRIES`] cost nothing (people mistype); after that each
//!   wrong try locks the address out of that password for a delay that
//!   doubles, from [`FIRST_LOCK`] up to [`LONGEST_LOCK`]. While locked, a try
//!   is refused *without being checked*, so guessing from one address gets a
//!   handful of tries in the first minute and about one every few minutes
//!   after. The delay is a time stamp, not a sleeping thread: nothing waits,
//!   so nothing holds a connection slot. A right password clears the count
//!   (whoever knows it has nothing to guess), and [`FORGET_AFTER`] of quiet
//!   clears it too, so a class behind one school address that mistypes now
//!   and then is never locked out for long.
//!
//! Wrong tries are logged at most once per address per [`LOG_EVERY`], with a
//! count, so a guessing storm cannot fill the log either.
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

/// Wrong tries of one password from one address that cost nothing.
pub const FREE_TRIES: u32 = 3;
/// The lock after the first try beyond the free ones; it doubles each time.
pub const FIRST_LOCK: Duration = Duration::from_secs(5);
/// The longest lock.
pub const LONGEST_LOCK: Duration = Duration::from_secs(300);
/// Quiet time after which an address's wrong tries are forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(900);
/// At most one log line per address and password this often.
pub const LOG_EVERY: Duration = Duration::from_secs(60);
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

/// Which password was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    /// The door password (`PASS`).
    Server,
    /// The operator password (`OPER`).
    Operator,
}

impl Secret {
    fn index(self) -> usize {
        match self {
            Secret::Server => 0,
            Secret::Operator => 1,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Secret::Server => "server",
            Secret::Operator => "operator",
        }
    }
}

/// What became of a presented password: see [`Guard::present`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Right,
    /// Wrong, with the log line to write if one is due.
    Wrong(Option<String>),
    /// Not checked: the address must wait this long.
    Locked(Duration),
}

/// Wrong tries of one password from one address.
#[derive(Debug, Clone, Copy)]
struct Guesses {
    wrong: u32,
    last_wrong: Instant,
    locked_until: Instant,
    /// Wrong tries not yet in the log, and when the log last spoke.
    unlogged: u32,
    logged_at: Option<Instant>,
}

/// One address's record.
#[derive(Debug, Clone)]
struct Address {
    /// Connection tokens left, and when they were last refilled.
    tokens: f64,
    refilled_at: Instant,
    guesses: [Option<Guesses>; 2],
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
    /// Wrong tries of each password from every address, since the start.
    total_wrong: [u64; 2],
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
            total_wrong: [0, 0],
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
            guesses: [None, None],
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

    /// A password presented from `ip`, in any way (`/pass` on `nc`, `PASS`
    /// from a program, IRC's `PASS` in the handshake, `/op`, and, when
    /// accounts come, a login): the one place every try is counted, so
    /// there is one rate however the password arrives. `is_right` is asked
    /// only if the address is not locked out, so a locked-out try is never
    /// checked and its answer cannot tell a right password from a wrong one.
    pub fn present(
        &mut self,
        ip: IpAddr,
        secret: Secret,
        now: Instant,
        is_right: impl FnOnce() -> bool,
    ) -> Verdict {
        if let Err(wait) = self.may_try(ip, secret, now) {
            return Verdict::Locked(wait);
        }
        if is_right() {
            self.right(ip, secret);
            Verdict::Right
        } else {
            Verdict::Wrong(self.wrong(ip, secret, now))
        }
    }

    /// May `ip` try `secret` now? `Err` is how long it must wait.
    fn may_try(&mut self, ip: IpAddr, secret: Secret, now: Instant) -> Result<(), Duration> {
        let Some(address) = self.addresses.get_mut(&ip) else {
            return Ok(());
        };
        let slot = &mut address.guesses[secret.index()];
        match slot {
            Some(g) if now.saturating_duration_since(g.last_wrong) >= FORGET_AFTER => {
                *slot = None;
                Ok(())
            }
            Some(g) if g.locked_until > now => Err(g.locked_until - now),
            _ => Ok(()),
        }
    }

    /// The right password from `ip`: its wrong tries are forgotten.
    fn right(&mut self, ip: IpAddr, secret: Secret) {
        if let Some(address) = self.addresses.get_mut(&ip) {
            address.guesses[secret.index()] = None;
        }
    }

    /// A wrong try from `ip`. Returns the log line to write, if one is due
    /// (the first wrong try, then at most one per [`LOG_EVERY`]).
    fn wrong(&mut self, ip: IpAddr, secret: Secret, now: Instant) -> Option<String> {
        self.total_wrong[secret.index()] += 1;
        let total = self.total_wrong[secret.index()];
        let address = self.record(ip, now);
        let g = address.guesses[secret.index()].get_or_insert(Guesses {
            wrong: 0,
            last_wrong: now,
            locked_until: now,
            unlogged: 0,
            logged_at: None,
        });
        g.wrong += 1;
        g.last_wrong = now;
        g.unlogged += 1;
        if g.wrong > FREE_TRIES {
            g.locked_until = now + lock_after(g.wrong);
        }
        let due = g
            .logged_at
            .is_none_or(|at| now.saturating_duration_since(at) >= LOG_EVERY);
        if !due {
            return None;
        }
        let line = format!(
            "Wrong {} password from {ip}: {} tries since the last such line, {} in a row \
             ({total} wrong from all addresses since start)",
            secret.describe(),
            g.unlogged,
            g.wrong
        );
        g.unlogged = 0;
        g.logged_at = Some(now);
        Some(line)
    }

    /// Forgets addresses with nothing worth keeping: a full bucket and no
    /// wrong tries left to remember. Called now and then so the map stays
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
            let remembers = address
                .guesses
                .iter()
                .flatten()
                .any(|g| now.saturating_duration_since(g.last_wrong) < FORGET_AFTER);
            let share = self.history_share as f64;
            let history = address.history_bytes
                + now
                    .saturating_duration_since(address.history_at)
                    .as_secs_f64()
                    * share
                    / 3600.0;
            remembers || (per_sec > 0.0 && refilled < burst) || history < share
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

/// The lock after the `wrong`-th wrong try (`wrong > FREE_TRIES`).
fn lock_after(wrong: u32) -> Duration {
    let doublings = (wrong - FREE_TRIES - 1).min(16);
    (FIRST_LOCK * 2u32.pow(doublings)).min(LONGEST_LOCK)
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

    /// Tries one guess a second for a minute, as fast as allowed; returns
    /// how many were checked.
    fn guesses_in(guard: &mut Guard, start: Instant, seconds: u64) -> u32 {
        let mut checked = 0;
        for s in 0..seconds * 10 {
            let now = start + Duration::from_millis(100 * s);
            if guard.may_try(IP, Secret::Operator, now).is_ok() {
                checked += 1;
                guard.wrong(IP, Secret::Operator, now);
            }
        }
        checked
    }

    #[test]
    fn guessing_gets_a_few_tries_a_minute() {
        let start = Instant::now();
        let mut guard = Guard::new(0, 0);
        // 3 free, then locks of 5, 10, 20 s: 3 + 4 in the first minute.
        assert_eq!(guesses_in(&mut guard, start, 60), 7);
        // Then the lock doubles up to five minutes.
        let next = guesses_in(&mut guard, start + Duration::from_secs(60), 600);
        assert!(next <= 4, "{next} tries in the next ten minutes");
    }

    #[test]
    fn the_two_passwords_and_two_addresses_count_apart() {
        let now = Instant::now();
        let mut guard = Guard::new(0, 0);
        for _ in 0..=FREE_TRIES {
            guard.wrong(IP, Secret::Operator, now);
        }
        assert_eq!(guard.may_try(IP, Secret::Operator, now), Err(FIRST_LOCK));
        assert!(guard.may_try(IP, Secret::Server, now).is_ok());
        assert!(guard.may_try(OTHER, Secret::Operator, now).is_ok());
    }

    #[test]
    fn the_right_password_or_quiet_forgets() {
        let now = Instant::now();
        let mut guard = Guard::new(0, 0);
        for _ in 0..10 {
            guard.wrong(IP, Secret::Server, now);
        }
        assert!(guard.may_try(IP, Secret::Server, now).is_err());
        assert!(guard
            .may_try(IP, Secret::Server, now + FORGET_AFTER)
            .is_ok());
        for _ in 0..10 {
            guard.wrong(IP, Secret::Server, now);
        }
        guard.right(IP, Secret::Server);
        assert!(guard.may_try(IP, Secret::Server, now).is_ok());
    }

    #[test]
    fn wrong_tries_are_logged_once_a_minute_with_a_count() {
        let now = Instant::now();
        let mut guard = Guard::new(0, 0);
        let first = guard.wrong(IP, Secret::Server, now);
        assert!(first.is_some_and(|l| l.contains("1 tries since")));
        for _ in 0..49 {
            assert_eq!(guard.wrong(IP, Secret::Server, now), None);
        }
        let later = guard.wrong(IP, Secret::Server, now + LOG_EVERY);
        let later = later.unwrap_or_default();
        assert!(later.contains("50 tries since"), "{later}");
        assert!(later.contains("51 wrong from all addresses"), "{later}");
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
        guard.wrong(OTHER, Secret::Server, now);
        guard.tidy(now);
        assert_eq!(guard.remembered(), 2);
        guard.tidy(now + FORGET_AFTER);
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
