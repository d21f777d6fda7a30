//! What the server costs while it runs, for an operator's `STATS` (`/stats`):
//! the counters behind it; the answer itself is a
//! [`Snapshot`](crate::wire::event::Snapshot), rendered by the wire layer.
//!
//! A learner watching `chat_bench` hammer the server wants to *see* the
//! cost: how many threads two per connection makes, how many lines wait in
//! queues, how many bytes go in and out, how many deliveries a second the
//! one lock pushes through. Counting must not become a cost of its own, so
//! each figure is counted where it is already cheap to:
//!
//! - **Bytes in and out**: two process-wide atomics
//!   ([`crate::support::traffic`]), one relaxed add per system call.
//! - **Deliveries** (one line put in one client's queue) are counted by the
//!   state as it queues them, under the state lock it already holds: a
//!   plain integer in [`Deliveries`], no atomic at all. At the end of each
//!   locked section the lines delivered in it go into a ring of 60
//!   per-second buckets ([`PerSecond`]), which is what "per second over the
//!   last minute" is read from.
//! - **Queued lines** are one relaxed counter per queue, kept beside the
//!   queue in [`crate::outbox`]; `STATS` walks the connections and adds them
//!   up, which costs only the operator who asked.
//! - **Connections, threads, the history file** are looked up when asked:
//!   the state's map, `/proc/self/status`, the history store's length.
//!
//! So the hot path, a message fanned out to a room, gains one relaxed add
//! per recipient (the queue's counter) and one plain increment per
//! recipient under the lock; `chat_bench fanout` cannot tell the difference.

use crate::wire::event::Threads;
use std::time::Instant;

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
}
