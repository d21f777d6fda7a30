//! Unit tests of [`super`]'s readers together: records in, transcript
//! lines and the attendance table out, as [`super::transcript_main`] and
//! [`super::attendance_main`] make them. People, lines and the table are
//! tested as one because they are made from the same labels: a name that is
//! `alice (2)` in one must be `alice (2)` in the other.

use super::attendance::PERSON_COLUMNS;
use super::*;
use crate::text::width;

fn record(time: &str, kind: RecordKind, place: &str, sender: &str, text: &str) -> Record {
    Record {
        time_ms: timestamp::parse(time).unwrap(),
        kind,
        session: None,
        place: place.into(),
        sender: sender.into(),
        text: text.into(),
    }
}

fn in_session(
    session: u64,
    time: &str,
    kind: RecordKind,
    place: &str,
    sender: &str,
    text: &str,
) -> Record {
    Record {
        session: Some(session),
        ..record(time, kind, place, sender, text)
    }
}

/// The transcript lines and the attendance table of `records`.
fn read(records: &[Record]) -> (Vec<String>, String) {
    let mut people = People::default();
    let mut attendance = Attendance::default();
    let mut lines = Vec::new();
    for r in records {
        let labels = people.observe(r);
        lines.push(transcript_line(r, &labels));
        attendance.add(r, &labels);
    }
    (lines, attendance.table())
}

#[test]
fn lines_for_each_kind() {
    let t = "2026-11-21T10:02:03.456Z";
    let (lines, _) = read(&[
        record(t, RecordKind::Message, "#general", "alice", "Hello"),
        record(t, RecordKind::Private, "@bob", "alice", "hi"),
        record(t, RecordKind::Join, "#general", "alice", ""),
        record(t, RecordKind::Leave, "#general", "alice", ""),
        record(
            t,
            RecordKind::Leave,
            "#general",
            "bob",
            "kicked by lee: spam",
        ),
        record(t, RecordKind::Leave, "#general", "carl", "kicked by lee"),
        record(t, RecordKind::Leave, "#general", "dan", "some newer note"),
        record(t, RecordKind::Action, "#general", "alice", "waves"),
        in_session(7, t, RecordKind::Rename, "-", "carol", "dave"),
        in_session(7, t, RecordKind::Rename, "#lab", "dave", "erin"),
    ]);
    assert_eq!(
        lines,
        [
            "2026-11-21 10:02:03 #general alice: Hello",
            "2026-11-21 10:02:03 alice → bob (private): hi",
            "2026-11-21 10:02:03 #general * alice joined",
            "2026-11-21 10:02:03 #general * alice left",
            "2026-11-21 10:02:03 #general * bob was kicked by lee: spam",
            "2026-11-21 10:02:03 #general * carl was kicked by lee",
            "2026-11-21 10:02:03 #general * dan left (some newer note)",
            "2026-11-21 10:02:03 #general alice *waves*",
            "2026-11-21 10:02:03 * carol is now known as dave",
            "2026-11-21 10:02:03 #lab * dave is now known as erin",
        ]
    );
}

