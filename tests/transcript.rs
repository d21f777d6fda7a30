//! `step4_server transcript` and `step4_server attendance`, run as the real
//! binary on a history file written by the test, so the exact output a
//! teacher sees is what is checked.
//!
//! The history below is a small class: two rooms, joins and leaves, a private
//! message, a message with escaped tabs/newlines/backslashes and a terminal
//! escape sequence, a malformed line, a kind from a future version and a
//! torn last record, as a crash would leave it.

use assert_cmd::Command;
use chatroom::support::tempdir::TempDir;
use std::fs;

const HISTORY: &str = concat!(
    "2026-11-21T09:55:00.000Z\tjoin\t#general\talice\t\n",
    "2026-11-21T09:58:10.250Z\tmsg\t#general\talice\tGood morning!\n",
    "2026-11-21T10:01:00.000Z\tjoin\t#General\tbob\t\n",
    "2026-11-21T10:02:03.123Z\tmsg\t#general\tbob\tHello\\tall \\\\o/\\nnext line\u{1b}[2J\n",
    "2026-11-21T10:03:00.000Z\tpm\t@alice\tbob\tare you there?\n",
    "this line is not a record\n",
    "2026-11-21T10:03:30.000Z\ttopic\t#general\talice\ta kind from the future\n",
    "2026-11-21T10:04:00.000Z\tjoin\t#lab\tcarol\t\n",
    "2026-11-21T10:04:05.000Z\tmsg\t#Lab\tcarol\tlab starts now\n",
    "2026-11-21T10:05:00.000Z\tpm\t@Bob\talice\tyes!\n",
    "2026-11-21T10:06:00.000Z\tleave\t#general\tbob\t\n",
    "2026-11-21T10:07:00.000Z\tmsg\t#gen",
);

/// A data directory holding [`HISTORY`], removed when dropped.
struct DataDir(TempDir);

impl DataDir {
    fn new() -> DataDir {
        let dir = TempDir::new("transcript");
        dir.write("history.tsv", HISTORY);
        DataDir(dir)
    }

    fn arg(&self) -> String {
        self.0.path_str().to_string()
    }

    /// The warnings every run over [`HISTORY`] prints on stderr.
    fn warnings(&self) -> String {
        let file = self.0.arg("history.tsv");
        format!(
            "warning: {file}:6: unreadable line skipped (records are tab-separated fields; an editor may have turned the tabs into spaces)\n\
             warning: {file}:12: incomplete last record ignored (being written, or left by a crash)\n"
        )
    }
}

/// Runs `step4_server <args>` and checks exit code 0, stdout exactly, and
/// the expected warnings on stderr.
fn check(dir: &DataDir, args: &[&str], expected_stdout: &str) {
    let output = Command::cargo_bin("step4_server")
        .expect("step4_server is built")
        .args(args)
        .args(["--data-dir", &dir.arg()])
        .output()
        .expect("run step4_server");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "step4_server {args:?}: {}\nstderr:\n{stderr}",
        output.status
    );
    assert_eq!(stdout, expected_stdout, "stdout of step4_server {args:?}");
    assert_eq!(stderr, dir.warnings(), "stderr of step4_server {args:?}");
}

#[test]
fn transcript_shows_rooms_joins_and_leaves_but_not_private_messages() {
    let dir = DataDir::new();
    check(
        &dir,
        &["transcript"],
        "2026-11-21 09:55:00 #general * alice joined\n\
         2026-11-21 09:58:10 #general alice: Good morning!\n\
         2026-11-21 10:01:00 #General * bob joined\n\
         2026-11-21 10:02:03 #general bob: Hello all \\o/ next line[2J\n\
         2026-11-21 10:04:00 #lab * carol joined\n\
         2026-11-21 10:04:05 #Lab carol: lab starts now\n\
         2026-11-21 10:06:00 #general * bob left\n",
    );
}

#[test]
fn transcript_room_filter_ignores_case_and_a_missing_hash() {
    let dir = DataDir::new();
    let lab = "2026-11-21 10:04:00 #lab * carol joined\n\
               2026-11-21 10:04:05 #Lab carol: lab starts now\n";
    check(&dir, &["transcript", "--room", "LAB"], lab);
    check(&dir, &["transcript", "--room=#lab"], lab);
    check(
        &dir,
        &[
            "transcript",
            "--room",
            "#GENERAL",
            "--since",
            "2026-11-21T10:02",
        ],
        "2026-11-21 10:02:03 #general bob: Hello all \\o/ next line[2J\n\
         2026-11-21 10:06:00 #general * bob left\n",
    );
}

#[test]
fn transcript_since_keeps_records_from_that_time_on() {
    let dir = DataDir::new();
    check(
        &dir,
        &["transcript", "--since", "2026-11-21T10:04:05"],
        "2026-11-21 10:04:05 #Lab carol: lab starts now\n\
         2026-11-21 10:06:00 #general * bob left\n",
    );
    check(&dir, &["transcript", "--since", "2026-11-22"], "");
}

