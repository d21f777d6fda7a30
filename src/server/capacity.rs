//! How many connections this machine lets the server hold, worked out at
//! start instead of discovered by crashing.
//!
//! A thread per connection spends operating-system resources that have
//! machine-wide limits, and running out of some of them is not an error the
//! program can catch:
//!
//! - **File descriptors**: one socket per connection. The per-process limit
//!   (`ulimit -n`) often starts at 1,024 although the system allows far more,
//!   so the server raises its own soft limit to the hard limit at start
//!   ([`raise_open_file_limit`], a `setrlimit` call std does not offer).
//! - **Memory mappings**: every thread Rust starts gets two mappings for its
//!   stack (the stack and a guard page below it) and two for the small
//!   alternate stack its stack-overflow handler runs on
//!   ([`MAPPINGS_PER_THREAD`]). Linux allows `vm.max_map_count` (65,530 by
//!   default) per process. When a new thread cannot map its alternate stack,
//!   Rust aborts the *whole process* — every class member disconnected at
//!   once — so the server must never get there.
//! - **Threads**: `kernel.threads-max` and `kernel.pid_max` bound the threads
//!   of the whole machine.
//!
//! [`connection_limit`] turns these into a number of threads, the budget the
//! readers and the writers' pool may never exceed (`support::pool::Budget`:
//! a thread past it is refused, not started), and a number of connections. A connection
//! holds one live thread, its reader; with the fast path on it holds a
//! second, its writer, only while its client has a backlog, so the budget
//! keeps room for a writer for one connection in [`WRITER_SHARE`] at once,
//! and for the threads kept for the next clients (readers waiting in
//! `accept()`, parked writers). A client that needs a writer
//! beyond that is closed (`outbox::Doorbell::wake_writer`), never the
//! server. Without the fast path every connection holds two threads. The
//! server lowers `max_clients` to the result (saying so in the log), logs the
//! capacity at start, and refuses the rest with `ERROR Server full`. On
//! systems other than Linux the numbers are not read and nothing is lowered.

/// Mappings each thread costs: its stack and guard page, its signal stack
/// and that one's guard page.
pub const MAPPINGS_PER_THREAD: usize = 4;

/// With the fast path on, room is kept for a writer thread for one
/// connection in this many at the same moment (a client whose socket is
/// full). In a class, a writer is the exception: a laptop lid closed.
pub const WRITER_SHARE: usize = 4;

/// Kept free for everything that is not a connection: the program itself,
/// its libraries, the heap, the listener, the history file.
const RESERVE: usize = 1_000;

/// Threads kept out of the budget: the main thread, the watchers, the
/// threads that hang up on a slow client, the history's, and every
/// process's other threads on the machine (for `pid_max`).
const RESERVE_THREADS: usize = 200;

/// What limits connections on this machine, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub connections: usize,
    /// The most threads the readers and writers may be at once.
    pub threads: usize,
    /// Why, and how to raise it: "vm.max_map_count is 65530 …".
    pub reason: String,
}

/// How many threads one connection needs, as the log says it, and how many
/// connections `threads` threads hold.
fn per_connection(direct_send: bool, threads: usize) -> (&'static str, usize) {
    match direct_send {
        true => (
            "a connection holds 1 thread, its reader, and a writer only while it has a backlog \
             (room is kept for one connection in 4)",
            threads * WRITER_SHARE / (WRITER_SHARE + 1),
        ),
        false => (
            "a connection holds 2 threads, its reader and its writer (direct_send is off)",
            threads / 2,
        ),
    }
}

