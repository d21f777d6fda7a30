//! What the server costs while it runs, for an operator's `STATS` (`/stats`):
//! the counters behind it, and the [`Snapshot`] that answers it.
//!
//! A learner watching `chat_bench` hammer the server wants to *see* the
//! cost: how many threads two per connection makes, how many lines wait in
//! queues, how many bytes go in and out, how many deliveries a second the
//! one lock pushes through. Counting must not become a cost of its own, so
//! each figure is counted where it is already cheap to:
//!
//! - **Bytes in and out** are two process-wide atomics, added to by every
//!   reader after a `read()` and every writer after a `write()`: one relaxed
//!   add per system call, never per line, and no lock. *Relaxed* is enough
//!   because each counter is only ever added to and read on its own: no
//!   other memory is published through it, so no ordering with other
//!   variables is needed, and the total is exact once the adds are done.
//! - **Deliveries** (one line put in one client's queue) are counted by the
//!   state as it queues them, under the state lock it already holds: a
//!   plain integer in [`Deliveries`], no atomic at all. At the end of each
//!   locked section the lines delivered in it go into a ring of 60
//!   per-second buckets ([`PerSecond`]), which is what "per second over the
//!   last minute" is read from.
//! - **Queued lines** are one relaxed counter per queue, kept beside the
//!   queue in [`crate::server::outbox`]; `STATS` walks the connections and adds them
//!   up, which costs only the operator who asked.
//! - **Connections, threads, the history file** are looked up when asked:
//!   the state's map, `/proc/self/status`, the history store's length.
//!
//! So the hot path, a message fanned out to a room, gains one relaxed add
//! per recipient (the queue's counter) and one plain increment per
//! recipient under the lock; `chat_bench fanout` cannot tell the difference.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Bytes read from every client since the server started.
static BYTES_IN: AtomicU64 = AtomicU64::new(0);
/// Bytes written to every client since the server started.
static BYTES_OUT: AtomicU64 = AtomicU64::new(0);

/// A reader read `bytes` from its socket.
pub fn count_in(bytes: usize) {
    // Relaxed: a lone counter, see the module notes.
    BYTES_IN.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// A writer wrote `bytes` to its socket.
pub fn count_out(bytes: usize) {
    // Relaxed: a lone counter, see the module notes.
    BYTES_OUT.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// (bytes in, bytes out) since the server started.
pub fn bytes() -> (u64, u64) {
    (
        BYTES_IN.load(Ordering::Relaxed),
        BYTES_OUT.load(Ordering::Relaxed),
    )
}

/// How many seconds [`PerSecond`] remembers.
pub const WINDOW_SECS: usize = 60;

/// Counts per second for the last [`WINDOW_SECS`] seconds: a ring of
/// buckets, one per second, the oldest overwritten by the newest. Seconds
/// are counted from whenever the owner started (any clock will do, as long
/// as it never goes back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerSecond {
    buckets: [u64; WINDOW_SECS],
    /// The second the newest bucket belongs to.
    newest: u64,
}

impl Default for PerSecond {
    fn default() -> Self {
        PerSecond {
            buckets: [0; WINDOW_SECS],
            newest: 0,
        }
    }
}

impl PerSecond {
    /// Adds `count` to second `second`. A second older than the newest one
    /// (which a monotonic clock never gives) counts towards the newest.
    pub fn add(&mut self, second: u64, count: u64) {
        self.advance(second);
        self.buckets[(self.newest % WINDOW_SECS as u64) as usize] += count;
    }

    /// (the total over the last [`WINDOW_SECS`] seconds up to `second`, how
    /// many seconds that covers): fewer than 60 in the server's first minute.
    pub fn last_window(&mut self, second: u64) -> (u64, u64) {
        self.advance(second);
        let total = self.buckets.iter().sum();
        (total, (self.newest + 1).min(WINDOW_SECS as u64))
    }

    /// Moves the newest bucket forward to `second`, emptying the buckets of
    /// the seconds in between (at most a whole ring's worth).
    fn advance(&mut self, second: u64) {
        if second <= self.newest {
            return;
        }
        let gap = (second - self.newest).min(WINDOW_SECS as u64);
        for step in 1..=gap {
            let slot = (self.newest + step) % WINDOW_SECS as u64;
            self.buckets[slot as usize] = 0;
        }
        self.newest = second;
    }
}

/// Lines queued for clients: counted by the state under its lock (see the
/// module notes), so plain integers.
#[derive(Debug, Clone)]
pub struct Deliveries {
    started: Instant,
    /// Delivered and already in the ring.
    total: u64,
    /// Delivered during the current locked section, not yet in the ring.
    pending: u64,
    ring: PerSecond,
}

impl Deliveries {
    pub fn new(now: Instant) -> Deliveries {
        Deliveries {
            started: now,
            total: 0,
            pending: 0,
            ring: PerSecond::default(),
        }
    }

    /// One line went into one queue. The hot path: a plain add.
    pub fn one(&mut self) {
        self.pending += 1;
    }

    /// Files what was delivered since the last call under the current
    /// second; asks the clock only if something was (called as the state
    /// lock is released).
    pub fn tick(&mut self) {
        if self.pending > 0 {
            self.tick_at(Instant::now());
        }
    }

    /// [`Deliveries::tick`] at a given time.
    pub fn tick_at(&mut self, now: Instant) {
        let second = now.saturating_duration_since(self.started).as_secs();
        self.ring.add(second, self.pending);
        self.total += self.pending;
        self.pending = 0;
    }

    /// Every delivery since the server started.
    pub fn total(&self) -> u64 {
        self.total + self.pending
    }

    /// (deliveries over the last minute, the seconds that covers) at `now`.
    pub fn last_minute(&mut self, now: Instant) -> (u64, u64) {
        self.tick_at(now);
        let second = now.saturating_duration_since(self.started).as_secs();
        self.ring.last_window(second)
    }
}

/// How many threads the process has, and whether that was counted or guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// Read from the operating system (`Threads:` in `/proc/self/status`).
    Counted(usize),
    /// Estimated where there is no `/proc` (not Linux): two per connection
    /// plus the accept loop and the main thread.
    Estimated(usize),
}

