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
//! # A full disk: a refused message leaves no trace
//!
//! When the write fails or is cut short (the disk is full), `append` cuts the
//! file back to where the record began (`set_len`) and reports the error;
//! the server refuses the message, and nobody receives it. Should even the
//! cut fail, the next record starts with `~` and a newline, which closes the
//! piece into a line that can never pass as a record (a record ends with
//! its check, see [`super::record`]). Cutting is safe because this server is
//! the file's only writer: it holds the data directory's lock
//! ([`super::lock`]).
//!
//! # Durability: the `fsync` setting
//!
//! Being in the kernel is not being on the disk: the kernel writes its cache
//! to the disk when it likes (on Linux, within about 30 seconds).
//! `File::sync_data` (the `fdatasync` system call) forces it now, at the
//! price of waiting for the disk.
//!
//! | `fsync`    | when the disk is asked to store it     | server crash, `kill -9` | power loss, kernel crash           |
//! |------------|----------------------------------------|-------------------------|------------------------------------|
//! | `always`   | after every record, before delivery    | nothing lost            | nothing delivered is lost          |
//! | `interval` | once a second, and at shutdown (default) | nothing lost          | the last second or so may be lost  |
//! | `never`    | when the operating system likes        | nothing lost            | the last ~30 seconds may be lost   |
//!
//! `interval`'s background thread holds no lock of the server: it owns a
//! weak handle to the current file and syncs it without stopping anyone.
//!
//! # Bounded memory
//!
//! A room's replay window (`history_replay` messages) is kept while the room
//! has members, plus the windows of the [`IDLE_WINDOWS`] rooms that emptied
//! most recently, so a class that leaves and comes back still sees its last
//! messages, and a crowd hopping through new rooms does not grow memory.
//! Who is in which room is counted from the join and leave records passed
//! to `append`. At start-up only the last [`START_SCAN_BYTES`] of
//! `history.tsv` are read back (it is rotated at 64 MB anyway, see
//! [`super::retention`]), so starting after a long term takes as long as
//! starting after a short one.

use super::file::{self, FILE_NAME};
use super::lock::{self, DirLock, Sessions};
use super::record::{Record, RecordKind};
use super::retention::{self, Retention};
use crate::log;
use crate::support::timestamp;
use crate::text::names;
use std::collections::{HashMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread;
use std::time::Duration;

/// When the history file is flushed from the OS's cache to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// After every record: survives power loss, costs a disk flush per message.
    Always,
    /// Once a second in the background and at shutdown (the default).
    Interval,
    /// Never explicitly: the OS flushes when it likes.
    Never,
}

impl FsyncPolicy {
    /// The word used in the settings file and for `--fsync`.
    pub fn as_str(self) -> &'static str {
        match self {
            FsyncPolicy::Always => "always",
            FsyncPolicy::Interval => "interval",
            FsyncPolicy::Never => "never",
        }
    }
}

impl FromStr for FsyncPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "always" => Ok(FsyncPolicy::Always),
            "interval" => Ok(FsyncPolicy::Interval),
            "never" => Ok(FsyncPolicy::Never),
            _ => Err(format!(
                "unknown fsync policy \"{text}\" (use always, interval or never)"
            )),
        }
    }
}

/// How often the `interval` policy's background thread syncs the file.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// How many replay windows of rooms without members are kept.
pub const IDLE_WINDOWS: usize = 64;

/// How much of the end of `history.tsv` start-up reads to fill the windows.
pub const START_SCAN_BYTES: u64 = 8 * 1024 * 1024;

/// What closes a piece left by a write that could not be undone.
const CLOSE_PIECE: &[u8] = b"~\n";

/// The file currently appended to, shared with the sync thread, which may
/// see it change when the file is rotated.
type CurrentFile = Mutex<Arc<File>>;

/// One room's replay window.
#[derive(Default)]
struct Window {
    /// The last `replay` messages, oldest first.
    records: VecDeque<Record>,
    /// How many people are in the room (from join and leave records).
    members: usize,
    /// When it was last used ([`History::ticks`]), for evicting idle windows.
    used: u64,
}

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

