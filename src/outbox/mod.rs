//! One connection's outbox: the bounded queue of lines waiting for its
//! client, the writer thread's side of it, and whose turn it is to write.
//!
//! **The design card's path.** Every line for a client goes into a
//! `sync_channel(queue_len)`, and that client's writer thread takes lines
//! out and writes them to the socket ([`write::writer_loop`]). The channel
//! is bounded, so a client that stops reading holds at most `queue_len`
//! lines of the server's memory; senders only ever `try_send`, under the
//! state lock, which never waits; a full queue is the slow-client policy
//! (`chat::state`: that client is disconnected).
//!
//! **The fast path, and its switch.** Waking a writer thread for every line
//! costs more than the `write()` itself. So the turn to write for a client
//! is a token held by at most one thread ([`Doorbell`]): nobody (queue
//! empty, writer parked), a sender, or the writer. With `direct_send` on
//! (the default) the first sender to queue a line for a client nobody is
//! writing for takes the turn ([`Sent::YourTurn`]), gets it back from the
//! state as part of a [`Turns`], and once the lock is released writes the
//! queue itself with a `send()` that never waits ([`write::write_turns`]);
//! only a full socket hands the turn to the writer thread. With
//! `direct_send = false` the turn always goes to the writer, which is
//! woken after the lock is released: every line takes the card's path.
//!
//! Whoever holds the turn is the only thread that takes from the queue and
//! writes, so lines leave in the order they were queued. Giving the turn
//! back is the classic handshake: the holder sets it to nobody *then* looks
//! at the queue once more; a sender queues *then* tries to take it. Both
//! steps sequentially consistent, at least one sees the other, so no line
//! is left with nobody to write it. Why each choice, with the figures that
//! chose it: `docs/design.md`, "Who writes".

pub mod sink;
pub mod write;

pub use sink::Sink;
use std::sync::atomic::{fence, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};
use std::thread::{self, Thread};
pub use write::{writer_loop, Framing};

/// A chat line, formatted once and shared, never copied, by every
/// recipient's queue.
pub type Line = Arc<str>;

/// What travels to a writer: almost always a [`Line`]; for a browser's
/// connection also the few things that are not chat lines.
///
/// The raw items are boxed so that an item is no bigger than a line: a
/// queue's slots are allocated up front, `queue_len` of them per client, and
/// a line is what fills them.
pub enum Item {
    Line(Line),
    Raw(Box<Raw>),
}

/// What a WebSocket connection's writer sends besides chat lines. They go
/// through the same queue as the lines, so they leave in the order they were
/// queued (the `101` before the greeting, a close after the last line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raw {
    /// The `101 Switching Protocols` answer, written as it is; every line
    /// after it goes out as a WebSocket text frame.
    SwitchToWebSocket(String),
    /// Answer a ping: a pong frame with this payload.
    Pong(Vec<u8>),
    /// The close frame with this status; nothing is sent after it.
    Close(u16),
}

/// The sending side, kept in the state.
pub struct Outbox {
    /// `None` only while being dropped (see `Drop`).
    lines: Option<SyncSender<Item>>,
    doorbell: Arc<Doorbell>,
}

/// The writer thread's side.
pub struct Inbox {
    doorbell: Arc<Doorbell>,
}

/// Whose turn it is to write for a client (see the module notes).
const NOBODY: u8 = 0;
const A_SENDER: u8 = 1;
const THE_WRITER: u8 = 2;

/// Who is giving the turn back (see [`Doorbell::give_back`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Sender,
    Writer,
}

impl Holder {
    fn turn(self) -> u8 {
        match self {
            Holder::Sender => A_SENDER,
            Holder::Writer => THE_WRITER,
        }
    }
}