/// The process's thread count; `connections` is for the estimate where the
/// system cannot say.
pub fn threads(connections: usize) -> Threads {
    match std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| threads_in_status(&status))
    {
        Some(count) => Threads::Counted(count),
        None => Threads::Estimated(2 * connections + 2),
    }
}

/// The `Threads:` line of a `/proc/<pid>/status` text.
fn threads_in_status(status: &str) -> Option<usize> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|count| count.trim().parse().ok())
}

/// Everything `STATS` reports, gathered under the state lock in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Connections with a name.
    pub named: usize,
    /// Connections still choosing a name (or a browser that has not yet).
    pub unnamed: usize,
    pub threads: Threads,
    /// Lines waiting in every queue together.
    pub queued: usize,
    /// The fullest queue: whose (a name, or an address before there is
    /// one) and how many lines; `None` when every queue is empty.
    pub fullest: Option<(String, usize)>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Deliveries since the start.
    pub deliveries: u64,
    /// Deliveries over the last `window_secs` seconds (60, or less in the
    /// server's first minute).
    pub last_minute: u64,
    pub window_secs: u64,
    /// The history file's size in bytes; `None` when history is off.
    pub history_bytes: Option<u64>,
}

impl Snapshot {
    /// Deliveries per second over the window, in tenths (so the snapshot
    /// stays plain integers): 12345 is 1234.5 a second.
    pub fn per_second_tenths(&self) -> u64 {
        self.last_minute * 10 / self.window_secs.max(1)
    }
}

/// `n` bytes for a person: `512 bytes`, `12.3 KiB`, `4.5 MiB`, `1.2 GiB`.
pub fn human_bytes(n: u64) -> String {
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
    use std::time::Duration;

    #[test]
    fn the_ring_sums_the_last_minute_and_forgets_older_seconds() {
        let mut ring = PerSecond::default();
        ring.add(0, 5);
        ring.add(0, 5);
        assert_eq!(ring.last_window(0), (10, 1));
        ring.add(3, 7);
        assert_eq!(ring.last_window(3), (17, 4));
        // Second 59: all of 0..=59 is in the window.
        assert_eq!(ring.last_window(59), (17, 60));
        // Second 60 reuses second 0's bucket: its 10 are gone.
        assert_eq!(ring.last_window(60), (7, 60));
        ring.add(61, 1);
        assert_eq!(ring.last_window(62), (8, 60));
        // Second 63's window starts at 4: second 3's 7 are gone.
        assert_eq!(ring.last_window(63), (1, 60));
    }

    #[test]
    fn a_long_silence_empties_the_ring() {
        let mut ring = PerSecond::default();
        for second in 0..60 {
            ring.add(second, 1);
        }
        assert_eq!(ring.last_window(59), (60, 60));
        assert_eq!(ring.last_window(1_000_000), (0, 60));
        ring.add(1_000_000, 2);
        assert_eq!(ring.last_window(1_000_000), (2, 60));
    }

    #[test]
    fn a_second_from_the_past_counts_towards_the_newest() {
        let mut ring = PerSecond::default();
        ring.add(10, 1);
        ring.add(4, 1);
        assert_eq!(ring.last_window(10), (2, 11));
    }

    #[test]
    fn deliveries_reach_the_ring_when_ticked() {
        let start = Instant::now();
        let mut deliveries = Deliveries::new(start);
        for _ in 0..30 {
            deliveries.one();
        }
        assert_eq!(deliveries.total(), 30);
        deliveries.tick_at(start + Duration::from_millis(1500));
        deliveries.one();
        assert_eq!(deliveries.total(), 31);
        // The pending one is filed when asked.
        assert_eq!(
            deliveries.last_minute(start + Duration::from_secs(2)),
            (31, 3)
        );
        assert_eq!(
            deliveries.last_minute(start + Duration::from_secs(200)),
            (0, 60)
        );
        assert_eq!(deliveries.total(), 31);
    }

    #[test]
    fn per_second_in_tenths() {
        let mut snapshot = Snapshot {
            named: 0,
            unnamed: 0,
            threads: Threads::Counted(1),
            queued: 0,
            fullest: None,
            bytes_in: 0,
            bytes_out: 0,
            deliveries: 0,
            last_minute: 123,
            window_secs: 60,
            history_bytes: None,
        };
        assert_eq!(snapshot.per_second_tenths(), 20); // 2.05 → 2.0
        snapshot.window_secs = 0; // never divides by zero
        assert_eq!(snapshot.per_second_tenths(), 1230);
    }

    #[test]
    fn threads_from_proc_status() {
        let status = "Name:\tchatroom\nUmask:\t0022\nThreads:\t64\nSigQ:\t0/1\n";
        assert_eq!(threads_in_status(status), Some(64));
        assert_eq!(threads_in_status("Name:\tx\n"), None);
        // This test's own process has at least this thread.
        match threads(0) {
            Threads::Counted(n) if cfg!(target_os = "linux") => assert!(n >= 1),
            Threads::Counted(_) => {}
            Threads::Estimated(n) => assert_eq!(n, 2),
        }
    }

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

    #[test]
    fn byte_counters_only_grow() {
        let (before_in, before_out) = bytes();
        count_in(10);
        count_out(20);
        let (after_in, after_out) = bytes();
        assert!(after_in >= before_in + 10);
        assert!(after_out >= before_out + 20);
    }
}