/// The most connections this machine can hold, the threads they may use and
/// the tightest limit's explanation; `None` when nothing could be read (not
/// Linux). `direct_send` decides how many threads a connection needs.
pub fn connection_limit(direct_send: bool) -> Option<Limit> {
    let mut threads: Vec<(usize, String)> = Vec::new();
    if let Some(max_maps) = read_number("/proc/sys/vm/max_map_count") {
        threads.push((
            max_maps.saturating_sub(RESERVE) / MAPPINGS_PER_THREAD,
            format!(
                "vm.max_map_count is {max_maps} and each thread needs {MAPPINGS_PER_THREAD} memory mappings \
                 (raise it with: sysctl -w vm.max_map_count=262144)"
            ),
        ));
    }
    for (path, name) in [
        ("/proc/sys/kernel/threads-max", "kernel.threads-max"),
        ("/proc/sys/kernel/pid_max", "kernel.pid_max"),
    ] {
        if let Some(max) = read_number(path) {
            threads.push((
                max.saturating_sub(RESERVE_THREADS),
                format!("{name} is {max}"),
            ));
        }
    }
    let (threads, why) = threads.into_iter().min_by_key(|(threads, _)| *threads)?;
    let (holds, connections) = per_connection(direct_send, threads);
    let mut limit = Limit {
        connections,
        threads,
        reason: format!("{why}, so {threads} threads; {holds}"),
    };
    if let Some(files) = open_file_limit() {
        let by_files = files.saturating_sub(64);
        if by_files < limit.connections {
            limit.connections = by_files;
            limit.reason =
                format!("the open-file limit is {files} (raise it with: ulimit -n <more>)");
        }
    }
    Some(limit)
}

fn read_number(path: &str) -> Option<usize> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Raises this process's soft open-file limit to its hard limit; returns the
/// new soft limit. Never lowers it.
pub fn raise_open_file_limit() -> Option<usize> {
    imp::raise_open_file_limit()
}

/// The current soft open-file limit.
pub fn open_file_limit() -> Option<usize> {
    imp::open_file_limit()
}

#[cfg(target_os = "linux")]
mod imp {
    use std::os::raw::c_int;

    /// `RLIMIT_NOFILE` on Linux.
    const RLIMIT_NOFILE: c_int = 7;

    /// `struct rlimit` on 64-bit Linux: two `rlim_t` (unsigned 64-bit).
    #[repr(C)]
    struct Rlimit {
        current: u64,
        maximum: u64,
    }

    extern "C" {
        fn getrlimit(resource: c_int, limit: *mut Rlimit) -> c_int;
        fn setrlimit(resource: c_int, limit: *const Rlimit) -> c_int;
    }

    fn get() -> Option<Rlimit> {
        let mut limit = Rlimit {
            current: 0,
            maximum: 0,
        };
        // SAFETY: `limit` is a valid, writable `struct rlimit`.
        let result = unsafe { getrlimit(RLIMIT_NOFILE, &mut limit) };
        (result == 0).then_some(limit)
    }

    pub fn open_file_limit() -> Option<usize> {
        get().map(|limit| usize::try_from(limit.current).unwrap_or(usize::MAX))
    }

    pub fn raise_open_file_limit() -> Option<usize> {
        let limit = get()?;
        if limit.current < limit.maximum {
            let raised = Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            // SAFETY: `raised` is a valid `struct rlimit`; a failure leaves
            // the limit as it was, which is reported by reading it again.
            unsafe { setrlimit(RLIMIT_NOFILE, &raised) };
        }
        open_file_limit()
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn open_file_limit() -> Option<usize> {
        None
    }

    pub fn raise_open_file_limit() -> Option<usize> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_thread_per_connection_with_room_for_writers() {
        // Stock limits: 65,530 maps, 4 per thread.
        let threads = (65_530 - RESERVE) / MAPPINGS_PER_THREAD;
        assert_eq!(threads, 16_132);
        let (_, lazy) = per_connection(true, threads);
        let (_, always) = per_connection(false, threads);
        assert!(lazy >= 10_000, "{lazy}");
        // Every connection with a writer at once would be 2 threads each;
        // the rest of the budget is for one in WRITER_SHARE.
        assert!(lazy + lazy / WRITER_SHARE <= threads);
        assert_eq!(always, threads / 2);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_machine_has_a_limit_and_raising_never_lowers() {
        let before = open_file_limit().expect("getrlimit works on Linux");
        let after = raise_open_file_limit().expect("still readable");
        assert!(after >= before);
        for direct_send in [true, false] {
            let limit = connection_limit(direct_send).expect("Linux has /proc/sys");
            assert!(limit.connections > 0 && !limit.reason.is_empty());
            assert!(limit.connections < limit.threads);
        }
    }
}
