//! Accounts in the chat: logging in, names that belong to their accounts,
//! choosing a password, and what the moderation of an account remembers.
//!
//! **The slow hash runs outside the lock.** Checking a password costs tens
//! of milliseconds on purpose (see [`crate::accounts::password`]); under
//! the state's lock that would stall the whole class for each login. So a
//! `LOGIN` is two steps: [`State::login`] checks the limits and looks the
//! account up under the lock, and leaves a [`SlowWork`] that
//! [`State::apply`] hands to the reader; the reader runs it with the lock
//! released and brings the answer back to [`State::slow_done`]. `PASSWORD`
//! does the same with the hashing of the new password.
//!
//! **A one-time code is for choosing a password**: logged in with one, a
//! student is told to choose their own, and nothing they say goes out
//! (and no page session is given) until they have (see `State::act`).
//! The code stays good until then, so a dropped connection does not lock
//! them out.
//!
//! **Names belong to accounts.** A name that is an account's, or looks like
//! one (`aIice`), can only be used by whoever logged in to that account;
//! with `guests = false` nobody may join without logging in.
//!
//! **Moderation follows the account.** A mute of a logged-in person mutes
//! the account (not the address: two students behind one school NAT stay
//! separate), works when they are offline, and `UNMUTE alice` too. A kick
//! keeps the account out for the ban's length, or [`KICK_HOLD`] without
//! one, whatever its client does (an IRC client that rejoins on its own
//! included). Guests are held by their address, as before.
//!
//! **Sessions** keep the browser page logged in across a reload
//! ([`crate::accounts::session`]): `SESSION` gives one, `SESSION <token>`
//! uses it, `LOGOUT` ends it.
//!
//! The accounts file is read again whenever it changed on disk, so
//! `step4_server accounts add|reset|remove` apply to a running server. A
//! new password is written to it under the lock, like a history record:
//! rare, and small.

use super::{ConnId, Flow, State};
use crate::accounts::password::{Stored, MIN_ITERATIONS};
use crate::accounts::session::{Sessions, LIFETIME};
use crate::accounts::{file::Secret, Account, Accounts, Role};
use crate::chat::guard::seconds_to_wait;
use crate::chat::passwords::Secret as Tried;
use crate::history::RecordKind;
use crate::log;
use crate::text::names;
use crate::wire::command::Dialect;
use crate::wire::event::{AccountRefusal, Event, Refusal};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How long a `KICK` without a ban keeps an account out: long enough that
/// an IRC client's automatic rejoin (WeeChat's is 10 s) does not bring
/// them straight back, short enough to be a kick, not a ban.
pub const KICK_HOLD: Duration = Duration::from_secs(60);

/// After a wrong login, the same connection waits this long before its
/// next try is checked: about the time a person takes to type it again.
pub const LOGIN_PAUSE: Duration = Duration::from_secs(2);

/// The class list as the running server holds it.
pub struct AccountBook {
    /// The data directory whose accounts file this is (`None`: no file,
    /// in tests of the rules).
    dir: Option<PathBuf>,
    accounts: Accounts,
    /// The file's modification time and size when last read, to notice a
    /// change made by `step4_server accounts`.
    seen: Option<(SystemTime, u64)>,
    /// May people without an account join?
    guests: bool,
    /// The browser page's sessions.
    sessions: Sessions,
    /// Keys of muted accounts.
    muted: HashSet<String>,
    /// Key of a kicked account → when it may come back.
    kicked: HashMap<String, Instant>,
}

impl AccountBook {
    /// Reads the accounts file of `dir`; the error is one line naming it.
    pub fn open(dir: &Path, guests: bool) -> Result<AccountBook, String> {
        let accounts = Accounts::load(dir)?;
        Ok(AccountBook {
            seen: stamp(dir),
            dir: Some(dir.to_path_buf()),
            ..AccountBook::fixed(accounts, guests)
        })
    }

    /// A list that is not read from a file.
    pub fn fixed(accounts: Accounts, guests: bool) -> AccountBook {
        AccountBook {
            dir: None,
            accounts,
            seen: None,
            guests,
            sessions: Sessions::default(),
            muted: HashSet::new(),
            kicked: HashMap::new(),
        }
    }

