//! Programs a test needs that cargo does not install: `nc`, `telnet`, `curl`,
//! `tmux`, `irssi`, `chromium`. A laptop may lack any of them; CI has all.
//!
//! - [`installed`]`(&["tmux", "irssi"])` is true when every one is on the
//!   PATH. When one is missing, the test is skipped: one line on the real
//!   stderr names the test, the program and the command that installs it,
//!   and the caller returns (a passing test). Under `CI=true` a missing
//!   program fails the test instead, so CI still proves every one of them.
//! - libtest cannot mark a test "skipped" at run time, so its own summary
//!   line counts a skipped test as passed. The first skip therefore asks the
//!   C library to run [`summary`] when the test program exits: right under
//!   libtest's `test result: …` it prints how many tests were skipped and
//!   why.
//!
//! The lines go to `std::io::stderr()` rather than through `eprintln!`,
//! which the harness captures and shows only for failing tests.

use std::io::Write;
use std::sync::Mutex;

/// The program, and the Debian/Ubuntu package that installs it.
const PACKAGES: &[(&str, &str)] = &[
    ("nc", "netcat-openbsd"),
    ("telnet", "telnet"),
    ("curl", "curl"),
    ("tmux", "tmux"),
    ("irssi", "irssi"),
    ("weechat", "weechat-curses"),
    ("chromium", "chromium"),
];

/// Every skip so far in this test program: (test name, missing programs).
static SKIPPED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// True when every program in `programs` is installed; otherwise skips the
/// calling test (see the module header) and returns false.
pub fn installed(programs: &[&str]) -> bool {
    let missing: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|program| !on_path(&path_of(program)))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = missing
        .iter()
        .map(|program| format!("{program} is not installed ({})", install_command(program)))
        .collect::<Vec<_>>()
        .join("; ");
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !in_ci,
        "{why}: with CI=true a missing program is a failure, not a skip"
    );
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
    let mut skipped = SKIPPED.lock().unwrap_or_else(|e| e.into_inner());
    if skipped.is_empty() {
        // SAFETY: `atexit` only stores the function pointer; `summary`
        // ignores write errors and a poisoned lock, so it cannot panic
        // and unwind into the C library.
        unsafe {
            atexit(summary);
        }
    }
    skipped.push((test, missing.join(", ")));
    false
}

/// The command that installs `program`, for the skip line.
pub fn install_command(program: &str) -> String {
    let package = PACKAGES
        .iter()
        .find(|(name, _)| *name == program)
        .map_or(program, |(_, package)| package);
    format!("sudo apt-get install -y {package}")
}

/// The program to run: `chromium` may be elsewhere, named by `$CHROMIUM`.
pub fn path_of(program: &str) -> String {
    match (program, std::env::var("CHROMIUM")) {
        ("chromium", Ok(path)) => path,
        _ => program.to_string(),
    }
}

/// Is `program` (a bare name or a path) there? Looked up without running
/// it, because a missing program is a result to report, not an error to
/// provoke.
fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

extern "C" {
    /// The C library's `atexit(3)`: run `function` when the process exits.
    fn atexit(function: extern "C" fn()) -> i32;
}

/// Printed at exit, under libtest's summary: how many of the passed tests
/// were really skipped, and for want of what.
extern "C" fn summary() {
    let skipped = match SKIPPED.lock() {
        Ok(skipped) => skipped,
        Err(poisoned) => poisoned.into_inner(),
    };
    let mut programs: Vec<&str> = skipped
        .iter()
        .flat_map(|(_, missing)| missing.split(", "))
        .collect();
    programs.sort_unstable();
    programs.dedup();
    let count = skipped.len();
    let was = if count == 1 { "was" } else { "were" };
    let _ = writeln!(
        std::io::stderr(),
        "{count} of these passed tests {was} SKIPPED: {} not installed \
         (each SKIPPED line above names the test and the install command)",
        programs.join(", ")
    );
}
