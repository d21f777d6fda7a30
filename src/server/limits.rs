//! What a reader does with lines over the flood limit, and how it says so.
//!
//! The [`TokenBucket`] decides *whether* a line is too fast; this file decides
//! what the client hears about it, which differs by who is on the other end:
//!
//! - **A program** (protocol mode, and anyone not yet registered) gets one
//!   `ERROR Slow down (max N lines/s)` for *every* refused line, so it can
//!   count which of its lines were dropped and send them again.
//! - **A person** (chat mode) is told once when a burst starts being refused,
//!   and once more when it ends, with how many lines were lost and which
//!   (the first and last one's opening words): a screenful of identical
//!   errors would hide the one thing worth reading. "When it ends" is
//!   [`SUMMARY_DELAY`] after the last dropped line, without waiting for
//!   the person to type again: a paste of 30 lines is followed by its
//!   summary within a second, not whenever the next line comes.
//!
//! **Output costs like input.** Fourteen bytes of `JOIN #room` can make
//! the server send 20 KB (the room's recent messages), and an IRC `NAMES`
//! of 800 nicks is 16 KB, so a line is charged for its reply too: one more
//! token for every [`OUTPUT_BYTES_PER_TOKEN`] bytes the command queued for
//! its sender, all of them however many (IRC's `NAMES` and `WHO` are not
//! paged, as IRC clients expect one list: a `WHO` of 900 members, 111 KB,
//! costs 218 lines, 22 s). An ordinary reply is far shorter and costs
//! nothing extra (`USERS` and `ROOMS` come a page at a time for the same
//! reason: see `chat::state::rooms`); a client asking for the longest
//! replies as fast as it may is held to about `rate_per_sec ×
//! OUTPUT_BYTES_PER_TOKEN` bytes a second of them.
//!
//! The bucket lives in the reader thread, so none of this takes the lock
//! except to queue what is said.

use crate::chat::ratelimit::TokenBucket;
use crate::text::sanitize;
use crate::wire::command::Dialect;
use std::time::{Duration, Instant};

/// How long after the last dropped line a person is told what was lost:
/// long enough that a paste (which arrives in milliseconds) is over, short
/// enough that the summary follows it while they are still looking.
pub const SUMMARY_DELAY: Duration = Duration::from_millis(500);

/// How much of a dropped line the summary quotes.
const QUOTED_CHARS: usize = 24;

/// The lines of one refused burst, for the person's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub lines: u32,
    /// The first and the last dropped line's opening words.
    pub first: String,
    pub last: String,
}

/// Reply bytes that cost one more line's token. 512: longer than any
/// ordinary reply (a welcome, a short list, an error), short enough that a
/// 20 KB replay costs 40 lines, four seconds at the default 10 a second.
pub const OUTPUT_BYTES_PER_TOKEN: usize = 512;

/// What to do with one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FloodVerdict {
    /// Take the line.
    Take,
    /// Take the line, but first tell a chat-mode person which lines
    /// before it were dropped.
    TakeAfterDropping(Dropped),
    /// Drop the line. `reply`: answer it with `Slow down`; `first`: it is
    /// the first dropped line of this burst (the one worth logging).
    Drop { reply: bool, first: bool },
}

/// One connection's flood control: its bucket and the burst being dropped.
#[derive(Debug)]
pub struct FloodControl {
    bucket: TokenBucket,
    /// Lines dropped since the last line taken.
    dropped: u32,
    /// The first and last of them, quoted (chat mode only).
    first_dropped: String,
    last_dropped: String,
    /// When a chat-mode person is told about them if no line is taken
    /// first: [`SUMMARY_DELAY`] after the last one.
    summary_at: Option<Instant>,
}

impl FloodControl {
    pub fn new(rate_per_sec: u32, burst: u32, now: Instant) -> FloodControl {
        FloodControl {
            bucket: TokenBucket::new(rate_per_sec, burst, now),
            dropped: 0,
            first_dropped: String::new(),
            last_dropped: String::new(),
            summary_at: None,
        }
    }

    /// Charges a command for the `reply_bytes` it queued for its sender.
    pub fn charge_output(&mut self, reply_bytes: usize) {
        let extra = reply_bytes / OUTPUT_BYTES_PER_TOKEN;
        if extra > 0 {
            self.bucket.charge(extra as f64);
        }
    }

    /// Judges one `line`. `registered` is the client's dialect, `None`
    /// before it has a name (treated as a program: it may well be one).
    pub fn judge(
        &mut self,
        now: Instant,
        registered: Option<Dialect>,
        line: &[u8],
    ) -> FloodVerdict {
        let chat = registered == Some(Dialect::Chat);
        if self.bucket.try_take(now) {
            return match self.take_summary() {
                Some(dropped) if chat => FloodVerdict::TakeAfterDropping(dropped),
                _ => FloodVerdict::Take,
            };
        }
        self.dropped += 1;
        let first = self.dropped == 1;
        if chat {
            self.last_dropped = quote(line);
            if first {
                self.first_dropped = self.last_dropped.clone();
            }
            self.summary_at = Some(now + SUMMARY_DELAY);
        }
        FloodVerdict::Drop {
            reply: !chat || first,
            first,
        }
    }

