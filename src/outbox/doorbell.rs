//! Whose turn it is to write for a client: a token held by at most one
//! thread. Nobody (the queue is empty, the writer parked), a sender, or the
//! writer.
//!
//! Whoever holds the turn is the only thread that takes from the queue and
//! writes, so lines leave in the order they were queued. A sender that
//! queues a line for a client nobody is writing for takes the turn
//! ([`Sent::YourTurn`]), gets it back from the state in a [`Turns`], and
//! writes once the state lock is released; without `direct_send` it hands
//! the turn to the writer thread and wakes it instead.
//!
//! Giving the turn back is the classic handshake: the holder sets it to
//! nobody *then* looks at the queue once more ([`Doorbell::give_back`]); a
//! sender queues *then* tries to take it. Both steps sequentially
//! consistent, at least one sees the other, so no line is left with nobody
//! to write it. A full socket hands the turn to the writer thread
//! ([`Doorbell::hand_to_writer`]), started from the pool if the connection
//! has none yet ([`Doorbell::wake_writer`]).

#[allow(unused_imports)] // for the docs' links
use super::{Batch, Outbox, Sent, Turns};
use super::{Inbox, Item, Line, Sink, StartWriter};
use crate::log;
use crate::outbox::write::Framing;
use std::sync::atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};
use std::thread::Thread;

/// Whose turn it is to write for a client (see the module notes).
pub(super) const NOBODY: u8 = 0;
pub(super) const A_SENDER: u8 = 1;
pub(super) const THE_WRITER: u8 = 2;

/// Who is giving the turn back (see [`Doorbell::give_back`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Sender,
    Writer,
}

impl Holder {
    pub(super) fn turn(self) -> u8 {
        match self {
            Holder::Sender => A_SENDER,
            Holder::Writer => THE_WRITER,
        }
    }
}

/// Who is a connection's writer thread (see [`Doorbell::wake_writer`]).
pub(super) enum WriterSlot {
    /// Nobody: a lazy writer not needed yet, or gone back to the pool.
    Absent,
    /// A thread is on its way (`None`) or waiting for the turn.
    Present(Option<Thread>),
    /// The writing is over: the connection is closed.
    Done,
}

/// One connection's turn to write, its writer thread, and its queue.
pub struct Doorbell {
    /// [`NOBODY`], [`A_SENDER`] or [`THE_WRITER`]. With an always-there
    /// writer it starts as the writer's: nobody else writes before the
    /// writer thread is there to be handed a full socket. With a lazy one it
    /// starts as nobody's.
    pub(super) turn: AtomicU8,
    /// The writer thread, if there is one. Its lock orders a writer going
    /// back to the pool against a turn handed to it (see
    /// [`Inbox::wait_for_turn`]).
    pub(super) writer: Mutex<WriterSlot>,
    /// How to get a writer thread when one is needed; `None`: the writer is
    /// always there (started with the connection).
    pub(super) start_writer: Option<StartWriter>,
    /// Set when the state drops the connection ([`Outbox`]'s `Drop`).
    pub(super) closed: AtomicBool,
    /// Set once the connection has a reader ([`Inbox::mark_reader`]): a
    /// queue refused at the door has none, and its socket may still be
    /// read by whoever refuses it.
    pub(super) reader: AtomicBool,
    /// Set when the writing is over ([`Inbox::close`]): senders are told
    /// [`Sent::Gone`].
    pub(super) gone: AtomicBool,
    /// Channel slots in use: added to before a send, taken off after a
    /// receive, so it is never below the true count.
    pub(super) slots: AtomicUsize,
    /// Items in the channel: added to just before a send, taken off when an
    /// item is taken. Relaxed is enough: only `STATS` reads it, nothing
    /// else is published through it, and the channel itself orders each add
    /// before the take-off of its item (a send happens before the receive
    /// that gets it), so it never goes below zero. A reading taken while
    /// lines move may be a line or two out.
    pub(super) queued: AtomicUsize,
    /// The last words for a client dropped as too slow (see
    /// [`Outbox::farewell`]): set once, read by the writer.
    pub(super) farewell: OnceLock<Line>,
    /// Locked only by whoever holds the turn.
    pub(super) queue: Mutex<Queue>,
    /// Where the bytes go: the connection's socket (or a test's buffer).
    /// It never changes, so it needs no lock.
    pub(super) sink: Arc<dyn Sink>,
    /// `direct_send`: may a sender that finds the turn free write itself
    /// (the fast path), or does the turn always go to the writer thread?
    pub(super) direct: bool,
}

/// The receiving end of a connection's channel, and what whoever writes
/// needs besides: only the holder of the turn touches it.
pub struct Queue {
    /// `None` once the writer has finished: senders are then told
    /// [`Sent::Gone`] instead of filling a queue nobody will read.
    pub(super) lines: Option<Receiver<Item>>,
    /// An item taken from the channel by a holder who was giving the turn
    /// back and could not take it again: it goes out before anything still
    /// in the channel.
    pub(super) carried: Option<Item>,
    /// How items become bytes on this connection (lines, or WebSocket
    /// frames after the switch).
    pub framing: Framing,
    /// Bytes a sender took from the queue but the socket would not take
    /// without waiting: the writer writes them first.
    pub unsent: Vec<u8>,
    /// The rest of a [`Batch`] taken from the channel: before anything
    /// still in the channel.
    pub(super) batch: std::vec::IntoIter<Item>,
}

/// What [`Doorbell::take`] found.
pub enum Queued {
    Item(Item),
    Empty,
    /// The state has dropped the connection and everything queued was taken.
    Closed,
}

