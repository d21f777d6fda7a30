//! Has the client closed its end? Asked of a socket without reading it,
//! and waiting at most a moment.
//!
//! Each connection is read by its own thread, so two connections are not
//! ordered: a client that closes and at once connects again under the same
//! name (irctest does, within a millisecond) can find its old name still
//! held, because the old connection's reader has not yet run to see the
//! close. Before answering "name taken" the server asks the holder's socket,
//! and if its client has gone, waits for that reader instead
//! (`server/departures.rs`). Even the close itself can be late: the kernel
//! may leave the old connection's FIN for a busy CPU's `ksoftirqd` while
//! the new connection, set up on the other CPU, is already read (a network
//! can deliver them in either order too). So the question may wait a
//! moment for the answer "yes".
//!
//! Reading would take bytes that belong to its reader, so this asks
//! `poll(2)` instead: `POLLRDHUP` says the client sent its FIN (even with
//! unread lines still waiting before it), `POLLHUP` or `POLLERR` that the
//! connection was reset or is gone both ways. std has no such call, so this
//! module declares the C library function it needs with `extern "C"`, as
//! `send_now.rs` does.
//!
//! Elsewhere than Linux, [`hung_up_within`] says "no" every time: a name
//! is then free once its reader has seen the close, as before.

use std::net::TcpStream;
use std::time::Duration;

/// Whether the far end of `stream` has closed or reset the connection, or
/// does within `wait` (returning as soon as it does). A failed `poll`, or
/// one a signal interrupts, counts as "no".
pub fn hung_up_within(stream: &TcpStream, wait: Duration) -> bool {
    imp::hung_up_within(stream, wait)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::net::TcpStream;
    use std::os::fd::AsRawFd;
    use std::os::raw::{c_int, c_short, c_ulong};
    use std::time::Duration;

    // From Linux's <asm-generic/poll.h>.
    const POLLERR: c_short = 0x8;
    const POLLHUP: c_short = 0x10;
    const POLLRDHUP: c_short = 0x2000;

    /// `struct pollfd` from <poll.h>.
    #[repr(C)]
    struct PollFd {
        fd: c_int,
        events: c_short,
        revents: c_short,
    }

    extern "C" {
        /// `int poll(struct pollfd *fds, nfds_t nfds, int timeout);`
        fn poll(fds: *mut PollFd, nfds: c_ulong, timeout: c_int) -> c_int;
    }

    pub fn hung_up_within(stream: &TcpStream, wait: Duration) -> bool {
        let mut asked = PollFd {
            fd: stream.as_raw_fd(),
            events: POLLRDHUP,
            revents: 0,
        };
        // Whole milliseconds, rounded up so a short wait is not none.
        let millis = wait.as_micros().div_ceil(1000);
        let timeout = c_int::try_from(millis).unwrap_or(c_int::MAX);
        // SAFETY: the pointer is to one `PollFd` that lives for the whole
        // call, and the count says one; the descriptor belongs to
        // `stream`, which is borrowed, so open. Only `POLLRDHUP` is asked
        // for (`POLLHUP` and `POLLERR` always come): lines arriving do not
        // end the wait.
        let ready = unsafe { poll(&mut asked, 1, timeout) };
        ready > 0 && asked.revents & (POLLRDHUP | POLLHUP | POLLERR) != 0
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::net::TcpStream;
    use std::time::Duration;

    pub fn hung_up_within(_stream: &TcpStream, _wait: Duration) -> bool {
        false
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener};
    use std::time::{Duration, Instant};

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    /// The FIN or reset travels through the kernel; on loopback it is
    /// nearly always there at once, but a test never counts on "at once".
    fn becomes_hung_up(stream: &TcpStream) -> bool {
        hung_up_within(stream, Duration::from_secs(5))
    }

    fn hung_up_now(stream: &TcpStream) -> bool {
        hung_up_within(stream, Duration::ZERO)
    }

    #[test]
    fn an_open_connection_has_not_hung_up_even_with_lines_waiting() {
        let (mut client, server) = pair();
        assert!(!hung_up_now(&server));
        client.write_all(b"NICK foo\r\n").unwrap();
        assert!(!hung_up_now(&server));
        // Only the server's own half closed: the client is still there.
        server.shutdown(Shutdown::Write).unwrap();
        assert!(!hung_up_now(&server));
    }

    #[test]
    fn a_close_that_comes_during_the_wait_ends_it_at_once() {
        let (client, server) = pair();
        let closer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(client);
        });
        let asked = Instant::now();
        assert!(hung_up_within(&server, Duration::from_secs(20)));
        assert!(asked.elapsed() < Duration::from_secs(10), "it waited on");
        closer.join().unwrap();
    }

    #[test]
    fn lines_that_come_during_the_wait_do_not_end_it() {
        let (mut client, server) = pair();
        let asked = Instant::now();
        let writer = std::thread::spawn(move || {
            client.write_all(b"PRIVMSG #x :hi\r\n").unwrap();
            client
        });
        assert!(!hung_up_within(&server, Duration::from_millis(200)));
        assert!(asked.elapsed() >= Duration::from_millis(200));
        drop(writer.join().unwrap());
    }

    #[test]
    fn a_closed_client_has_hung_up_and_its_unread_lines_are_left_for_the_reader() {
        let (mut client, mut server) = pair();
        client.write_all(b"QUIT\r\n").unwrap();
        drop(client);
        assert!(becomes_hung_up(&server));
        let mut left = String::new();
        server.read_to_string(&mut left).unwrap();
        assert_eq!(left, "QUIT\r\n");
    }

    #[test]
    fn a_client_that_closes_with_replies_unread_resets_and_has_hung_up() {
        let (client, server) = pair();
        (&server).write_all(b"001 welcome\r\n").unwrap();
        // Closing with unread bytes sends a reset, not a FIN: wait until
        // they are there (peeking leaves them unread).
        let mut unread = [0u8; 1];
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(client.peek(&mut unread).unwrap(), 1);
        drop(client);
        assert!(becomes_hung_up(&server));
    }
}
