//! Has the client closed its end? Asked of a socket without reading it and
//! without waiting.
//!
//! Each connection is read by its own thread, so two connections are not
//! ordered: a client that closes and at once connects again under the same
//! name (irctest does, within a millisecond) can find its old name still
//! held, because the old connection's reader has not yet run to see the
//! close. Before answering "name taken" the server asks the holder's socket,
//! and if its client has gone, waits for that reader instead
//! (`server/departures.rs`).
//!
//! Reading it would take bytes that belong to its reader, so this asks
//! `poll(2)` instead, with a zero timeout: `POLLRDHUP` says the client sent
//! its FIN (even with unread lines still waiting before it), `POLLHUP` or
//! `POLLERR` that the connection was reset or is gone both ways. std has no
//! such call, so this module declares the C library function it needs with
//! `extern "C"`, as `send_now.rs` does.
//!
//! Elsewhere than Linux, [`hung_up`] says "no" every time: a name is then
//! free once its reader has seen the close, as before.

use std::net::TcpStream;

/// Whether the far end of `stream` has closed or reset the connection.
/// Never waits; a failed `poll` counts as "no".
pub fn hung_up(stream: &TcpStream) -> bool {
    imp::hung_up(stream)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::net::TcpStream;
    use std::os::fd::AsRawFd;
    use std::os::raw::{c_int, c_short, c_ulong};

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

    pub fn hung_up(stream: &TcpStream) -> bool {
        let mut asked = PollFd {
            fd: stream.as_raw_fd(),
            events: POLLRDHUP,
            revents: 0,
        };
        // SAFETY: the pointer is to one `PollFd` that lives for the whole
        // call, and the count says one; the descriptor belongs to
        // `stream`, which is borrowed, so open. A zero timeout never waits.
        let ready = unsafe { poll(&mut asked, 1, 0) };
        ready > 0 && asked.revents & (POLLRDHUP | POLLHUP | POLLERR) != 0
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::net::TcpStream;

    pub fn hung_up(_stream: &TcpStream) -> bool {
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
    /// there at once, but a test never counts on "at once".
    fn becomes_hung_up(stream: &TcpStream) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if hung_up(stream) {
                return true;
            }
            std::thread::yield_now();
        }
        false
    }

    #[test]
    fn an_open_connection_has_not_hung_up_even_with_lines_waiting() {
        let (mut client, server) = pair();
        assert!(!hung_up(&server));
        client.write_all(b"NICK foo\r\n").unwrap();
        assert!(!hung_up(&server));
        // Only the server's own half closed: the client is still there.
        server.shutdown(Shutdown::Write).unwrap();
        assert!(!hung_up(&server));
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