/// One connection's turn to write, its writer thread, and its queue.
pub struct Doorbell {
    /// [`NOBODY`], [`A_SENDER`] or [`THE_WRITER`]. It starts as the
    /// writer's: nobody else writes before the writer thread is there to be
    /// handed a full socket.
    turn: AtomicU8,
    /// The writer thread, known once it has started.
    writer: OnceLock<Thread>,
    /// Items in the channel: added to just before a send, taken off when an
    /// item is taken. Relaxed is enough: only `STATS` reads it, nothing
    /// else is published through it, and the channel itself orders each add
    /// before the take-off of its item (a send happens before the receive
    /// that gets it), so it never goes below zero. A reading taken while
    /// lines move may be a line or two out.
    queued: AtomicUsize,
    /// The last words for a client dropped as too slow (see
    /// [`Outbox::farewell`]): set once, read by the writer.
    farewell: OnceLock<Line>,
    /// Locked only by whoever holds the turn.
    queue: Mutex<Queue>,
    /// Where the bytes go: the connection's socket (or a test's buffer).
    /// It never changes, so it needs no lock.
    sink: Arc<dyn Sink>,
    /// `direct_send`: may a sender that finds the turn free write itself
    /// (the fast path), or does the turn always go to the writer thread?
    direct: bool,
}

/// The receiving end of a connection's channel, and what whoever writes
/// needs besides: only the holder of the turn touches it.
pub struct Queue {
    /// `None` once the writer has finished: senders are then told
    /// [`Sent::Gone`] instead of filling a queue nobody will read.
    lines: Option<Receiver<Item>>,
    /// An item taken from the channel by a holder who was giving the turn
    /// back and could not take it again: it goes out before anything still
    /// in the channel.
    carried: Option<Item>,
    /// How items become bytes on this connection (lines, or WebSocket
    /// frames after the switch).
    pub framing: Framing,
    /// Bytes a sender took from the queue but the socket would not take
    /// without waiting: the writer writes them first.
    pub unsent: Vec<u8>,
}

/// The result of [`Outbox::send`].
#[must_use]
pub enum Sent {
    /// Queued; someone is writing for this client already.
    Queued,
    /// Queued, and the turn to write was nobody's. With `direct_send` it is
    /// now the sender's, who writes once the state lock is released;
    /// without, it is the writer's, and the sender wakes it then. Either
    /// way the state hands it back in [`Turns`].
    YourTurn(Arc<Doorbell>),
    /// The queue is full: the client stopped reading (the slow-client policy).
    Full,
    /// The writer is gone (its socket failed); cleanup is on its way.
    Gone,
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

/// A new queue of at most `capacity` lines for the client behind `sink`;
/// `direct` is the `direct_send` setting (see the module notes).
pub fn outbox(capacity: usize, sink: Arc<dyn Sink>, direct: bool) -> (Outbox, Inbox) {
    let (sender, receiver) = sync_channel(capacity);
    let doorbell = Arc::new(Doorbell {
        turn: AtomicU8::new(THE_WRITER),
        writer: OnceLock::new(),
        queued: AtomicUsize::new(0),
        farewell: OnceLock::new(),
        queue: Mutex::new(Queue {
            lines: Some(receiver),
            carried: None,
            framing: Framing::Lines,
            unsent: Vec::new(),
        }),
        sink,
        direct,
    });
    let inbox = Inbox {
        doorbell: Arc::clone(&doorbell),
    };
    (
        Outbox {
            lines: Some(sender),
            doorbell,
        },
        inbox,
    )
}

/// The clients whose turn a thread was given while it queued lines under
/// the state lock ([`Sent::YourTurn`]). The state hands them back when it
/// is unlocked; the thread then calls [`Turns::write`]: it writes for each
/// (or, without `direct_send`, wakes each writer), after the lock is gone.
#[must_use = "a turn not written leaves its lines waiting: call write()"]
#[derive(Default)]
pub struct Turns(Vec<Arc<Doorbell>>);

impl Turns {
    /// Adds a turn given by [`Outbox::send`].
    pub fn push(&mut self, doorbell: Arc<Doorbell>) {
        self.0.push(doorbell);
    }

