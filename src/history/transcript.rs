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
//! 2026-11-21 10:02:03 #general alice: Hello
//! 2026-11-21 10:02:30 #general * alice left
//!
//! $ step4_server attendance
//! name   first seen           last seen            messages
//! alice  2026-11-21 10:01:00  2026-11-21 10:02:30  1
//! ```
//!
//! Choices made here:
//! - Oldest first, in the order of the file, which is the order in which the
//!   server accepted the records.
//! - Private messages are left out unless `--private` is given: a transcript
//!   is easily shared, and private messages were not meant for everyone. They
//!   belong to no room, so `--private` and `--room` cannot be combined.
//! - Joins and leaves are shown as `* alice joined`, like IRC clients do, so
//!   they stand out from what people said.
//! - The text came from other people's keyboards. Control characters (an
//!   escape sequence could recolour or clear the reader's terminal) are
//!   removed before printing; tabs and line breaks inside a message become
//!   spaces, so every record stays one line.
//! - Times are UTC, like everything in this project.
//! - In `attendance`, a private message counts as a sighting of its sender
//!   and of its recipient (the server only delivers to someone who is online).
//!   `messages` counts the room and private messages a person sent.

use crate::cli::{self, Command, Flag};
use crate::config::ServerConfig;
use crate::history::{self, Record, RecordKind};
use crate::names;
use crate::timestamp;
use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

