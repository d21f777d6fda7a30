//! One history record as one line of text, both ways.
//!
//! # The format
//!
//! One record per line, seven fields separated by tabs:
//!
//! ```text
//! <time>                    <kind> <session> <place>   <sender> <text>  <check>
//! 2026-11-21T09:58:02.114Z  join   1         #general  alice            ac521157
//! 2026-11-21T09:58:10.250Z  msg    1         #general  alice    hi      79dfbc65
//! 2026-11-21T10:02:03.123Z  nick   1         #general  alice    bob     a031702b
//! 2026-11-21T10:03:00.500Z  pm     2         @bob      carol    can you share the slides?  aef0427b
//! 2026-11-21T10:05:12.900Z  leave  1         #general  bob              7d03f2a7
//! ```
//!
//! (shown with spaces for reading; in the file each gap is a single tab.)
//!
//! - `time` is UTC, RFC 3339 with milliseconds ([`crate::support::timestamp::rfc3339`]).
//! - `kind`: `msg` (a room message; `place` is the room), `pm` (a private
//!   message; `place` is `@recipient`), `action` (`/me waves`: `text` is
//!   `waves`), `join` (`text` is empty) and `leave` (`text` is empty, or
//!   says why the server made them leave: `kicked by lee: spamming`; older
//!   readers simply show a leave), `nick` (a rename:
//!   `sender` is the old name, `text` the new one, `place` the room they were
//!   in or `-`), `login` (the session logged in to the account in `text`;
//!   `place` is `-`: from then on everything the session says is the
//!   account's). A reader skips a kind it does not know, silently: an old
//!   program must be able to read a newer file (an older `transcript` reads
//!   a file with logins as if there were no accounts).
//! - `session` numbers the connection the record came from. It is unique
//!   across restarts of the server on one data directory (see
//!   [`super::store`]), so two different people who used the name `alice`
//!   are told apart, and a person who renamed is still one person.
//! - `check` is the CRC-32 ([`super::crc32`]) of everything before its tab,
//!   as eight lower-case hex digits. A record is valid only when the check
//!   matches and the line ends with its newline: a piece of a record (a write
//!   cut short by a full disk or a crash) can never pass for one.
//! - In `place`, `sender` and `text`, a backslash, tab, newline and carriage
//!   return are written `\\`, `\t`, `\n`, `\r`, so a record is always one line.
//!
//! # Older files
//!
//! Before sessions and checks, a record had five fields,
//! `<time> <kind> <place> <sender> <text>` (a line may end after `sender`).
//! Such lines still read, with no session. They can not be confused with a
//! piece of a new record: an old record's `place` starts with `#` or `@`,
//! where a new record has its session number.

use super::crc32;
use crate::support::timestamp;

/// What a history record is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// A room message: `place` is the room (`#general`).
    Message,
    /// A private message: `place` is `@recipient`.
    Private,
    /// Someone joined the room in `place`.
    Join,
    /// Someone left the room in `place`; `text` is empty, or the server's
    /// note of why they had to (`kicked by lee: spamming`).
    Leave,
    /// `/me <text>` in the room in `place`: "* alice waves". Kept for the
    /// transcript; never replayed (replay is for what people said).
    Action,
    /// `sender` is now called `text`; `place` is their room, or `-`.
    Rename,
    /// The session logged in to the account `text`; `place` is `-`.
    Login,
}

impl RecordKind {
    /// The word in the file's second field.
    pub fn tag(&self) -> &'static str {
        match self {
            RecordKind::Message => "msg",
            RecordKind::Private => "pm",
            RecordKind::Join => "join",
            RecordKind::Leave => "leave",
            RecordKind::Action => "action",
            RecordKind::Rename => "nick",
            RecordKind::Login => "login",
        }
    }

    /// The kind for a word in the file; `None` for a kind this version does
    /// not know (to be skipped, not reported).
    pub fn from_tag(tag: &str) -> Option<RecordKind> {
        match tag {
            "msg" => Some(RecordKind::Message),
            "pm" => Some(RecordKind::Private),
            "join" => Some(RecordKind::Join),
            "leave" => Some(RecordKind::Leave),
            "action" => Some(RecordKind::Action),
            "nick" => Some(RecordKind::Rename),
            "login" => Some(RecordKind::Login),
            _ => None,
        }
    }
}