    /// Room for `more` turns, in one allocation (see `chat::state`).
    pub fn reserve(&mut self, more: usize) {
        self.0.reserve(more);
    }

    /// Takes over the turns in `other`.
    pub fn append(&mut self, mut other: Turns) {
        self.0.append(&mut other.0);
    }

    /// Writes for every client in the list (or wakes its writer), and
    /// leaves the list empty for reuse. The state lock must not be held:
    /// this is a system call per client.
    pub fn write(&mut self) {
        if !self.0.is_empty() {
            write::write_turns(&self.0);
            self.0.clear();
        }
    }
}

impl Drop for Turns {
    /// A list dropped unwritten (an early return, a panic) must not leave a
    /// client's lines with nobody to write them: each turn goes to its
    /// writer thread, which is woken. Only a wake-up: no socket is touched.
    fn drop(&mut self) {
        for doorbell in self.0.drain(..) {
            doorbell.hand_to_writer();
        }
    }
}

impl Outbox {
    /// Queues a line without ever waiting and without writing anything.
    #[cfg(test)]
    pub fn send(&self, line: Line) -> Sent {
        self.send_item(Item::Line(line))
    }

    /// Queues any item, as [`Outbox::send`] queues a line.
    pub fn send_item(&self, item: Item) -> Sent {
        let Some(lines) = &self.lines else {
            return Sent::Gone;
        };
        // Counted *before* the send: the item may be taken (and counted
        // off) before this thread runs again, and the count must never go
        // below zero. A refused send gives its one back.
        self.doorbell.queued.fetch_add(1, Ordering::Relaxed);
        let refused = match lines.try_send(item) {
            Ok(()) => None,
            Err(TrySendError::Full(_)) => Some(Sent::Full),
            Err(TrySendError::Disconnected(_)) => Some(Sent::Gone),
        };
        if let Some(refused) = refused {
            self.doorbell.queued.fetch_sub(1, Ordering::Relaxed);
            return refused;
        }
        // The sender's half of the handshake: queued, then look. Without
        // `direct_send` the turn goes to the writer, to be woken once the
        // state lock is released.
        fence(Ordering::SeqCst);
        let taker = match self.doorbell.direct {
            true => A_SENDER,
            false => THE_WRITER,
        };
        match self.doorbell.take_turn(NOBODY, taker) {
            true => Sent::YourTurn(Arc::clone(&self.doorbell)),
            false => Sent::Queued,
        }
    }

    /// How many items wait in the queue (for `STATS`; see [`Doorbell`]).
    pub fn queued(&self) -> usize {
        self.doorbell.queued_now()
    }

