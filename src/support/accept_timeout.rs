//! An `accept()` that gives up after a while.
//!
//! The server's idle reader threads wait for the next client inside
//! `accept()` (`server/readers.rs`), and an idle one must now and then
//! wake up: to give its stack pages back, and to retire when others wait
//! too, so a quiet server returns to one thread. std's `TcpListener` has
//! no timeout, but Linux applies a socket's receive timeout
//! (`SO_RCVTIMEO`, the option `TcpStream::set_read_timeout` sets) to
//! `accept()` as well: the call then fails with `WouldBlock`. std sets that
//! option only on streams, so this module declares the one C library
//! function it needs with `extern "C"`, as `send_now.rs` does.
//!
//! Elsewhere than Linux on 64-bit x86 and ARM, [`set_accept_timeout`] says
//! "unsupported" and the readers wait without a timeout: none retires for
//! being idle (at most `MAX_WAITING` wait at once all the same).

use std::io;
use std::net::TcpListener;
use std::time::Duration;

/// Makes every `accept()` on `listener` give up after `timeout` with an
/// error of kind `WouldBlock`.
pub fn set_accept_timeout(listener: &TcpListener, timeout: Duration) -> io::Result<()> {
    imp::set_accept_timeout(listener, timeout)
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
        // SAFETY: the pointer and length describe `time`, which lives for
        // the whole call, and the kernel only reads from it; the
        // descriptor belongs to `listener`, which is borrowed, so open.
        let done = unsafe {
            setsockopt(
                listener.as_raw_fd(),
                SOL_SOCKET,
                SO_RCVTIMEO,
                (&time as *const Timeval).cast(),
                std::mem::size_of::<Timeval>() as u32,
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
}
