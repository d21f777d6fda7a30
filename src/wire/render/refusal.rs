//! Refusals in words: the `ERROR` line's text for each [`Refusal`], and
//! what a browser refused at the door is told instead (an HTTP status, the
//! same words, and when to come back).
//!
//! Protocol mode's wording is the contract (seed 002's table: a program
//! gets exactly `ERROR User not found`); chat mode differs only where a
//! person needs the command spelled their way, or a hint of what to type
//! next.

use crate::wire::command::Dialect;
use crate::wire::event::{AccountRefusal, Refusal};

/// A refused browser's HTTP answer: the status that says it to a browser,
/// the reason (the `ERROR` line's words), when it may come back, and that
/// wait in seconds for `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRefusal {
    pub status: &'static str,
    pub why: String,
    pub until: String,
    pub retry_after_secs: u64,
}

/// What a browser refused at the door (banned, full, too many) is told.
/// `now_millis` is the Unix time, for the clock time a ban ends.
pub fn refusal_http(refusal: &Refusal, now_millis: u64) -> HttpRefusal {
    let status = match refusal {
        Refusal::Banned(_) => "403 Forbidden",
        Refusal::ServerFull => "503 Service Unavailable",
        _ => "429 Too Many Requests",
    };
    let (until, retry_after_secs) = match refusal {
        Refusal::Banned(secs) | Refusal::TooManyGuesses(secs) => {
            let ends = crate::support::timestamp::clock(now_millis + secs * 1000);
            (
                format!("Until {ends} UTC (in {secs} s); then reload this page."),
                *secs,
            )
        }
        Refusal::ServerFull => (
            "Until someone leaves: every place is taken. Reload this page in a minute.".into(),
            60,
        ),
        Refusal::TooManyFromAddress | Refusal::TooManyUnregisteredFromAddress(_) => (
            "Until one of this address's chat windows is closed: close a tab you do not \
             need, then reload this page."
                .into(),
            60,
        ),
        _ => ("For about a minute; then reload this page.".into(), 60),
    };
    HttpRefusal {
        status,
        why: refusal_text(refusal, Dialect::Chat),
        until,
        retry_after_secs,
    }
}

