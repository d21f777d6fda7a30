//! `STATS` and `CONNS` as lines: the server's figures for a program (one
//! `STATS` line of `key=value` words per figure, then `OK Stats`) and for
//! a person (one sentence per figure, the chat's `***` lines and IRC's
//! NOTICEs), and the operator's list of connections per address.
//!
//! The figures themselves are taken under the state's lock
//! ([`Snapshot`]); here they only become words, so the same snapshot reads
//! the same in every dialect.

use crate::wire::event::{Snapshot, Threads};

/// `STATS` for a program: one `STATS` line per figure, each a list of
/// `key=value` words (values are numbers, except `fullest_queue`, a name
/// or an address, `threads_from`, `proc` or `estimate`, and `history`,
/// `on` or `off`), then `OK Stats`, so a program knows the report is over.
pub(super) fn stats_protocol(s: &Snapshot) -> Vec<String> {
    let (fullest_queue, fullest) = match &s.fullest {
        Some((whose, lines)) => (whose.as_str(), *lines),
        None => ("-", 0),
    };
    let (threads, threads_from) = match s.threads {
        Threads::Counted(n) => (n, "proc"),
        Threads::Estimated(n) => (n, "estimate"),
    };
    let tenths = s.per_second_tenths();
    vec![
        format!(
            "STATS connections={} named={} unnamed={}",
            s.named + s.unnamed,
            s.named,
            s.unnamed
        ),
        format!("STATS threads={threads} threads_from={threads_from}"),
        format!(
            "STATS queued={} fullest={fullest} fullest_queue={fullest_queue}",
            s.queued
        ),
        format!("STATS bytes_in={} bytes_out={}", s.bytes_in, s.bytes_out),
        format!(
            "STATS deliveries={} last_minute={} window_secs={} per_second={}.{}",
            s.deliveries,
            s.last_minute,
            s.window_secs,
            tenths / 10,
            tenths % 10
        ),
        match s.history_bytes {
            Some(bytes) => format!("STATS history=on history_bytes={bytes}"),
            None => "STATS history=off".into(),
        },
        "OK Stats".into(),
    ]
}

/// `STATS` for a person, one sentence per figure: the chat's `***` lines
/// and IRC's NOTICEs.
pub fn stats_sentences(s: &Snapshot) -> Vec<String> {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let threads = match s.threads {
        Threads::Counted(n) => plural(n, "thread", "threads"),
        Threads::Estimated(n) => format!("about {n} threads (estimated)"),
    };
    let queued = match &s.fullest {
        Some((whose, lines)) => format!(
            "Queued lines: {} in all; the fullest queue is {whose}'s, {}",
            s.queued,
            plural(*lines, "line", "lines")
        ),
        None => "Queued lines: none (every client has read all it was sent)".into(),
    };
    let window = match s.window_secs {
        60 => "the last minute".to_string(),
        secs => format!("the last {secs} s"),
    };
    let tenths = s.per_second_tenths();
    vec![
        format!(
            "Stats: {} ({} named, {} choosing a name), {threads}",
            plural(s.named + s.unnamed, "connection", "connections"),
            s.named,
            s.unnamed
        ),
        queued,
        format!(
            "Traffic since start: {} in, {} out",
            human_bytes(s.bytes_in),
            human_bytes(s.bytes_out)
        ),
        format!(
            "Deliveries: {}.{} a second over {window} ({} since start)",
            tenths / 10,
            tenths % 10,
            s.deliveries
        ),
        match s.history_bytes {
            Some(bytes) => format!("History file: {}", human_bytes(bytes)),
            None => "History: off".into(),
        },
    ]
}

/// `CONNS` in words: one line per address, then the total.
pub fn connections_text(rows: &[(String, usize, usize, u64)], addresses: usize) -> Vec<String> {
    let mut lines: Vec<String> = rows
        .iter()
        .map(|(address, count, nameless, oldest)| {
            format!("{address}: {count} connections, {nameless} without a name, the oldest {oldest} s old")
        })
        .collect();
    lines.push(format!(
        "{addresses} addresses in all (the {} with most connections shown); /kickaddr <address> closes them",
        rows.len()
    ));
    lines
}

/// `n` bytes for a person: `512 bytes`, `12.3 KiB`, `4.5 MiB`, `1.2 GiB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(64 * 1024 * 1024), "64.0 MiB");
        assert_eq!(human_bytes(3 << 30), "3.0 GiB");
        assert_eq!(human_bytes(5000 << 30), "5000.0 GiB");
    }
}
