//! Log lines an attacker can cause, at most once a minute per address and
//! kind, with a count of the rest.
//!
//! The log is for the teacher, and `2>> class.log` is what the docs suggest:
//! a line for every refused connection (143 bytes each) let one address
//! connecting in a loop write 600 KB of log a second, two gigabytes an hour.
//! So for the lines a stranger can provoke at will (a refused connection,
//! a new connection, one closed at once without a name, a registration and
//! a departure in a loop, flood control),
//! [`LogSummary::note`] says whether to write this one: the
//! first of a kind from an address is written, the rest of that minute are
//! only counted, and the next one written after the minute is preceded by
//! `… 32,232 more refused connections from 127.0.0.5 in the last minute`.
//! An attack that stops leaves its last count unsaid until that address
//! causes another such line (or [`LogSummary::tidy`] runs): a count, not a
//! line, is what is lost.
//!
//! Wrong passwords are counted the same way by the chat guard, which keeps
//! one record per address anyway.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// At most one line per address and kind this often.
pub const EVERY: Duration = Duration::from_secs(60);

/// How many addresses' counts are kept before old ones are tidied away.
const TIDY_AT: usize = 4096;

/// One address's count of one kind.
#[derive(Debug)]
struct Count {
    /// When the current minute began (its first line was written).
    logged_at: Instant,
    /// Lines written in it.
    written: u64,
    /// Lines only counted in it.
    unlogged: u64,
}

/// The counts. See the module notes.
#[derive(Debug, Default)]
pub struct LogSummary {
    counts: HashMap<(IpAddr, &'static str), Count>,
}

impl LogSummary {
    /// A line of `kind` (`"refused connections"`) from `ip` is due: the
    /// lines to write now, the summary of the last minute first, then the
    /// line itself from `line`; nothing while the minute is not over.
    pub fn note(
        &mut self,
        ip: IpAddr,
        kind: &'static str,
        now: Instant,
        line: impl FnOnce() -> String,
    ) -> Vec<String> {
        self.note_after(ip, kind, 1, now, line)
    }

    /// [`LogSummary::note`], but the first `free` lines of each minute are
    /// written: for lines an ordinary class also causes (a new connection),
    /// so a class of 30 behind one address still has one each.
    pub fn note_after(
        &mut self,
        ip: IpAddr,
        kind: &'static str,
        free: u64,
        now: Instant,
        line: impl FnOnce() -> String,
    ) -> Vec<String> {
        if self.counts.len() >= TIDY_AT {
            let _ = self.tidy(now);
        }
        let count = match self.counts.entry((ip, kind)) {
            Entry::Occupied(count) => count.into_mut(),
            Entry::Vacant(vacant) => {
                // The first of its kind from this address.
                vacant.insert(Count {
                    logged_at: now,
                    written: 1,
                    unlogged: 0,
                });
                return vec![line()];
            }
        };
        if now.saturating_duration_since(count.logged_at) < EVERY {
            if count.written < free {
                count.written += 1;
                return vec![line()];
            }
            count.unlogged += 1;
            return Vec::new();
        }
        let mut lines = Vec::new();
        if count.unlogged > 0 {
            lines.push(summary_line(count.unlogged, kind, ip));
        }
        *count = Count {
            logged_at: now,
            written: 1,
            unlogged: 0,
        };
        lines.push(line());
        lines
    }

    /// [`LogSummary::note_after`], and writes the lines that are due to
    /// the log: what every caller does with them.
    pub fn log_after(
        &mut self,
        ip: IpAddr,
        kind: &'static str,
        free: u64,
        now: Instant,
        line: impl FnOnce() -> String,
    ) {
        for line in self.note_after(ip, kind, free, now, line) {
            crate::log!("{line}");
        }
    }

    /// Forgets the counts whose minute is over, returning the summary lines
    /// of those that still had lines unsaid.
    pub fn tidy(&mut self, now: Instant) -> Vec<String> {
        let mut lines = Vec::new();
        self.counts.retain(|&(ip, kind), count| {
            let over = now.saturating_duration_since(count.logged_at) >= EVERY;
            if over && count.unlogged > 0 {
                lines.push(summary_line(count.unlogged, kind, ip));
            }
            !over
        });
        lines
    }
}

/// `… 32,232 more refused connections from 127.0.0.5 in the last minute`
fn summary_line(count: u64, kind: &str, ip: IpAddr) -> String {
    format!(
        "… {} more {kind} from {ip} in the last minute",
        thousands(count)
    )
}

/// `32232` as `32,232`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 5));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 6));
    const KIND: &str = "refused connections";

    #[test]
    fn once_a_minute_per_address_and_kind_with_a_count() {
        let start = Instant::now();
        let mut summary = LogSummary::default();
        let line = || "Refused connection".to_string();
        assert_eq!(summary.note(IP, KIND, start, line), ["Refused connection"]);
        let mut written = 0;
        for ms in 1..=32_232 {
            let now = start + Duration::from_millis(ms);
            written += summary.note(IP, KIND, now, line).len();
        }
        assert_eq!(written, 0);
        // Another address and another kind have their own minute.
        assert_eq!(summary.note(OTHER, KIND, start, line).len(), 1);
        assert_eq!(summary.note(IP, "flood", start, line).len(), 1);
        let later = start + EVERY;
        assert_eq!(
            summary.note(IP, KIND, later, line),
            [
                "… 32,232 more refused connections from 127.0.0.5 in the last minute",
                "Refused connection"
            ]
        );
        // Quiet for a minute: no summary, just the line.
        let quiet = later + EVERY + EVERY;
        assert_eq!(summary.note(IP, KIND, quiet, line), ["Refused connection"]);
    }

    #[test]
    fn the_first_few_of_a_minute_may_be_free() {
        let start = Instant::now();
        let mut summary = LogSummary::default();
        let written: usize = (0..100)
            .map(|ms| {
                let now = start + Duration::from_millis(ms);
                summary.note_after(IP, KIND, 30, now, || "x".into()).len()
            })
            .sum();
        assert_eq!(written, 30);
        let next = summary.note_after(IP, KIND, 30, start + EVERY, || "x".into());
        assert_eq!(
            next[0],
            "… 70 more refused connections from 127.0.0.5 in the last minute"
        );
    }

    #[test]
    fn tidy_says_the_counts_left_and_forgets() {
        let start = Instant::now();
        let mut summary = LogSummary::default();
        let line = || String::new();
        summary.note(IP, KIND, start, line);
        summary.note(IP, KIND, start + Duration::from_secs(1), line);
        summary.note(OTHER, KIND, start, line);
        assert!(summary.tidy(start + Duration::from_secs(2)).is_empty());
        assert_eq!(
            summary.tidy(start + EVERY),
            ["… 1 more refused connections from 127.0.0.5 in the last minute"]
        );
        assert!(summary.counts.is_empty());
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
