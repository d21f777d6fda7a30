//! Unit tests of the live history ([`super`]), on real files in a temporary
//! directory.

use super::*;
use crate::history::file::read_records;
use crate::history::ParsedLine;
use crate::support::tempdir::TempDir;
use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// What these tests do with their temporary directory (the project's one
/// [`TempDir`]): the history file in it, and a history opened on it.
trait HistoryDir {
    fn file(&self) -> PathBuf;
    fn open(&self, policy: FsyncPolicy, replay: usize) -> (History, Vec<String>);
}

impl HistoryDir for TempDir {
    fn file(&self) -> PathBuf {
        self.join(FILE_NAME)
    }
    fn open(&self, policy: FsyncPolicy, replay: usize) -> (History, Vec<String>) {
        History::open(self.path(), policy, replay, Retention::default()).unwrap()
    }
}

/// Records of today, so that reopening does not rotate the file.
fn record(kind: RecordKind, place: &str, sender: &str, text: &str) -> Record {
    Record {
        time_ms: timestamp::now_millis(),
        kind,
        session: Some(7),
        place: place.into(),
        sender: sender.into(),
        text: text.into(),
    }
}

fn msg(room: &str, text: &str) -> Record {
    record(RecordKind::Message, room, "alice", text)
}

fn texts(history: &History, room: &str) -> Vec<String> {
    history.recent(room).into_iter().map(|r| r.text).collect()
}

fn all_records(dir: &TempDir) -> Vec<Record> {
    let mut read = Vec::new();
    read_records(&dir.file(), |r| {
        read.push(r);
        ControlFlow::Continue(())
    })
    .unwrap();
    read
}

#[test]
fn appended_records_are_read_back_after_reopening() {
    let dir = TempDir::new("reopen");
    let (mut history, warnings) = dir.open(FsyncPolicy::Never, 20);
    assert!(warnings.is_empty(), "{warnings:?}");
    let records = [
        record(RecordKind::Join, "#general", "alice", ""),
        msg("#general", "first\tline\nsecond \\ line é"),
        record(RecordKind::Private, "@bob", "alice", "psst"),
        record(RecordKind::Rename, "#general", "alice", "carol"),
        record(RecordKind::Leave, "#general", "carol", ""),
    ];
    for r in &records {
        history.append(r).unwrap();
    }
    drop(history);
    assert_eq!(all_records(&dir), records);
    let (history, warnings) = dir.open(FsyncPolicy::Never, 20);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(history.recent("#general"), vec![records[1].clone()]);
}

#[test]
fn a_second_history_on_the_same_directory_is_refused() {
    let dir = TempDir::new("locked");
    let (_first, _) = dir.open(FsyncPolicy::Never, 20);
    let error = History::open(dir.path(), FsyncPolicy::Never, 20, Retention::default())
        .err()
        .expect("the directory is locked");
    assert!(
        error
            .to_string()
            .contains(&format!("(pid {})", std::process::id())),
        "{error}"
    );
}

#[test]
fn sessions_continue_across_reopening() {
    let dir = TempDir::new("sessions");
    let (mut history, _) = dir.open(FsyncPolicy::Never, 20);
    let first = history.new_session();
    assert_eq!(history.new_session(), first + 1);
    drop(history);
    let (mut history, _) = dir.open(FsyncPolicy::Never, 20);
    assert!(history.new_session() > first + 1);
}

#[test]
fn torn_tail_is_cut_off_and_appending_afterwards_is_clean() {
    let dir = TempDir::new("torn");
    fs::create_dir_all(dir.path()).unwrap();
    let good = msg("#general", "kept");
    let torn = &msg("#general", "half a message").to_line()[..40];
    fs::write(dir.file(), format!("{}{torn}", good.to_line())).unwrap();

    let (mut history, warnings) = dir.open(FsyncPolicy::Never, 20);
    let cut = good.to_line().len();
    assert_eq!(
        warnings,
        vec![format!(
            "{}: incomplete last record (left by a crash) cut off at byte {cut}",
            dir.file().display()
        )]
    );
    assert_eq!(fs::read_to_string(dir.file()).unwrap(), good.to_line());
    assert_eq!(history.recent("#general"), vec![good.clone()]);
    let next = msg("#general", "after the crash");
    history.append(&next).unwrap();
    drop(history);
    assert_eq!(
        fs::read_to_string(dir.file()).unwrap(),
        format!("{}{}", good.to_line(), next.to_line())
    );
}