    /// How long until a person's summary is due, if one is waiting: the
    /// reader reads no longer than this.
    pub fn summary_in(&self, now: Instant) -> Option<Duration> {
        self.summary_at.map(|at| at.saturating_duration_since(now))
    }

    /// The summary, once it is due (and then never again for this burst).
    pub fn summary_due(&mut self, now: Instant) -> Option<Dropped> {
        match self.summary_at {
            Some(at) if now >= at => self.take_summary(),
            _ => None,
        }
    }

    /// Ends the burst: what was dropped, if anything was.
    fn take_summary(&mut self) -> Option<Dropped> {
        self.summary_at = None;
        let lines = std::mem::take(&mut self.dropped);
        let first = std::mem::take(&mut self.first_dropped);
        let last = std::mem::take(&mut self.last_dropped);
        (lines > 0).then_some(Dropped { lines, first, last })
    }
}

/// A dropped line's opening words, safe to show: `I think the answer is…`.
fn quote(line: &[u8]) -> String {
    let text = sanitize::clean_typed_line(&String::from_utf8_lossy(line));
    let text = text.trim();
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn burst_of(registered: Option<Dialect>) -> Vec<FloodVerdict> {
        let now = Instant::now();
        let mut flood = FloodControl::new(10, 2, now);
        let mut verdicts: Vec<_> = (0..5)
            .map(|n| flood.judge(now, registered, format!("line {n}").as_bytes()))
            .collect();
        verdicts.push(flood.judge(now + Duration::from_secs(1), registered, b"later"));
        verdicts
    }

    #[test]
    fn a_program_hears_about_every_dropped_line() {
        let dropped = FloodVerdict::Drop {
            reply: true,
            first: false,
        };
        let first = FloodVerdict::Drop {
            reply: true,
            first: true,
        };
        use FloodVerdict::Take;
        for who in [Some(Dialect::Protocol), None] {
            assert_eq!(
                burst_of(who),
                [
                    Take,
                    Take,
                    first.clone(),
                    dropped.clone(),
                    dropped.clone(),
                    Take
                ]
            );
        }
    }

    #[test]
    fn a_long_reply_costs_lines() {
        let now = Instant::now();
        let mut flood = FloodControl::new(10, 20, now);
        assert_eq!(flood.judge(now, None, b"x"), FloodVerdict::Take);
        flood.charge_output(OUTPUT_BYTES_PER_TOKEN - 1); // free
        flood.charge_output(16 * 1024); // 32 tokens: the rest of the burst and more
        assert!(matches!(
            flood.judge(now, None, b"x"),
            FloodVerdict::Drop { .. }
        ));
        let later = now + std::time::Duration::from_millis(1500);
        assert_eq!(flood.judge(later, None, b"x"), FloodVerdict::Take);
    }

    #[test]
    fn a_person_hears_once_and_then_how_many() {
        use FloodVerdict::{Drop, Take, TakeAfterDropping};
        assert_eq!(
            burst_of(Some(Dialect::Chat)),
            [
                Take,
                Take,
                Drop {
                    reply: true,
                    first: true
                },
                Drop {
                    reply: false,
                    first: false
                },
                Drop {
                    reply: false,
                    first: false
                },
                TakeAfterDropping(Dropped {
                    lines: 3,
                    first: "line 2".into(),
                    last: "line 4".into(),
                }),
            ]
        );
    }

    #[test]
    fn a_person_is_told_soon_after_the_burst_without_typing_again() {
        let now = Instant::now();
        let mut flood = FloodControl::new(10, 1, now);
        let chat = Some(Dialect::Chat);
        assert_eq!(flood.judge(now, chat, b"kept"), FloodVerdict::Take);
        let long = "a line much longer than what the summary quotes of it";
        flood.judge(now, chat, long.as_bytes());
        flood.judge(now, chat, b"\x1b[Athe last one");
        assert_eq!(flood.summary_in(now), Some(SUMMARY_DELAY));
        assert_eq!(flood.summary_due(now), None, "not before the delay");
        let due = now + SUMMARY_DELAY;
        assert_eq!(
            flood.summary_due(due),
            Some(Dropped {
                lines: 2,
                first: "a line much longer than…".into(),
                last: "the last one".into(),
            })
        );
        assert_eq!(flood.summary_in(due), None);
        assert_eq!(flood.summary_due(due), None, "told once");
        // A program is answered line by line and gets no summary.
        let mut program = FloodControl::new(10, 1, now);
        program.judge(now, None, b"a");
        program.judge(now, None, b"b");
        assert_eq!(program.summary_in(now), None);
    }
}
