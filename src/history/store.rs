//! The message history file: every message the server accepts is written here
//! *before* anyone receives it, and the last few messages of each room are
//! kept in memory so a person who joins can read what was just said.
//!
//! # The file: `<data_dir>/history.tsv`
//!
//! One record per line, five fields separated by tabs:
//!
//! ```text
//! <time>                     <kind>  <place>    <sender>  <text>
//! 2026-11-21T10:01:00.000Z   join    #general   alice
//! 2026-11-21T10:02:03.123Z   msg     #general   alice     Hello\tworld
//! 2026-11-21T10:03:00.500Z   pm      @bob       alice     see you\nat 11
//! 2026-11-21T10:04:00.000Z   leave   #general   alice
//! ```
//!
//! (shown with spaces for reading; in the file each gap is a single tab.)
//!
//! - `time` is UTC, RFC 3339 with milliseconds ([`crate::timestamp::rfc3339`]).
//! - `kind` is `msg` (a room message; `place` is the room), `pm` (a private
//!   message; `place` is `@recipient`), `action` (`/me waves`: `place` is the
//!   room, `text` is `waves`), `join` or `leave` (`place` is the room, `text`
//!   is empty). Later versions may add kinds, so a reader skips a
//!   kind it does not know, silently: an old program must be able to read a
//!   newer file.
//! - A line ending after `sender` has an empty `text` (an editor that strips
//!   trailing whitespace may remove the last tab of a `join` line). Empty
//!   lines are ignored.
//! - In every field a backslash, tab, newline and carriage return are written
//!   `\\`, `\t`, `\n`, `\r`, so a record is always exactly one line and the
//!   tabs between fields are always separators.
//!
//! Why text and not a binary format or a database? A teacher can read it with
//! `less`, search it with `grep`, and repair it with an editor; a learner can
//! see exactly what the program wrote. Why tabs? Chat text is full of spaces
//! and commas, rarely of tabs, so almost nothing needs escaping.
//!
//! # Written before it is delivered
//!
//! The server calls [`History::append`] under its state lock and delivers the
//! message only after `append` returned. `append` hands the whole line to the
//! operating system in one `write()` call, with nothing held back in a
//! user-space buffer (no `BufWriter`). So once any client has received a
//! message, its record is in the kernel, and a `kill -9` of the server at any
//! moment cannot lose it. The file is opened in append mode, so the kernel
//! puts every line at the current end of the file.
//!
//! # Durability: the `fsync` setting
//!
//! Being in the kernel is not being on the disk: the kernel writes its cache
//! to the disk when it likes (on Linux, within about 30 seconds).
//! `File::sync_data` (the `fdatasync` system call) forces it now, at the
//! price of waiting for the disk, which takes from well under a millisecond
//! (SSD) to tens of milliseconds (a busy hard disk or SD card).
//!
//! | `fsync`    | when the disk is asked to store it     | server crash, `kill -9` | power loss, kernel crash           |
//! |------------|----------------------------------------|-------------------------|------------------------------------|
//! | `always`   | after every record, before delivery    | nothing lost            | nothing delivered is lost          |
//! | `interval` | once a second, and at shutdown (default) | nothing lost          | the last second or so may be lost  |
//! | `never`    | when the operating system likes        | nothing lost            | the last ~30 seconds may be lost   |
//!
//! `interval`'s background thread holds no lock of the server: it owns a
//! weak handle to the file and syncs it without stopping anyone from chatting.
//!
//! # Reading it back
//!
//! [`History::open`] reads the whole file once at start-up, line by line, so
//! memory stays bounded by the replay window (`history_replay` messages per
//! room), not by the file's size. A crash can leave a *torn* last record
//! without its newline; such a record was never delivered (delivery waits for
//! `append`, which includes the newline), so it is cut off with a warning. A
//! line that cannot be read (an editor accident, a bad disk) is skipped with a
//! warning naming its line number. Neither stops the server: losing one line
//! of history is better than refusing to start a class.

