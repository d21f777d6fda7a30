//! The `fsync` setting: how soon a record reaches the disk, not only the
//! kernel.
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
//! `interval`'s background thread ([`sync_loop`]) holds no lock of the
//! server: it owns a weak handle to the current file and syncs it without
//! stopping anyone.

use crate::log;
use std::fs::File;
use std::path::PathBuf;
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

/// The file currently appended to, shared with the sync thread, which may
/// see it change when the file is rotated.
pub(super) type CurrentFile = Mutex<Arc<File>>;

/// The `interval` policy's background thread. It holds only a `Weak`, so it
/// keeps nothing alive: when the `History` is dropped the next `upgrade`
/// fails and the thread ends (within one [`SYNC_INTERVAL`]). It never touches
/// the server's lock, so a slow disk delays nobody's chat.
pub(super) fn sync_loop(current: Weak<CurrentFile>, unsynced: Arc<AtomicBool>, path: PathBuf) {
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