const DATA_DIR_FLAG: Flag = Flag {
    name: "data-dir",
    value: Some("DIR"),
    help: "the server's data directory, holding history.tsv (default chatroom-data)",
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
pub const TRANSCRIPT: Command = Command {
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
pub const ATTENDANCE: Command = Command {
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
    fn from_flags(command: &Command, args: impl IntoIterator<Item = String>) -> Selection {
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
            None => ServerConfig::default().data_dir,
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
fn usage_error(command: &Command, message: String) -> ! {
    command.exit_with(cli::CliError::Usage(message))
}

/// `step4_server transcript …` (arguments after the word `transcript`).
/// Returns the exit code; usage errors and `--help` exit directly.
pub fn transcript_main(args: impl IntoIterator<Item = String>) -> i32 {
    let selection = Selection::from_flags(&TRANSCRIPT, args);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut write_error = None;
    let read = read_history(&selection.data_dir, |record| {
        if !selection.keeps(&record) {
            return ControlFlow::Continue(());
        }
        match writeln!(out, "{}", transcript_line(&record)) {
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
    finish(&selection.data_dir, read, flushed)
}

/// `step4_server attendance …` (arguments after the word `attendance`).
/// Returns the exit code; usage errors and `--help` exit directly.
pub fn attendance_main(args: impl IntoIterator<Item = String>) -> i32 {
    let mut selection = Selection::from_flags(&ATTENDANCE, args);
    // Private messages show who was online (only their time and names are
    // used), but they belong to no room, so not when one room is asked for.
    selection.private = selection.room_key.is_none();
    let mut attendance = Attendance::default();
    let read = read_history(&selection.data_dir, |record| {
        if selection.keeps(&record) {
            attendance.add(&record);
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
    finish(&selection.data_dir, read, written)
}

/// Reads the history in `data_dir`; an error is one line for the person.
fn read_history(
    data_dir: &Path,
    each: impl FnMut(Record) -> ControlFlow<()>,
) -> Result<history::ReadReport, String> {
    let path = data_dir.join(history::FILE_NAME);
    history::read_records(&path, each).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => format!(
            "no history in {} ({}: {error})",
            data_dir.display(),
            path.display()
        ),
        _ => format!("cannot read {}: {error}", path.display()),
    })
}

/// Prints the warnings and errors and picks the exit code.
fn finish(
    data_dir: &Path,
    read: Result<history::ReadReport, String>,
    written: io::Result<()>,
) -> i32 {
    let report = match read {
        Ok(report) => report,
        Err(message) => {
            let _ = writeln!(io::stderr(), "error: {message}");
            return 1;
        }
    };
    for warning in &report.warnings {
        let _ = writeln!(io::stderr(), "warning: {warning}");
    }
    if let Some(torn) = report.torn_tail {
        let _ = writeln!(
            io::stderr(),
            "warning: {}:{}: incomplete last record ignored (being written, or left by a crash)",
            data_dir.join(history::FILE_NAME).display(),
            torn.line
        );
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

/// One record as a transcript line.
fn transcript_line(record: &Record) -> String {
    let time = timestamp::human(record.time_ms);
    let place = printable(&record.place);
    let sender = printable(&record.sender);
    let text = printable(&record.text);
    match record.kind {
        RecordKind::Message => format!("{time} {place} {sender}: {text}"),
        RecordKind::Private => {
            let recipient = place.strip_prefix('@').unwrap_or(&place);
            format!("{time} {sender} → {recipient} (private): {text}")
        }
        RecordKind::Join => format!("{time} {place} * {sender} joined"),
        RecordKind::Leave => format!("{time} {place} * {sender} left"),
        RecordKind::Action => format!("{time} {place} * {sender} {text}"),
    }
}

/// Text that is safe to put on a terminal: tabs and line breaks become
/// spaces (they separated words), every other control character is dropped.
fn printable(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// One person in the attendance list.
struct Seen {
    /// The name as first written in the history.
    name: String,
    first_ms: u64,
    last_ms: u64,
    messages: u64,
}

/// Everyone seen so far, keyed by [`names::key`] (names ignore case).
#[derive(Default)]
struct Attendance {
    people: HashMap<String, Seen>,
}

impl Attendance {
    fn add(&mut self, record: &Record) {
        let sent = matches!(
            record.kind,
            RecordKind::Message | RecordKind::Private | RecordKind::Action
        );
        self.see(&record.sender, record.time_ms, u64::from(sent));
        if record.kind == RecordKind::Private {
            let recipient = record.place.strip_prefix('@').unwrap_or(&record.place);
            self.see(recipient, record.time_ms, 0);
        }
    }

    fn see(&mut self, name: &str, time_ms: u64, messages: u64) {
        let seen = self.people.entry(names::key(name)).or_insert_with(|| Seen {
            name: printable(name),
            first_ms: time_ms,
            last_ms: time_ms,
            messages: 0,
        });
        // min/max, not "first/last in the file": a clock stepped back must
        // not make "last seen" earlier than "first seen".
        seen.first_ms = seen.first_ms.min(time_ms);
        seen.last_ms = seen.last_ms.max(time_ms);
        seen.messages += messages;
    }

    /// The table, header included, sorted by first seen (then by name).
    fn table(&self) -> String {
        let mut rows: Vec<&Seen> = self.people.values().collect();
        rows.sort_by(|a, b| (a.first_ms, &a.name).cmp(&(b.first_ms, &b.name)));
        let header = "name";
        let width = rows
            .iter()
            .map(|seen| seen.name.chars().count())
            .chain([header.len()])
            .max()
            .unwrap_or(header.len());
        // Both time columns are 19 characters wide (`2026-11-21 10:02:03`).
        let mut table = format!(
            "{header:<width$}  {:<19}  {:<19}  messages\n",
            "first seen", "last seen"
        );
        for seen in rows {
            table.push_str(&format!(
                "{:<width$}  {}  {}  {}\n",
                seen.name,
                timestamp::human(seen.first_ms),
                timestamp::human(seen.last_ms),
                seen.messages
            ));
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, kind: RecordKind, place: &str, sender: &str, text: &str) -> Record {
        Record {
            time_ms: timestamp::parse(time).unwrap(),
            kind,
            place: place.into(),
            sender: sender.into(),
            text: text.into(),
        }
    }

    #[test]
    fn lines_for_each_kind() {
        let t = "2026-11-21T10:02:03.456Z";
        assert_eq!(
            transcript_line(&record(
                t,
                RecordKind::Message,
                "#general",
                "alice",
                "Hello"
            )),
            "2026-11-21 10:02:03 #general alice: Hello"
        );
        assert_eq!(
            transcript_line(&record(t, RecordKind::Private, "@bob", "alice", "hi")),
            "2026-11-21 10:02:03 alice → bob (private): hi"
        );
        assert_eq!(
            transcript_line(&record(t, RecordKind::Join, "#general", "alice", "")),
            "2026-11-21 10:02:03 #general * alice joined"
        );
        assert_eq!(
            transcript_line(&record(t, RecordKind::Leave, "#general", "alice", "")),
            "2026-11-21 10:02:03 #general * alice left"
        );
        let action = record(t, RecordKind::Action, "#general", "alice", "waves");
        assert_eq!(
            Record::parse_line(action.to_line().trim_end().as_bytes()),
            crate::history::ParsedLine::Record(action.clone())
        );
        assert_eq!(
            transcript_line(&action),
            "2026-11-21 10:02:03 #general * alice waves"
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(
            printable("red \u{1b}[31mtext\u{7}\u{0}\u{9b}2J two\nlines\tand tab é"),
            "red [31mtext2J two lines and tab é"
        );
    }

    #[test]
    fn attendance_counts_senders_and_recipients_ignoring_case() {
        let mut attendance = Attendance::default();
        for r in [
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
        ] {
            attendance.add(&r);
        }
        assert_eq!(
            attendance.table(),
            "name   first seen           last seen            messages\n\
             Bob    2026-11-21 10:00:00  2026-11-21 10:03:00  1\n\
             alice  2026-11-21 10:01:00  2026-11-21 10:01:00  1\n\
             carol  2026-11-21 10:02:00  2026-11-21 10:02:00  0\n"
        );
    }
}
