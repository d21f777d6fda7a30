//! `step4_server transcript` and `step4_server attendance`: what was said and
//! who was there, read from the history file without starting a server.
//!
//! A teacher who ran a class wants the conversation afterwards, as text to
//! read or hand out, and a list of who took part. Both come from the history
//! file ([`crate::history`]), which these commands only ever *read*: they are
//! safe to run while the server is running, and they never repair the file
//! (the server does that when it starts).
//!
//! ```text
//! $ step4_server transcript --room general --since 2026-11-21T10:00
//! 2026-11-21 10:01:00 #general * alice joined
//! 2026-11-21 10:02:03 #general alice: hi
//! 2026-11-21 10:02:10 #general * alice is now known as bob
//! 2026-11-21 10:02:20 #general bob: back soon
//! 2026-11-21 10:02:30 #general * bob left
//! 2026-11-21 10:03:00 #general * alice (2) joined
//! 2026-11-21 10:03:05 #general alice (2): I copied the homework
//!
//! $ step4_server attendance
//! person     names       from                 to                   messages
//! alice      alice, bob  2026-11-21 10:01:00  2026-11-21 10:02:30  2
//! alice (2)  alice       2026-11-21 10:03:00  2026-11-21 10:03:05  1
//! ```
//!
//! Choices made here:
//! - Oldest first, in the order of the file, which is the order in which the
//!   server accepted the records.
//! - Private messages are left out unless `--private` is given: a transcript
//!   is easily shared, and private messages were not meant for everyone. They
//!   belong to no room, so `--private` and `--room` cannot be combined.
//! - Joins and leaves are shown as `* alice joined`, like IRC clients do, so
//!   they stand out from what people said; a kick as what it was, `* bob
//!   was kicked by lee: spamming`.
//! - The text came from other people's keyboards. Control characters (an
//!   escape sequence could recolour or clear the reader's terminal) are
//!   removed before printing; tabs and line breaks inside a message become
//!   spaces, so every record stays one line.
//! - Times are UTC, like everything in this project.
//! - People are sessions (one connection each, see [`super::record`]), not
//!   names: a rename is shown, and the same name used later by a different
//!   session gets a number, `alice (2)`, in the order such sessions first
//!   appear in the whole history (so the numbers do not change with
//!   `--room` or `--since`). Names are numbered by what they look like, so
//!   Cyrillic `асе` after Latin `ace` is `асе (2)`. Records older than
//!   sessions have none; there, as before, one name is one person.
//! - The file may hold anything (a name of 64 KiB, three thousand renames):
//!   `attendance`'s columns are measured in terminal columns (a Chinese
//!   name takes two per character, [`crate::text::width`]) and cut with `…`,
//!   and no record can make either reader panic (a test feeds random ones).
//! - In `attendance`, each session is a row: the names it used, from its
//!   first to its last record, and how many room, private and `/me` messages
//!   it sent. A private message is also a sighting of its recipient (the
//!   server only delivers to someone who is online): the session that held
//!   that name at the time.
//! - Accounts (see `src/accounts/`): a session that logged in (a `login`
//!   record) is its account from then on, marked `alice✓` — the name is
//!   the account's, so every session of it is the same person and gets no
//!   number. `attendance` then has one row per account, with a `sessions`
//!   column (how many connections it used); guests are rows per session as
//!   before. The column appears only when the history has logins, so a
//!   class without accounts sees the same table as ever.
//! - All history files are read, oldest first: the dated ones the server
//!   rotated (`history-2026-11-21.tsv`) and then `history.tsv`.

use super::file;
use super::record::{Record, RecordKind};
use crate::support::cli::{self, CommandLine, Flag};
use crate::support::timestamp;
use crate::text::names;
use crate::text::sanitize;
use crate::text::width;
use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

const DATA_DIR_FLAG: Flag = Flag {
    name: "data-dir",
    value: Some("DIR"),
    help: "the server's data directory, holding the history files (default chatroom-data)",
};
const ROOM_FLAG: Flag = Flag {
    name: "room",
    value: Some("ROOM"),
    help: "only this room: #general or general, any case",
};
const SINCE_FLAG: Flag = Flag {
    name: "since",
    value: Some("TIME"),
    help: "only from this UTC time on: 2026-11-21 or 2026-11-21T09:00[:SS]",
};

