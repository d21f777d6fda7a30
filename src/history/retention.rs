//! How big the history may grow: rotation into dated files, and the
//! deletion of the oldest ones.
//!
//! The server appends to `history.tsv`. When the UTC day changes (the next
//! record is of a later day than the file's first record), or the file
//! reaches [`Retention::rotate_bytes`], the file is renamed to
//! `history-<day of its first record>.tsv` (`.2.tsv`, `.3.tsv` … for more
//! files of one day) and a new `history.tsv` is begun. So a teacher finds
//! each day of class in its own file, which `less` and `grep` open quickly,
//! and `transcript` reads them all, oldest first, as one history.
//!
//! After each rotation (and at start-up) the oldest rotated files are
//! deleted while they are older than `history_keep_days`, or while all the
//! history files together are larger than `history_keep_mb` *and* the file
//! is older than [`MIN_AGE_DAYS`]. The defaults (365 days, 2000 MB) keep a
//! school year of any ordinary class: a lively class of 30 writes a few MB
//! a day. Each deletion is logged. Setting either to 0 switches that limit
//! off. The current file is never deleted.
//!
//! Why a minimum age: a size limit alone lets anyone erase the record.
//! Spam written within the flood limit (100 bots at 10 lines/s of 1,000
//! bytes) filled 8 MB in 8 s and deleted the file that held what a student
//! had said earlier. So no file younger than a week is deleted for size:
//! when the recent history alone is over the limit, the server keeps
//! writing and says so ([`Pruned::over_limit`], for the log and the
//! operators); what one address may write is bounded per hour instead (the
//! chat guard's history share).

use super::file::{self, FILE_NAME};
use crate::support::timestamp;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The largest `history.tsv` grows before it is rotated, whatever the day:
/// small enough that start-up and `less` stay quick, large enough that an
/// ordinary day of class is one file.
pub const ROTATE_BYTES: u64 = 64 * 1024 * 1024;

