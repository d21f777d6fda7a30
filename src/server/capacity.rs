//! How many connections this machine lets the server hold, worked out at
//! start instead of discovered by crashing.
//!
//! A thread per connection (two, with the writer) spends operating-system
//! resources that have machine-wide limits, and running out of some of them
//! is not an error the program can catch:
//!
//! - **File descriptors**: one socket per connection. The per-process limit
//!   (`ulimit -n`) often starts at 1,024 although the system allows far more,
//!   so the server raises its own soft limit to the hard limit at start
//!   ([`raise_open_file_limit`], a `setrlimit` call std does not offer).
//! - **Memory mappings**: every thread Rust starts gets two mappings for its
//!   stack (the stack and a guard page below it) and two for the small
//!   alternate stack its stack-overflow handler runs on: 8 per connection.
//!   Linux allows `vm.max_map_count` (65,530 by default) per process. When a
//!   new thread cannot map its alternate stack, Rust aborts the *whole
//!   process* — every class member disconnected at once — so the server must
//!   never get there.
//! - **Threads**: `kernel.threads-max` and `kernel.pid_max` bound the threads
//!   of the whole machine.
//!
//! [`connection_limit`] turns these into a number of connections; the server
//! lowers `max_clients` to it (saying so in the log) and refuses the rest with
//! `ERROR Server full`. On systems other than Linux the numbers are not read
//! and nothing is lowered.

/// Mappings each connection costs: 2 threads × (stack + guard + signal stack
/// + its guard).
pub const MAPPINGS_PER_CONNECTION: usize = 8;

/// Kept free for everything that is not a connection: the program itself,
/// its libraries, the heap, the listener, the history file.
const RESERVE: usize = 1_000;

/// What limits connections on this machine, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub connections: usize,
    /// Why, and how to raise it: "vm.max_map_count is 65530 …".
    pub reason: String,
}

/// The most connections this machine can hold, and the tightest limit's
/// explanation; `None` when nothing could be read (not Linux).
pub fn connection_limit() -> Option<Limit> {
    let mut limits = Vec::new();
    if let Some(max_maps) = read_number("/proc/sys/vm/max_map_count") {
        limits.push(Limit {
            connections: max_maps.saturating_sub(RESERVE) / MAPPINGS_PER_CONNECTION,
            reason: format!(
                "vm.max_map_count is {max_maps} and each connection needs {MAPPINGS_PER_CONNECTION} memory mappings \
                 (raise it with: sysctl -w vm.max_map_count=262144)"
            ),
        });
    }
    for (path, name) in [
        ("/proc/sys/kernel/threads-max", "kernel.threads-max"),
        ("/proc/sys/kernel/pid_max", "kernel.pid_max"),
    ] {
        if let Some(threads) = read_number(path) {
            limits.push(Limit {
                connections: threads.saturating_sub(RESERVE) / 2,
                reason: format!("{name} is {threads} and each connection needs 2 threads"),
            });
        }
    }
    if let Some(files) = open_file_limit() {
        limits.push(Limit {
            connections: files.saturating_sub(64),
            reason: format!("the open-file limit is {files} (raise it with: ulimit -n <more>)"),
        });
    }
    limits.into_iter().min_by_key(|limit| limit.connections)
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
    #[cfg(target_os = "linux")]
    fn this_machine_has_a_limit_and_raising_never_lowers() {
        let before = open_file_limit().expect("getrlimit works on Linux");
        let after = raise_open_file_limit().expect("still readable");
        assert!(after >= before);
        let limit = connection_limit().expect("Linux has /proc/sys");
        assert!(limit.connections > 0 && !limit.reason.is_empty());
    }
}