/// The `transcript` subcommand's flags.
pub const TRANSCRIPT: CommandLine = CommandLine {
    usage: "step4_server transcript [--data-dir DIR] [--room ROOM] [--since TIME] [--private]",
    about: "Prints the stored chat history as a readable transcript, oldest first,\n\
            without starting a server. Times are UTC.",
    flags: &[
        DATA_DIR_FLAG,
        ROOM_FLAG,
        SINCE_FLAG,
        Flag {
            name: "private",
            value: None,
            help: "include private messages (left out by default; not with --room)",
        },
    ],
};

/// The `attendance` subcommand's flags.
pub const ATTENDANCE: CommandLine = CommandLine {
    usage: "step4_server attendance [--data-dir DIR] [--room ROOM] [--since TIME]",
    about: "Lists who was there, from the stored history: each name with the first\n\
            and last time seen and how many messages they sent. Times are UTC.",
    flags: &[DATA_DIR_FLAG, ROOM_FLAG, SINCE_FLAG],
};

/// Which records a command looks at, from its flags.
struct Selection {
    data_dir: PathBuf,
    /// `names::key` of the room, `#` included.
    room_key: Option<String>,
    since_ms: Option<u64>,
    private: bool,
}

impl Selection {
    fn from_flags(command: &CommandLine, args: impl IntoIterator<Item = String>) -> Selection {
        let parsed = command
            .parse(args)
            .unwrap_or_else(|error| command.exit_with(error));
        let room_key = parsed
            .value("room")
            .map(|typed| match names::normalize_room(typed) {
                Some(room) => names::key(&room),
                None => usage_error(
                    command,
                    format!("invalid room \"{typed}\" for --room: {}", names::ROOM_RULE),
                ),
            });
        let since_ms = parsed.value("since").map(|text| {
            timestamp::parse(text).unwrap_or_else(|e| usage_error(command, format!("--since: {e}")))
        });
        let private = parsed.switch("private");
        if private && room_key.is_some() {
            usage_error(
                command,
                "--private and --room cannot be combined: private messages belong to no room"
                    .into(),
            );
        }
        let data_dir = match parsed.value("data-dir") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(super::DEFAULT_DATA_DIR),
        };
        Selection {
            data_dir,
            room_key,
            since_ms,
            private,
        }
    }

    /// Does this record belong in the output?
    fn keeps(&self, record: &Record) -> bool {
        if self.since_ms.is_some_and(|since| record.time_ms < since) {
            return false;
        }
        match (&record.kind, &self.room_key) {
            (RecordKind::Private, _) => self.private,
            (_, Some(room_key)) => names::key(&record.place) == *room_key,
            (_, None) => true,
        }
    }
}

/// Prints a usage mistake with the usage line and exits 2.
fn usage_error(command: &CommandLine, message: String) -> ! {
    command.exit_with(cli::CliError::Usage(message))
}

/// `step4_server transcript …` (arguments after the word `transcript`).
/// Returns the exit code; usage errors and `--help` exit directly.
pub fn transcript_main(args: impl IntoIterator<Item = String>) -> i32 {
    let selection = Selection::from_flags(&TRANSCRIPT, args);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut write_error = None;
    let mut people = People::default();
    let read = read_history(&selection.data_dir, |record| {
        let labels = people.observe(&record);
        if !selection.keeps(&record) {
            return ControlFlow::Continue(());
        }
        match writeln!(out, "{}", transcript_line(&record, &labels)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(error) => {
                write_error = Some(error);
                ControlFlow::Break(())
            }
        }
    });
    let flushed = match write_error {
        Some(error) => Err(error),
        None => out.flush(),
    };
    finish(read, flushed)
}

/// `step4_server attendance …` (arguments after the word `attendance`).
/// Returns the exit code; usage errors and `--help` exit directly.
pub fn attendance_main(args: impl IntoIterator<Item = String>) -> i32 {
    let mut selection = Selection::from_flags(&ATTENDANCE, args);
    // Private messages show who was online (only their time and names are
    // used), but they belong to no room, so not when one room is asked for.
    selection.private = selection.room_key.is_none();
    let mut people = People::default();
    let mut attendance = Attendance::default();
    let read = read_history(&selection.data_dir, |record| {
        let labels = people.observe(&record);
        if selection.keeps(&record) {
            attendance.add(&record, &labels);
        }
        ControlFlow::Continue(())
    });
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = match &read {
        Ok(_) => out
            .write_all(attendance.table().as_bytes())
            .and_then(|()| out.flush()),
        Err(_) => Ok(()),
    };
    finish(read, written)
}

