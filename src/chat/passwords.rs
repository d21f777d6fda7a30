//! Wrong passwords: one book for every secret, so guessing is equally slow
//! whichever door it goes through.
//!
//! A password can be presented many ways: `/pass` on `nc`, `PASS` from a
//! program, IRC's `PASS` in the handshake, `/op`, `LOGIN`, IRC's SASL, the
//! page. Each way ends in [`Passwords::present`] (or, for a login, whose
//! slow hash runs with the lock released, in [`Passwords::may_try`] before
//! and [`Passwords::right`] or [`Passwords::wrong`] after), so there is one
//! rate however a password arrives. The tries are counted per **secret and
//! address**: the door password and the operator password per address, an
//! account's password per account *and* address. The first [`FREE_TRIES`]
//! wrong ones cost nothing (people mistype); after that each wrong try
//! locks that pair out for a delay that doubles, from [`FIRST_LOCK`] up to
//! [`LONGEST_LOCK`]. While locked, a try is refused *without being checked*,
//! so its answer cannot tell a right password from a wrong one. The lock is
//! a time stamp, not a sleeping thread, so waiting holds no connection
//! slot. A right password clears the pair; [`FORGET_AFTER`] of quiet too.
//!
//! Why per account, and no limit over all accounts of an address: behind a
//! school's address, any limit the prankster can spend is spent for the
//! whole class (design chapter, "What separates people on one address").
//! A pair lock costs only the student he names, and a one-time code (58
//! bits) is never locked at all: no rate makes guessing it feasible.
//!
//! Wrong tries are logged at most once per pair per [`LOG_EVERY`], with a
//! count, so a guessing storm cannot fill the log either.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Wrong tries of one secret from one address that cost nothing.
pub const FREE_TRIES: u32 = 3;
/// The lock after the first try beyond the free ones; it doubles each time.
pub const FIRST_LOCK: Duration = Duration::from_secs(5);
/// The longest lock.
pub const LONGEST_LOCK: Duration = Duration::from_secs(300);
/// Quiet time after which an address's wrong tries are forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(900);
/// At most one log line per address and secret this often.
pub const LOG_EVERY: Duration = Duration::from_secs(60);
/// Pairs remembered before [`Passwords::wrong`] tidies the book, so a storm
/// of made-up account names cannot grow it without end.
const TIDY_AT: usize = 1024;

/// Which secret was tried.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Secret {
    /// The door password (`PASS`, `/pass`).
    Server,
    /// The operator password (`OPER`, `/op`).
    Operator,
    /// An account's password, by the account's key (its folded name).
    Account(String),
    /// A name that is no account: all made-up names from one address
    /// count as one secret, so inventing names buys no extra tries (each
    /// try costs a slow hash, to look like a real one).
    NoSuchAccount,
}

impl Secret {
    fn describe(&self) -> String {
        match self {
            Secret::Server => "server password".into(),
            Secret::Operator => "operator password".into(),
            Secret::Account(key) => format!("password for the account {key}"),
            Secret::NoSuchAccount => "login to a name that is no account".into(),
        }
    }

    /// An index for the totals since start.
    fn kind(&self) -> usize {
        match self {
            Secret::Server => 0,
            Secret::Operator => 1,
            Secret::Account(_) | Secret::NoSuchAccount => 2,
        }
    }
}

/// What became of a presented password: see [`Passwords::present`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Right,
    /// Wrong, with the log line to write if one is due.
    Wrong(Option<String>),
    /// Not checked: the address must wait this long.
    Locked(Duration),
}

/// Wrong tries of one secret from one address.
#[derive(Debug, Clone, Copy)]
struct Tries {
    wrong: u32,
    last_wrong: Instant,
    locked_until: Instant,
    /// Wrong tries not yet in the log, and when the log last spoke.
    unlogged: u32,
    logged_at: Option<Instant>,
}

/// Every pair's wrong tries. See the module notes.
#[derive(Debug, Default)]
pub struct Passwords {
    tries: HashMap<(Secret, IpAddr), Tries>,
    /// Wrong tries of each kind of secret from every address, since start.
    total_wrong: [u64; 3],
}