#[test]
fn an_account_is_one_person_over_its_sessions_and_marked() {
    use RecordKind::{Join, Leave, Login, Message, Private};
    let t = |s: &str| format!("2026-12-07T10:0{s}.000Z");
    let (lines, table) = read(&[
        // A guest called alice, before the account existed.
        in_session(1, &t("0:00"), Join, "#general", "alice", ""),
        in_session(1, &t("0:05"), Message, "#general", "alice", "first"),
        in_session(1, &t("0:10"), Leave, "#general", "alice", ""),
        // The account alice, twice (a reload), and a guest bob.
        in_session(2, &t("1:00"), Login, "-", "alice", "alice"),
        in_session(2, &t("1:01"), Join, "#general", "alice", ""),
        in_session(2, &t("1:02"), Message, "#general", "alice", "hi"),
        in_session(4, &t("1:03"), Private, "@alice", "bob", "psst"),
        in_session(3, &t("2:00"), Login, "-", "alice", "alice"),
        in_session(3, &t("2:01"), Message, "#general", "alice", "back"),
    ]);
    assert_eq!(
        lines,
        [
            "2026-12-07 10:00:00 #general * alice joined",
            "2026-12-07 10:00:05 #general alice: first",
            "2026-12-07 10:00:10 #general * alice left",
            "2026-12-07 10:01:00 * alice✓ logged in",
            "2026-12-07 10:01:01 #general * alice✓ joined",
            "2026-12-07 10:01:02 #general alice✓: hi",
            "2026-12-07 10:01:03 bob → alice✓ (private): psst",
            "2026-12-07 10:02:00 * alice✓ logged in",
            "2026-12-07 10:02:01 #general alice✓: back",
        ]
    );
    assert_eq!(
        table,
        "person  names  from                 to                   messages  sessions\n\
         alice   alice  2026-12-07 10:00:00  2026-12-07 10:00:10  1         1\n\
         alice✓  alice  2026-12-07 10:01:00  2026-12-07 10:02:01  2         2\n\
         bob     bob    2026-12-07 10:01:03  2026-12-07 10:01:03  1         1\n"
    );
}

#[test]
fn a_later_session_with_the_same_name_is_told_apart() {
    // The scenario: alice says hi, renames to bob, speaks and
    // quits; another person then takes the name alice.
    let (lines, table) = read(&[
        in_session(
            1,
            "2026-11-21T10:00",
            RecordKind::Join,
            "#general",
            "alice",
            "",
        ),
        in_session(
            1,
            "2026-11-21T10:01",
            RecordKind::Message,
            "#general",
            "alice",
            "hi",
        ),
        in_session(
            1,
            "2026-11-21T10:02",
            RecordKind::Rename,
            "#general",
            "alice",
            "bob",
        ),
        in_session(
            1,
            "2026-11-21T10:03",
            RecordKind::Message,
            "#general",
            "bob",
            "back soon",
        ),
        in_session(
            1,
            "2026-11-21T10:04",
            RecordKind::Leave,
            "#general",
            "bob",
            "",
        ),
        in_session(
            2,
            "2026-11-21T10:05",
            RecordKind::Join,
            "#general",
            "alice",
            "",
        ),
        in_session(
            2,
            "2026-11-21T10:06",
            RecordKind::Message,
            "#general",
            "Alice",
            "I copied the homework",
        ),
        in_session(
            3,
            "2026-11-21T10:07",
            RecordKind::Private,
            "@alice",
            "carol",
            "really?",
        ),
    ]);
    assert_eq!(
        lines,
        [
            "2026-11-21 10:00:00 #general * alice joined",
            "2026-11-21 10:01:00 #general alice: hi",
            "2026-11-21 10:02:00 #general * alice is now known as bob",
            "2026-11-21 10:03:00 #general bob: back soon",
            "2026-11-21 10:04:00 #general * bob left",
            "2026-11-21 10:05:00 #general * alice (2) joined",
            "2026-11-21 10:06:00 #general Alice (2): I copied the homework",
            "2026-11-21 10:07:00 carol → alice (2) (private): really?",
        ]
    );
    assert_eq!(
        table,
        "person     names       from                 to                   messages\n\
         alice      alice, bob  2026-11-21 10:00:00  2026-11-21 10:04:00  2\n\
         alice (2)  alice       2026-11-21 10:05:00  2026-11-21 10:07:00  1\n\
         carol      carol       2026-11-21 10:07:00  2026-11-21 10:07:00  1\n"
    );
}
#[test]
fn old_records_count_one_name_as_one_person_ignoring_case() {
    let (_, table) = read(&[
        record(
            "2026-11-21T10:00:00",
            RecordKind::Join,
            "#general",
            "Bob",
            "",
        ),
        record(
            "2026-11-21T10:01:00",
            RecordKind::Message,
            "#general",
            "alice",
            "hi",
        ),
        record(
            "2026-11-21T10:02:00",
            RecordKind::Private,
            "@carol",
            "bob",
            "psst",
        ),
        record(
            "2026-11-21T10:03:00",
            RecordKind::Leave,
            "#general",
            "BOB",
            "",
        ),
    ]);
    assert_eq!(
        table,
        "person  names  from                 to                   messages\n\
         Bob     Bob    2026-11-21 10:00:00  2026-11-21 10:03:00  1\n\
         alice   alice  2026-11-21 10:01:00  2026-11-21 10:01:00  1\n\
         carol   carol  2026-11-21 10:02:00  2026-11-21 10:02:00  0\n"
    );
}