const MIB: u64 = 1024 * 1024;
const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The retention settings (`history_keep_days`, `history_keep_mb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Delete rotated files whose day is older than this many days; 0: never.
    pub keep_days: u64,
    /// Delete the oldest rotated files while all history files together are
    /// larger than this many MiB; 0: no limit.
    pub keep_mb: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_days: 365,
            keep_mb: 2000,
        }
    }
}

impl Retention {
    /// When `history.tsv` is rotated by size: [`ROTATE_BYTES`], or a quarter
    /// of `keep_mb` if that is smaller, so the size limit can be kept by
    /// deleting whole rotated files.
    pub fn rotate_bytes(&self) -> u64 {
        match self.keep_mb {
            0 => ROTATE_BYTES,
            mb => ROTATE_BYTES.min(mb * MIB / 4).max(64 * 1024),
        }
    }
}

/// The UTC day (`2026-11-21`) of a time.
pub fn day_of(time_ms: u64) -> String {
    timestamp::rfc3339(time_ms)[..10].to_string()
}

/// Renames `dir/history.tsv` to the first free rotated name for `day`.
pub fn rotate(dir: &Path, day: &str) -> io::Result<PathBuf> {
    let mut n = 1;
    let target = loop {
        let candidate = dir.join(file::archive_name(day, n));
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    fs::rename(dir.join(FILE_NAME), &target)?;
    Ok(target)
}

/// No file whose day is less than this many days ago is deleted for size.
pub const MIN_AGE_DAYS: u64 = 7;

/// What [`prune`] did.
#[derive(Debug, Default)]
pub struct Pruned {
    /// One log line per deleted file (or per failure).
    pub lines: Vec<String>,
    /// Set when the history is still over `history_keep_mb` because every
    /// file left is younger than [`MIN_AGE_DAYS`]: a line for the log and
    /// the operators.
    pub over_limit: Option<String>,
}

/// Deletes the rotated files that retention no longer keeps.
pub fn prune(dir: &Path, retention: Retention, now_ms: u64, current_len: u64) -> Pruned {
    let mut pruned = Pruned::default();
    let archives = match file::archives(dir) {
        Ok(archives) => archives,
        Err(error) => {
            pruned
                .lines
                .push(format!("cannot list {}: {error}", dir.display()));
            return pruned;
        }
    };
    let oldest_kept = (retention.keep_days > 0)
        .then(|| day_of(now_ms.saturating_sub(retention.keep_days * DAY_MS)));
    let youngest_deletable = day_of(now_ms.saturating_sub(MIN_AGE_DAYS * DAY_MS));
    let over = |total: u64| retention.keep_mb > 0 && total > retention.keep_mb * MIB;
    let mut total: u64 = current_len + archives.iter().map(|(_, len)| len).sum::<u64>();
    for (path, len) in archives {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let day = file::parse_archive_name(name)
            .map(|(day, _)| day)
            .unwrap_or_default();
        let too_old = oldest_kept.as_ref().is_some_and(|oldest| day < *oldest);
        let too_big = over(total) && day < youngest_deletable;
        if !too_old && !too_big {
            break; // oldest first: everything after this one is kept too
        }
        let why = if too_old {
            format!("older than {} days", retention.keep_days)
        } else {
            format!("history over {} MB", retention.keep_mb)
        };
        match fs::remove_file(&path) {
            Ok(()) => {
                total -= len;
                pruned
                    .lines
                    .push(format!("History: deleted {} ({why})", path.display()));
            }
            Err(error) => pruned
                .lines
                .push(format!("cannot delete {}: {error}", path.display())),
        }
    }
    if over(total) {
        pruned.over_limit = Some(format!(
            "History: {} MB, over history_keep_mb ({} MB), but files younger than {MIN_AGE_DAYS} \
             days are never deleted for size, so it keeps growing: make room on the disk or \
             raise history_keep_mb",
            total.div_ceil(MIB),
            retention.keep_mb
        ));
    }
    pruned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_deletes_the_oldest_files_by_age_and_by_size() {
        let dir = std::env::temp_dir().join(format!("chatroom-retention-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for name in [
            "history-2026-01-01.tsv",
            "history-2026-11-01.tsv",
            "history-2026-11-20.tsv",
            "history-2026-11-20.2.tsv",
            "notes.txt",
        ] {
            fs::write(dir.join(name), vec![b'x'; MIB as usize]).unwrap();
        }
        let now = timestamp::parse("2026-11-21T12:00").unwrap();
        // By age: 30 days keeps November only.
        let by_age = Retention {
            keep_days: 30,
            keep_mb: 0,
        };
        let lines = prune(&dir, by_age, now, 0).lines;
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].ends_with("history-2026-01-01.tsv (older than 30 days)"));
        // By size: 3 MB in all, with a 1 MB current file, would keep two
        // files; but nothing younger than a week is deleted for size, so
        // only 2026-11-01 goes, and the rest is reported over the limit.
        let by_size = Retention {
            keep_days: 0,
            keep_mb: 3,
        };
        let pruned = prune(&dir, by_size, now, 2 * MIB);
        assert_eq!(pruned.lines.len(), 1, "{:?}", pruned.lines);
        assert!(pruned.lines[0].ends_with("history-2026-11-01.tsv (history over 3 MB)"));
        let warning = pruned.over_limit.unwrap_or_default();
        assert!(
            warning.starts_with("History: 4 MB, over history_keep_mb (3 MB)"),
            "{warning}"
        );
        // A week later, the files of 2026-11-20 may go too.
        let week_later = now + MIN_AGE_DAYS * DAY_MS;
        let pruned = prune(&dir, by_size, week_later, 2 * MIB);
        assert_eq!(pruned.lines.len(), 1);
        assert!(pruned.over_limit.is_none());
        fs::write(dir.join("history-2026-11-20.tsv"), vec![b'x'; MIB as usize]).unwrap();
        let mut left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "history-2026-11-20.2.tsv",
                "history-2026-11-20.tsv",
                "notes.txt"
            ]
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn rotation_size_follows_the_size_limit() {
        assert_eq!(Retention::default().rotate_bytes(), ROTATE_BYTES);
        assert_eq!(
            Retention {
                keep_days: 0,
                keep_mb: 40
            }
            .rotate_bytes(),
            10 * MIB
        );
        assert_eq!(
            Retention {
                keep_days: 0,
                keep_mb: 0
            }
            .rotate_bytes(),
            ROTATE_BYTES
        );
    }
}
