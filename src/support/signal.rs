//! Ctrl-C and `kill`: turning SIGINT and SIGTERM into a clean shutdown.
//!
//! std has no signal API, so this module declares the one C library function
//! it needs, `signal(2)`, with `extern "C"` (std already links the C library,
//! so no crate is needed). The handler does the only thing that is safe inside
//! a signal handler: it stores `true` into an atomic. Anything more (locking,
//! allocating, printing) could deadlock if the signal lands while the
//! interrupted thread holds the same lock.
//!
//! Noticing the flag is the other half. A thread blocked in `accept()` or
//! `read()` does not wake up for it: glibc's `signal()` installs handlers with
//! `SA_RESTART`, so the kernel quietly restarts the call. Rather than poll
//! every socket, [`spawn_watcher`] starts one small thread that checks the
//! flag every [`WATCH_INTERVAL`] and then runs a closure that wakes the
//! blocked parts of the program, for example by connecting to the program's
//! own listening socket so `accept()` returns. One thread polling ten times a
//! second costs nothing measurable, and shutdown starts within a tenth of a
//! second.
//!
//! On non-Unix targets [`install`] does nothing: Ctrl-C ends the process at
//! once, without the clean shutdown.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

/// How often the watcher thread looks at the flag.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(50);

/// Set by the signal handler, read by everyone else.
static SHUTDOWN_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Routes SIGINT (Ctrl-C) and SIGTERM (`kill`, service managers) to the flag.
pub fn install() -> io::Result<()> {
    imp::install()
}

/// Has a shutdown signal arrived?
pub fn shutdown_requested() -> bool {
    SHUTDOWN_REQUESTED.load(Ordering::SeqCst)
}

/// Asks for a shutdown from inside the program, exactly as a signal would.
pub fn request_shutdown() {
    SHUTDOWN_REQUESTED.store(true, Ordering::SeqCst);
}

/// Starts a thread that waits for the flag and then calls `on_shutdown` once.
pub fn spawn_watcher<F>(on_shutdown: F) -> io::Result<thread::JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    thread::Builder::new()
        .name("signal-watcher".into())
        // It only sleeps and loads an atomic: a small stack is plenty.
        .stack_size(64 * 1024)
        .spawn(move || {
            while !shutdown_requested() {
                thread::sleep(WATCH_INTERVAL);
            }
            on_shutdown();
        })
}

/// Wakes an accept loop blocked in `accept()` on `listening` by connecting
/// to it: the loop gets a connection, sees the flag, and stops. A listener on
/// 0.0.0.0 (or ::) accepts on every address, so loopback is used for it.
pub fn wake_accept_loop(listening: SocketAddr) -> io::Result<()> {
    let ip = match listening.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let address = SocketAddr::new(ip, listening.port());
    TcpStream::connect_timeout(&address, std::time::Duration::from_secs(1)).map(drop)
}

#[cfg(unix)]
mod imp {
    use super::{Ordering, SHUTDOWN_REQUESTED};
    use std::io;
    use std::os::raw::c_int;

    // The numbers are the same on Linux, the BSDs and macOS.
    const SIGINT: c_int = 2;
    const SIGTERM: c_int = 15;
    /// `SIG_ERR` is `(void (*)(int)) -1`.
    const SIG_ERR: usize = usize::MAX;

    extern "C" {
        /// `sighandler_t signal(int signum, sighandler_t handler);` from the C
        /// library. A handler is a function pointer, passed here as `usize`.
        fn signal(signum: c_int, handler: usize) -> usize;
    }

    /// Runs inside the signal: async-signal-safe, so only an atomic store.
    extern "C" fn on_signal(_signum: c_int) {
        SHUTDOWN_REQUESTED.store(true, Ordering::SeqCst);
    }

    pub fn install() -> io::Result<()> {
        for signum in [SIGINT, SIGTERM] {
            // SAFETY: `on_signal` has the C signature `void (int)` and only
            // performs an atomic store, which is async-signal-safe.
            let previous = unsafe { signal(signum, on_signal as extern "C" fn(c_int) as usize) };
            if previous == SIG_ERR {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn install() -> std::io::Result<()> {
        Ok(())
    }
}