/// Reads every history file in `data_dir`, oldest first, and returns the
/// warnings; an error is one line for the person.
fn read_history(
    data_dir: &Path,
    mut each: impl FnMut(Record) -> ControlFlow<()>,
) -> Result<Vec<String>, String> {
    let files = file::history_files(data_dir).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => format!(
            "no history in {} ({}: {error})",
            data_dir.display(),
            data_dir.join(file::FILE_NAME).display()
        ),
        _ => format!("cannot read {}: {error}", data_dir.display()),
    })?;
    let mut warnings = Vec::new();
    for path in files {
        let mut stopped = false;
        let report = file::read_records(&path, |record| {
            let flow = each(record);
            stopped = flow.is_break();
            flow
        })
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        warnings.extend(report.warnings);
        if let Some(torn) = report.torn_tail {
            warnings.push(format!(
                "{}:{}: incomplete last record ignored (being written, or left by a crash)",
                path.display(),
                torn.line
            ));
        }
        if stopped {
            break;
        }
    }
    Ok(warnings)
}

/// Prints the warnings and errors and picks the exit code.
fn finish(read: Result<Vec<String>, String>, written: io::Result<()>) -> i32 {
    let warnings = match read {
        Ok(warnings) => warnings,
        Err(message) => {
            let _ = writeln!(io::stderr(), "error: {message}");
            return 1;
        }
    };
    for warning in &warnings {
        let _ = writeln!(io::stderr(), "warning: {warning}");
    }
    match written {
        Ok(()) => 0,
        // `transcript | head` closes the pipe early: the reader has what it
        // wanted, which is not a failure.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(error) => {
            cli::fail(format!("cannot write the output: {error}"));
        }
    }
}

/// How one record's people are shown: `alice`, or `alice (2)` for a later,
/// different session that used the same name.
struct Labels {
    sender: String,
    /// Who a private message went to; the new name of a rename.
    other: String,
    /// The sender's session, or their name's key for records without one.
    who: Who,
    /// The recipient's session (or name), for private messages.
    recipient: Option<Who>,
}

/// A person: an account, a session, or (in records older than sessions)
/// a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    /// The key of the account's name.
    Account(String),
    Session(u64),
    Name(String),
}

/// The mark after an account's name in the transcript and attendance.
const ACCOUNT_MARK: char = '✓';