/// One line of the history file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When the server accepted it, in milliseconds since 1970 (UTC).
    pub time_ms: u64,
    pub kind: RecordKind,
    /// The connection it came from; `None` in files older than sessions.
    pub session: Option<u64>,
    /// `#room` for room records, `@recipient` for private messages, `-` for
    /// a rename outside any room.
    pub place: String,
    /// Who sent the message, joined, left or renamed (their old name).
    pub sender: String,
    /// The message; the new name of a rename; empty for joins; for a
    /// leave, empty or the server's note (`kicked by lee: spamming`).
    pub text: String,
}

/// What one line of the file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedLine {
    Record(Record),
    /// A well-formed line of a kind this version does not know: skip it.
    UnknownKind,
    /// An empty line: skip it (an editor may leave one at the end).
    Blank,
    /// Not a record (damaged, or a piece of one): skip it with a warning.
    Malformed,
}

impl Record {
    /// The record as one line of the file, newline included.
    pub fn to_line(&self) -> String {
        let mut line = timestamp::rfc3339(self.time_ms);
        line.push('\t');
        line.push_str(self.kind.tag());
        line.push('\t');
        line.push_str(&self.session.unwrap_or(0).to_string());
        for field in [&self.place, &self.sender, &self.text] {
            line.push('\t');
            escape_into(&mut line, field);
        }
        let check = crc32::checksum(line.as_bytes());
        line.push_str(&format!("\t{check:08x}\n"));
        line
    }

    /// Reads one line of the file (without its newline). Bytes, not `&str`,
    /// because a damaged file may hold invalid UTF-8, which is a malformed
    /// line like any other, not a reason to stop.
    pub fn parse_line(line: &[u8]) -> ParsedLine {
        // Tolerate a file saved by an editor with Windows line endings; the
        // server itself never writes a bare `\r` (it is escaped).
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return ParsedLine::Blank;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            return ParsedLine::Malformed;
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let Some(time_ms) = fields.first().and_then(|t| timestamp::parse(t).ok()) else {
            return ParsedLine::Malformed;
        };
        let Some(&tag) = fields.get(1) else {
            return ParsedLine::Malformed;
        };
        let kind = RecordKind::from_tag(tag);
        let is_new = fields.get(2).is_some_and(|s| is_number(s));
        let parsed = match (is_new, fields.len()) {
            (true, 7) => parse_checked(line, &fields),
            (true, _) => None,
            // An old record: a kind this version does not know may have any
            // number of fields.
            (false, _) if kind.is_none() => return ParsedLine::UnknownKind,
            (false, 4 | 5) => parse_old(&fields),
            (false, _) => None,
        };
        match (parsed, kind) {
            (Some(_), None) => ParsedLine::UnknownKind,
            (Some((session, place, sender, text)), Some(kind)) => ParsedLine::Record(Record {
                time_ms,
                kind,
                session,
                place,
                sender,
                text,
            }),
            (None, _) => ParsedLine::Malformed,
        }
    }
}

/// The session, place, sender and text fields as stored.
type Fields = (Option<u64>, String, String, String);

/// A seven-field record: valid only if its check matches everything before it.
fn parse_checked(line: &str, fields: &[&str]) -> Option<Fields> {
    let check = fields[6];
    let body = &line[..line.len() - check.len() - 1];
    let is_hex = check.len() == 8
        && check
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !is_hex || u32::from_str_radix(check, 16).ok()? != crc32::checksum(body.as_bytes()) {
        return None;
    }
    let session = fields[2].parse().ok()?;
    let (place, sender, text) = (
        unescape(fields[3])?,
        unescape(fields[4])?,
        unescape(fields[5])?,
    );
    (!place.is_empty() && !sender.is_empty()).then_some((Some(session), place, sender, text))
}

/// A five-field record from before sessions (its text may be missing: an
/// editor that strips trailing whitespace removes the last tab of a `join`).
fn parse_old(fields: &[&str]) -> Option<Fields> {
    let place = unescape(fields[2])?;
    let sender = unescape(fields[3])?;
    let text = unescape(fields.get(4).copied().unwrap_or(""))?;
    let placed = place.starts_with('#') || place.starts_with('@');
    (placed && !sender.is_empty()).then_some((None, place, sender, text))
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit())
}

fn escape_into(line: &mut String, field: &str) {
    for c in field.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c => line.push(c),
        }
    }
}