#[test]
fn a_piece_left_by_a_failed_write_is_cut_off_before_the_next_record() {
    let dir = TempDir::new("failed-write");
    let (mut history, _) = dir.open(FsyncPolicy::Never, 20);
    let kept = msg("#general", "kept");
    history.append(&kept).unwrap();
    // As a full disk leaves it: a piece of a record, and a failed cut.
    let disk = history.disk.as_mut().unwrap();
    (&*disk.file)
        .write_all(&msg("#general", "refused").to_line().as_bytes()[..50])
        .unwrap();
    disk.piece_left = true;
    let next = msg("#general", "intact");
    history.append(&next).unwrap();
    drop(history);
    assert_eq!(
        fs::read_to_string(dir.file()).unwrap(),
        format!("{}{}", kept.to_line(), next.to_line())
    );
}

#[test]
fn a_closed_piece_is_one_malformed_line_and_no_record() {
    let dir = TempDir::new("closed-piece");
    fs::create_dir_all(dir.path()).unwrap();
    let refused = msg("#general", "refused");
    let whole = refused.to_line();
    // The worst piece: the whole record but its newline, then the marker.
    let content = format!(
        "{}~\n{}",
        whole.trim_end(),
        msg("#general", "next").to_line()
    );
    fs::write(dir.file(), content).unwrap();
    let (history, warnings) = dir.open(FsyncPolicy::Never, 20);
    assert_eq!(
        warnings,
        vec![format!(
            "{}:1: unreadable line skipped (records are tab-separated fields; an editor may have turned the tabs into spaces)",
            dir.file().display()
        )]
    );
    assert_eq!(texts(&history, "#general"), ["next"]);
}