use crate::config::FsyncPolicy;
use crate::names;
use crate::timestamp;
use std::collections::{HashMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread;
use std::time::Duration;

/// The history file's name inside the data directory.
pub const FILE_NAME: &str = "history.tsv";

/// How often the `interval` policy's background thread syncs the file.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// The longest line the reader accepts. The server's own records are far
/// shorter (a message is at most `max_line_bytes`, and escaping at most
/// doubles it); this cap only keeps a damaged file with no newlines from
/// being read into memory whole. A longer line is skipped as malformed.
pub const MAX_RECORD_BYTES: usize = 4 * 1024 * 1024;

/// How many "malformed record" warnings are reported one by one; the rest are
/// counted in one summary line, so a file of garbage cannot flood the log.
const MAX_WARNINGS: usize = 20;

/// What a history record is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// A room message: `place` is the room (`#general`).
    Message,
    /// A private message: `place` is `@recipient`.
    Private,
    /// Someone joined the room in `place`.
    Join,
    /// Someone left the room in `place`.
    Leave,
    /// `/me <text>` in the room in `place`: "* alice waves". Kept for the
    /// transcript; never replayed (replay is for what people said).
    Action,
}

impl RecordKind {
    /// The word in the file's second field.
    pub fn tag(&self) -> &'static str {
        match self {
            RecordKind::Message => "msg",
            RecordKind::Private => "pm",
            RecordKind::Join => "join",
            RecordKind::Leave => "leave",
            RecordKind::Action => "action",
        }
    }

    /// The kind for a word in the file; `None` for a kind this version does
    /// not know (to be skipped, not reported).
    pub fn from_tag(tag: &str) -> Option<RecordKind> {
        match tag {
            "msg" => Some(RecordKind::Message),
            "pm" => Some(RecordKind::Private),
            "join" => Some(RecordKind::Join),
            "leave" => Some(RecordKind::Leave),
            "action" => Some(RecordKind::Action),
            _ => None,
        }
    }
}

/// One line of the history file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When the server accepted it, in milliseconds since 1970 (UTC).
    pub time_ms: u64,
    pub kind: RecordKind,
    /// `#room` for room records, `@recipient` for private messages.
    pub place: String,
    /// Who sent the message, joined or left.
    pub sender: String,
    /// The message; empty for joins and leaves.
    pub text: String,
}

/// What one line of the file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedLine {
    Record(Record),
    /// A well-formed line of a kind this version does not know: skip it.
    UnknownKind,
    /// An empty line: skip it (an editor may leave one at the end).
    Blank,
    /// Not a record: skip it with a warning.
    Malformed,
}

impl Record {
    /// A record stamped with the current time.
    pub fn now(kind: RecordKind, place: &str, sender: &str, text: &str) -> Record {
        Record {
            time_ms: timestamp::now_millis(),
            kind,
            place: place.to_string(),
            sender: sender.to_string(),
            text: text.to_string(),
        }
    }

    /// The record as one line of the file, newline included.
    pub fn to_line(&self) -> String {
        let mut line = timestamp::rfc3339(self.time_ms);
        line.push('\t');
        line.push_str(self.kind.tag());
        for field in [&self.place, &self.sender, &self.text] {
            line.push('\t');
            escape_into(&mut line, field);
        }
        line.push('\n');
        line
    }

    /// Reads one line of the file (without its newline). Bytes, not `&str`,
    /// because a damaged file may hold invalid UTF-8, which is a malformed
    /// line like any other, not a reason to stop.
    pub fn parse_line(line: &[u8]) -> ParsedLine {
        // Tolerate a file saved by an editor with Windows line endings; the
        // server itself never writes a bare `\r` (it is escaped).
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return ParsedLine::Blank;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            return ParsedLine::Malformed;
        };
        let mut fields = line.split('\t');
        let (Some(time), Some(tag)) = (fields.next(), fields.next()) else {
            return ParsedLine::Malformed;
        };
        let Ok(time_ms) = timestamp::parse(time) else {
            return ParsedLine::Malformed;
        };
        let Some(kind) = RecordKind::from_tag(tag) else {
            return ParsedLine::UnknownKind;
        };
        // A missing text field reads as empty: joins and leaves end in a tab,
        // which an editor that strips trailing spaces would remove.
        let (Some(place), Some(sender), text, None) = (
            fields.next(),
            fields.next(),
            fields.next().unwrap_or(""),
            fields.next(),
        ) else {
            return ParsedLine::Malformed;
        };
        let (Some(place), Some(sender), Some(text)) =
            (unescape(place), unescape(sender), unescape(text))
        else {
            return ParsedLine::Malformed;
        };
        if place.is_empty() || sender.is_empty() {
            return ParsedLine::Malformed;
        }
        ParsedLine::Record(Record {
            time_ms,
            kind,
            place,
            sender,
            text,
        })
    }
}

