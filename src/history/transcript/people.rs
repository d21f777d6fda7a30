//! Who is who in the history: the labels a record's people are shown by.
//!
//! People are sessions (one connection each, see [`crate::history::record`]),
//! not names: a rename is shown, and the same name used later by a
//! different session gets a number, `alice (2)`, in the order such sessions
//! first appear in the whole history. Names are numbered by what they look
//! like ([`names::skeleton`]), so Cyrillic `асе` after Latin `ace` is
//! `асе (2)`. Records older than sessions have none; there, one name is one
//! person.
//!
//! A session that logged in (a `login` record) is its account from then
//! on, marked `alice✓`: the name is the account's, so every session of it
//! is the same person and gets no number.
//!
//! [`People`] learns from every record in the order of the files and hands
//! back [`Labels`]; the transcript line and the attendance table are both
//! made from those labels, so the two can never disagree about who someone
//! was.

use super::printable::printable;
use crate::history::record::{Record, RecordKind};
use crate::text::names;
use std::collections::HashMap;

/// How one record's people are shown: `alice`, or `alice (2)` for a later,
/// different session that used the same name.
pub(super) struct Labels {
    pub(super) sender: String,
    /// Who a private message went to; the new name of a rename.
    pub(super) other: String,
    /// The sender's session, or their name's key for records without one.
    pub(super) who: Who,
    /// The recipient's session (or name), for private messages.
    pub(super) recipient: Option<Who>,
}

/// A person: an account, a session, or (in records older than sessions)
/// a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Who {
    /// The key of the account's name.
    Account(String),
    Session(u64),
    Name(String),
}

/// The mark after an account's name in the transcript and attendance.
pub(super) const ACCOUNT_MARK: char = '✓';

/// Everyone seen so far, to give each record's names their labels.
#[derive(Default)]
pub(super) struct People {
    /// Name skeleton (what it looks like) → the people who used it, in
    /// order of first use.
    users_of: HashMap<String, Vec<Who>>,
    /// Name key → who holds that name now (the last to use or take it).
    holder: HashMap<String, Who>,
    /// Session → the account it logged in to.
    accounts: HashMap<u64, String>,
}

impl People {
    /// Learns from a record (every record, shown or not, so that numbers
    /// are the same whatever is selected) and returns its labels.
    pub(super) fn observe(&mut self, record: &Record) -> Labels {
        if let (RecordKind::Login, Some(session)) = (&record.kind, record.session) {
            self.accounts.insert(session, record.text.clone());
        }
        let account = record.session.and_then(|s| self.accounts.get(&s));
        let who = match (account, record.session) {
            (Some(account), _) => Who::Account(names::key(account)),
            (None, Some(session)) => Who::Session(session),
            (None, None) => Who::Name(names::key(&record.sender)),
        };
        let sender = self.label(&record.sender, &who);
        let (other, recipient) = match record.kind {
            RecordKind::Rename => (self.label(&record.text, &who), None),
            RecordKind::Private => {
                let name = record.place.strip_prefix('@').unwrap_or(&record.place);
                let key = names::key(name);
                let held = self.holder.get(&key).cloned();
                let recipient = held.unwrap_or(Who::Name(key));
                (self.label(name, &recipient), Some(recipient))
            }
            _ => (String::new(), None),
        };
        Labels {
            sender,
            other,
            who,
            recipient,
        }
    }

    /// `name` as used by `who`: plain for the first user of the name,
    /// `name (n)` for the n-th.
    fn label(&mut self, name: &str, who: &Who) -> String {
        let key = names::key(name);
        self.holder.insert(key, who.clone());
        if matches!(who, Who::Account(_)) {
            return format!("{}{ACCOUNT_MARK}", printable(name));
        }
        // Numbered by what a name looks like, not by its letters: Latin
        // `ace` and Cyrillic `асе` read the same, so the second is `асе (2)`.
        let users = self.users_of.entry(names::skeleton(name)).or_default();
        let n = match users.iter().position(|user| user == who) {
            Some(n) => n,
            None => {
                users.push(who.clone());
                users.len() - 1
            }
        };
        match n {
            0 => printable(name),
            n => format!("{} ({})", printable(name), n + 1),
        }
    }
}