/// The inverse of [`escape_into`]; `None` for a backslash followed by
/// anything else, which the server never writes.
fn unescape(field: &str) -> Option<String> {
    let mut text = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next()? {
            '\\' => text.push('\\'),
            't' => text.push('\t'),
            'n' => text.push('\n'),
            'r' => text.push('\r'),
            _ => return None,
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: RecordKind, place: &str, sender: &str, text: &str) -> Record {
        Record {
            time_ms: 1_795_255_323_123,
            kind,
            session: Some(1001),
            place: place.into(),
            sender: sender.into(),
            text: text.into(),
        }
    }

    fn parse(line: &str) -> ParsedLine {
        Record::parse_line(line.trim_end_matches('\n').as_bytes())
    }

    #[test]
    fn record_round_trips_through_one_line() {
        let tricky = record(
            RecordKind::Message,
            "#general",
            "alice",
            "tab\there, new\nline, cr\r, back\\slash \\t literal, héllo 日本 🙂",
        );
        let line = tricky.to_line();
        assert_eq!(line.matches('\n').count(), 1, "{line:?}");
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\t').count(), 6, "only separators: {line:?}");
        assert!(
            line.starts_with("2026-11-21T10:02:03.123Z\tmsg\t1001\t#general\talice\ttab\\there")
        );
        assert_eq!(parse(&line), ParsedLine::Record(tricky));
        for kind in [
            RecordKind::Private,
            RecordKind::Join,
            RecordKind::Leave,
            RecordKind::Action,
            RecordKind::Rename,
            RecordKind::Login,
        ] {
            let r = record(kind, "@bob\\", "al\tice", "");
            assert_eq!(parse(&r.to_line()), ParsedLine::Record(r));
        }
    }

    #[test]
    fn no_piece_of_a_record_is_a_record() {
        // Every cut a full disk or a crash can make, also when the next
        // record's newline (or anything else) ends the piece.
        let line = record(
            RecordKind::Message,
            "#general",
            "alice",
            "a refused message",
        )
        .to_line();
        let whole = line.trim_end_matches('\n');
        for cut in 1..whole.len() {
            let piece = &whole[..cut];
            assert!(!matches!(parse(piece), ParsedLine::Record(_)), "{piece:?}");
        }
        // A complete record closed by the marker of a failed write is no record.
        assert_eq!(parse(&format!("{whole}~")), ParsedLine::Malformed);
        // A changed character is caught by the check.
        assert_eq!(
            parse(&whole.replace("refused", "accepted")),
            ParsedLine::Malformed
        );
    }

    #[test]
    fn old_five_field_records_still_read_without_a_session() {
        let old = b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\tHello\\tworld";
        let ParsedLine::Record(r) = Record::parse_line(old) else {
            panic!("old record not read");
        };
        assert_eq!((r.session, r.text.as_str()), (None, "Hello\tworld"));
        // A join whose trailing tab an editor stripped.
        assert!(matches!(
            Record::parse_line(b"2026-11-21T10:02:03.123Z\tjoin\t#general\talice"),
            ParsedLine::Record(_)
        ));
        assert!(matches!(
            Record::parse_line(b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\thi\r"),
            ParsedLine::Record(_)
        ));
    }

    #[test]
    fn parse_line_sorts_out_bad_and_unknown_lines() {
        use ParsedLine::{Blank, Malformed, UnknownKind};
        assert_eq!(Record::parse_line(b""), Blank);
        for bad in [
            &b"hello world"[..],
            b"2026-11-21T10:02:03.123Z\tmsg\t#general",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\thi\textra",
            b"yesterday\tmsg\t#general\talice\thi",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\tbad \\x escape",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\ttrailing \\",
            b"2026-11-21T10:02:03.123Z\tmsg\t\talice\thi",
            b"2026-11-21T10:02:03.123Z\tmsg\tgeneral\talice\thi",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\t\thi",
            b"2026-11-21T10:02:03.123Z\tmsg\t#general\talice\t\xff\xfe",
            b"2026-11-21T10:02:03.123Z\tmsg\t12\t#general\talice\thi\t00000000",
        ] {
            assert_eq!(
                Record::parse_line(bad),
                Malformed,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // A future kind, old or new style.
        assert_eq!(
            Record::parse_line(b"2026-11-21T10:02:03.123Z\ttopic\t#general\talice\tnew topic"),
            UnknownKind
        );
        assert_eq!(
            Record::parse_line(b"2026-11-21T10:02:03.123Z\tkick\t#general"),
            UnknownKind
        );
        let future = record(RecordKind::Message, "#general", "alice", "x")
            .to_line()
            .replace("\tmsg\t", "\ttopic\t");
        // The check covers the kind, so recompute it for the future line.
        let body = future.rsplit_once('\t').unwrap().0;
        let future = format!("{body}\t{:08x}", crc32::checksum(body.as_bytes()));
        assert_eq!(parse(&future), UnknownKind);
    }
}