#[test]
fn three_thousand_renames_and_a_64_kib_name_make_a_bounded_table() {
    let t = "2026-12-07T10:00:00";
    let mut records = vec![in_session(1, t, RecordKind::Join, "#a", "start", "")];
    let mut name = "start".to_string();
    for n in 0..3_100 {
        let next = format!("renamer{n:0>13}");
        records.push(in_session(1, t, RecordKind::Rename, "#a", &name, &next));
        name = next;
    }
    records.push(in_session(
        2,
        t,
        RecordKind::Message,
        "#a",
        &"x".repeat(65_536),
        "hi",
    ));
    let (lines, table) = read(&records);
    assert_eq!(lines.len(), 3_102);
    for row in table.lines() {
        assert!(width::width(row) < 160, "{row}");
    }
    assert!(table.contains("start, renamer0000000000000, renamer0000000000001, renamer0…"));
    assert!(table.contains(&format!("{}…", "x".repeat(PERSON_COLUMNS - 1))));
}

#[test]
fn chinese_names_line_up_and_look_alikes_are_told_apart() {
    let t = "2026-12-07T10:00:00";
    let (lines, table) = read(&[
        in_session(1, t, RecordKind::Message, "#a", "李雷", "你好"),
        in_session(2, t, RecordKind::Message, "#a", "ace", "hi"),
        in_session(3, t, RecordKind::Message, "#a", "асе", "I am ace"),
    ]);
    assert_eq!(lines[2], "2026-12-07 10:00:00 #a асе (2): I am ace");
    assert_eq!(
        table,
        "person   names  from                 to                   messages\n\
         李雷     李雷   2026-12-07 10:00:00  2026-12-07 10:00:00  1\n\
         ace      ace    2026-12-07 10:00:00  2026-12-07 10:00:00  1\n\
         асе (2)  асе    2026-12-07 10:00:00  2026-12-07 10:00:00  1\n"
    );
}

/// Random records, and records made of the worst pieces: neither reader
/// may panic, whatever the file holds.
#[test]
fn random_and_crafted_records_never_panic() {
    let pieces = [
        "",
        "a",
        "#",
        "@",
        "-",
        " ",
        "\t",
        "\u{0}",
        "\u{1b}[2J",
        "李",
        "\u{301}",
        "\u{202e}",
        "ㅤ",
        "kicked by ",
        "(2)",
        "é",
        "\u{ffff}",
        "𠀀",
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |below: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below as u64) as usize
    };
    let kinds = [
        RecordKind::Message,
        RecordKind::Private,
        RecordKind::Join,
        RecordKind::Leave,
        RecordKind::Action,
        RecordKind::Rename,
    ];
    let mut records = Vec::new();
    for _ in 0..1_000 {
        let text = |next: &mut dyn FnMut(usize) -> usize| {
            let n = next(6);
            let mut s = String::new();
            for _ in 0..n {
                let piece = pieces[next(pieces.len())];
                s.push_str(&piece.repeat(1 + next(3) * next(300)));
            }
            s
        };
        let place = text(&mut next);
        let sender = text(&mut next);
        let body = text(&mut next);
        records.push(Record {
            time_ms: next(usize::MAX) as u64,
            kind: kinds[next(kinds.len())].clone(),
            session: (next(2) == 0).then(|| next(50) as u64),
            place,
            sender,
            text: body,
        });
    }
    let (lines, table) = read(&records);
    assert_eq!(lines.len(), records.len());
    assert!(table.lines().all(|row| width::width(row) < 160));
}