#[test]
fn malformed_lines_are_skipped_with_one_warning_counting_them() {
    let dir = TempDir::new("malformed");
    fs::create_dir_all(dir.path()).unwrap();
    let mut content = Vec::new();
    content.extend_from_slice(msg("#general", "one").to_line().as_bytes());
    content.extend_from_slice(b"this is not a record\n");
    content.extend_from_slice(msg("#general", "three").to_line().as_bytes());
    content.extend_from_slice(b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\t\xff\n");
    content.extend_from_slice(b"2026-11-21T10:02:03.123Z\tmsg\tonly three\n");
    content.extend_from_slice(msg("#general", "six").to_line().as_bytes());
    fs::write(dir.file(), &content).unwrap();

    let (history, warnings) = dir.open(FsyncPolicy::Never, 20);
    let file = dir.file().display().to_string();
    assert_eq!(
        warnings,
        vec![format!(
            "{file}:2: 3 unreadable lines skipped, the first here (records are tab-separated fields; an editor may have turned the tabs into spaces)"
        )]
    );
    assert_eq!(texts(&history, "#general"), ["one", "three", "six"]);
    // Skipping is not repairing: the file is left as it was.
    assert_eq!(fs::read(dir.file()).unwrap(), content);
}

#[test]
fn a_file_with_spaces_for_tabs_gives_one_warning() {
    let dir = TempDir::new("flood");
    fs::create_dir_all(dir.path()).unwrap();
    let good = msg("#general", "kept").to_line();
    let spaced = msg("#general", "spaced").to_line().replace('\t', "    ");
    fs::write(dir.file(), format!("{good}{}", spaced.repeat(1000))).unwrap();
    let (history, warnings) = dir.open(FsyncPolicy::Never, 20);
    let file = dir.file().display().to_string();
    assert_eq!(
        warnings,
        [format!(
            "{file}:2: 1000 unreadable lines skipped, the first here (records are tab-separated fields; an editor may have turned the tabs into spaces)"
        )]
    );
    assert_eq!(texts(&history, "#general"), ["kept"]);
}

#[test]
fn an_overlong_line_is_skipped_without_reading_it_whole() {
    let dir = TempDir::new("overlong");
    fs::create_dir_all(dir.path()).unwrap();
    let mut content = "x".repeat(file::MAX_RECORD_BYTES + 10);
    content.push('\n');
    content.push_str(&msg("#general", "after").to_line());
    fs::write(dir.file(), &content).unwrap();
    let (history, warnings) = dir.open(FsyncPolicy::Never, 20);
    assert_eq!(
        warnings,
        vec![format!(
            "{}:1: unreadable line skipped (records are tab-separated fields; an editor may have turned the tabs into spaces)",
            dir.file().display()
        )]
    );
    assert_eq!(history.recent("#general").len(), 1);
}

#[test]
fn old_records_without_sessions_still_replay() {
    let dir = TempDir::new("old-file");
    fs::create_dir_all(dir.path()).unwrap();
    let day = retention::day_of(timestamp::now_millis());
    fs::write(
        dir.file(),
        format!("{day}T10:00:00.000Z\tjoin\t#general\tbob\t\n{day}T10:01:00.000Z\tmsg\t#general\tbob\told but \\tgood\n"),
    )
    .unwrap();
    let (mut history, warnings) = dir.open(FsyncPolicy::Never, 20);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(history.recent("#general")[0].session, None);
    history.append(&msg("#general", "new")).unwrap();
    assert_eq!(texts(&history, "#general"), ["old but \tgood", "new"]);
    drop(history);
    assert_eq!(
        all_records(&dir).len(),
        3,
        "old and new records in one file"
    );
}

#[test]
fn replay_window_keeps_the_last_messages_per_room_ignoring_case() {
    let dir = TempDir::new("replay");
    let (mut history, _) = dir.open(FsyncPolicy::Never, 3);
    for i in 1..=5 {
        history.append(&msg("#General", &format!("g{i}"))).unwrap();
        history.append(&msg("#lab", &format!("l{i}"))).unwrap();
    }
    // Joins, leaves and private messages are stored but not replayed.
    history
        .append(&record(RecordKind::Join, "#general", "bob", ""))
        .unwrap();
    history
        .append(&record(RecordKind::Private, "@general", "bob", "x"))
        .unwrap();
    assert_eq!(texts(&history, "#general"), ["g3", "g4", "g5"]);
    assert_eq!(texts(&history, "#GENERAL"), ["g3", "g4", "g5"]);
    assert_eq!(texts(&history, "#lab"), ["l3", "l4", "l5"]);
    assert!(history.recent("#empty").is_empty());
    drop(history);

    // The same windows come back from the file, with another size.
    let (history, _) = dir.open(FsyncPolicy::Never, 2);
    assert_eq!(texts(&history, "#general"), ["g4", "g5"]);
    assert_eq!(history.recent("#general")[0].place, "#General");
    drop(history);
    let (history, _) = dir.open(FsyncPolicy::Never, 0);
    assert!(history.recent("#general").is_empty());
}

#[test]
fn windows_of_rooms_without_members_are_bounded() {
    let mut history = History::in_memory(20);
    history
        .append(&record(RecordKind::Join, "#home", "teacher", ""))
        .unwrap();
    history.append(&msg("#home", "stay here")).unwrap();
    // A crowd hopping through 1,000 new rooms.
    for n in 0..1000 {
        let room = format!("#hop{n}");
        history
            .append(&record(RecordKind::Join, &room, "bob", ""))
            .unwrap();
        history.append(&msg(&room, "hello")).unwrap();
        history
            .append(&record(RecordKind::Leave, &room, "bob", ""))
            .unwrap();
        assert!(history.window_count() <= IDLE_WINDOWS + 1);
    }
    // The room with a member keeps its window; the latest idle ones stay.
    assert_eq!(texts(&history, "#home"), ["stay here"]);
    assert_eq!(texts(&history, "#hop999"), ["hello"]);
    assert!(history.recent("#hop0").is_empty());
}

#[test]
fn in_memory_history_replays_without_a_file() {
    let mut history = History::in_memory(2);
    for text in ["a", "b", "c"] {
        history.append(&msg("#general", text)).unwrap();
    }
    assert_eq!(texts(&history, "#GENERAL"), ["b", "c"]);
    history.sync().unwrap();
    let mut off = History::in_memory(0);
    off.append(&msg("#general", "a")).unwrap();
    assert!(off.recent("#general").is_empty());
    assert_eq!((off.new_session(), off.new_session()), (1, 2));
}

#[test]
fn a_new_day_rotates_the_file_and_everything_still_reads() {
    let dir = TempDir::new("rotate");
    let (mut history, _) = dir.open(FsyncPolicy::Never, 20);
    let yesterday = timestamp::now_millis() - 24 * 60 * 60 * 1000;
    let old = Record {
        time_ms: yesterday,
        ..msg("#general", "yesterday")
    };
    history.append(&old).unwrap();
    history.append(&msg("#general", "today")).unwrap();
    drop(history);
    let rotated = dir.join(file::archive_name(&retention::day_of(yesterday), 1));
    let Ok(ParsedLine::Record(r)) =
        fs::read(&rotated).map(|b| Record::parse_line(&b[..b.len() - 1]))
    else {
        panic!("no rotated file {}", rotated.display());
    };
    assert_eq!(r.text, "yesterday");
    assert_eq!(all_records(&dir).len(), 1);
    assert_eq!(
        file::history_files(dir.path()).unwrap(),
        [rotated, dir.file()]
    );
    // A file of an earlier day is rotated at start-up, its windows kept.
    fs::write(dir.file(), old.to_line()).unwrap();
    let (history, notes) = dir.open(FsyncPolicy::Never, 20);
    assert!(
        notes[0].starts_with("History: continued in a new file"),
        "{notes:?}"
    );
    assert_eq!(texts(&history, "#general"), ["yesterday"]);
    assert_eq!(fs::read(dir.file()).unwrap(), b"");
}

#[test]
fn a_data_dir_that_cannot_be_created_is_an_error_naming_it() {
    let dir = TempDir::new("unwritable");
    fs::create_dir_all(dir.path()).unwrap();
    let regular_file = dir.join("plain-file");
    fs::write(&regular_file, "not a directory").unwrap();
    let data_dir = regular_file.join("data");
    let error = History::open(&data_dir, FsyncPolicy::Never, 20, Retention::default())
        .err()
        .expect("a path under a regular file cannot be a directory");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot create data directory {}: ",
            data_dir.display()
        )),
        "{message}"
    );
    assert!(!message.contains('\n'));
}