/// The `ERROR` text. Protocol mode's wording is the contract; chat mode only
/// differs where a command is spelled differently.
pub fn refusal_text(refusal: &Refusal, dialect: Dialect) -> String {
    match refusal {
        Refusal::NoSuchPage(page, 1) => format!("No page {page}: the list has 1 page"),
        Refusal::NoSuchPage(page, pages) => {
            format!("No page {page}: the list has {pages} pages")
        }
        Refusal::UsernameTaken => "Username taken".into(),
        Refusal::InvalidUsername(why) => format!("Invalid username: {why}"),
        Refusal::NameWithSpaces(joined) => {
            let nick = match dialect {
                Dialect::Chat => "/nick",
                Dialect::Protocol | Dialect::Irc => "USERNAME",
            };
            match crate::text::names::check_username(joined) {
                Ok(()) => format!("A name cannot contain spaces: try {nick} {joined}"),
                Err(_) => format!(
                    "A name cannot contain spaces: {}",
                    crate::text::names::USERNAME_RULE
                ),
            }
        }
        Refusal::InvalidRoom => format!("Invalid room name: {}", crate::text::names::ROOM_RULE),
        Refusal::ChooseNameFirst => match dialect {
            Dialect::Chat => "Choose a name first: type /nick and a name, for example /nick lee".into(),
            Dialect::Protocol | Dialect::Irc => {
                "Choose a name first: /nick <name> or USERNAME <name>".into()
            }
        },
        Refusal::AlreadyIn(room) => format!("Already in {room}"),
        Refusal::NotIn(room) => format!("Not in {room}"),
        Refusal::NoSuchRoom(room) => format!("Not in {room} (no such room)"),
        Refusal::TooManyRooms(max) => match dialect {
            Dialect::Chat => format!("You are in {max} rooms, the most at once: /leave one first"),
            _ => format!("Already in {max} rooms, the most at once: LEAVE one first"),
        },
        Refusal::KeptOut(room, secs) => {
            format!("Kicked from {room}: you may join it again in {secs} s")
        }
        Refusal::NotInRoom => match dialect {
            Dialect::Protocol | Dialect::Irc => "Not in a room".into(),
            Dialect::Chat => "Not in a room (join one: /join #name)".into(),
        },
        Refusal::EmptyMessage => "Empty message".into(),
        // Seed 002's table: a program gets exactly `ERROR User not found`.
        Refusal::UserNotFound(_) if dialect != Dialect::Chat => "User not found".into(),
        Refusal::UserNotFound(name) => format!(
            "{} is not connected (/users lists who is here)",
            crate::text::sanitize::clean(name)
        ),
        Refusal::UnknownCommand(command) => format!("Unknown command {command} (try /help)"),
        Refusal::Usage(usage) => format!("Usage: {}", usage.in_dialect(dialect)),
        Refusal::LineTooLong(max) => format!("Line too long (max {max} bytes)"),
        Refusal::NotUtf8 => "Message must be UTF-8 text".into(),
        Refusal::SlowDown(rate) => format!("Slow down (max {rate} lines/s)"),
        Refusal::HistoryShareUsed { mb, wait_secs } => format!(
            "Slow down: your address wrote its share of the history ({mb} MB an hour); \
             try again in {wait_secs} s"
        ),
        Refusal::LinesDropped {
            lines: 1,
            rate,
            first,
            ..
        } => format!("Slow down: 1 line was not sent (max {rate} lines/s): \"{first}\""),
        Refusal::LinesDropped {
            lines,
            rate,
            first,
            last,
        } => format!(
            "Slow down: {lines} lines were not sent (max {rate} lines/s), \
             from \"{first}\" to \"{last}\""
        ),
        Refusal::ServerFull => "Server full".into(),
        Refusal::PasswordRequired => {
            "Password required: /pass <password> or PASS <password>".into()
        }
        Refusal::WrongPassword => "Wrong password".into(),
        Refusal::RegistrationTimeout => "Registration timeout".into(),
        Refusal::TooManyFromAddress => "Too many connections from your address".into(),
        Refusal::TooManyUnregisteredFromAddress(max) => format!(
            "Too many connections without a name from your address (max {max}): choose a name in the ones you have"
        ),
        Refusal::ConnectingTooFast(per_minute) => format!(
            "Too many new connections from your address (max {per_minute} a minute): wait a little"
        ),
        Refusal::Banned(secs) => {
            format!("Your address is banned from this server for another {secs} s")
        }
        Refusal::IdleTimeout(secs) => format!("Idle for {secs} s: closing the connection"),
        Refusal::TooManyWrongPasswords(tries) => {
            format!("{tries} wrong passwords: closing the connection")
        }
        Refusal::TooManyGuesses(secs) => format!(
            "Too many wrong passwords from your address: try again in {secs} s"
        ),
        Refusal::NotOperator => "Not an operator".into(),
        Refusal::Muted => "You are muted".into(),
        Refusal::NotMuted(user) => format!("{user} was not muted"),
        Refusal::AlreadyMuted(user) => format!("{user} is already muted"),
        Refusal::MuteNotOnline { user, muting } => format!(
            "{user} is not online; a mute holds a person, so {} them when they are here",
            if *muting { "mute" } else { "unmute" }
        ),
        Refusal::CouldNotStore => "Could not store message".into(),
        Refusal::Account(refusal) => account_refusal_text(refusal, dialect),
    }
}

/// The `ERROR` text of an [`AccountRefusal`].
fn account_refusal_text(refusal: &AccountRefusal, dialect: Dialect) -> String {
    let login = match dialect {
        Dialect::Chat => "/login",
        Dialect::Protocol | Dialect::Irc => "LOGIN",
    };
    match refusal {
        AccountRefusal::WrongLogin => "Wrong name or password".into(),
        AccountRefusal::NameBelongs(account) => format!(
            "The name {account} belongs to an account: {login} {account} <password>, or choose another name"
        ),
        AccountRefusal::AccountsOnly => {
            format!("This server is for accounts only: {login} <name> <password>")
        }
        AccountRefusal::NameIsAccount(account) => {
            format!("You are logged in as {account}: your name is your account's")
        }
        AccountRefusal::Kicked(secs) => {
            format!("This account was kicked: it may come back in {secs} s")
        }
        AccountRefusal::TooManyTries(secs) => {
            format!("Too many failed logins: try again in {secs} s")
        }
        AccountRefusal::NotLoggedIn => format!("Not logged in: {login} <name> <password> first"),
        AccountRefusal::WeakPassword(why) => format!("Password not changed: {why}"),
        AccountRefusal::NoSession => "Session expired or ended: log in again".into(),
        AccountRefusal::ChoosePasswordFirst => {
            let password = match dialect {
                Dialect::Chat => "/password",
                Dialect::Protocol => "PASSWORD",
                Dialect::Irc => "/quote PASSWORD",
            };
            format!("Choose your own password first: {password} <new password> (8 characters or more)")
        }
        AccountRefusal::NotSaved => {
            "Password not changed: the server could not save it (tell your teacher)".into()
        }
    }
}