fn escape_into(line: &mut String, field: &str) {
    for c in field.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c => line.push(c),
        }
    }
}

/// The inverse of [`escape_into`]; `None` for a backslash followed by
/// anything else, which the server never writes.
fn unescape(field: &str) -> Option<String> {
    let mut text = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => text.push('\\'),
            't' => text.push('\t'),
            'n' => text.push('\n'),
            'r' => text.push('\r'),
            _ => return None,
        }
    }
    Some(text)
}

/// A last line without its newline, as a crash can leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Its line number, counting from 1.
    pub line: u64,
    /// Its first byte: cutting the file here leaves only complete lines.
    pub offset: u64,
}

/// What reading the file found besides the records.
#[derive(Debug, Default)]
pub struct ReadReport {
    /// One line each: `chatroom-data/history.tsv:1234: malformed record skipped`.
    pub warnings: Vec<String>,
    pub torn_tail: Option<TornTail>,
}

/// Reads the history file at `path` without changing it (the transcript
/// command uses this while a server may be running). `each` receives every
/// record oldest first and may stop the reading early with `Break`.
pub fn read_records(
    path: &Path,
    each: impl FnMut(Record) -> ControlFlow<()>,
) -> io::Result<ReadReport> {
    let file = File::open(path)?;
    read_records_from(&file, path, each)
}

/// The reading loop behind [`read_records`] and [`History::open`]: streams
/// the file line by line as bytes, so a 100 MB history needs no more memory
/// than its longest line.
fn read_records_from(
    file: &File,
    path: &Path,
    mut each: impl FnMut(Record) -> ControlFlow<()>,
) -> io::Result<ReadReport> {
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut report = ReadReport::default();
    let mut malformed = 0usize;
    let mut line = Vec::new();
    let mut line_number = 0u64;
    let mut line_start = 0u64;
    loop {
        line.clear();
        // `take` caps how much one line may grow; see MAX_RECORD_BYTES.
        let limit = MAX_RECORD_BYTES as u64 + 1;
        let read = (&mut reader).take(limit).read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        line_number += 1;
        let this_line_start = line_start;
        line_start += read as u64;
        let complete = line.last() == Some(&b'\n');
        let parsed = if complete {
            Record::parse_line(&line[..line.len() - 1])
        } else if read as u64 == limit {
            let (skipped, found_newline) = skip_rest_of_line(&mut reader)?;
            line_start += skipped;
            if !found_newline {
                report.torn_tail = Some(TornTail {
                    line: line_number,
                    offset: this_line_start,
                });
                break;
            }
            ParsedLine::Malformed
        } else {
            // The end of the file came before the newline.
            report.torn_tail = Some(TornTail {
                line: line_number,
                offset: this_line_start,
            });
            break;
        };
        match parsed {
            ParsedLine::Record(record) => {
                if each(record).is_break() {
                    break;
                }
            }
            ParsedLine::UnknownKind | ParsedLine::Blank => {}
            ParsedLine::Malformed => {
                malformed += 1;
                if malformed <= MAX_WARNINGS {
                    report.warnings.push(format!(
                        "{}:{line_number}: malformed record skipped",
                        path.display()
                    ));
                }
            }
        }
    }
    if malformed > MAX_WARNINGS {
        report.warnings.push(format!(
            "{}: {} more malformed records skipped",
            path.display(),
            malformed - MAX_WARNINGS
        ));
    }
    Ok(report)
}

/// Consumes bytes up to and including the next newline. Returns how many
/// bytes were consumed and whether a newline was found before the end.
fn skip_rest_of_line(reader: &mut impl BufRead) -> io::Result<(u64, bool)> {
    let mut skipped = 0u64;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok((skipped, false));
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(newline) => {
                reader.consume(newline + 1);
                return Ok((skipped + newline as u64 + 1, true));
            }
            None => {
                let length = buffer.len();
                reader.consume(length);
                skipped += length as u64;
            }
        }
    }
}

/// An `io::Error` whose message names the path, so the server's one-line
/// error tells the person which file or directory to fix.
fn with_path(error: io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("{action} {}: {error}", path.display()),
    )
}

