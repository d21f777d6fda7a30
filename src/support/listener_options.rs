//! Two options of the listening socket that std has no call for.
//!
//! **An `accept()` that gives up after a while.** The server's idle reader
//! threads wait for the next client inside `accept()`
//! (`server/readers.rs`), and an idle one must now and then wake up: to
//! give its stack pages back, and to retire when others wait too, so a
//! quiet server returns to one thread. Linux applies a socket's receive
//! timeout (`SO_RCVTIMEO`, the option `TcpStream::set_read_timeout` sets)
//! to `accept()` as well: the call then fails with `WouldBlock`.
//!
//! **No Nagle, set once.** Lines are batched by whoever writes, so Nagle's
//! algorithm would only hold them back (up to 40 ms, waiting for ACKs).
//! Linux copies a listening socket's `TCP_NODELAY` to every socket it
//! accepts, so setting it here saves a system call on every visit
//! (`TcpStream::set_nodelay` on each connection).
//!
//! std sets both options only on streams, so this module declares the one
//! C library function it needs with `extern "C"`, as `send_now.rs` does.
//! Elsewhere than Linux on 64-bit x86 and ARM, both say "unsupported": the
//! readers then wait without a timeout (none retires for being idle, and
//! at most `MAX_PARKED_THREADS` wait all the same) and set `TCP_NODELAY`
//! on each connection.

use std::io;
use std::net::TcpListener;
use std::time::Duration;

/// Makes every `accept()` on `listener` give up after `timeout` with an
/// error of kind `WouldBlock`.
pub fn set_accept_timeout(listener: &TcpListener, timeout: Duration) -> io::Result<()> {
    imp::set_accept_timeout(listener, timeout)
}

/// Makes every socket that `listener` accepts start with `TCP_NODELAY`
/// (Nagle's algorithm off).
pub fn set_nodelay_for_accepted(listener: &TcpListener) -> io::Result<()> {
    imp::set_nodelay_for_accepted(listener)
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod imp {
    use std::io;
    use std::net::TcpListener;
    use std::os::fd::AsRawFd;
    use std::os::raw::{c_int, c_long, c_void};
    use std::time::Duration;

    // From Linux's <asm-generic/socket.h>, as on x86-64 and ARM64.
    const SOL_SOCKET: c_int = 1;
    const SO_RCVTIMEO: c_int = 20;
    // From <netinet/in.h> and <netinet/tcp.h>.
    const IPPROTO_TCP: c_int = 6;
    const TCP_NODELAY: c_int = 1;

    /// `struct timeval` on a 64-bit Linux.
    #[repr(C)]
    struct Timeval {
        tv_sec: c_long,
        tv_usec: c_long,
    }

    extern "C" {
        /// `int setsockopt(int sockfd, int level, int optname,
        ///                 const void *optval, socklen_t optlen);`
        fn setsockopt(
            sockfd: c_int,
            level: c_int,
            optname: c_int,
            optval: *const c_void,
            optlen: u32,
        ) -> c_int;
    }

    pub fn set_accept_timeout(listener: &TcpListener, timeout: Duration) -> io::Result<()> {
        let time = Timeval {
            tv_sec: c_long::try_from(timeout.as_secs()).unwrap_or(c_long::MAX),
            // At least a microsecond: a zero timeval means "wait for ever".
            tv_usec: c_long::from(timeout.subsec_micros().max(1)),
        };
        set_option(listener, SOL_SOCKET, SO_RCVTIMEO, &time)
    }

    pub fn set_nodelay_for_accepted(listener: &TcpListener) -> io::Result<()> {
        let on: c_int = 1;
        set_option(listener, IPPROTO_TCP, TCP_NODELAY, &on)
    }

    /// `setsockopt` with `value` as the option's bytes.
    fn set_option<T>(
        listener: &TcpListener,
        level: c_int,
        name: c_int,
        value: &T,
    ) -> io::Result<()> {
        // SAFETY: the pointer and length describe `value`, which lives for
        // the whole call, and the kernel only reads from it; the
        // descriptor belongs to `listener`, which is borrowed, so open.
        let done = unsafe {
            setsockopt(
                listener.as_raw_fd(),
                level,
                name,
                (value as *const T).cast::<c_void>(),
                std::mem::size_of::<T>() as u32,
            )
        };
        match done {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod imp {
    use std::io;
    use std::net::TcpListener;
    use std::time::Duration;

    pub fn set_accept_timeout(_listener: &TcpListener, _timeout: Duration) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub fn set_nodelay_for_accepted(_listener: &TcpListener) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }
}

#[cfg(all(
    test,
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod tests {
    use super::*;
    use std::io::ErrorKind;
    use std::time::Instant;

    #[test]
    fn an_accept_with_nobody_coming_gives_up_in_time() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        set_accept_timeout(&listener, Duration::from_millis(100)).unwrap();
        let started = Instant::now();
        let error = listener.accept().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::WouldBlock);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(90), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
    }

    #[test]
    fn a_client_arriving_is_still_accepted() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        set_accept_timeout(&listener, Duration::from_secs(5)).unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (_, from) = listener.accept().unwrap();
        assert!(from.ip().is_loopback());
    }

    #[test]
    fn accepted_sockets_start_without_nagle() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let _before = std::net::TcpStream::connect(addr).unwrap();
        let (plain, _) = listener.accept().unwrap();
        assert!(!plain.nodelay().unwrap(), "Nagle is on by default");
        set_nodelay_for_accepted(&listener).unwrap();
        let _after = std::net::TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
