//! The message history file (being written).

use crate::config::FsyncPolicy;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

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
}

/// One line of the history file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub time_ms: u64,
    pub kind: RecordKind,
    pub place: String,
    pub sender: String,
    pub text: String,
}

/// The open history file plus each room's replay window.
pub struct History {
    #[allow(dead_code)]
    file: Option<Arc<File>>,
    #[allow(dead_code)]
    policy: FsyncPolicy,
    #[allow(dead_code)]
    replay: usize,
    #[allow(dead_code)]
    recent: HashMap<String, VecDeque<Record>>,
}

impl History {
    /// Creates `dir` if missing, reads the file back, returns warnings.
    pub fn open(
        _dir: &Path,
        _policy: FsyncPolicy,
        _replay: usize,
    ) -> io::Result<(History, Vec<String>)> {
        Err(io::Error::other("history: not written yet"))
    }
    /// No file: only the in-memory replay window.
    pub fn in_memory(replay: usize) -> History {
        History {
            file: None,
            policy: FsyncPolicy::Never,
            replay,
            recent: HashMap::new(),
        }
    }
    /// Appends one record (one write() of one line) before it is delivered.
    pub fn append(&mut self, _record: &Record) -> io::Result<()> {
        Ok(())
    }
    /// The room's recent messages, oldest first. `room` as displayed; matched ignoring case.
    pub fn recent(&self, _room: &str) -> Vec<Record> {
        Vec::new()
    }
    /// Flushes to disk now (shutdown).
    pub fn sync(&self) -> io::Result<()> {
        Ok(())
    }
}