    /// Are there any accounts?
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// How many accounts, for the start-up log.
    pub fn len(&self) -> usize {
        self.accounts.iter().count()
    }

    /// Reads the file again if it changed since the last look. A file that
    /// became unreadable keeps the list in memory (logged): a teacher's
    /// slip mid-class must not lock the class out.
    fn refresh(&mut self) {
        let Some(dir) = &self.dir else {
            return;
        };
        let now = stamp(dir);
        if now == self.seen {
            return;
        }
        self.seen = now;
        match Accounts::load(dir) {
            Ok(accounts) => self.accounts = accounts,
            Err(message) => log!("Warning: {message}; keeping the accounts read before"),
        }
    }
}

/// The secret a login tried, for the password book: the account's, or
/// the one all made-up names from an address share.
fn tried(exists: bool, key: String) -> Tried {
    match exists {
        true => Tried::Account(key),
        false => Tried::NoSuchAccount,
    }
}

fn stamp(dir: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(crate::accounts::file::path_in(dir)).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Work too slow for the lock: see the module notes.
pub enum SlowWork {
    /// Is `password` the one `stored` was made from?
    CheckLogin {
        /// The account's name (as the file has it), or as typed when there
        /// is no such account: a hash is checked anyway, so a wrong name
        /// takes as long as a wrong password.
        name: String,
        exists: bool,
        stored: Stored,
        password: String,
    },
    /// Hash the account's new password.
    HashPassword {
        name: String,
        password: String,
        iterations: u32,
    },
}

impl std::fmt::Debug for SlowWork {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlowWork::CheckLogin { name, .. } => write!(f, "CheckLogin({name})"),
            SlowWork::HashPassword { name, .. } => write!(f, "HashPassword({name})"),
        }
    }
}

/// The answer of a [`SlowWork`].
#[derive(Debug)]
pub enum SlowDone {
    Login {
        name: String,
        right: bool,
    },
    Password {
        name: String,
        stored: Option<Stored>,
    },
}

impl SlowWork {
    /// Runs the work (call it with the lock released).
    pub fn run(self) -> SlowDone {
        match self {
            SlowWork::CheckLogin {
                name,
                exists,
                stored,
                password,
            } => SlowDone::Login {
                right: stored.check(&password) && exists,
                name,
            },
            SlowWork::HashPassword {
                name,
                password,
                iterations,
            } => SlowDone::Password {
                stored: Stored::new(&password, iterations).ok(),
                name,
            },
        }
    }
}

impl State {
    /// Reads the accounts file again if it changed.
    pub fn refresh_accounts(&mut self) {
        self.accounts.refresh();
    }

    /// Does the server have accounts (so IRC clients are offered SASL)?
    pub(super) fn has_accounts(&self) -> bool {
        !self.accounts.is_empty()
    }

    /// `alice:secret` as an IRC `PASS`: a login to the account alice, if
    /// there is one (otherwise the `PASS` is the server's door password).
    pub fn account_login_form(&self, pass: &str) -> Option<(String, String)> {
        let (name, password) = pass.split_once(':')?;
        let account = self.accounts.accounts.get(name)?;
        Some((account.name.clone(), password.to_string()))
    }

    /// The account connection `id` is logged in to, if any.
    pub fn account_of(&self, id: ConnId) -> Option<String> {
        self.conns.get(&id)?.account.clone()
    }

    /// Uses `book` as the class list (the server reads it at start).
    pub fn use_accounts(&mut self, book: AccountBook) {
        self.accounts = book;
    }