    /// For a client dropped as too slow, whose queue is full so nothing more
    /// can be queued: the writer skips what is still queued once its current
    /// write is done and sends `line` instead, so a person on `nc` who is
    /// merely behind learns why the chat stopped (see
    /// `State::drop_overflowed`).
    pub fn farewell(&self, line: Line) {
        let _ = self.doorbell.farewell.set(line);
    }
}

impl Drop for Outbox {
    /// The state dropped this connection: its writer must see the closed
    /// channel, write what is left and close the socket.
    fn drop(&mut self) {
        // Close the channel *before* looking at the turn: a writer that gave
        // the turn back in between would otherwise park for ever. If someone
        // holds the turn, they will find the channel closed and hand it to
        // the writer (a sender) or finish (the writer).
        drop(self.lines.take());
        fence(Ordering::SeqCst);
        if self.doorbell.take_turn(NOBODY, THE_WRITER) {
            self.doorbell.wake_writer();
        }
    }
}

impl Doorbell {
    fn take_turn(&self, from: u8, to: u8) -> bool {
        self.turn
            .compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// Hands the turn to the writer thread and wakes it: for the sender
    /// holding the turn when the socket is full, the queue closed, or the
    /// client is being dropped (the writer says goodbye).
    pub fn hand_to_writer(&self) {
        self.turn.store(THE_WRITER, Ordering::SeqCst);
        self.wake_writer();
    }

    /// Without `direct_send`, every line is the writer's to write.
    pub fn direct(&self) -> bool {
        self.direct
    }

    /// Wakes the writer (a no-op if it has not started yet: it holds the
    /// turn until it has, see [`Doorbell::turn`]).
    pub fn wake_writer(&self) {
        if let Some(writer) = self.writer.get() {
            writer.unpark();
        }
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
        let Some(lines) = &queue.lines else {
            return Queued::Closed;
        };
        match lines.try_recv() {
            Ok(item) => {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                Queued::Item(item)
            }
            Err(TryRecvError::Empty) => Queued::Empty,
            Err(TryRecvError::Disconnected) => Queued::Closed,
        }
    }

    /// Gives the turn back when [`Doorbell::take`] found the queue empty:
    /// the holder's half of the handshake in the module notes.
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

impl Inbox {
    /// The connection's doorbell, for its writer thread.
    pub fn doorbell(&self) -> &Doorbell {
        &self.doorbell
    }

    /// The writer has finished (the connection is over, or its socket
    /// failed): what is still queued is dropped, and senders are told
    /// [`Sent::Gone`] from now on.
    pub fn close(&self) {
        self.doorbell.lock_queue().lines = None;
    }

    /// Parks the writer thread until the turn is its own: at its start
    /// (it begins with the turn), when a sender hands it a full socket,
    /// or when the state drops the connection. Must be called from the
    /// writer thread.
    pub fn wait_for_turn(&self) {
        let doorbell = &self.doorbell;
        doorbell.writer.get_or_init(thread::current);
        // `park` may return for no reason, and an old `unpark` may be left
        // over: only the turn says whether to go on.
        while doorbell.turn.load(Ordering::SeqCst) != THE_WRITER {
            thread::park();
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::sink::MemorySink;

    fn in_memory(capacity: usize) -> (Outbox, Inbox) {
        outbox(capacity, Arc::new(MemorySink::new(1024)), true)
    }

    #[test]
    fn the_turn_starts_as_the_writers_so_nobody_writes_before_it_runs() {
        let (outbox, inbox) = in_memory(4);
        assert!(matches!(outbox.send(Arc::from("zero")), Sent::Queued));
        assert!(matches!(inbox.try_next(), Queued::Item(_)));
    }

    #[test]
    fn the_queue_counts_what_waits_in_it() {
        let (outbox, inbox) = in_memory(2);
        assert_eq!(outbox.queued(), 0);
        assert!(matches!(outbox.send(Arc::from("a")), Sent::Queued));
        assert!(matches!(outbox.send(Arc::from("b")), Sent::Queued));
        assert!(matches!(outbox.send(Arc::from("c")), Sent::Full));
        assert_eq!(outbox.queued(), 2);
        assert!(matches!(inbox.try_next(), Queued::Item(_)));
        assert_eq!(outbox.queued(), 1);
        assert!(matches!(inbox.try_next(), Queued::Item(_)));
        assert!(matches!(inbox.try_next(), Queued::Empty));
        assert_eq!(outbox.queued(), 0);
    }

    #[test]
    fn an_item_is_no_bigger_than_a_line() {
        assert_eq!(std::mem::size_of::<Item>(), std::mem::size_of::<Line>());
    }

    #[test]
    fn a_full_queue_and_a_finished_writer_are_told_apart() {
        let (outbox, inbox) = in_memory(1);
        assert!(matches!(outbox.send(Arc::from("a")), Sent::Queued));
        assert!(matches!(outbox.send(Arc::from("b")), Sent::Full));
        inbox.close();
        assert!(matches!(outbox.send(Arc::from("c")), Sent::Gone));
    }
}
