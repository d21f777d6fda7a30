//! One record as one line of `step4_server transcript`.
//!
//! Each kind of record reads the way a chat client shows it: a message as
//! `#general alice: hi`; joins and leaves as `* alice joined`, like IRC
//! clients do, so they stand out from what people said; a kick as what it
//! was, `* bob was kicked by lee: spamming`; an action as `alice *waves*`,
//! which starts with its author so `/me left` cannot pass for a leave. The
//! time comes first, in UTC, and the people are shown by their
//! [`Labels`], so `alice (2)` in the transcript is
//! `alice (2)` in the attendance table.
//!
//! Every piece of text taken from the record goes through
//! [`printable`]: the line is for a terminal, and one record
//! stays one line.

use super::people::Labels;
use super::printable::printable;
use crate::history::record::{Record, RecordKind};
use crate::support::timestamp;

/// One record as a transcript line.
pub(super) fn transcript_line(record: &Record, labels: &Labels) -> String {
    let time = timestamp::human(record.time_ms);
    let place = printable(&record.place);
    let sender = &labels.sender;
    let text = printable(&record.text);
    match record.kind {
        RecordKind::Message => format!("{time} {place} {sender}: {text}"),
        RecordKind::Private => format!("{time} {sender} → {} (private): {text}", labels.other),
        RecordKind::Join => format!("{time} {place} * {sender} joined"),
        RecordKind::Leave if text.is_empty() => format!("{time} {place} * {sender} left"),
        // The server notes why someone was made to leave: a kick, with
        // the operator and the reason (`kicked by lee: spamming`).
        RecordKind::Leave if text.starts_with("kicked by ") => {
            format!("{time} {place} * {sender} was {text}")
        }
        RecordKind::Leave => format!("{time} {place} * {sender} left ({text})"),
        // Like the chat: an action starts with its author, so it cannot
        // pass for a `*` line (`/me left` is not a leave).
        RecordKind::Action => format!("{time} {place} {sender} *{text}*"),
        RecordKind::Rename if record.place == "-" => {
            format!("{time} * {sender} is now known as {}", labels.other)
        }
        RecordKind::Rename => format!("{time} {place} * {sender} is now known as {}", labels.other),
        RecordKind::Login => format!("{time} * {sender} logged in"),
    }
}