    /// `LOGIN name password`, first step: limits and look-up.
    pub(super) fn login(&mut self, id: ConnId, name: &str, password: String) -> Flow {
        let Some(ip) = self.conns.get(&id).map(|c| c.addr.ip()) else {
            return Flow::Close;
        };
        let now = Instant::now();
        let paused = self.conns.get(&id).and_then(|c| c.next_login);
        if let Some(wait) = paused.and_then(|at| at.checked_duration_since(now)) {
            let refusal = AccountRefusal::TooManyTries(seconds_to_wait(wait));
            return self.reply_refusal(id, Refusal::Account(refusal));
        }
        self.accounts.refresh();
        let found = self.accounts.accounts.get(name);
        // A one-time code (58 bits) cannot be guessed at any rate the
        // server could check it, so it is never locked: a prankster naming
        // a classmate who has not chosen a password yet cannot keep her
        // out. A chosen password, or a name with no account, is counted.
        let with_code = found.is_some_and(|a| matches!(a.secret, Secret::Code(_)));
        let tried = tried(found.is_some(), names::key(name));
        if !with_code {
            if let Err(wait) = self.passwords.may_try(ip, &tried, now) {
                let refusal = AccountRefusal::TooManyTries(seconds_to_wait(wait));
                return self.reply_refusal(id, Refusal::Account(refusal));
            }
        }
        let (name, exists, stored) = match found {
            Some(account) => (account.name.clone(), true, account.secret.stored().clone()),
            None => {
                // Same work as a real check: a made-up hash with the work
                // factor of the first account.
                let iterations = self
                    .accounts
                    .accounts
                    .iter()
                    .next()
                    .map_or(MIN_ITERATIONS, |a| a.secret.stored().iterations);
                match Stored::new("", iterations) {
                    Ok(stored) => (name.to_string(), false, stored),
                    Err(_) => {
                        return self.reply_refusal(id, Refusal::Account(AccountRefusal::WrongLogin))
                    }
                }
            }
        };
        self.slow = Some((
            id,
            SlowWork::CheckLogin {
                name,
                exists,
                stored,
                password,
            },
        ));
        Flow::Continue
    }

    /// `PASSWORD new`, first step: who, and is the password acceptable.
    pub(super) fn password(&mut self, id: ConnId, password: String) -> Flow {
        let Some(account) = self.conns.get(&id).and_then(|c| c.account.clone()) else {
            return self.reply_refusal(id, Refusal::Account(AccountRefusal::NotLoggedIn));
        };
        if let Err(why) = crate::accounts::password::check_new_password(&password) {
            return self.reply_refusal(id, Refusal::Account(AccountRefusal::WeakPassword(why)));
        }
        self.accounts.refresh();
        let Some(found) = self.accounts.accounts.get(&account) else {
            return self.reply_refusal(id, Refusal::Account(AccountRefusal::NotLoggedIn));
        };
        // A new password gets the work factor of the secret it replaces.
        let iterations = found.secret.stored().iterations;
        self.slow = Some((
            id,
            SlowWork::HashPassword {
                name: found.name.clone(),
                password,
                iterations,
            },
        ));
        Flow::Continue
    }

    /// The second step of `LOGIN` or `PASSWORD`, with the slow work's answer.
    pub fn slow_done(&mut self, id: ConnId, done: SlowDone) -> super::Applied {
        self.acting = Some((id, 0));
        let flow = match done {
            SlowDone::Login { name, right } => self.logged_in(id, &name, right),
            SlowDone::Password { name, stored } => self.password_chosen(id, &name, stored),
        };
        let reply_bytes = self.acting.take().map_or(0, |(_, bytes)| bytes);
        self.drop_overflowed();
        super::Applied {
            flow,
            registered: self.registered_dialect(id),
            reply_bytes,
            slow: None,
        }
    }

    fn logged_in(&mut self, id: ConnId, name: &str, right: bool) -> Flow {
        let Some(conn) = self.conns.get(&id) else {
            return Flow::Close;
        };
        let ip = conn.addr.ip();
        let who = conn.who();
        let key = names::key(name);
        let now = Instant::now();
        self.accounts.refresh();
        let account = self.accounts.accounts.get(name).cloned();
        let tried = tried(account.is_some(), key);
        let Some(account) = account.filter(|_| right) else {
            if let Some(line) = self.passwords.wrong(ip, &tried, now) {
                log!("{line} (from {who})");
            }
            return self.wrong_login(id);
        };
        self.passwords.right(ip, &tried);
        self.enter_account(id, account)
    }

    /// A wrong login slows the connection that made it: its next try is
    /// refused unchecked for [`LOGIN_PAUSE`], so one connection costs the
    /// server at most one slow hash that often, whoever it names. It is not
    /// closed: a new connection would spend the address's connection
    /// tokens, which the class behind it needs.
    fn wrong_login(&mut self, id: ConnId) -> Flow {
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        conn.next_login = Some(Instant::now() + LOGIN_PAUSE);
        self.reply_refusal(id, Refusal::Account(AccountRefusal::WrongLogin))
    }