/// What [`Doorbell::give_back`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GivenBack {
    /// The turn is nobody's and the queue was empty.
    ToNobody,
    /// A line came in meanwhile and the turn is the giver's again: go on.
    Kept,
    /// A line came in meanwhile and its sender took the turn: stop.
    Taken,
}

impl Doorbell {
    pub(super) fn take_turn(&self, from: u8, to: u8) -> bool {
        self.turn
            .compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Hands the turn to the writer thread and wakes it: for the sender
    /// holding the turn when the socket is full, the queue closed, or the
    /// client is being dropped (the writer says goodbye).
    pub fn hand_to_writer(doorbell: &Arc<Doorbell>) {
        doorbell.turn.store(THE_WRITER, Ordering::SeqCst);
        Doorbell::wake_writer(doorbell);
    }

    /// Without `direct_send`, every line is the writer's to write.
    pub fn direct(&self) -> bool {
        self.direct
    }

    /// Wakes the writer, whose turn it now is. A writer on its way needs
    /// nothing: it looks at the turn before it parks. A lazy connection
    /// without one gets one from the pool; or, once the state has dropped
    /// it, its reader is woken to write the last lines (see [`Inbox::claim`]).
    /// If no thread can be had, the connection is closed: its reader wakes
    /// and ends it.
    pub fn wake_writer(doorbell: &Arc<Doorbell>) {
        let mut slot = doorbell.lock_writer();
        match &*slot {
            WriterSlot::Present(Some(writer)) => writer.unpark(),
            WriterSlot::Present(None) | WriterSlot::Done => {}
            WriterSlot::Absent => {
                let Some(start_writer) = &doorbell.start_writer else {
                    return;
                };
                if doorbell.closed.load(Ordering::SeqCst) {
                    if doorbell.reader.load(Ordering::SeqCst) {
                        doorbell.sink.wake_reader();
                    }
                    return;
                }
                *slot = WriterSlot::Present(None);
                drop(slot);
                let inbox = Inbox {
                    doorbell: Arc::clone(doorbell),
                };
                if let Err(error) = start_writer(inbox) {
                    log!("Cannot start a writer thread for a client with a backlog: {error}; closing its connection");
                    *doorbell.lock_writer() = WriterSlot::Absent;
                    doorbell.sink.close();
                }
            }
        }
    }

    pub(super) fn lock_writer(&self) -> MutexGuard<'_, WriterSlot> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where this connection's bytes go.
    pub fn sink(&self) -> &dyn Sink {
        &*self.sink
    }

    /// The queue, for a sender holding the turn: `None` if the previous
    /// holder is still letting go of it (see [`GivenBack`]); the sender
    /// then hands the turn to the writer rather than wait.
    pub fn try_lock_queue(&self) -> Option<MutexGuard<'_, Queue>> {
        match self.queue.try_lock() {
            Ok(queue) => Some(queue),
            // A panic while it was held (there is none to expect): the
            // queue is still a queue.
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// The queue, for the writer thread, which may wait for it.
    pub fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next item to write, if one is queued, without waiting.
    pub fn take(&self, queue: &mut Queue) -> Queued {
        if let Some(item) = queue.carried.take() {
            return Queued::Item(item);
        }
        if let Some(item) = self.next_of_batch(queue) {
            return Queued::Item(item);
        }
        let Some(lines) = &queue.lines else {
            return Queued::Closed;
        };
        match lines.try_recv() {
            Ok(Item::Batch(batch)) => {
                self.slots.fetch_sub(1, Ordering::SeqCst);
                queue.batch = batch.take_all().into_iter();
                match self.next_of_batch(queue) {
                    Some(item) => Queued::Item(item),
                    // A batch is made with its first item: not expected.
                    None => self.take(queue),
                }
            }
            Ok(item) => {
                self.slots.fetch_sub(1, Ordering::SeqCst);
                self.queued.fetch_sub(1, Ordering::Relaxed);
                Queued::Item(item)
            }
            Err(TryRecvError::Empty) => Queued::Empty,
            Err(TryRecvError::Disconnected) => Queued::Closed,
        }
    }

    /// The next item of a batch being taken, if any; an emptied batch's
    /// memory is freed at once.
    fn next_of_batch(&self, queue: &mut Queue) -> Option<Item> {
        let item = queue.batch.next();
        match item {
            Some(_) => {
                self.queued.fetch_sub(1, Ordering::Relaxed);
            }
            None if queue.batch.as_slice().is_empty() => {
                queue.batch = Vec::new().into_iter();
            }
            None => {}
        }
        item
    }

    /// Gives the turn back when [`Doorbell::take`] found the queue empty:
    /// the holder's half of the handshake in the module notes (the
    /// sender's is in [`Outbox::send_item`]).
    pub fn give_back(&self, queue: &mut Queue, holder: Holder) -> GivenBack {
        self.turn.store(NOBODY, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        match self.take(queue) {
            Queued::Empty => return GivenBack::ToNobody,
            Queued::Item(item) => queue.carried = Some(item),
            // Closed meanwhile: someone must finish, and the next take
            // says so again.
            Queued::Closed => {}
        }
        match self.take_turn(NOBODY, holder.turn()) {
            true => GivenBack::Kept,
            false => GivenBack::Taken,
        }
    }

    /// How many items wait in the channel, as far as this thread can tell
    /// (see [`Doorbell::queued`]): for batching, never for correctness.
    pub fn queued_now(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// The last words set by [`Outbox::farewell`], if any: the writer
    /// then stops sending the queue and sends these instead.
    pub fn farewell(&self) -> Option<Line> {
        self.farewell.get().cloned()
    }

    /// Has [`Outbox::farewell`] been said? (Senders then leave the
    /// writing to the writer.)
    pub fn saying_farewell(&self) -> bool {
        self.farewell.get().is_some()
    }
}
