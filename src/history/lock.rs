//! One server per data directory, and the session numbers that one server
//! can therefore keep unique.
//!
//! # The lock: `<data_dir>/server.lock`
//!
//! Two servers appending to one history would mix two classes into one
//! transcript, merge two different people called `alice` into one, and a
//! starting server's repair of a torn last line could cut off the other's
//! newer records. So a server takes an exclusive lock on `server.lock`
//! (`File::try_lock`, an `flock` on Linux) before it touches anything else,
//! holds it as long as it runs, and writes its process id into the file. A
//! second server finds the lock taken, reads the pid, and refuses to start
//! with one line naming both. The operating system releases the lock when
//! the process ends, however it ends (`kill -9` included), so a crash never
//! leaves a stale lock behind. `transcript` and `attendance` never take it:
//! they only read.
//!
//! # Session numbers: `<data_dir>/sessions`
//!
//! Every connection gets a number that is written into each of its records,
//! so the history can tell people apart. It must be unique across restarts,
//! so the next free number is kept on disk. Writing it for every connection
//! would cost a file write per connection; instead the server *reserves* a
//! block of [`SESSION_BLOCK`] numbers by writing the end of the block, and
//! hands numbers out from memory. After a crash the unused rest of a block
//! is skipped, which is harmless: numbers need to be unique, not dense. The
//! first run numbers its connections from 1, the next from 1001, and so on,
//! so a session number also tells which run of the server it belongs to.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "server.lock";

/// The session counter's file name inside the data directory.
pub const SESSIONS_FILE: &str = "sessions";

/// How many session numbers one write of the counter file reserves.
pub const SESSION_BLOCK: u64 = 1000;

/// The lock on a data directory, held while this value lives.
#[derive(Debug)]
pub struct DirLock {
    /// Holding the open file is holding the lock.
    _file: File,
}

/// Takes the data directory's lock, or says which server has it.
pub fn lock(dir: &Path) -> io::Result<DirLock> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = match pid.trim() {
                "" => "pid unknown".to_string(),
                pid => format!("pid {pid}"),
            };
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("another chat server ({pid}) is already using it"),
            ));
        }
        Err(TryLockError::Error(e)) => {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot lock {}: {e}", path.display()),
            ))
        }
    }
    file.set_len(0)?;
    writeln!(file, "{}", std::process::id())?;
    Ok(DirLock { _file: file })
}

/// Hands out session numbers, reserving them on disk a block at a time.
#[derive(Debug)]
pub struct Sessions {
    /// `None` for a history without files: numbers then start at 1 each run.
    path: Option<PathBuf>,
    next: u64,
    /// The first number not yet reserved on disk.
    reserved_until: u64,
    /// The counter file could not be written: warned once.
    failing: bool,
}

impl Sessions {
    /// Numbers that only need to be unique while this server runs.
    pub fn in_memory() -> Sessions {
        Sessions {
            path: None,
            next: 1,
            reserved_until: u64::MAX,
            failing: false,
        }
    }

    /// Reads the counter in `dir` and reserves the first block. `seen` is the
    /// highest session the history itself shows, so numbers stay unique even
    /// if the counter file was deleted.
    pub fn open(dir: &Path, seen: u64) -> io::Result<Sessions> {
        let path = dir.join(SESSIONS_FILE);
        let stored = match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<u64>().unwrap_or(0),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot read {}: {e}", path.display()),
                ))
            }
        };
        let next = stored.max(seen.saturating_add(1)).max(1);
        let mut sessions = Sessions {
            path: Some(path),
            next,
            reserved_until: next,
            failing: false,
        };
        sessions.reserve()?;
        Ok(sessions)
    }

    /// Takes the next session number.
    pub fn take(&mut self) -> u64 {
        if self.next >= self.reserved_until {
            match self.reserve() {
                Ok(()) => self.failing = false,
                Err(error) => {
                    // Keep numbering in memory: unique for this run; a later
                    // run also starts above every number in the history.
                    if !self.failing {
                        crate::log!("Warning: cannot reserve session numbers: {error}");
                    }
                    self.failing = true;
                    self.reserved_until = self.next.saturating_add(SESSION_BLOCK);
                }
            }
        }
        let number = self.next;
        self.next += 1;
        number
    }

    /// Writes the end of the next block, through a temporary file and a
    /// rename, so the counter file is always whole.
    fn reserve(&mut self) -> io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let until = self.next.saturating_add(SESSION_BLOCK);
        let temporary = path.with_extension("new");
        fs::write(&temporary, format!("{until}\n"))
            .and_then(|()| fs::rename(&temporary, path))
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
            })?;
        self.reserved_until = until;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chatroom-lock-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_second_lock_on_the_same_directory_names_the_first_holder() {
        let dir = temp_dir("twice");
        let first = lock(&dir).unwrap();
        let error = lock(&dir).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "another chat server (pid {}) is already using it",
                std::process::id()
            )
        );
        drop(first);
        assert!(lock(&dir).is_ok(), "released when dropped");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn session_numbers_are_unique_across_restarts() {
        let dir = temp_dir("sessions");
        let mut first = Sessions::open(&dir, 0).unwrap();
        let a: Vec<u64> = (0..1500).map(|_| first.take()).collect();
        assert_eq!((a[0], a[1499]), (1, 1500));
        drop(first);
        let mut second = Sessions::open(&dir, 0).unwrap();
        assert_eq!(second.take(), 2001);
        // A deleted counter: the history's own highest number is the floor.
        fs::remove_file(dir.join(SESSIONS_FILE)).unwrap();
        assert_eq!(Sessions::open(&dir, 2001).unwrap().take(), 2002);
        let mut memory = Sessions::in_memory();
        assert_eq!((memory.take(), memory.take()), (1, 2));
        let _ = fs::remove_dir_all(&dir);
    }
}
