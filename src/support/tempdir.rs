//! A fresh, empty directory for one test, removed when the test ends.
//!
//! Tests that write files (settings files, history, transcripts) each need a
//! directory nobody else uses, since tests run in parallel, in several test
//! programs at once. std has no temp-directory type and the project takes no
//! crates, so this is the smallest one that does the job: a name made of a
//! label, the process id and a counter, under [`std::env::temp_dir`], and
//! removal on drop. It lives in the library, not in `tests/`, so that unit
//! tests and integration tests share the one helper.
//!
//! It is for tests: [`TempDir::new`] panics if the directory cannot be made,
//! which is the right way for a test to fail and the wrong way for anything
//! else.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory under the system's temp directory, unique to this process
/// and call, removed with everything in it when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Makes a new empty directory; `label` shows in its name, to tell
    /// which test left it if a crash skipped the removal.
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("chatroom-test-{label}-{}-{n}", std::process::id()));
        // A leftover from an earlier process with the same id is stale.
        let _ = std::fs::remove_dir_all(&path);
        if let Err(error) = std::fs::create_dir_all(&path) {
            panic!(
                "cannot create the test directory {}: {error}",
                path.display()
            );
        }
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the directory (which need not exist yet).
    pub fn join(&self, inside: impl AsRef<Path>) -> PathBuf {
        self.0.join(inside)
    }

    /// A path inside the directory, as a string for a command-line argument.
    pub fn arg(&self, inside: &str) -> String {
        self.0.join(inside).display().to_string()
    }

    /// The directory as a string, for a command-line argument.
    pub fn path_str(&self) -> &str {
        match self.0.to_str() {
            Some(text) => text,
            None => panic!("the test directory {} is not UTF-8", self.0.display()),
        }
    }

    /// Writes `text` to the file `name` in the directory; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Err(error) = std::fs::write(&path, text) {
            panic!("cannot write {}: {error}", path.display());
        }
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_is_new_empty_and_removed_on_drop() {
        let first = TempDir::new("tempdir");
        let second = TempDir::new("tempdir");
        assert_ne!(first.path(), second.path());
        assert!(first.path().is_dir());
        assert_eq!(std::fs::read_dir(first.path()).unwrap().count(), 0);
        let file = first.write("a.txt", "hello");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello");
        assert_eq!(file, first.join("a.txt"));
        assert_eq!(first.arg("a.txt"), file.display().to_string());
        let kept = first.path().to_path_buf();
        drop(first);
        assert!(!kept.exists());
    }
}
