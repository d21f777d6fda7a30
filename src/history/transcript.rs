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
//! This file holds the two commands: their flags, which records they select,
//! reading the files and the exit code. The rest is one idea per file:
//! - [`people`]: who is who — sessions and accounts, not names, and the
//!   numbers that tell apart two people who used the same name.
//! - [`line`](mod@line): one record as one transcript line.
//! - [`attendance`]: the attendance table.
//! - [`printable`](mod@printable): text from other people's keyboards made
//!   safe for a terminal.
//!
//! Choices made here:
//! - All history files are read, oldest first: the dated ones the server
//!   rotated (`history-2026-11-21.tsv`) and then `history.tsv`; within a
//!   file, in the order of the file, which is the order in which the server
//!   accepted the records.
//! - Private messages are left out unless `--private` is given: a transcript
//!   is easily shared, and private messages were not meant for everyone. They
//!   belong to no room, so `--private` and `--room` cannot be combined.
//! - Every record is shown to [`people`], selected or not, so the numbers
//!   do not change with `--room` or `--since`.
//! - Times are UTC, like everything in this project.
//! - The file may hold anything (a name of 64 KiB, three thousand renames):
//!   no record can make either reader panic (a test feeds random ones).

mod attendance;
mod line;
mod people;
mod printable;

use super::file;
use super::record::{Record, RecordKind};
use crate::support::cli::{self, CommandLine, Flag};
use crate::support::timestamp;
use crate::text::names;
use attendance::Attendance;
use line::transcript_line;
use people::People;
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

#[cfg(test)]
mod tests;