#[test]
fn transcript_private_adds_private_messages() {
    let dir = DataDir::new();
    check(
        &dir,
        &["transcript", "--private", "--since", "2026-11-21 10:03"],
        "2026-11-21 10:03:00 bob → alice (private): are you there?\n\
         2026-11-21 10:04:00 #lab * carol joined\n\
         2026-11-21 10:04:05 #Lab carol: lab starts now\n\
         2026-11-21 10:05:00 alice → Bob (private): yes!\n\
         2026-11-21 10:06:00 #general * bob left\n",
    );
}

#[test]
fn attendance_lists_everyone_by_first_seen() {
    let dir = DataDir::new();
    check(
        &dir,
        &["attendance"],
        "person  names  from                 to                   messages\n\
         alice   alice  2026-11-21 09:55:00  2026-11-21 10:05:00  2\n\
         bob     bob    2026-11-21 10:01:00  2026-11-21 10:06:00  2\n\
         carol   carol  2026-11-21 10:04:00  2026-11-21 10:04:05  1\n",
    );
    check(
        &dir,
        &[
            "attendance",
            "--room",
            "general",
            "--since",
            "2026-11-21T10:00",
        ],
        "person  names  from                 to                   messages\n\
         bob     bob    2026-11-21 10:01:00  2026-11-21 10:06:00  1\n",
    );
}

#[test]
fn missing_history_is_a_one_line_error_with_exit_1() {
    let dir = DataDir::new();
    let missing = dir.0.join("nothing-here");
    for subcommand in ["transcript", "attendance"] {
        let output = Command::cargo_bin("step4_server")
            .expect("step4_server is built")
            .args([subcommand, "--data-dir", &missing.display().to_string()])
            .output()
            .expect("run step4_server");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{subcommand}: {stderr}");
        assert!(output.stdout.is_empty());
        assert!(
            stderr.starts_with(&format!("error: no history in {} (", missing.display())),
            "{subcommand}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{subcommand}: {stderr}");
    }
    assert!(!missing.exists(), "reading must not create the directory");
}

#[test]
fn bad_flags_are_usage_errors_with_exit_2() {
    let dir = DataDir::new();
    for args in [
        &["transcript", "--bogus"][..],
        &["transcript", "--room", "#not a room"],
        &["transcript", "--since", "yesterday"],
        &["transcript", "--room", "#general", "--private"],
        &["attendance", "--private"],
        &["attendance", "stray"],
    ] {
        let output = Command::cargo_bin("step4_server")
            .expect("step4_server is built")
            .args(args)
            .args(["--data-dir", &dir.arg()])
            .output()
            .expect("run step4_server");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            stderr.contains("usage: step4_server "),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn help_lists_the_flags_and_exits_0() {
    for (subcommand, flags) in [
        (
            "transcript",
            &["--data-dir", "--room", "--since", "--private"][..],
        ),
        ("attendance", &["--data-dir", "--room", "--since"]),
    ] {
        let output = Command::cargo_bin("step4_server")
            .expect("step4_server is built")
            .args([subcommand, "--help"])
            .output()
            .expect("run step4_server");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{subcommand}");
        for flag in flags {
            assert!(
                stdout.contains(flag),
                "{subcommand} --help lacks {flag}:\n{stdout}"
            );
        }
    }
}

#[test]
fn reading_never_changes_the_file() {
    let dir = DataDir::new();
    for subcommand in ["transcript", "attendance"] {
        let status = Command::cargo_bin("step4_server")
            .expect("step4_server is built")
            .args([subcommand, "--data-dir", &dir.arg()])
            .output()
            .expect("run step4_server")
            .status;
        assert!(status.success(), "{subcommand}: {status}");
    }
    let after = fs::read_to_string(dir.0.join("history.tsv")).expect("read history");
    assert_eq!(
        after, HISTORY,
        "the torn tail is the server's to cut, not ours"
    );
}

/// Issue 22: 3,100 renames, a 64 KiB name and Chinese names once made
/// `attendance` panic (a column wider than `format!` allows); every column
/// is now cut to a bounded width, measured in terminal columns.
#[test]
fn attendance_survives_thousands_of_renames_and_a_huge_name() {
    let dir = TempDir::new("attendance-renames");
    let mut history = String::from("2026-12-07T10:00:00.000Z\tjoin\t#a\tr0\t\n");
    for n in 0..3_100 {
        history.push_str(&format!(
            "2026-12-07T10:00:01.000Z\tnick\t#a\tr{n}\tr{}\n",
            n + 1
        ));
    }
    let huge = "李".repeat(21_846); // 64 KiB of UTF-8
    history.push_str(&format!("2026-12-07T10:01:00.000Z\tmsg\t#a\t{huge}\thi\n"));
    dir.write("history.tsv", &history);
    for room in [&[][..], &["--room", "a"][..]] {
        let output = Command::cargo_bin("step4_server")
            .expect("step4_server is built")
            .arg("attendance")
            .args(room)
            .args(["--data-dir", dir.path_str()])
            .output()
            .expect("run attendance");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        assert!(stdout.lines().count() >= 3, "{stdout}");
        assert!(stdout.lines().all(|l| l.chars().count() < 160), "{stdout}");
        assert!(
            stdout.contains("李李李") && stdout.contains('…'),
            "{stdout}"
        );
    }
}