    /// The login is proven (a password or a session): kicked accounts stay
    /// out; otherwise the connection is the account's from now on.
    fn enter_account(&mut self, id: ConnId, account: Account) -> Flow {
        let key = names::key(&account.name);
        let now = Instant::now();
        if let Some(&until) = self.accounts.kicked.get(&key) {
            if until > now {
                let secs = seconds_to_wait(until - now);
                return self.reply_refusal(id, Refusal::Account(AccountRefusal::Kicked(secs)));
            }
            self.accounts.kicked.remove(&key);
        }
        // The account's name may be held by another connection: its own
        // older session (a dropped laptop, a second tab), or a guest who
        // took it before the account existed. The login wins.
        if let Some(&holder) = self.names.get(&key) {
            if holder != id {
                let refusal = AccountRefusal::NameBelongs(account.name.clone());
                self.send(holder, &Event::Refused(Refusal::Account(refusal)));
                self.disconnect(holder, "its name was logged in to from another connection");
            }
        }
        let operator = account.role == Role::Operator;
        let with_code = matches!(account.secret, Secret::Code(_));
        let muted = self.account_muted(&account.name);
        let Some(conn) = self.conns.get_mut(&id) else {
            return Flow::Close;
        };
        conn.account = Some(account.name.clone());
        conn.must_choose_password = with_code;
        conn.muted = muted;
        // An account's password is a better proof than the door's.
        conn.authenticated = true;
        let registered = conn.name.is_some();
        let dialect = conn.dialect;
        if operator {
            conn.operator = true;
        }
        log!(
            "{} logged in to account {}{}",
            conn.who(),
            account.name,
            if operator { " (operator)" } else { "" }
        );
        // The history says which account this session is, so the
        // transcript and attendance can follow the person.
        self.record(id, RecordKind::Login, "-", &account.name, &account.name);
        self.send(
            id,
            &Event::LoggedIn {
                name: account.name.clone(),
                operator,
                with_code,
            },
        );
        // An IRC client logs in (SASL) before it registers: its NICK
        // comes with `CAP END`, and the account's name is then allowed.
        let still_registering = !registered && dialect == Dialect::Irc;
        let flow = if still_registering
            || (registered
                && self.conns.get(&id).and_then(|c| c.name.as_deref()) == Some(&account.name))
        {
            Flow::Continue
        } else {
            self.register(id, account.name.clone(), dialect)
        };
        if operator {
            let rooms = self.conns.get(&id).map(|c| c.rooms.clone());
            self.tell_irc_operator(id, &rooms.unwrap_or_default(), None);
        }
        flow
    }

