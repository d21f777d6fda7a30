//! What a reader does with lines over the flood limit, and how it says so.
//!
//! The [`TokenBucket`] decides *whether* a line is too fast; this file decides
//! what the client hears about it, which differs by who is on the other end:
//!
//! - **A program** (protocol mode, and anyone not yet registered) gets one
//!   `ERROR Slow down (max N lines/s)` for *every* refused line, so it can
//!   count which of its lines were dropped and send them again.
//! - **A person** (chat mode) is told once when a burst starts being refused,
//!   and once more when it ends, with how many lines were lost: a screenful
//!   of identical errors would hide the one thing worth reading.
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
use crate::wire::command::Dialect;
use std::time::Instant;

/// Reply bytes that cost one more line's token. 512: longer than any
/// ordinary reply (a welcome, a short list, an error), short enough that a
/// 20 KB replay costs 40 lines, four seconds at the default 10 a second.
pub const OUTPUT_BYTES_PER_TOKEN: usize = 512;

/// What to do with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloodVerdict {
    /// Take the line.
    Take,
    /// Take the line, but first tell a chat-mode person that this many
    /// lines before it were dropped.
    TakeAfterDropping(u32),
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
}

impl FloodControl {
    pub fn new(rate_per_sec: u32, burst: u32, now: Instant) -> FloodControl {
        FloodControl {
            bucket: TokenBucket::new(rate_per_sec, burst, now),
            dropped: 0,
        }
    }

    /// Charges a command for the `reply_bytes` it queued for its sender.
    pub fn charge_output(&mut self, reply_bytes: usize) {
        let extra = reply_bytes / OUTPUT_BYTES_PER_TOKEN;
        if extra > 0 {
            self.bucket.charge(extra as f64);
        }
    }

    /// Judges one line. `registered` is the client's dialect, `None` before
    /// it has a name (treated as a program: it may well be one).
    pub fn judge(&mut self, now: Instant, registered: Option<Dialect>) -> FloodVerdict {
        let chat = registered == Some(Dialect::Chat);
        if self.bucket.try_take(now) {
            let dropped = std::mem::take(&mut self.dropped);
            return match (chat, dropped) {
                (true, n) if n > 0 => FloodVerdict::TakeAfterDropping(n),
                _ => FloodVerdict::Take,
            };
        }
        self.dropped += 1;
        let first = self.dropped == 1;
        FloodVerdict::Drop {
            reply: !chat || first,
            first,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn burst_of(registered: Option<Dialect>) -> Vec<FloodVerdict> {
        let now = Instant::now();
        let mut flood = FloodControl::new(10, 2, now);
        let mut verdicts: Vec<_> = (0..5).map(|_| flood.judge(now, registered)).collect();
        verdicts.push(flood.judge(now + Duration::from_secs(1), registered));
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
            assert_eq!(burst_of(who), [Take, Take, first, dropped, dropped, Take]);
        }
    }

    #[test]
    fn a_long_reply_costs_lines() {
        let now = Instant::now();
        let mut flood = FloodControl::new(10, 20, now);
        assert_eq!(flood.judge(now, None), FloodVerdict::Take);
        flood.charge_output(OUTPUT_BYTES_PER_TOKEN - 1); // free
        flood.charge_output(16 * 1024); // 32 tokens: the rest of the burst and more
        assert!(matches!(flood.judge(now, None), FloodVerdict::Drop { .. }));
        let later = now + std::time::Duration::from_millis(1500);
        assert_eq!(flood.judge(later, None), FloodVerdict::Take);
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
                TakeAfterDropping(3),
            ]
        );
    }
}
