//! The live history: the open file the server appends to, and the last few
//! messages of each room kept in memory so a person who joins can read what
//! was just said.
//!
//! # Written before it is delivered
//!
//! The server calls [`History::append`] under its state lock and delivers the
//! message only after `append` returned. `append` hands the whole line to the
//! operating system in one `write()` call, with nothing held back in a
//! user-space buffer (no `BufWriter`). So once any client has received a
//! message, its record is in the kernel, and a `kill -9` of the server at any
//! moment cannot lose it.
//!
//! This file holds [`History`], the one type the server uses, and opening
//! it. Each of its promises is kept in a file of its own:
//! - [`disk`]: appending to the file; after a failed write (a full disk) it
//!   is cut back, so a refused message leaves no trace; rotation when the
//!   file is big or its day is over.
//! - [`fsync`]: the `fsync` setting, how soon a record reaches the disk, and
//!   the `interval` policy's background thread.
//! - [`replay`]: each room's replay window, in bounded memory.
//!
//! At start-up only the last [`START_SCAN_BYTES`] of `history.tsv` are read
//! back to fill the windows (it is rotated at 64 MB anyway, see
//! [`super::retention`]), so starting after a long term takes as long as
//! starting after a short one.

mod disk;
mod fsync;
mod replay;

pub use fsync::{FsyncPolicy, SYNC_INTERVAL};
pub use replay::IDLE_WINDOWS;

use super::file::{self, FILE_NAME};
use super::lock::{self, Sessions};
use super::record::{Record, RecordKind};
use super::retention::{self, Retention};
use crate::support::timestamp;
use crate::text::names;
use disk::{open_current, with_path, Disk};
use fsync::sync_loop;
use replay::Window;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread;

/// How much of the end of `history.tsv` start-up reads to fill the windows.
pub const START_SCAN_BYTES: u64 = 8 * 1024 * 1024;

/// The open history file (if any) plus each room's replay window.
pub struct History {
    /// `None` for [`History::in_memory`].
    disk: Option<Disk>,
    policy: FsyncPolicy,
    /// How many messages per room to keep for replay; 0 keeps none.
    replay: usize,
    /// Keyed by [`names::key`], so `#Lab` and `#lab` share one window.
    windows: HashMap<String, Window>,
    /// Counts appends: the clock of [`Window::used`].
    ticks: u64,
    sessions: Sessions,
}

impl History {
    /// Locks `dir` (creating it if missing), opens `dir/history.tsv` for
    /// appending, reads its end back to fill the replay windows, and returns
    /// warnings and notes (malformed lines, a cut torn tail, rotated or
    /// deleted files) for the server to log. An error names the file, or
    /// the other server using the directory.
    pub fn open(
        dir: &Path,
        policy: FsyncPolicy,
        replay: usize,
        retention: Retention,
    ) -> io::Result<(History, Vec<String>)> {
        fs::create_dir_all(dir).map_err(|e| with_path(e, "cannot create data directory", dir))?;
        let dir_lock = lock::lock(dir)?;
        let path = dir.join(FILE_NAME);
        let (file, len) = open_current(&path)?;
        let mut history = History::in_memory(replay);
        history.policy = policy;
        let mut seen_session = 0;
        let start = len.saturating_sub(START_SCAN_BYTES);
        let report = file::read_records_from(&file, &path, start, |record| {
            seen_session = seen_session.max(record.session.unwrap_or(0));
            if record.kind == RecordKind::Message {
                history.remember(record);
            }
            ControlFlow::Continue(())
        })
        .map_err(|e| with_path(e, "cannot read history file", &path))?;
        let mut notes = report.warnings;
        let mut len = len;
        if let Some(torn) = report.torn_tail {
            file.set_len(torn.offset)
                .map_err(|e| with_path(e, "cannot repair history file", &path))?;
            len = torn.offset;
            notes.push(format!(
                "{}: incomplete last record (left by a crash) cut off at byte {}",
                path.display(),
                torn.offset
            ));
        }
        let day = file::first_record_time(&file, &path)?.map(retention::day_of);
        history.sessions = Sessions::open(dir, seen_session)?;
        let file = Arc::new(file);
        let shared = Arc::new(Mutex::new(Arc::clone(&file)));
        let unsynced = Arc::new(AtomicBool::new(false));
        if policy == FsyncPolicy::Interval {
            let weak = Arc::downgrade(&shared);
            let flag = Arc::clone(&unsynced);
            let thread_path = path.clone();
            thread::Builder::new()
                .name("history-sync".into())
                .spawn(move || sync_loop(weak, flag, thread_path))
                .map_err(|e| with_path(e, "cannot start the sync thread for", &path))?;
        }
        let mut disk = Disk {
            dir: dir.to_path_buf(),
            _lock: dir_lock,
            file,
            shared,
            len,
            day,
            retention,
            rotate_at: retention.rotate_bytes(),
            unsynced,
            piece_left: false,
            over_limit: None,
        };
        let today = retention::day_of(timestamp::now_millis());
        let old_day = disk.day.as_ref().is_some_and(|day| *day != today);
        if disk.len > 0 && (disk.len >= disk.rotate_at || old_day) {
            notes.extend(disk.try_rotate(policy, &today));
        } else {
            let pruned = retention::prune(dir, retention, timestamp::now_millis(), disk.len);
            notes.extend(disk.take_pruned(pruned));
        }
        history.disk = Some(disk);
        Ok((history, notes))
    }

