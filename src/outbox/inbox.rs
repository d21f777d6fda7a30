//! The writer thread's side of a connection's outbox.
//!
//! The writer parks until the turn to write is its own
//! ([`Inbox::wait_for_turn`]): at its start (an always-there writer begins
//! with the turn), when a sender hands it a full socket, or when the state
//! drops the connection. **A writer only while there is a backlog**: with
//! the fast path on, a client who keeps up never needs its writer, so none
//! is started ([`lazy_outbox`]): the first time the turn is handed to the
//! writer, one is taken from the server's pool, and it goes back after
//! [`WRITER_LINGER`] with nothing to do. When the state drops a connection
//! that has no writer, its reader writes the last lines itself
//! ([`Inbox::claim`]). With `direct_send = false` the writer is always
//! there, as the design card draws it.

#[cfg(test)]
use super::doorbell::Queued;
use super::doorbell::{Doorbell, WriterSlot, THE_WRITER};
use super::WRITER_LINGER;
#[allow(unused_imports)] // for the docs' links
use super::{lazy_outbox, writer_loop, Sent};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

/// The writer thread's side.
pub struct Inbox {
    pub(super) doorbell: Arc<Doorbell>,
}

impl Inbox {
    /// The connection's doorbell, for its writer thread.
    pub fn doorbell(&self) -> &Doorbell {
        &self.doorbell
    }

    /// The writer has finished (the connection is over, or its socket
    /// failed): what is still queued is dropped, and senders are told
    /// [`Sent::Gone`] from now on.
    pub fn close(&self) {
        self.doorbell.gone.store(true, Ordering::Relaxed);
        self.doorbell.lock_queue().lines = None;
    }

    /// The connection's reader is about to run: from now on, a dropped
    /// connection without a writer wakes it (see [`Doorbell::wake_writer`]).
    /// Dropped already: it is woken now.
    pub fn mark_reader(&self) {
        let doorbell = &self.doorbell;
        doorbell.reader.store(true, Ordering::SeqCst);
        if doorbell.closed.load(Ordering::SeqCst) {
            doorbell.sink.wake_reader();
        }
    }

    /// Is the writer started only for a backlog ([`lazy_outbox`])?
    pub fn is_lazy(&self) -> bool {
        self.doorbell.start_writer.is_some()
    }

    /// Says that the calling thread is this connection's writer: who
    /// [`Doorbell::wake_writer`] unparks from now on.
    pub fn register(&self) {
        *self.doorbell.lock_writer() = WriterSlot::Present(Some(thread::current()));
    }

    /// Parks the writer thread until the turn is its own (true): at its
    /// start (an always-there writer begins with the turn), when a sender
    /// hands it a full socket, or when the state drops the connection. A
    /// lazy writer with nothing to do for [`WRITER_LINGER`] goes back to the
    /// pool instead (false). Call [`Inbox::register`] first, from the same
    /// thread.
    pub fn wait_for_turn(&self) -> bool {
        let doorbell = &self.doorbell;
        let lazy = doorbell.start_writer.is_some();
        let mut deadline = Instant::now() + WRITER_LINGER;
        // `park` may return for no reason, and an old `unpark` may be left
        // over: only the turn says whether to go on.
        loop {
            if doorbell.turn.load(Ordering::SeqCst) == THE_WRITER {
                return true;
            }
            if !lazy {
                thread::park();
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if !left.is_zero() {
                thread::park_timeout(left);
                continue;
            }
            // Leave, unless the turn came meanwhile. Under the writer's
            // lock: a sender hands the turn over *then* takes this lock
            // (`wake_writer`), so either it finds the writer gone and starts
            // another, or the writer finds the turn here and stays. A
            // dropped connection's writer stays: the last turn is coming.
            let mut slot = doorbell.lock_writer();
            if doorbell.turn.load(Ordering::SeqCst) == THE_WRITER {
                return true;
            }
            if doorbell.closed.load(Ordering::SeqCst) {
                deadline = Instant::now() + WRITER_LINGER;
                continue;
            }
            *slot = WriterSlot::Absent;
            return false;
        }
    }

    /// For a lazy connection's reader, once the state has dropped the
    /// connection: if no writer thread is there, this thread becomes it
    /// (true) and must run [`writer_loop`], which writes the last lines and
    /// closes the socket; otherwise the writer does that (false).
    pub fn claim(&self) -> bool {
        let mut slot = self.doorbell.lock_writer();
        match &*slot {
            WriterSlot::Absent => {
                *slot = WriterSlot::Present(Some(thread::current()));
                true
            }
            WriterSlot::Present(_) | WriterSlot::Done => false,
        }
    }

    /// The writing is over (see [`writer_loop`]): nobody is woken again.
    pub fn done(&self) {
        *self.doorbell.lock_writer() = WriterSlot::Done;
    }

    /// The next item if one is already queued, without waiting: how the
    /// state's tests read a member's queue (nobody else holds the turn
    /// there: it stays the writer's, so senders never write).
    #[cfg(test)]
    pub fn try_next(&self) -> Queued {
        let mut queue = self.doorbell.lock_queue();
        self.doorbell.take(&mut queue)
    }
}