/// Everyone seen so far, to give each record's names their labels.
#[derive(Default)]
struct People {
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
    fn observe(&mut self, record: &Record) -> Labels {
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

/// One record as a transcript line.
fn transcript_line(record: &Record, labels: &Labels) -> String {
    let time = timestamp::human(record.time_ms);
    let place = printable(&record.place);
    let sender = &labels.sender;
    let text = printable(&record.text);
    match record.kind {
        RecordKind::Message => format!("{time} {place} {sender}: {text}"),
        RecordKind::Private => format!("{time} {sender} → {} (private): {text}", labels.other),
        RecordKind::Join => format!("{time} {place} * {sender} joined"),
        RecordKind::Leave if text.is_empty() => format!("{time} {place} * {sender} left"),
        // The server notes why someone was made to leave: a kick, with
        // the operator and the reason (`kicked by lee: spamming`).
        RecordKind::Leave if text.starts_with("kicked by ") => {
            format!("{time} {place} * {sender} was {text}")
        }
        RecordKind::Leave => format!("{time} {place} * {sender} left ({text})"),
        // Like the chat: an action starts with its author, so it cannot
        // pass for a `*` line (`/me left` is not a leave).
        RecordKind::Action => format!("{time} {place} {sender} *{text}*"),
        RecordKind::Rename if record.place == "-" => {
            format!("{time} * {sender} is now known as {}", labels.other)
        }
        RecordKind::Rename => format!("{time} {place} * {sender} is now known as {}", labels.other),
        RecordKind::Login => format!("{time} * {sender} logged in"),
    }
}

/// Text that is safe to put on a terminal: tabs and line breaks become
/// spaces (they separated words), every other control character is dropped,
/// and so is everything else the server's sanitiser removes today (line
/// and paragraph separators, zero-width characters, direction marks):
/// records written by an older server may still hold them.
fn printable(text: &str) -> String {
    let spaced: String = text
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    sanitize::clean(&spaced).into_owned()
}

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
struct Attendance {
    people: HashMap<Who, Seen>,
}

impl Attendance {
    fn add(&mut self, record: &Record, labels: &Labels) {
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
    fn table(&self) -> String {
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
const PERSON_COLUMNS: usize = 30;
/// The widest the `names` column gets: a few renames, not three thousand.
const NAMES_COLUMNS: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, kind: RecordKind, place: &str, sender: &str, text: &str) -> Record {
        Record {
            time_ms: timestamp::parse(time).unwrap(),
            kind,
            session: None,
            place: place.into(),
            sender: sender.into(),
            text: text.into(),
        }
    }

    fn in_session(
        session: u64,
        time: &str,
        kind: RecordKind,
        place: &str,
        sender: &str,
        text: &str,
    ) -> Record {
        Record {
            session: Some(session),
            ..record(time, kind, place, sender, text)
        }
    }

    /// The transcript lines and the attendance table of `records`.
    fn read(records: &[Record]) -> (Vec<String>, String) {
        let mut people = People::default();
        let mut attendance = Attendance::default();
        let mut lines = Vec::new();
        for r in records {
            let labels = people.observe(r);
            lines.push(transcript_line(r, &labels));
            attendance.add(r, &labels);
        }
        (lines, attendance.table())
    }

    #[test]
    fn lines_for_each_kind() {
        let t = "2026-11-21T10:02:03.456Z";
        let (lines, _) = read(&[
            record(t, RecordKind::Message, "#general", "alice", "Hello"),
            record(t, RecordKind::Private, "@bob", "alice", "hi"),
            record(t, RecordKind::Join, "#general", "alice", ""),
            record(t, RecordKind::Leave, "#general", "alice", ""),
            record(
                t,
                RecordKind::Leave,
                "#general",
                "bob",
                "kicked by lee: spam",
            ),
            record(t, RecordKind::Leave, "#general", "carl", "kicked by lee"),
            record(t, RecordKind::Leave, "#general", "dan", "some newer note"),
            record(t, RecordKind::Action, "#general", "alice", "waves"),
            in_session(7, t, RecordKind::Rename, "-", "carol", "dave"),
            in_session(7, t, RecordKind::Rename, "#lab", "dave", "erin"),
        ]);
        assert_eq!(
            lines,
            [
                "2026-11-21 10:02:03 #general alice: Hello",
                "2026-11-21 10:02:03 alice → bob (private): hi",
                "2026-11-21 10:02:03 #general * alice joined",
                "2026-11-21 10:02:03 #general * alice left",
                "2026-11-21 10:02:03 #general * bob was kicked by lee: spam",
                "2026-11-21 10:02:03 #general * carl was kicked by lee",
                "2026-11-21 10:02:03 #general * dan left (some newer note)",
                "2026-11-21 10:02:03 #general alice *waves*",
                "2026-11-21 10:02:03 * carol is now known as dave",
                "2026-11-21 10:02:03 #lab * dave is now known as erin",
            ]
        );
    }

    #[test]
    fn an_account_is_one_person_over_its_sessions_and_marked() {
        use RecordKind::{Join, Leave, Login, Message, Private};
        let t = |s: &str| format!("2026-12-07T10:0{s}.000Z");
        let (lines, table) = read(&[
            // A guest called alice, before the account existed.
            in_session(1, &t("0:00"), Join, "#general", "alice", ""),
            in_session(1, &t("0:05"), Message, "#general", "alice", "first"),
            in_session(1, &t("0:10"), Leave, "#general", "alice", ""),
            // The account alice, twice (a reload), and a guest bob.
            in_session(2, &t("1:00"), Login, "-", "alice", "alice"),
            in_session(2, &t("1:01"), Join, "#general", "alice", ""),
            in_session(2, &t("1:02"), Message, "#general", "alice", "hi"),
            in_session(4, &t("1:03"), Private, "@alice", "bob", "psst"),
            in_session(3, &t("2:00"), Login, "-", "alice", "alice"),
            in_session(3, &t("2:01"), Message, "#general", "alice", "back"),
        ]);
        assert_eq!(
            lines,
            [
                "2026-12-07 10:00:00 #general * alice joined",
                "2026-12-07 10:00:05 #general alice: first",
                "2026-12-07 10:00:10 #general * alice left",
                "2026-12-07 10:01:00 * alice✓ logged in",
                "2026-12-07 10:01:01 #general * alice✓ joined",
                "2026-12-07 10:01:02 #general alice✓: hi",
                "2026-12-07 10:01:03 bob → alice✓ (private): psst",
                "2026-12-07 10:02:00 * alice✓ logged in",
                "2026-12-07 10:02:01 #general alice✓: back",
            ]
        );
        assert_eq!(
            table,
            "person  names  from                 to                   messages  sessions\n\
             alice   alice  2026-12-07 10:00:00  2026-12-07 10:00:10  1         1\n\
             alice✓  alice  2026-12-07 10:01:00  2026-12-07 10:02:01  2         2\n\
             bob     bob    2026-12-07 10:01:03  2026-12-07 10:01:03  1         1\n"
        );
    }

    #[test]
    fn a_later_session_with_the_same_name_is_told_apart() {
        // The issue's scenario: alice says hi, renames to bob, speaks and
        // quits; another person then takes the name alice.
        let (lines, table) = read(&[
            in_session(
                1,
                "2026-11-21T10:00",
                RecordKind::Join,
                "#general",
                "alice",
                "",
            ),
            in_session(
                1,
                "2026-11-21T10:01",
                RecordKind::Message,
                "#general",
                "alice",
                "hi",
            ),
            in_session(
                1,
                "2026-11-21T10:02",
                RecordKind::Rename,
                "#general",
                "alice",
                "bob",
            ),
            in_session(
                1,
                "2026-11-21T10:03",
                RecordKind::Message,
                "#general",
                "bob",
                "back soon",
            ),
            in_session(
                1,
                "2026-11-21T10:04",
                RecordKind::Leave,
                "#general",
                "bob",
                "",
            ),
            in_session(
                2,
                "2026-11-21T10:05",
                RecordKind::Join,
                "#general",
                "alice",
                "",
            ),
            in_session(
                2,
                "2026-11-21T10:06",
                RecordKind::Message,
                "#general",
                "Alice",
                "I copied the homework",
            ),
            in_session(
                3,
                "2026-11-21T10:07",
                RecordKind::Private,
                "@alice",
                "carol",
                "really?",
            ),
        ]);
        assert_eq!(
            lines,
            [
                "2026-11-21 10:00:00 #general * alice joined",
                "2026-11-21 10:01:00 #general alice: hi",
                "2026-11-21 10:02:00 #general * alice is now known as bob",
                "2026-11-21 10:03:00 #general bob: back soon",
                "2026-11-21 10:04:00 #general * bob left",
                "2026-11-21 10:05:00 #general * alice (2) joined",
                "2026-11-21 10:06:00 #general Alice (2): I copied the homework",
                "2026-11-21 10:07:00 carol → alice (2) (private): really?",
            ]
        );
        assert_eq!(
            table,
            "person     names       from                 to                   messages\n\
             alice      alice, bob  2026-11-21 10:00:00  2026-11-21 10:04:00  2\n\
             alice (2)  alice       2026-11-21 10:05:00  2026-11-21 10:07:00  1\n\
             carol      carol       2026-11-21 10:07:00  2026-11-21 10:07:00  1\n"
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(
            printable("red \u{1b}[31mtext\u{7}\u{0}\u{9b}2J two\nlines\tand tab é"),
            "red [31mtext2J two lines and tab é"
        );
        // What older servers let through: separators, zero-width, marks.
        assert_eq!(
            printable("a\u{2028}b\u{2029}c\u{200b}d\u{200f}e\u{feff}f\u{61c}g\u{2060}h"),
            "abcdefgh"
        );
    }

    #[test]
    fn old_records_count_one_name_as_one_person_ignoring_case() {
        let (_, table) = read(&[
            record(
                "2026-11-21T10:00:00",
                RecordKind::Join,
                "#general",
                "Bob",
                "",
            ),
            record(
                "2026-11-21T10:01:00",
                RecordKind::Message,
                "#general",
                "alice",
                "hi",
            ),
            record(
                "2026-11-21T10:02:00",
                RecordKind::Private,
                "@carol",
                "bob",
                "psst",
            ),
            record(
                "2026-11-21T10:03:00",
                RecordKind::Leave,
                "#general",
                "BOB",
                "",
            ),
        ]);
        assert_eq!(
            table,
            "person  names  from                 to                   messages\n\
             Bob     Bob    2026-11-21 10:00:00  2026-11-21 10:03:00  1\n\
             alice   alice  2026-11-21 10:01:00  2026-11-21 10:01:00  1\n\
             carol   carol  2026-11-21 10:02:00  2026-11-21 10:02:00  0\n"
        );
    }

    #[test]
    fn three_thousand_renames_and_a_64_kib_name_make_a_bounded_table() {
        let t = "2026-12-07T10:00:00";
        let mut records = vec![in_session(1, t, RecordKind::Join, "#a", "start", "")];
        let mut name = "start".to_string();
        for n in 0..3_100 {
            let next = format!("renamer{n:0>13}");
            records.push(in_session(1, t, RecordKind::Rename, "#a", &name, &next));
            name = next;
        }
        records.push(in_session(
            2,
            t,
            RecordKind::Message,
            "#a",
            &"x".repeat(65_536),
            "hi",
        ));
        let (lines, table) = read(&records);
        assert_eq!(lines.len(), 3_102);
        for row in table.lines() {
            assert!(width::width(row) < 160, "{row}");
        }
        assert!(table.contains("start, renamer0000000000000, renamer0000000000001, renamer0…"));
        assert!(table.contains(&format!("{}…", "x".repeat(PERSON_COLUMNS - 1))));
    }

    #[test]
    fn chinese_names_line_up_and_look_alikes_are_told_apart() {
        let t = "2026-12-07T10:00:00";
        let (lines, table) = read(&[
            in_session(1, t, RecordKind::Message, "#a", "李雷", "你好"),
            in_session(2, t, RecordKind::Message, "#a", "ace", "hi"),
            in_session(3, t, RecordKind::Message, "#a", "асе", "I am ace"),
        ]);
        assert_eq!(lines[2], "2026-12-07 10:00:00 #a асе (2): I am ace");
        assert_eq!(
            table,
            "person   names  from                 to                   messages\n\
             李雷     李雷   2026-12-07 10:00:00  2026-12-07 10:00:00  1\n\
             ace      ace    2026-12-07 10:00:00  2026-12-07 10:00:00  1\n\
             асе (2)  асе    2026-12-07 10:00:00  2026-12-07 10:00:00  1\n"
        );
    }

    /// Random records, and records made of the worst pieces: neither reader
    /// may panic, whatever the file holds.
    #[test]
    fn random_and_crafted_records_never_panic() {
        let pieces = [
            "",
            "a",
            "#",
            "@",
            "-",
            " ",
            "\t",
            "\u{0}",
            "\u{1b}[2J",
            "李",
            "\u{301}",
            "\u{202e}",
            "ㅤ",
            "kicked by ",
            "(2)",
            "é",
            "\u{ffff}",
            "𠀀",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        let kinds = [
            RecordKind::Message,
            RecordKind::Private,
            RecordKind::Join,
            RecordKind::Leave,
            RecordKind::Action,
            RecordKind::Rename,
        ];
        let mut records = Vec::new();
        for _ in 0..1_000 {
            let text = |next: &mut dyn FnMut(usize) -> usize| {
                let n = next(6);
                let mut s = String::new();
                for _ in 0..n {
                    let piece = pieces[next(pieces.len())];
                    s.push_str(&piece.repeat(1 + next(3) * next(300)));
                }
                s
            };
            let place = text(&mut next);
            let sender = text(&mut next);
            let body = text(&mut next);
            records.push(Record {
                time_ms: next(usize::MAX) as u64,
                kind: kinds[next(kinds.len())].clone(),
                session: (next(2) == 0).then(|| next(50) as u64),
                place,
                sender,
                text: body,
            });
        }
        let (lines, table) = read(&records);
        assert_eq!(lines.len(), records.len());
        assert!(table.lines().all(|row| width::width(row) < 160));
    }
}
