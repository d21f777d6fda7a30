//! The history files on disk: which there are, and reading them back.
//!
//! A data directory holds the current file, `history.tsv`, which the server
//! appends to, and the files it rotated out of the way earlier, named by the
//! UTC day of their first record: `history-2026-11-21.tsv`, and
//! `history-2026-11-21.2.tsv` for a second file of the same day (see
//! [`super::store`] for when a file is rotated and when old ones go).
//! [`history_files`] lists them oldest first, so reading them in that order
//! reads the records in the order the server accepted them.
//!
//! Reading never changes a file, so `transcript` and `attendance` can read
//! while a server is appending. A line that is not a record (damaged, or a
//! piece of one: see [`super::record`]) is skipped with a warning naming its
//! line; a last line without its newline is reported as a *torn tail*, which
//! the server cuts off when it starts (a crash left it; nothing delivered is
//! in it, because delivery waits for the whole line to be written).

use super::record::{ParsedLine, Record};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// The current history file's name inside the data directory.
pub const FILE_NAME: &str = "history.tsv";

/// The longest line the reader accepts. The server's own records are far
/// shorter (a message is at most `max_line_bytes`, and escaping at most
/// doubles it); this cap only keeps a damaged file with no newlines from
/// being read into memory whole. A longer line is skipped as malformed.
pub const MAX_RECORD_BYTES: usize = 4 * 1024 * 1024;

/// Why a line may be unreadable, said once with the count: the usual cause
/// is a file edited by hand, where an editor turned the tabs into spaces.
const UNREADABLE_HINT: &str =
    "records are tab-separated fields; an editor may have turned the tabs into spaces";

/// The name of a rotated file: its first record's day, and which file of
/// that day it is (1 for the first).
pub fn archive_name(day: &str, n: u32) -> String {
    match n {
        0 | 1 => format!("history-{day}.tsv"),
        n => format!("history-{day}.{n}.tsv"),
    }
}

/// The (day, number) of a rotated file's name; `None` for any other file.
pub fn parse_archive_name(name: &str) -> Option<(String, u32)> {
    let rest = name.strip_prefix("history-")?.strip_suffix(".tsv")?;
    let (day, n) = match rest.split_once('.') {
        Some((day, n)) => (day, n.parse().ok().filter(|&n| n >= 2)?),
        None => (rest, 1),
    };
    let is_day = day.len() == 10
        && day.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    is_day.then(|| (day.to_string(), n))
}

/// The rotated files of `dir`, oldest first, with their sizes.
pub fn archives(dir: &Path) -> io::Result<Vec<(PathBuf, u64)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(key) = name.to_str().and_then(parse_archive_name) {
            found.push((key, entry.path(), entry.metadata()?.len()));
        }
    }
    found.sort();
    Ok(found
        .into_iter()
        .map(|(_, path, len)| (path, len))
        .collect())
}

/// Every history file of `dir`, oldest first: the rotated ones, then the
/// current one. `NotFound` if there is none at all.
pub fn history_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = archives(dir)?.into_iter().map(|(path, _)| path).collect();
    let current = dir.join(FILE_NAME);
    if current.exists() {
        files.push(current);
    }
    if files.is_empty() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no history files"));
    }
    Ok(files)
}

/// A last line without its newline, as a crash can leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornTail {
    /// Its line number, counting from 1 (from where the reading started).
    pub line: u64,
    /// Its first byte: cutting the file here leaves only complete lines.
    pub offset: u64,
}

/// What reading a file found besides the records.
#[derive(Debug, Default)]
pub struct ReadReport {
    /// At most one about unreadable lines, however many there are:
    /// `chatroom-data/history.tsv:1234: 7 unreadable lines skipped, the first here (…)`.
    pub warnings: Vec<String>,
    pub torn_tail: Option<TornTail>,
}

/// Reads the history file at `path` without changing it. `each` receives
/// every record oldest first and may stop the reading early with `Break`.
pub fn read_records(
    path: &Path,
    each: impl FnMut(Record) -> ControlFlow<()>,
) -> io::Result<ReadReport> {
    let file = File::open(path)?;
    read_records_from(&file, path, 0, each)
}

/// The reading loop: streams the file line by line as bytes from `start`
/// (0, or a byte inside the file: reading then begins at the next line), so
/// a big history needs no more memory than its longest line. Line numbers
/// in warnings count from `start`; when it is not 0 they say "after byte".
pub fn read_records_from(
    mut file: &File,
    path: &Path,
    start: u64,
    mut each: impl FnMut(Record) -> ControlFlow<()>,
) -> io::Result<ReadReport> {
    file.seek(SeekFrom::Start(start.saturating_sub(1)))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut line_start = start;
    if start > 0 {
        // Skip to the start of the next line: the byte before `start` is a
        // newline exactly when `start` is the start of a line.
        let (skipped, _) = skip_rest_of_line(&mut reader)?;
        line_start = start - 1 + skipped;
    }
    let place = |line_number: u64| match start {
        0 => format!("{}:{line_number}", path.display()),
        _ => format!("{}: line {line_number} after byte {start}", path.display()),
    };
    let mut report = ReadReport::default();
    let mut malformed = 0usize;
    let mut first_malformed = 0u64;
    let mut line = Vec::new();
    let mut line_number = 0u64;
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
                if malformed == 1 {
                    first_malformed = line_number;
                }
            }
        }
    }
    // One warning, however many: a file of garbage cannot flood the log,
    // and the count and the first line are what a person needs to look.
    let at = place(first_malformed);
    match malformed {
        0 => {}
        1 => report
            .warnings
            .push(format!("{at}: unreadable line skipped ({UNREADABLE_HINT})")),
        n => report.warnings.push(format!(
            "{at}: {n} unreadable lines skipped, the first here ({UNREADABLE_HINT})"
        )),
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

/// The time of the first record of the file, if it has one among its first
/// lines (rotation names a file by the day of its first record).
pub fn first_record_time(file: &File, path: &Path) -> io::Result<Option<u64>> {
    let mut first = None;
    read_records_from(file, path, 0, |record| {
        first = Some(record.time_ms);
        ControlFlow::Break(())
    })?;
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_sort_oldest_first() {
        assert_eq!(archive_name("2026-11-21", 1), "history-2026-11-21.tsv");
        assert_eq!(archive_name("2026-11-21", 2), "history-2026-11-21.2.tsv");
        assert_eq!(
            parse_archive_name("history-2026-11-21.tsv"),
            Some(("2026-11-21".into(), 1))
        );
        assert_eq!(
            parse_archive_name("history-2026-11-21.12.tsv"),
            Some(("2026-11-21".into(), 12))
        );
        for other in [
            "history.tsv",
            "history-2026-11-21.1.tsv",
            "history-2026-11-2x.tsv",
            "history-2026-11-21.tsv~",
            "notes.txt",
        ] {
            assert_eq!(parse_archive_name(other), None, "{other}");
        }
        let mut keys = vec![
            parse_archive_name("history-2026-11-21.10.tsv"),
            parse_archive_name("history-2026-11-22.tsv"),
            parse_archive_name("history-2026-11-21.2.tsv"),
            parse_archive_name("history-2026-11-21.tsv"),
        ];
        keys.sort();
        let days: Vec<u32> = keys.into_iter().map(|k| k.unwrap().1).collect();
        assert_eq!(days, [1, 2, 10, 1]);
    }
}