/// The open history file plus each room's replay window.
pub struct History {
    /// `None` when history is off ([`History::in_memory`]). Shared with the
    /// `interval` sync thread, which holds only a `Weak` to it.
    file: Option<Arc<File>>,
    /// For error messages.
    path: PathBuf,
    policy: FsyncPolicy,
    /// How many messages per room to keep for replay; 0 keeps none.
    replay: usize,
    /// The last `replay` messages of each room, oldest first, keyed by
    /// [`names::key`] so `#Lab` and `#lab` share one window.
    recent: HashMap<String, VecDeque<Record>>,
    /// Set by every append, cleared by the sync thread: an idle server does
    /// not ask the disk for anything.
    unsynced: Arc<AtomicBool>,
    /// The previous append failed part-way (disk full) and may have left half
    /// a line; the next append starts with a newline to end it, so that the
    /// fragment becomes one malformed line instead of swallowing a good record.
    last_write_failed: bool,
}

impl History {
    /// Creates `dir` if missing, opens `dir/history.tsv` for appending, reads
    /// it back to fill the replay windows, and returns warnings (malformed
    /// lines, a torn last record that was cut off) for the server to log.
    /// An error names the directory or file that could not be used.
    pub fn open(
        dir: &Path,
        policy: FsyncPolicy,
        replay: usize,
    ) -> io::Result<(History, Vec<String>)> {
        fs::create_dir_all(dir).map_err(|e| with_path(e, "cannot create data directory", dir))?;
        let path = dir.join(FILE_NAME);
        // Append mode: every write lands at the end of the file, whatever
        // the read position, and a half-written line can never be
        // overwritten in the middle.
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| with_path(e, "cannot open history file", &path))?;

        let mut recent = HashMap::new();
        let report = read_records_from(&file, &path, |record| {
            if record.kind == RecordKind::Message {
                remember(&mut recent, replay, record);
            }
            ControlFlow::Continue(())
        })
        .map_err(|e| with_path(e, "cannot read history file", &path))?;
        let mut warnings = report.warnings;
        if let Some(torn) = report.torn_tail {
            file.set_len(torn.offset)
                .map_err(|e| with_path(e, "cannot repair history file", &path))?;
            warnings.push(format!(
                "{}:{}: incomplete last record (left by a crash) cut off",
                path.display(),
                torn.line
            ));
        }

        let file = Arc::new(file);
        let unsynced = Arc::new(AtomicBool::new(false));
        if policy == FsyncPolicy::Interval {
            let file = Arc::downgrade(&file);
            let unsynced = Arc::clone(&unsynced);
            let thread_path = path.clone();
            thread::Builder::new()
                .name("history-sync".into())
                .spawn(move || sync_loop(file, unsynced, thread_path))
                .map_err(|e| with_path(e, "cannot start the sync thread for", &path))?;
        }
        let history = History {
            file: Some(file),
            path,
            policy,
            replay,
            recent,
            unsynced,
            last_write_failed: false,
        };
        Ok((history, warnings))
    }

    /// No file (history is off): only the in-memory replay window, which
    /// starts empty at every start of the server.
    pub fn in_memory(replay: usize) -> History {
        History {
            file: None,
            path: PathBuf::new(),
            policy: FsyncPolicy::Never,
            replay,
            recent: HashMap::new(),
            unsynced: Arc::new(AtomicBool::new(false)),
            last_write_failed: false,
        }
    }

    /// Appends one record (one `write()` of one line) before it is
    /// delivered, then remembers it for replay if it is a room message. An
    /// error (disk full) means the record may not be stored: the server
    /// refuses the message rather than deliver what it cannot keep. (With
    /// `always`, a failed sync reports an error too, although the line is
    /// already in the kernel: the transcript may then show a message that
    /// nobody received, which is the safe side to err on.)
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        if let Some(file) = &self.file {
            let mut line = String::new();
            if self.last_write_failed {
                line.push('\n');
            }
            line.push_str(&record.to_line());
            // `write_all` on a regular file is one `write()` call: the kernel
            // takes the whole line at once unless the disk is full, and then
            // `write_all` tries the rest and reports the error.
            if let Err(error) = (&**file).write_all(line.as_bytes()) {
                self.last_write_failed = true;
                return Err(with_path(error, "cannot append to", &self.path));
            }
            self.last_write_failed = false;
            match self.policy {
                FsyncPolicy::Always => file
                    .sync_data()
                    .map_err(|e| with_path(e, "cannot sync", &self.path))?,
                FsyncPolicy::Interval => self.unsynced.store(true, Ordering::Release),
                FsyncPolicy::Never => {}
            }
        }
        if record.kind == RecordKind::Message {
            remember(&mut self.recent, self.replay, record.clone());
        }
        Ok(())
    }

    /// The room's recent messages, oldest first. `room` as displayed; matched ignoring case.
    pub fn recent(&self, room: &str) -> Vec<Record> {
        match self.recent.get(&names::key(room)) {
            Some(window) => window.iter().cloned().collect(),
            None => Vec::new(),
        }
    }

    /// Flushes the file to the disk now (at shutdown), unless the policy is
    /// `never`, which promises never to ask the disk for anything.
    pub fn sync(&self) -> io::Result<()> {
        match (&self.file, self.policy) {
            (Some(file), FsyncPolicy::Always | FsyncPolicy::Interval) => {
                self.unsynced.store(false, Ordering::Release);
                file.sync_data()
                    .map_err(|e| with_path(e, "cannot sync", &self.path))
            }
            _ => Ok(()),
        }
    }

    /// Where the history file is (empty for [`History::in_memory`]).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Adds a message to its room's window, dropping the oldest beyond `replay`.