impl Passwords {
    /// A password for `secret` presented from `ip`. `is_right` is asked
    /// only if the pair is not locked out, so a locked-out try is never
    /// checked.
    pub fn present(
        &mut self,
        ip: IpAddr,
        secret: &Secret,
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
    pub fn may_try(&mut self, ip: IpAddr, secret: &Secret, now: Instant) -> Result<(), Duration> {
        let key = (secret.clone(), ip.to_canonical());
        match self.tries.get(&key) {
            Some(t) if now.saturating_duration_since(t.last_wrong) >= FORGET_AFTER => {
                self.tries.remove(&key);
                Ok(())
            }
            Some(t) if t.locked_until > now => Err(t.locked_until - now),
            _ => Ok(()),
        }
    }

    /// The right password from `ip`: the pair's wrong tries are forgotten
    /// (whoever knows it has nothing to guess).
    pub fn right(&mut self, ip: IpAddr, secret: &Secret) {
        self.tries.remove(&(secret.clone(), ip.to_canonical()));
    }

    /// A wrong try from `ip`. Returns the log line to write, if one is due
    /// (the pair's first wrong try, then at most one per [`LOG_EVERY`]).
    pub fn wrong(&mut self, ip: IpAddr, secret: &Secret, now: Instant) -> Option<String> {
        // `::ffff:10.0.0.5` through an IPv6 socket is `10.0.0.5`.
        let ip = ip.to_canonical();
        if self.tries.len() >= TIDY_AT {
            self.tidy(now);
        }
        self.total_wrong[secret.kind()] += 1;
        let total = self.total_wrong[secret.kind()];
        let t = self.tries.entry((secret.clone(), ip)).or_insert(Tries {
            wrong: 0,
            last_wrong: now,
            locked_until: now,
            unlogged: 0,
            logged_at: None,
        });
        t.wrong += 1;
        t.last_wrong = now;
        t.unlogged += 1;
        if t.wrong > FREE_TRIES {
            t.locked_until = now + lock_after(t.wrong);
        }
        let due = t
            .logged_at
            .is_none_or(|at| now.saturating_duration_since(at) >= LOG_EVERY);
        if !due {
            return None;
        }
        let line = format!(
            "Wrong {} from {ip}: {} tries since the last such line, {} in a row \
             ({total} wrong from all addresses since start)",
            secret.describe(),
            t.unlogged,
            t.wrong
        );
        t.unlogged = 0;
        t.logged_at = Some(now);
        Some(line)
    }

    /// Forgets pairs quiet for [`FORGET_AFTER`].
    pub fn tidy(&mut self, now: Instant) {
        self.tries
            .retain(|_, t| now.saturating_duration_since(t.last_wrong) < FORGET_AFTER);
    }

    /// How many pairs are remembered (for tests).
    #[cfg(test)]
    pub fn remembered(&self) -> usize {
        self.tries.len()
    }
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

    fn alice() -> Secret {
        Secret::Account("alice".into())
    }

    /// Tries one guess every 100 ms for `seconds`, as fast as allowed;
    /// returns how many were checked.
    fn guesses_in(book: &mut Passwords, secret: &Secret, start: Instant, seconds: u64) -> u32 {
        let mut checked = 0;
        for s in 0..seconds * 10 {
            let now = start + Duration::from_millis(100 * s);
            if book.may_try(IP, secret, now).is_ok() {
                checked += 1;
                book.wrong(IP, secret, now);
            }
        }
        checked
    }

    #[test]
    fn guessing_gets_a_few_tries_a_minute_whatever_the_secret() {
        for secret in [Secret::Server, Secret::Operator, alice()] {
            let start = Instant::now();
            let mut book = Passwords::default();
            // 3 free, then locks of 5, 10, 20 s: 3 + 4 in the first minute.
            assert_eq!(guesses_in(&mut book, &secret, start, 60), 7);
            // Then the lock doubles up to five minutes.
            let later = start + Duration::from_secs(60);
            let next = guesses_in(&mut book, &secret, later, 600);
            assert!(
                next <= 4,
                "{next} tries of {secret:?} in the next ten minutes"
            );
        }
    }

    #[test]
    fn secrets_accounts_and_addresses_count_apart() {
        let now = Instant::now();
        let mut book = Passwords::default();
        for _ in 0..=FREE_TRIES {
            book.wrong(IP, &Secret::Operator, now);
            book.wrong(IP, &alice(), now);
        }
        assert_eq!(book.may_try(IP, &Secret::Operator, now), Err(FIRST_LOCK));
        assert_eq!(book.may_try(IP, &alice(), now), Err(FIRST_LOCK));
        assert!(book.may_try(IP, &Secret::Server, now).is_ok());
        assert!(book.may_try(OTHER, &Secret::Operator, now).is_ok());
        // bob, at the same address, is not locked by alice's guesser.
        let bob = Secret::Account("bob".into());
        assert!(book.may_try(IP, &bob, now).is_ok());
        // alice herself, at home, is not either.
        assert!(book.may_try(OTHER, &alice(), now).is_ok());
    }

    #[test]
    fn the_right_password_or_quiet_forgets() {
        let now = Instant::now();
        let mut book = Passwords::default();
        for _ in 0..10 {
            book.wrong(IP, &Secret::Server, now);
        }
        assert!(book.may_try(IP, &Secret::Server, now).is_err());
        assert!(book
            .may_try(IP, &Secret::Server, now + FORGET_AFTER)
            .is_ok());
        for _ in 0..10 {
            book.wrong(IP, &Secret::Server, now);
        }
        book.right(IP, &Secret::Server);
        assert!(book.may_try(IP, &Secret::Server, now).is_ok());
    }

    #[test]
    fn a_locked_try_is_never_checked() {
        let now = Instant::now();
        let mut book = Passwords::default();
        for _ in 0..=FREE_TRIES {
            book.wrong(IP, &Secret::Server, now);
        }
        let verdict = book.present(IP, &Secret::Server, now, || panic!("checked"));
        assert_eq!(verdict, Verdict::Locked(FIRST_LOCK));
    }

    #[test]
    fn wrong_tries_are_logged_once_a_minute_with_a_count() {
        let now = Instant::now();
        let mut book = Passwords::default();
        let first = book.wrong(IP, &Secret::Server, now);
        assert!(first.is_some_and(|l| l.contains("1 tries since")));
        for _ in 0..49 {
            assert_eq!(book.wrong(IP, &Secret::Server, now), None);
        }
        let later = book.wrong(IP, &Secret::Server, now + LOG_EVERY);
        let later = later.unwrap_or_default();
        assert!(later.contains("50 tries since"), "{later}");
        assert!(later.contains("51 wrong from all addresses"), "{later}");
        let account = book.wrong(IP, &alice(), now).unwrap_or_default();
        assert!(account.contains("account alice"), "{account}");
    }

    #[test]
    fn made_up_names_do_not_grow_the_book_for_ever() {
        let now = Instant::now();
        let mut book = Passwords::default();
        for n in 0..5_000 {
            let at = now + FORGET_AFTER * (n / 1000);
            book.wrong(IP, &Secret::Account(format!("nobody{n}")), at);
        }
        assert!(book.remembered() <= 2 * TIDY_AT, "{}", book.remembered());
    }
}
