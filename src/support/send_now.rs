//! A write to a socket that never waits: `send(2)` with `MSG_DONTWAIT`.
//!
//! The server's writer threads block in `write()` for as long as a client is
//! slow to read; that is what they are for. But most of the time a client's
//! socket has room, and then the thread that has just queued a chat line
//! can hand it to the kernel itself, saving a wake-up of the writer (see
//! `docs/design.md`, "Who writes"). That thread must never wait on
//! someone else's socket, and the socket itself stays in blocking mode for
//! its writer, so the "do not wait" has to be said per call: `send()` with
//! `MSG_DONTWAIT` writes what fits in the socket's buffer, or nothing, and
//! returns at once. std has no such call, so this module declares the one C
//! library function it needs with `extern "C"`, as `signal.rs` does
//! (`MSG_NOSIGNAL` too: a closed peer is an error here, never a `SIGPIPE`).
//!
//! Elsewhere than Linux, [`send_now`] says "would block" every time, so the
//! writer thread does all the writing, as it would without this module.

use std::io;
use std::net::TcpStream;

/// Writes as much of `bytes` as the socket takes without waiting, and says
/// how much that was: an error of kind `WouldBlock` when the socket's buffer
/// is full.
pub fn send_now(stream: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    imp::send_now(stream, bytes)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::net::TcpStream;
    use std::os::fd::AsRawFd;
    use std::os::raw::{c_int, c_void};

    // From Linux's <bits/socket.h>.
    const MSG_DONTWAIT: c_int = 0x40;
    const MSG_NOSIGNAL: c_int = 0x4000;

    extern "C" {
        /// `ssize_t send(int sockfd, const void *buf, size_t len, int flags);`
        fn send(sockfd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize;
    }

    pub fn send_now(stream: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
        loop {
            // SAFETY: the pointer and length describe `bytes`, which lives
            // for the whole call, and the kernel only reads from it; the
            // descriptor belongs to `stream`, which is borrowed, so open.
            let sent = unsafe {
                send(
                    stream.as_raw_fd(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    MSG_DONTWAIT | MSG_NOSIGNAL,
                )
            };
            match usize::try_from(sent) {
                Ok(sent) => return Ok(sent),
                Err(_) => {
                    let error = io::Error::last_os_error();
                    if error.kind() != io::ErrorKind::Interrupted {
                        return Err(error);
                    }
                }
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;
    use std::net::TcpStream;

    pub fn send_now(_stream: &TcpStream, _bytes: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn it_sends_what_fits_and_then_says_would_block_instead_of_waiting() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert_eq!(send_now(&server, b"hello\n").unwrap(), 6);
        let mut got = [0u8; 6];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello\n");
        // Nobody reads: the buffers fill, and then it returns at once.
        let chunk = vec![b'x'; 64 * 1024];
        let mut total = 0;
        let full = loop {
            match send_now(&server, &chunk) {
                Ok(sent) => total += sent,
                Err(error) => break error,
            }
            assert!(total < 512 * 1024 * 1024, "the socket never filled");
        };
        assert_eq!(full.kind(), io::ErrorKind::WouldBlock);
        assert!(total > 0);
    }

    #[test]
    fn a_closed_peer_is_an_error_not_a_signal() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        drop(client);
        // The first send may still be taken (the reset comes back after it).
        let failed = (0..100).find_map(|_| send_now(&server, b"x").err());
        assert!(failed.is_some());
    }
}
