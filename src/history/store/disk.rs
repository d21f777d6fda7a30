//! Appending to the history file, and what happens when that fails.
//!
//! # A full disk: a refused message leaves no trace
//!
//! When the write fails or is cut short (the disk is full), `append` cuts the
//! file back to where the record began (`set_len`) and reports the error;
//! the server refuses the message, and nobody receives it. Should even the
//! cut fail, the next record starts with `~` and a newline, which closes the
//! piece into a line that can never pass as a record (a record ends with
//! its check, see [`crate::history::record`]). Cutting is safe because this
//! server is the file's only writer: it holds the data directory's lock
//! ([`crate::history::lock`]).
//!
//! The file is also rotated here, into a dated file, when it has grown big
//! or its day is over ([`crate::history::retention`] says when and which
//! files to delete). A rotation that fails is logged and chat goes on in
//! the same file.

use super::fsync::{CurrentFile, FsyncPolicy};
use crate::history::file::FILE_NAME;
use crate::history::lock::DirLock;
use crate::history::record::Record;
use crate::history::retention::{self, Retention};
use crate::log;
use crate::support::timestamp;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What closes a piece left by a write that could not be undone.
const CLOSE_PIECE: &[u8] = b"~\n";

/// The files of a history that is stored.
pub(super) struct Disk {
    pub(super) dir: PathBuf,
    /// Held, never read: the data directory is ours while it lives.
    pub(super) _lock: DirLock,
    pub(super) file: Arc<File>,
    /// The same file, for the sync thread.
    pub(super) shared: Arc<CurrentFile>,
    /// The file's length: where the next record begins.
    pub(super) len: u64,
    /// The UTC day of the file's first record; `None` while it is empty.
    pub(super) day: Option<String>,
    pub(super) retention: Retention,
    /// The length at which the file is rotated (later after a failed try).
    pub(super) rotate_at: u64,
    /// Set by every append, cleared by the sync thread.
    pub(super) unsynced: Arc<AtomicBool>,
    /// A failed write left a piece that could not be cut off.
    pub(super) piece_left: bool,
    /// Retention found the history over its size limit with nothing old
    /// enough to delete: the line, until the state tells the operators.
    pub(super) over_limit: Option<String>,
}

impl Disk {
    pub(super) fn append(&mut self, record: &Record, policy: FsyncPolicy) -> io::Result<()> {
        let day = retention::day_of(record.time_ms);
        if self.len >= self.rotate_at || self.day.as_ref().is_some_and(|d| *d != day) {
            for note in self.try_rotate(policy, &day) {
                log!("{note}");
            }
        }
        if self.piece_left {
            // Try again to cut the piece off; if that fails too, close it.
            self.piece_left = self.file.set_len(self.len).is_err();
            if self.piece_left {
                self.len = self.file.metadata().map(|m| m.len()).unwrap_or(self.len);
                self.write(CLOSE_PIECE)?;
                self.piece_left = false;
            }
        }
        let line = record.to_line();
        self.write(line.as_bytes())?;
        if policy == FsyncPolicy::Always {
            if let Err(error) = self.file.sync_data() {
                // Not stored for sure, so not stored at all.
                self.undo(self.len - line.len() as u64);
                return Err(self.error(error, "cannot sync"));
            }
        } else if policy == FsyncPolicy::Interval {
            self.unsynced.store(true, Ordering::Release);
        }
        self.day.get_or_insert(day);
        Ok(())
    }

    /// One `write()` of a whole line (a regular file takes it at once unless
    /// the disk is full); on any failure the file is cut back.
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let start = self.len;
        match (&*self.file).write_all(bytes) {
            Ok(()) => {
                self.len += bytes.len() as u64;
                Ok(())
            }
            Err(error) => {
                self.undo(start);
                Err(self.error(error, "cannot append to"))
            }
        }
    }

    /// Cuts the file back to `len`, or remembers that a piece is left.
    fn undo(&mut self, len: u64) {
        self.len = len;
        self.piece_left = self.file.set_len(len).is_err();
    }

    pub(super) fn sync(&self) -> io::Result<()> {
        self.unsynced.store(false, Ordering::Release);
        self.file
            .sync_data()
            .map_err(|e| self.error(e, "cannot sync"))
    }

    /// Rotates the file if it can. A failure (a read-only directory, say) is
    /// logged and chat goes on in the same file: losing a rotation is better
    /// than refusing every message. It is tried again the next day, or after
    /// another `rotate_bytes`.
    pub(super) fn try_rotate(&mut self, policy: FsyncPolicy, today: &str) -> Vec<String> {
        match self.rotate(policy) {
            Ok(notes) => {
                self.rotate_at = self.retention.rotate_bytes();
                notes
            }
            Err(error) => {
                self.day = Some(today.to_string());
                self.rotate_at = self.len + self.retention.rotate_bytes();
                vec![format!(
                    "cannot rotate the history file: {error}; carrying on in it"
                )]
            }
        }
    }

    /// Renames the current file to its dated name, starts a new one, and
    /// applies retention. Returns lines for the log.
    fn rotate(&mut self, policy: FsyncPolicy) -> io::Result<Vec<String>> {
        if policy != FsyncPolicy::Never {
            self.sync()?;
        }
        let day = self
            .day
            .clone()
            .unwrap_or_else(|| retention::day_of(timestamp::now_millis()));
        let rotated =
            retention::rotate(&self.dir, &day).map_err(|e| self.error(e, "cannot rotate"))?;
        let (file, len) = open_current(&self.dir.join(FILE_NAME))?;
        self.file = Arc::new(file);
        *self.shared.lock().unwrap_or_else(|p| p.into_inner()) = Arc::clone(&self.file);
        self.len = len;
        self.day = None;
        self.piece_left = false;
        let mut notes = vec![format!(
            "History: continued in a new file; the last one is {}",
            rotated.display()
        )];
        let pruned = retention::prune(&self.dir, self.retention, timestamp::now_millis(), len);
        notes.extend(self.take_pruned(pruned));
        Ok(notes)
    }

    /// The log lines of a prune; an over-limit line is also kept for the
    /// operators (see [`History::take_over_limit`](super::History::take_over_limit)).
    pub(super) fn take_pruned(&mut self, pruned: retention::Pruned) -> Vec<String> {
        let mut lines = pruned.lines;
        if let Some(line) = pruned.over_limit {
            lines.push(line.clone());
            self.over_limit = Some(line);
        }
        lines
    }

    fn error(&self, error: io::Error, action: &str) -> io::Error {
        with_path(error, action, &self.dir.join(FILE_NAME))
    }
}

/// Opens `history.tsv` for appending (creating it) and returns its length.
/// Append mode: every write lands at the end, whatever the read position.
pub(super) fn open_current(path: &Path) -> io::Result<(File, u64)> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| with_path(e, "cannot open history file", path))?;
    let len = file
        .metadata()
        .map_err(|e| with_path(e, "cannot read history file", path))?
        .len();
    Ok((file, len))
}

/// An `io::Error` whose message names the path, so the server's one-line
/// error tells the person which file or directory to fix.
pub(super) fn with_path(error: io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("{action} {}: {error}", path.display()),
    )
}
