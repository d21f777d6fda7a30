//! The reading side of a connection's socket: one `read()` at a time into
//! the line framer, with the timeout the reader asks for.
//!
//! Two things make it more than a `read()`. Until the client's dialect is
//! known, the raw bytes are kept as well as the lines, because a browser's
//! request is read again as HTTP (`websocket_conn.rs`). And an idle reader
//! costs as little memory as it can: the read buffer lives in the frame of
//! [`read_once`], below the waiting loop, and a reader that has been busy
//! wakes after a second of silence to give its deep stack pages back
//! (`support::stack`), then goes on waiting with a small buffer.

use crate::support::stack;
use crate::wire::framing::{Frame, LineFramer};
use crate::wire::http_request::MAX_HEAD_BYTES;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Bytes asked for per `read()`: a few lines of typing, or many lines of a
/// program's burst.
pub(super) const READ_CHUNK_BYTES: usize = 4096;

/// Bytes asked for per `read()` by a reader that has been idle: a typed
/// line usually fits, and the rest of a burst comes with the next, full-size
/// read. Small, because the buffer is on the stack for as long as the read
/// waits, that is, for hours.
const IDLE_READ_BYTES: usize = 256;

/// The reading side of the socket: the framer, the lines of the last read,
/// the raw bytes a browser's request needs, and the read timeout.
pub(super) struct Input {
    framer: LineFramer,
    pub(super) frames: Vec<Frame>,
    /// Until the dialect is known, the raw bytes too: if it is a browser's
    /// request, the web code needs the bytes, not the framer's lines.
    pub(super) early_bytes: Option<Vec<u8>>,
    /// True from the first byte read until the reader has been idle for
    /// `IDLE_BEFORE_RELEASE` and given its deep stack pages back (see
    /// `support::stack`); false, it reads with a small buffer.
    busy: bool,
    /// The socket's read timeout, so it is only set when it changes;
    /// `None` until first set: an accepted socket starts with the
    /// listener's accept timeout (see `readers`), not with none.
    timeout: Option<Option<Duration>>,
}

impl Input {
    pub(super) fn new(max_line_bytes: usize) -> Input {
        Input {
            framer: LineFramer::new(max_line_bytes),
            frames: Vec::new(),
            early_bytes: Some(Vec::new()),
            busy: false,
            timeout: None,
        }
    }

    /// Waits up to `limit` (`None`: for ever) for bytes, and frames them:
    /// `Ok(true)` when some came, `Ok(false)` when the wait ran out, `Err`
    /// when the connection is over. A busy reader wakes after a second of
    /// silence to give its stack pages back, and goes on waiting.
    pub(super) fn read(
        &mut self,
        stream: &TcpStream,
        limit: Option<Duration>,
    ) -> Result<bool, &'static str> {
        let started = Instant::now();
        loop {
            let left = limit.map(|limit| limit.saturating_sub(started.elapsed()));
            if left.is_some_and(|left| left.is_zero()) {
                return Ok(false);
            }
            let release_tick =
                self.busy && left.is_none_or(|left| left > stack::IDLE_BEFORE_RELEASE);
            let timeout = match release_tick {
                true => Some(stack::IDLE_BEFORE_RELEASE),
                false => left,
            };
            if self.timeout != Some(timeout) {
                stream
                    .set_read_timeout(timeout)
                    .map_err(|_| "socket error")?;
                self.timeout = Some(timeout);
            }
            let read = match self.busy {
                true => read_once::<READ_CHUNK_BYTES>(stream, self),
                false => read_once::<IDLE_READ_BYTES>(stream, self),
            };
            match read {
                Ok(0) => return Err("connection closed"),
                Ok(_) => {
                    self.busy = true;
                    return Ok(true);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if !release_tick {
                        return Ok(false);
                    }
                    stack::release_unused();
                    self.busy = false;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err("connection reset"),
            }
        }
    }
}

/// One `read()` into a buffer of `N` bytes that lives in this function's
/// own frame, so it is on the stack only while a read is under way: an idle
/// reader blocks with [`IDLE_READ_BYTES`], a busy one with
/// [`READ_CHUNK_BYTES`], and the big buffer's pages are among those an idle
/// reader gives back.
#[inline(never)]
fn read_once<const N: usize>(stream: &TcpStream, into: &mut Input) -> std::io::Result<usize> {
    let mut buffer = [0u8; N];
    let n = (&*stream).read(&mut buffer)?;
    crate::support::traffic::count_in(n);
    if let Some(early_bytes) = &mut into.early_bytes {
        if early_bytes.len() <= MAX_HEAD_BYTES {
            early_bytes.extend_from_slice(&buffer[..n]);
        }
    }
    into.framer.push(&buffer[..n], &mut into.frames);
    Ok(n)
}
