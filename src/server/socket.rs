//! The server's [`Sink`]: a connection's bytes go to its `TcpStream`.
//!
//! The socket stays in blocking mode for its writer thread, which is the
//! one thread allowed to wait on it; a sender's "do not wait" is said per
//! call, with `send(MSG_DONTWAIT)` ([`send_now`]).

use crate::outbox::Sink;
use crate::support::hung_up::hung_up_within;
use crate::support::send_now::send_now;
use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

impl Sink for TcpStream {
    fn send_now(&self, bytes: &[u8]) -> io::Result<usize> {
        send_now(self, bytes)
    }

    fn write_all(&self, bytes: &[u8]) -> io::Result<()> {
        // `Write` is implemented for `&TcpStream`, so a shared socket can
        // be written without a lock: only the turn's holder writes.
        let mut stream: &TcpStream = self;
        Write::write_all(&mut stream, bytes)
    }

    fn close(&self) {
        let _ = self.shutdown(Shutdown::Both);
    }

    fn wake_reader(&self) {
        // A `read()` blocked on a socket shut down for reading returns 0
        // at once; nothing is sent to the client.
        let _ = self.shutdown(Shutdown::Read);
    }

    fn hung_up_within(&self, wait: Duration) -> bool {
        hung_up_within(self, wait)
    }
}