    /// No file (history is off): only the in-memory replay windows, which
    /// start empty at every start of the server.
    pub fn in_memory(replay: usize) -> History {
        History {
            disk: None,
            policy: FsyncPolicy::Never,
            replay,
            windows: HashMap::new(),
            ticks: 0,
            sessions: Sessions::in_memory(),
        }
    }

    /// A number for a new connection, unique across restarts on this data
    /// directory (and within the run for [`History::in_memory`]).
    pub fn new_session(&mut self) -> u64 {
        self.sessions.take()
    }

    /// Appends one record before it is delivered, then keeps it for replay
    /// if it is a room message. An error (disk full) means the record is not
    /// stored, and nothing of it is left in the file: the server refuses the
    /// message rather than deliver what it cannot keep.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        // Membership counts even when the write fails: the person did join.
        self.count_members(record);
        if let Some(disk) = &mut self.disk {
            disk.append(record, self.policy)?;
        }
        if record.kind == RecordKind::Message {
            self.remember(record.clone());
        }
        Ok(())
    }

    /// The line saying the history is over its size limit with nothing old
    /// enough to delete, once per time retention found it so: for the
    /// operators online.
    pub fn take_over_limit(&mut self) -> Option<String> {
        self.disk.as_mut()?.over_limit.take()
    }

    /// Is there such a line waiting? (A cheap test for every record.)
    pub fn over_limit_pending(&self) -> bool {
        self.disk.as_ref().is_some_and(|d| d.over_limit.is_some())
    }

    /// The room's recent messages, oldest first. `room` as displayed; matched ignoring case.
    pub fn recent(&self, room: &str) -> Vec<Record> {
        match self.windows.get(&names::key(room)) {
            Some(window) => window.records.iter().cloned().collect(),
            None => Vec::new(),
        }
    }

    /// Flushes the file to the disk now (at shutdown), unless the policy is
    /// `never`, which promises never to ask the disk for anything.
    pub fn sync(&self) -> io::Result<()> {
        match (&self.disk, self.policy) {
            (Some(disk), FsyncPolicy::Always | FsyncPolicy::Interval) => disk.sync(),
            _ => Ok(()),
        }
    }

    /// The length of `history.tsv` in bytes (as this server has written
    /// it), for `STATS`; `None` when history is off.
    pub fn file_bytes(&self) -> Option<u64> {
        self.disk.as_ref().map(|disk| disk.len)
    }

    /// How many replay windows are in memory (for tests of the bound).
    pub fn window_count(&self) -> usize {
        self.windows.len()
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