#[test]
fn every_fsync_policy_appends_and_syncs() {
    for policy in [
        FsyncPolicy::Always,
        FsyncPolicy::Interval,
        FsyncPolicy::Never,
    ] {
        let dir = TempDir::new("policy");
        let (mut history, _) = dir.open(policy, 20);
        let (one, two) = (msg("#general", "one"), msg("#general", "two"));
        history.append(&one).unwrap();
        history.append(&two).unwrap();
        history.sync().unwrap();
        assert_eq!(
            fs::read_to_string(dir.file()).unwrap(),
            format!("{}{}", one.to_line(), two.to_line()),
            "{policy:?}"
        );
    }
}

#[test]
fn the_interval_thread_syncs_and_ends_when_the_history_is_dropped() {
    let dir = TempDir::new("interval");
    let (mut history, _) = dir.open(FsyncPolicy::Interval, 20);
    history.append(&msg("#general", "one")).unwrap();
    let disk = history.disk.as_ref().unwrap();
    let unsynced = Arc::clone(&disk.unsynced);
    let weak = Arc::downgrade(&disk.shared);
    assert!(unsynced.load(Ordering::Acquire));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while unsynced.load(Ordering::Acquire) {
        assert!(std::time::Instant::now() < deadline, "never synced");
        thread::sleep(Duration::from_millis(50));
    }
    drop(history);
    // The thread held only a Weak: nothing keeps the file open now, except
    // for the instant the thread itself may be syncing.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while weak.upgrade().is_some() {
        assert!(std::time::Instant::now() < deadline, "file kept alive");
        thread::sleep(Duration::from_millis(50));
    }
}

/// Start-up time and memory on a 1 GB history. Ignored by default (it
/// writes 1 GB to the temp dir and deletes it); run it in release mode:
/// `cargo test --release --lib history::store::tests::open_a_1_gb_file -- --ignored --nocapture`
#[test]
#[ignore]
fn open_a_1_gb_file() {
    let dir = TempDir::new("big");
    fs::create_dir_all(dir.path()).unwrap();
    let started = std::time::Instant::now();
    {
        let mut out = io::BufWriter::new(File::create(dir.file()).unwrap());
        let (mut written, mut i) = (0u64, 0u64);
        let now = timestamp::now_millis();
        while written < 1024 * 1024 * 1024 {
            let r = Record {
                time_ms: now,
                kind: if i % 10 == 0 {
                    RecordKind::Join
                } else {
                    RecordKind::Message
                },
                session: Some(i % 3000),
                place: format!("#room{}", i % 500),
                sender: format!("user{}", i % 300),
                text: format!("message number {i} with some ordinary chat text in it"),
            };
            let line = r.to_line();
            written += line.len() as u64;
            out.write_all(line.as_bytes()).unwrap();
            i += 1;
        }
        out.flush().unwrap();
        eprintln!(
            "wrote {written} bytes, {i} records in {:?}",
            started.elapsed()
        );
    }
    let started = std::time::Instant::now();
    let (history, notes) = dir.open(FsyncPolicy::Never, 20);
    let elapsed = started.elapsed();
    let windows = history.window_count();
    let held: usize = history.windows.values().map(|w| w.records.len()).sum();
    eprintln!("History::open on 1 GB took {elapsed:?}; {windows} windows, {held} records in memory; {notes:?}");
    assert!(windows <= IDLE_WINDOWS);
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
}