    /// `SESSION`: a token for the page (see [`crate::accounts::session`]);
    /// `SESSION <token>`: log in with one.
    pub(super) fn session(&mut self, id: ConnId, token: Option<String>) -> Flow {
        let now = Instant::now();
        self.accounts.refresh();
        let Some(token) = token else {
            let account = self.conns.get(&id).and_then(|c| c.account.clone());
            let found = account.and_then(|a| self.accounts.accounts.get(&a).cloned());
            let Some(account) = found else {
                return self.reply_refusal(id, Refusal::Account(AccountRefusal::NotLoggedIn));
            };
            let started = self
                .accounts
                .sessions
                .start(&account.name, account.secret.stored(), now);
            let Ok((token, hash)) = started else {
                log!("ERROR: cannot read /dev/urandom for a session token");
                return self.reply_refusal(id, Refusal::Account(AccountRefusal::NoSession));
            };
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.session = Some(hash);
            }
            let secs = LIFETIME.as_secs();
            return self.reply(id, Event::SessionIssued { token, secs });
        };
        let AccountBook {
            sessions, accounts, ..
        } = &mut self.accounts;
        let secret_of = |name: &str| accounts.get(name).map(|a| a.secret.stored().to_text());
        let Some((name, hash)) = sessions.check(&token, now, secret_of) else {
            return self.reply_refusal(id, Refusal::Account(AccountRefusal::NoSession));
        };
        let Some(account) = self.accounts.accounts.get(&name).cloned() else {
            return self.reply_refusal(id, Refusal::Account(AccountRefusal::NoSession));
        };
        let flow = self.enter_account(id, account);
        if let Some(conn) = self.conns.get_mut(&id) {
            if conn.account.is_some() {
                conn.session = Some(hash);
            }
        }
        flow
    }

    /// `LOGOUT`: ends this connection's session, and the connection.
    pub(super) fn logout(&mut self, id: ConnId) -> Flow {
        if let Some(hash) = self.conns.get_mut(&id).and_then(|c| c.session.take()) {
            self.accounts.sessions.end(&hash);
        }
        self.send(id, &Event::LoggedOut);
        self.disconnect(id, "logged out");
        Flow::Close
    }

    fn password_chosen(&mut self, id: ConnId, name: &str, stored: Option<Stored>) -> Flow {
        let Some(stored) = stored else {
            return self.reply_refusal(id, Refusal::Account(AccountRefusal::NotSaved));
        };
        // Read the file again just before changing it, so a change the
        // teacher made meanwhile is kept.
        let saved = match &self.accounts.dir {
            Some(dir) => Accounts::load(dir).and_then(|mut accounts| {
                if !accounts.set_secret(name, Secret::Password(stored.clone())) {
                    return Err(format!("the account {name} was removed"));
                }
                accounts.save(dir)?;
                Ok(accounts)
            }),
            None => {
                let mut accounts = self.accounts.accounts.clone();
                accounts.set_secret(name, Secret::Password(stored));
                Ok(accounts)
            }
        };
        match saved {
            Ok(accounts) => {
                self.accounts.accounts = accounts;
                if let Some(dir) = &self.accounts.dir {
                    self.accounts.seen = stamp(dir);
                }
                // A new password ends the account's sessions (the page
                // asks for a new one).
                self.accounts.sessions.end_all(name);
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.must_choose_password = false;
                }
                log!("{name} chose a new password");
                self.reply(id, Event::PasswordChanged)
            }
            Err(message) => {
                log!("ERROR: {message}; {name}'s password is unchanged");
                self.reply_refusal(id, Refusal::Account(AccountRefusal::NotSaved))
            }
        }
    }

    /// May connection `id` go by `name`? `Err`: the refusal. Called by
    /// `register` after the name's own rules.
    pub(super) fn name_allowed(&mut self, id: ConnId, name: &str) -> Result<(), Refusal> {
        self.accounts.refresh();
        let mine = self.conns.get(&id).and_then(|c| c.account.clone());
        let owner = self
            .accounts
            .accounts
            .claimant(name)
            .map(|a| a.name.clone());
        match (owner, mine) {
            (Some(owner), Some(mine)) if names::key(&owner) == names::key(&mine) => Ok(()),
            (Some(owner), _) => Err(Refusal::Account(AccountRefusal::NameBelongs(owner))),
            (None, Some(mine)) => Err(Refusal::Account(AccountRefusal::NameIsAccount(mine))),
            (None, None) if !self.accounts.guests => {
                Err(Refusal::Account(AccountRefusal::AccountsOnly))
            }
            (None, None) => Ok(()),
        }
    }

    /// Is the account `account` muted?
    pub(super) fn account_muted(&self, account: &str) -> bool {
        self.accounts.muted.contains(&names::key(account))
    }

    /// Mutes or unmutes the account `name`; false if that changed nothing.
    pub(super) fn mute_account(&mut self, account: &str, muted: bool) -> bool {
        let key = names::key(account);
        match muted {
            true => self.accounts.muted.insert(key),
            false => self.accounts.muted.remove(&key),
        }
    }

    /// The account named `name` (any case), if there is one.
    pub(super) fn account_named(&mut self, name: &str) -> Option<String> {
        self.accounts.refresh();
        self.accounts.accounts.get(name).map(|a| a.name.clone())
    }

    /// Keeps the account out until `until`.
    pub(super) fn hold_out(&mut self, account: &str, until: Instant) {
        self.accounts.kicked.insert(names::key(account), until);
    }
}