/// The files of a history that is stored.
struct Disk {
    dir: PathBuf,
    /// Held, never read: the data directory is ours while it lives.
    _lock: DirLock,
    file: Arc<File>,
    /// The same file, for the sync thread.
    shared: Arc<CurrentFile>,
    /// The file's length: where the next record begins.
    len: u64,
    /// The UTC day of the file's first record; `None` while it is empty.
    day: Option<String>,
    retention: Retention,
    /// The length at which the file is rotated (later after a failed try).
    rotate_at: u64,
    /// Set by every append, cleared by the sync thread.
    unsynced: Arc<AtomicBool>,
    /// A failed write left a piece that could not be cut off.
    piece_left: bool,
    /// Retention found the history over its size limit with nothing old
    /// enough to delete: the line, until the state tells the operators.
    over_limit: Option<String>,
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

    fn count_members(&mut self, record: &Record) {
        if self.replay == 0 || !matches!(record.kind, RecordKind::Join | RecordKind::Leave) {
            return;
        }
        self.ticks += 1;
        let window = self.windows.entry(names::key(&record.place)).or_default();
        window.used = self.ticks;
        if record.kind == RecordKind::Join {
            window.members += 1;
        } else {
            window.members = window.members.saturating_sub(1);
            self.evict_idle();
        }
    }

    /// Adds a message to its room's window, dropping the oldest beyond `replay`.
    fn remember(&mut self, record: Record) {
        if self.replay == 0 {
            return;
        }
        self.ticks += 1;
        let window = self.windows.entry(names::key(&record.place)).or_default();
        window.used = self.ticks;
        if window.records.len() >= self.replay {
            window.records.pop_front();
        }
        window.records.push_back(record);
        if window.members == 0 {
            self.evict_idle();
        }
    }

    /// Drops the least recently used window of a room without members
    /// while there are more than [`IDLE_WINDOWS`] of them.
    fn evict_idle(&mut self) {
        loop {
            let idle = self.windows.iter().filter(|(_, w)| w.members == 0);
            if idle.clone().count() <= IDLE_WINDOWS {
                return;
            }
            let oldest = idle.min_by_key(|(_, w)| w.used).map(|(key, _)| key.clone());
            if let Some(key) = oldest {
                self.windows.remove(&key);
            }
        }
    }
}

impl Disk {
    fn append(&mut self, record: &Record, policy: FsyncPolicy) -> io::Result<()> {
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

    fn sync(&self) -> io::Result<()> {
        self.unsynced.store(false, Ordering::Release);
        self.file
            .sync_data()
            .map_err(|e| self.error(e, "cannot sync"))
    }

    /// Rotates the file if it can. A failure (a read-only directory, say) is
    /// logged and chat goes on in the same file: losing a rotation is better
    /// than refusing every message. It is tried again the next day, or after
    /// another `rotate_bytes`.
    fn try_rotate(&mut self, policy: FsyncPolicy, today: &str) -> Vec<String> {
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
    /// operators (see [`History::take_over_limit`]).
    fn take_pruned(&mut self, pruned: retention::Pruned) -> Vec<String> {
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
fn open_current(path: &Path) -> io::Result<(File, u64)> {
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
fn with_path(error: io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("{action} {}: {error}", path.display()),
    )
}

/// The `interval` policy's background thread. It holds only a `Weak`, so it
/// keeps nothing alive: when the `History` is dropped the next `upgrade`
/// fails and the thread ends (within one [`SYNC_INTERVAL`]). It never touches
/// the server's lock, so a slow disk delays nobody's chat.
fn sync_loop(current: Weak<CurrentFile>, unsynced: Arc<AtomicBool>, path: PathBuf) {
    let mut failing = false;
    loop {
        thread::sleep(SYNC_INTERVAL);
        let Some(current) = current.upgrade() else {
            return;
        };
        // Clear the flag *before* syncing: a record appended during the sync
        // sets it again and is synced next time.
        if !unsynced.swap(false, Ordering::AcqRel) {
            continue;
        }
        let file = Arc::clone(&current.lock().unwrap_or_else(|p| p.into_inner()));
        drop(current);
        match file.sync_data() {
            Ok(()) if failing => {
                log!("history: syncing {} works again", path.display());
                failing = false;
            }
            Ok(()) => {}
            Err(error) => {
                unsynced.store(true, Ordering::Release);
                // Once per failure streak, not once a second.
                if !failing {
                    log!("warning: history: cannot sync {}: {error}", path.display());
                }
                failing = true;
            }
        }
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
