//! Where a connection's bytes go: the three things the outbox needs from a
//! socket, as a trait, so the queue and its turn-taking are tested with
//! the very code the server runs, writing into memory instead.
//!
//! The server implements it for a `TcpStream` (`server/socket.rs`); the
//! tests here for `MemorySink`, a buffer that can also pretend to be full.

use std::io;
use std::time::Duration;

/// The far end of a connection, as whoever holds the turn writes to it.
pub trait Sink: Send + Sync {
    /// Writes as much of `bytes` as fits right now, without waiting: how
    /// much that was, or an error of kind `WouldBlock` when nothing fits.
    /// What a sender uses: it must never wait on someone else's client.
    fn send_now(&self, bytes: &[u8]) -> io::Result<usize>;

    /// Writes all of `bytes`, waiting for as long as the client takes to
    /// read: what the writer thread uses, and the only place anyone waits.
    fn write_all(&self, bytes: &[u8]) -> io::Result<()>;

    /// Ends the connection (a reader blocked on it wakes up).
    fn close(&self);

    /// Wakes the connection's reader as if the client had stopped sending,
    /// but leaves the way out open: a lazy connection's reader then writes
    /// the last lines itself (see `Inbox::claim`).
    fn wake_reader(&self);

    /// Whether the client has closed its end, asked without reading, and
    /// waiting at most `wait` for a close already on its way (see
    /// `support/hung_up.rs`).
    fn hung_up_within(&self, wait: Duration) -> bool;
}

/// A sink in memory, for tests: it keeps what is written, and `room`
/// bytes at most may be sent without waiting until [`MemorySink::drain`]
/// makes room again, as a client reading its socket would.
#[cfg(test)]
pub struct MemorySink {
    state: std::sync::Mutex<MemoryState>,
    drained: std::sync::Condvar,
}

#[cfg(test)]
struct MemoryState {
    written: Vec<u8>,
    /// Bytes written but not yet drained (the socket buffer's fill).
    unread: usize,
    room: usize,
    closed: bool,
    /// Woken by [`Sink::wake_reader`].
    reader_woken: bool,
    /// Set by [`MemorySink::hang_up`]: the client closed its end.
    client_gone: bool,
    /// The name of the thread behind each write that wrote something.
    writers: Vec<String>,
}

#[cfg(test)]
impl MemorySink {
    pub fn new(room: usize) -> MemorySink {
        MemorySink {
            state: std::sync::Mutex::new(MemoryState {
                written: Vec::new(),
                unread: 0,
                room,
                closed: false,
                reader_woken: false,
                client_gone: false,
                writers: Vec::new(),
            }),
            drained: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The client reads everything written so far.
    pub fn drain(&self) {
        self.lock().unread = 0;
        self.drained.notify_all();
    }

    /// Everything written, in order.
    pub fn written(&self) -> Vec<u8> {
        self.lock().written.clone()
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub fn reader_woken(&self) -> bool {
        self.lock().reader_woken
    }

    /// The client closes its end (what [`Sink::hung_up_within`] then says).
    pub fn hang_up(&self) {
        self.lock().client_gone = true;
    }

    /// Which threads wrote, in order (unnamed ones as "?").
    pub fn writers(&self) -> Vec<String> {
        self.lock().writers.clone()
    }
}

#[cfg(test)]
fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_string()
}

#[cfg(test)]
impl Sink for MemorySink {
    fn send_now(&self, bytes: &[u8]) -> io::Result<usize> {
        let mut state = self.lock();
        let fits = bytes.len().min(state.room - state.unread.min(state.room));
        if fits == 0 && !bytes.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        state.written.extend_from_slice(&bytes[..fits]);
        state.unread += fits;
        state.writers.push(thread_name());
        Ok(fits)
    }

    fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        let mut state = self.lock();
        while !bytes.is_empty() {
            let fits = bytes.len().min(state.room - state.unread.min(state.room));
            if fits == 0 {
                state = self.drained.wait(state).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            state.written.extend_from_slice(&bytes[..fits]);
            state.unread += fits;
            state.writers.push(thread_name());
            bytes = &bytes[fits..];
        }
        Ok(())
    }

    fn close(&self) {
        self.lock().closed = true;
    }

    fn wake_reader(&self) {
        self.lock().reader_woken = true;
    }

    /// Answers at once: a test hangs up before it asks.
    fn hung_up_within(&self, _wait: Duration) -> bool {
        self.lock().client_gone
    }
}
