//! The table of `step4_server attendance`: who was there, from when to
//! when, and how many messages they sent.
//!
//! Each person ([`Who`]) is a row: the names they used, from their first to
//! their last record, and how many room, private and `/me` messages they
//! sent. A private message is also a sighting of its recipient (the server
//! only delivers to someone who is online): the person who held that name
//! at the time. An account is one row however many connections it used,
//! with a `sessions` column saying how many; guests are rows per session.
//! The column appears only when the history has logins, so a class without
//! accounts sees the same table as ever.
//!
//! The file may hold anything (a name of 64 KiB, three thousand renames):
//! the columns are measured in terminal columns (a Chinese name takes two
//! per character, [`crate::text::width`]) and cut with `…` at
//! [`PERSON_COLUMNS`] and [`NAMES_COLUMNS`].

use super::people::{Labels, Who, ACCOUNT_MARK};
use super::printable::printable;
use crate::history::record::{Record, RecordKind};
use crate::support::timestamp;
use crate::text::names;
use crate::text::width;
use std::collections::HashMap;

/// One session in the attendance list.
struct Seen {
    /// How the transcript shows its first name.
    label: String,
    /// Every name it used, in order.
    names: Vec<String>,
    first_ms: u64,
    last_ms: u64,
    messages: u64,
    /// Position of its first record in the history: the tie-break when two
    /// people arrive within the same millisecond.
    order: usize,
    /// The sessions (connections) it used.
    sessions: Vec<u64>,
}

/// Everyone seen so far.
#[derive(Default)]
pub(super) struct Attendance {
    people: HashMap<Who, Seen>,
}

impl Attendance {
    pub(super) fn add(&mut self, record: &Record, labels: &Labels) {
        let sent = matches!(
            record.kind,
            RecordKind::Message | RecordKind::Private | RecordKind::Action
        );
        let seen = self.see(&labels.who, &labels.sender, &record.sender, record.time_ms);
        seen.messages += u64::from(sent);
        if let Some(session) = record.session {
            if !seen.sessions.contains(&session) {
                seen.sessions.push(session);
            }
        }
        match (&record.kind, &labels.recipient) {
            (RecordKind::Rename, _) => {
                let name = printable(&record.text);
                if !seen.names.contains(&name) {
                    seen.names.push(name);
                }
            }
            (RecordKind::Private, Some(recipient)) => {
                let name = record.place.strip_prefix('@').unwrap_or(&record.place);
                self.see(recipient, &labels.other, name, record.time_ms);
            }
            _ => {}
        }
    }

    fn see(&mut self, who: &Who, label: &str, name: &str, time_ms: u64) -> &mut Seen {
        let order = self.people.len();
        let seen = self.people.entry(who.clone()).or_insert_with(|| Seen {
            label: label.to_string(),
            names: Vec::new(),
            first_ms: time_ms,
            last_ms: time_ms,
            messages: 0,
            order,
            sessions: Vec::new(),
        });
        let name = printable(name);
        // A login record names the account, which is already the label.
        let name = name.trim_end_matches(ACCOUNT_MARK).to_string();
        if !seen
            .names
            .iter()
            .any(|n| names::key(n) == names::key(&name))
        {
            seen.names.push(name);
        }
        // min/max, not "first/last in the file": a clock stepped back must
        // not make "to" earlier than "from".
        seen.first_ms = seen.first_ms.min(time_ms);
        seen.last_ms = seen.last_ms.max(time_ms);
        seen
    }

    /// The table, header included, sorted by first seen (then by who came
    /// first in the file). Columns are measured in terminal columns (a
    /// Chinese name takes two per character) and cut with `…` at
    /// [`PERSON_COLUMNS`] and [`NAMES_COLUMNS`]: a record can hold a name of
    /// any length, and one long name must not push every row off the page.
    pub(super) fn table(&self) -> String {
        let mut rows: Vec<(&Seen, String, String)> = self
            .people
            .values()
            .map(|seen| {
                let label = width::truncate(&seen.label, PERSON_COLUMNS);
                (
                    seen,
                    label,
                    width::truncate(&seen.names.join(", "), NAMES_COLUMNS),
                )
            })
            .collect();
        rows.sort_by_key(|(seen, _, _)| (seen.first_ms, seen.order));
        let person = rows
            .iter()
            .map(|(_, label, _)| width::width(label))
            .fold("person".len(), usize::max);
        let used = rows
            .iter()
            .map(|(_, _, names)| width::width(names))
            .fold("names".len(), usize::max);
        // With accounts, a `sessions` column: an account is one row however
        // many connections it used.
        let accounts = self.people.keys().any(|who| matches!(who, Who::Account(_)));
        // Both time columns are 19 characters wide (`2026-11-21 10:02:03`).
        let mut table = format!(
            "{}  {}  {:<19}  {:<19}  messages{}\n",
            width::pad("person", person),
            width::pad("names", used),
            "from",
            "to",
            if accounts { "  sessions" } else { "" }
        );
        for (seen, label, names) in &rows {
            let sessions = match accounts {
                true => format!("  {:<8}  {}", seen.messages, seen.sessions.len()),
                false => format!("  {}", seen.messages),
            };
            table.push_str(&format!(
                "{}  {}  {}  {}{sessions}\n",
                width::pad(label, person),
                width::pad(names, used),
                timestamp::human(seen.first_ms),
                timestamp::human(seen.last_ms),
            ));
        }
        table
    }
}

/// The widest the `person` column of `attendance` gets, in terminal columns.
pub(super) const PERSON_COLUMNS: usize = 30;
/// The widest the `names` column gets: a few renames, not three thousand.
const NAMES_COLUMNS: usize = 60;