fn remember(recent: &mut HashMap<String, VecDeque<Record>>, replay: usize, record: Record) {
    if replay == 0 {
        return;
    }
    let window = recent.entry(names::key(&record.place)).or_default();
    if window.len() >= replay {
        window.pop_front();
    }
    window.push_back(record);
}

/// The `interval` policy's background thread. It holds only a `Weak` to the
/// file, so it keeps nothing alive: when the `History` is dropped the next
/// `upgrade` fails and the thread ends (within one [`SYNC_INTERVAL`]). It
/// never touches the server's lock, so a slow disk delays nobody's chat.
fn sync_loop(file: Weak<File>, unsynced: Arc<AtomicBool>, path: PathBuf) {
    let mut failing = false;
    loop {
        thread::sleep(SYNC_INTERVAL);
        let Some(file) = file.upgrade() else {
            return;
        };
        // Clear the flag *before* syncing: a record appended during the sync
        // sets it again and is synced next time.
        if !unsynced.swap(false, Ordering::AcqRel) {
            continue;
        }
        match file.sync_data() {
            Ok(()) if failing => {
                crate::log!("history: syncing {} works again", path.display());
                failing = false;
            }
            Ok(()) => {}
            Err(error) => {
                unsynced.store(true, Ordering::Release);
                // Once per failure streak, not once a second.
                if !failing {
                    crate::log!("warning: history: cannot sync {}: {error}", path.display());
                }
                failing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A fresh directory under the system's temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "chatroom-history-{}-{n}-{name}",
                std::process::id()
            ));
            let _ = fs::remove_dir_all(&path);
            TempDir(path)
        }
        fn file(&self) -> PathBuf {
            self.0.join(FILE_NAME)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn record(kind: RecordKind, place: &str, sender: &str, text: &str) -> Record {
        Record {
            time_ms: 1_795_255_323_123,
            kind,
            place: place.into(),
            sender: sender.into(),
            text: text.into(),
        }
    }

    fn msg(room: &str, text: &str) -> Record {
        record(RecordKind::Message, room, "alice", text)
    }

    #[test]
    fn record_round_trips_through_one_line() {
        let tricky = record(
            RecordKind::Message,
            "#general",
            "alice",
            "tab\there, new\nline, cr\r, back\\slash \\t literal, héllo 日本 🙂",
        );
        let line = tricky.to_line();
        assert_eq!(line.matches('\n').count(), 1, "{line:?}");
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\t').count(), 4, "only separators: {line:?}");
        assert!(line.starts_with("2026-11-21T10:02:03.123Z\tmsg\t#general\talice\ttab\\there"));
        let parsed = Record::parse_line(line.trim_end_matches('\n').as_bytes());
        assert_eq!(parsed, ParsedLine::Record(tricky));

        for kind in [RecordKind::Private, RecordKind::Join, RecordKind::Leave] {
            let r = record(kind, "@bob\\", "al\tice", "");
            let line = r.to_line();
            assert!(line.ends_with("\t\n"), "{line:?}");
            assert_eq!(
                Record::parse_line(line.trim_end_matches('\n').as_bytes()),
                ParsedLine::Record(r.clone())
            );
            // An editor may strip the trailing tab of an empty text field.
            assert_eq!(
                Record::parse_line(line.trim_end().as_bytes()),
                ParsedLine::Record(r)
            );
        }
    }

    #[test]
    fn parse_line_sorts_out_bad_and_unknown_lines() {
        use ParsedLine::{Blank, Malformed, UnknownKind};
        let ok = b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\thi";
        assert!(matches!(Record::parse_line(ok), ParsedLine::Record(_)));
        assert!(matches!(
            Record::parse_line(b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\thi\r"),
            ParsedLine::Record(_)
        ));
        assert_eq!(Record::parse_line(b""), Blank);
        for bad in [
            &b"hello world"[..],
            b"2026-11-21T10:02:03.123Z\tmsg\t#general",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\thi\textra",
            b"yesterday\tmsg\t#general\talice\thi",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\tbad \\x escape",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\ttrailing \\",
            b"2026-11-21T10:02:03.123Z\tmsg\t\talice\thi",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\t\thi",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\t\xff\xfe",
        ] {
            assert_eq!(
                Record::parse_line(bad),
                Malformed,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // A future kind, even with a different number of fields.
        assert_eq!(
            Record::parse_line(b"2026-11-21T10:02:03.123Z\ttopic\t#general\talice\tnew topic"),
            UnknownKind
        );
        assert_eq!(
            Record::parse_line(b"2026-11-21T10:02:03.123Z\tkick\t#general"),
            UnknownKind
        );
    }

    #[test]
    fn appended_records_are_read_back_after_reopening() {
        let dir = TempDir::new("reopen");
        let (mut history, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        assert!(warnings.is_empty());
        let records = [
            record(RecordKind::Join, "#general", "alice", ""),
            msg("#general", "first\tline\nsecond \\ line é"),
            record(RecordKind::Private, "@bob", "alice", "psst"),
            record(RecordKind::Leave, "#general", "alice", ""),
        ];
        for r in &records {
            history.append(r).unwrap();
        }
        drop(history);

        let mut read = Vec::new();
        let report = read_records(&dir.file(), |r| {
            read.push(r);
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(read, records);
        assert!(report.warnings.is_empty() && report.torn_tail.is_none());

        let (history, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(history.recent("#general"), vec![records[1].clone()]);
    }

    #[test]
    fn torn_tail_is_cut_off_and_appending_afterwards_is_clean() {
        let dir = TempDir::new("torn");
        fs::create_dir_all(&dir.0).unwrap();
        let good = msg("#general", "kept");
        let torn = "2026-11-21T10:02:04.000Z\tmsg\t#general\tbob\thalf a mes";
        fs::write(dir.file(), format!("{}{torn}", good.to_line())).unwrap();

        let (mut history, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        assert_eq!(
            warnings,
            vec![format!(
                "{}:2: incomplete last record (left by a crash) cut off",
                dir.file().display()
            )]
        );
        assert_eq!(fs::read_to_string(dir.file()).unwrap(), good.to_line());
        assert_eq!(history.recent("#general"), vec![good.clone()]);

        let next = msg("#general", "after the crash");
        history.append(&next).unwrap();
        drop(history);
        assert_eq!(
            fs::read_to_string(dir.file()).unwrap(),
            format!("{}{}", good.to_line(), next.to_line())
        );
        let (_, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn malformed_lines_are_skipped_with_their_line_numbers() {
        let dir = TempDir::new("malformed");
        fs::create_dir_all(&dir.0).unwrap();
        let mut content = Vec::new();
        content.extend_from_slice(msg("#general", "one").to_line().as_bytes());
        content.extend_from_slice(b"this is not a record\n");
        content.extend_from_slice(msg("#general", "three").to_line().as_bytes());
        content.extend_from_slice(b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\t\xff\n");
        content.extend_from_slice(b"2026-11-21T10:02:03.123Z\tmsg\tonly three\n");
        content.extend_from_slice(msg("#general", "six").to_line().as_bytes());
        fs::write(dir.file(), &content).unwrap();

        let (history, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        let file = dir.file().display().to_string();
        assert_eq!(
            warnings,
            vec![
                format!("{file}:2: malformed record skipped"),
                format!("{file}:4: malformed record skipped"),
                format!("{file}:5: malformed record skipped"),
            ]
        );
        let texts: Vec<String> = history
            .recent("#general")
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(texts, ["one", "three", "six"]);
        // Skipping is not repairing: the file is left as it was.
        assert_eq!(fs::read(dir.file()).unwrap(), content);
    }

    #[test]
    fn a_flood_of_malformed_lines_gives_a_bounded_number_of_warnings() {
        let dir = TempDir::new("flood");
        fs::create_dir_all(&dir.0).unwrap();
        fs::write(dir.file(), "junk\n".repeat(1000)).unwrap();
        let (_, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        assert_eq!(warnings.len(), MAX_WARNINGS + 1);
        assert!(
            warnings[MAX_WARNINGS].ends_with(": 980 more malformed records skipped"),
            "{warnings:?}"
        );
    }

    #[test]
    fn an_overlong_line_is_skipped_without_reading_it_whole() {
        let dir = TempDir::new("overlong");
        fs::create_dir_all(&dir.0).unwrap();
        let mut content = "x".repeat(MAX_RECORD_BYTES + 10);
        content.push('\n');
        content.push_str(&msg("#general", "after").to_line());
        fs::write(dir.file(), &content).unwrap();
        let (history, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        assert_eq!(
            warnings,
            vec![format!(
                "{}:1: malformed record skipped",
                dir.file().display()
            )]
        );
        assert_eq!(history.recent("#general").len(), 1);
    }

    #[test]
    fn unknown_kinds_and_blank_lines_are_skipped_silently() {
        let dir = TempDir::new("unknown");
        fs::create_dir_all(&dir.0).unwrap();
        let content = format!(
            "{}2026-11-21T10:02:03.123Z\ttopic\t#general\talice\tnew topic\n\n{}",
            msg("#general", "a").to_line(),
            msg("#general", "b").to_line()
        );
        fs::write(dir.file(), content).unwrap();
        let (history, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(history.recent("#general").len(), 2);
    }

    #[test]
    fn replay_window_keeps_the_last_messages_per_room_ignoring_case() {
        let dir = TempDir::new("replay");
        let (mut history, _) = History::open(&dir.0, FsyncPolicy::Never, 3).unwrap();
        for i in 1..=5 {
            history.append(&msg("#General", &format!("g{i}"))).unwrap();
            history.append(&msg("#lab", &format!("l{i}"))).unwrap();
        }
        // Joins, leaves and private messages are stored but not replayed.
        history
            .append(&record(RecordKind::Join, "#general", "bob", ""))
            .unwrap();
        history
            .append(&record(RecordKind::Private, "@general", "bob", "x"))
            .unwrap();
        let texts = |h: &History, room: &str| -> Vec<String> {
            h.recent(room).into_iter().map(|r| r.text).collect()
        };
        assert_eq!(texts(&history, "#general"), ["g3", "g4", "g5"]);
        assert_eq!(texts(&history, "#GENERAL"), ["g3", "g4", "g5"]);
        assert_eq!(texts(&history, "#lab"), ["l3", "l4", "l5"]);
        assert!(history.recent("#empty").is_empty());
        drop(history);

        // The same windows come back from the file, with another size.
        let (history, _) = History::open(&dir.0, FsyncPolicy::Never, 2).unwrap();
        assert_eq!(texts(&history, "#general"), ["g4", "g5"]);
        assert_eq!(history.recent("#general")[0].place, "#General");
        let (history, _) = History::open(&dir.0, FsyncPolicy::Never, 0).unwrap();
        assert!(history.recent("#general").is_empty());
    }

    #[test]
    fn in_memory_history_replays_without_a_file() {
        let mut history = History::in_memory(2);
        for text in ["a", "b", "c"] {
            history.append(&msg("#general", text)).unwrap();
        }
        let texts: Vec<String> = history
            .recent("#GENERAL")
            .into_iter()
            .map(|r| r.text)
            .collect();
        assert_eq!(texts, ["b", "c"]);
        history.sync().unwrap();

        let mut off = History::in_memory(0);
        off.append(&msg("#general", "a")).unwrap();
        assert!(off.recent("#general").is_empty());
    }

    #[test]
    fn a_data_dir_that_cannot_be_created_is_an_error_naming_it() {
        let dir = TempDir::new("unwritable");
        fs::create_dir_all(&dir.0).unwrap();
        let regular_file = dir.0.join("plain-file");
        fs::write(&regular_file, "not a directory").unwrap();
        let data_dir = regular_file.join("data");
        let error = History::open(&data_dir, FsyncPolicy::Never, 20)
            .err()
            .expect("a path under a regular file cannot be a directory");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "cannot create data directory {}: ",
                data_dir.display()
            )),
            "{message}"
        );
        assert!(!message.contains('\n'));
    }

    #[test]
    fn every_fsync_policy_appends_and_syncs() {
        for policy in [
            FsyncPolicy::Always,
            FsyncPolicy::Interval,
            FsyncPolicy::Never,
        ] {
            let dir = TempDir::new("policy");
            let (mut history, _) = History::open(&dir.0, policy, 20).unwrap();
            history.append(&msg("#general", "one")).unwrap();
            history.append(&msg("#general", "two")).unwrap();
            history.sync().unwrap();
            assert_eq!(
                fs::read_to_string(dir.file()).unwrap(),
                format!(
                    "{}{}",
                    msg("#general", "one").to_line(),
                    msg("#general", "two").to_line()
                ),
                "{policy:?}"
            );
        }
    }

    #[test]
    fn the_interval_thread_syncs_and_ends_when_the_history_is_dropped() {
        let dir = TempDir::new("interval");
        let (mut history, _) = History::open(&dir.0, FsyncPolicy::Interval, 20).unwrap();
        history.append(&msg("#general", "one")).unwrap();
        assert!(history.unsynced.load(Ordering::Acquire));
        let weak = Arc::downgrade(history.file.as_ref().unwrap());
        let unsynced = Arc::clone(&history.unsynced);
        // Wait (bounded) for the background sync to clear the flag.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while unsynced.load(Ordering::Acquire) {
            assert!(std::time::Instant::now() < deadline, "never synced");
            thread::sleep(Duration::from_millis(50));
        }
        drop(history);
        // The thread held only a Weak: nothing keeps the file open now,
        // except for the instant the thread itself may be syncing.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while weak.upgrade().is_some() {
            assert!(std::time::Instant::now() < deadline, "file kept alive");
            thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn an_append_after_a_failed_one_starts_on_a_new_line() {
        let dir = TempDir::new("failed-write");
        let (mut history, _) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        // Simulate a write that failed half-way, leaving a fragment.
        (&**history.file.as_ref().unwrap())
            .write_all(b"2026-11-21T10:02:03.123Z\tmsg\t#gen")
            .unwrap();
        history.last_write_failed = true;
        history.append(&msg("#general", "intact")).unwrap();
        drop(history);
        let (history, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        assert_eq!(
            warnings,
            vec![format!(
                "{}:1: malformed record skipped",
                dir.file().display()
            )]
        );
        assert_eq!(history.recent("#general"), vec![msg("#general", "intact")]);
    }

    /// Start-up time on a 100 MB history. Ignored by default (it writes
    /// 100 MB); run it in release mode:
    /// `cargo test --release --lib history::tests::open_a_100_mb_file -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn open_a_100_mb_file() {
        let dir = TempDir::new("big");
        fs::create_dir_all(&dir.0).unwrap();
        {
            let mut out = io::BufWriter::new(File::create(dir.file()).unwrap());
            let mut written = 0usize;
            let mut i = 0u64;
            while written < 100 * 1024 * 1024 {
                let r = Record {
                    time_ms: 1_795_255_323_000 + i * 250,
                    kind: if i.is_multiple_of(10) {
                        RecordKind::Join
                    } else {
                        RecordKind::Message
                    },
                    place: format!("#room{}", i % 50),
                    sender: format!("user{}", i % 300),
                    text: format!("message number {i} with some ordinary chat text in it"),
                };
                let line = r.to_line();
                written += line.len();
                out.write_all(line.as_bytes()).unwrap();
                i += 1;
            }
            out.flush().unwrap();
            eprintln!("wrote {written} bytes, {i} records");
        }
        let started = std::time::Instant::now();
        let (history, warnings) = History::open(&dir.0, FsyncPolicy::Never, 20).unwrap();
        let elapsed = started.elapsed();
        eprintln!("History::open on 100 MB took {elapsed:?}");
        assert!(warnings.is_empty());
        assert_eq!(history.recent("#room1").len(), 20);
        assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    }
}
