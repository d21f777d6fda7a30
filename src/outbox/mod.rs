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
//! is left with nobody to write it.
//!
//! **A writer only while there is a backlog.** With the fast path on, a
//! client who keeps up never needs its writer, so none is started
//! ([`lazy_outbox`]): the first time the turn is handed to the writer, one
//! is taken from the server's pool ([`StartWriter`]), and it goes back
//! after [`WRITER_LINGER`] with nothing to do ([`Inbox::wait_for_turn`]).
//! When the state drops a connection that has no writer, its reader writes
//! the last lines itself ([`Inbox::claim`]). With `direct_send = false`
//! the writer is always there, as the design card draws it. What travels
//! in the queue, and why the channel has few slots: [`item`]. Why each
//! choice, with the figures that chose it: `docs/design.md`, "Who writes"
//! and "Threads that are reused, and a writer only for a backlog".

pub mod item;
pub mod sink;
pub mod write;

use crate::log;
pub use item::{Batch, Item, Line, Raw, CHANNEL_SLOTS};
pub use sink::Sink;
use std::io;
use std::sync::atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};
pub use write::{writer_loop, Ended, Framing};

/// How long a lazily started writer stays with its connection after its
/// backlog is written, before it goes back to the pool: long enough that a
/// client whose socket fills again and again keeps its writer, short
/// enough that an idle connection soon holds one thread.
///
/// The unit tests use a millisecond, so that in their races writers come
/// and go thousands of times.
pub const WRITER_LINGER: Duration = match cfg!(test) {
    true => Duration::from_millis(1),
    false => Duration::from_secs(2),
};

/// How a connection gets a writer thread when its backlog needs one: the
/// server hands the [`Inbox`] to a pooled thread that runs
/// [`writer_loop`]. `Err` if no thread can be had.
pub type StartWriter = Arc<dyn Fn(Inbox) -> io::Result<()> + Send + Sync>;

/// The sending side, kept in the state.
pub struct Outbox {
    /// `None` only while being dropped (see `Drop`).
    lines: Option<SyncSender<Item>>,
    doorbell: Arc<Doorbell>,
    /// `queue_len`: the most items that may wait for this client.
    capacity: usize,
    /// The batch in the channel that new items join, until it is taken.
    /// Only senders touch it, and a send takes `&mut self`: the state's
    /// lock already makes senders take turns, so it needs no lock of its own.
    open: Option<Arc<Batch>>,
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

/// Who is a connection's writer thread (see [`Doorbell::wake_writer`]).
enum WriterSlot {
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
    turn: AtomicU8,
    /// The writer thread, if there is one. Its lock orders a writer going
    /// back to the pool against a turn handed to it (see
    /// [`Inbox::wait_for_turn`]).
    writer: Mutex<WriterSlot>,
    /// How to get a writer thread when one is needed; `None`: the writer is
    /// always there (started with the connection).
    start_writer: Option<StartWriter>,
    /// Set when the state drops the connection ([`Outbox`]'s `Drop`).
    closed: AtomicBool,
    /// Set once the connection has a reader ([`Inbox::mark_reader`]): a
    /// queue refused at the door has none, and its socket may still be
    /// read by whoever refuses it.
    reader: AtomicBool,
    /// Set when the writing is over ([`Inbox::close`]): senders are told
    /// [`Sent::Gone`].
    gone: AtomicBool,
    /// Channel slots in use: added to before a send, taken off after a
    /// receive, so it is never below the true count.
    slots: AtomicUsize,
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
    /// The rest of a [`Batch`] taken from the channel: before anything
    /// still in the channel.
    batch: std::vec::IntoIter<Item>,
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

/// A new queue of at most `capacity` lines for the client behind `sink`,
/// whose writer thread the caller starts now and keeps for the
/// connection's life (the design card's); `direct` is the `direct_send`
/// setting (see the module notes).
pub fn outbox(capacity: usize, sink: Arc<dyn Sink>, direct: bool) -> (Outbox, Inbox) {
    new_outbox(capacity, sink, direct, None)
}

/// A queue with the fast path on whose writer is started by
/// `start_writer` only when the client has a backlog (see the module
/// notes). The caller keeps the [`Inbox`] for the end: [`Inbox::claim`].
pub fn lazy_outbox(
    capacity: usize,
    sink: Arc<dyn Sink>,
    start_writer: StartWriter,
) -> (Outbox, Inbox) {
    new_outbox(capacity, sink, true, Some(start_writer))
}

fn new_outbox(
    capacity: usize,
    sink: Arc<dyn Sink>,
    direct: bool,
    start_writer: Option<StartWriter>,
) -> (Outbox, Inbox) {
    let (sender, receiver) = sync_channel(CHANNEL_SLOTS.min(capacity.max(1)));
    let (turn, writer) = match start_writer {
        None => (THE_WRITER, WriterSlot::Present(None)),
        Some(_) => (NOBODY, WriterSlot::Absent),
    };
    let doorbell = Arc::new(Doorbell {
        turn: AtomicU8::new(turn),
        writer: Mutex::new(writer),
        start_writer,
        closed: AtomicBool::new(false),
        reader: AtomicBool::new(false),
        gone: AtomicBool::new(false),
        slots: AtomicUsize::new(0),
        queued: AtomicUsize::new(0),
        farewell: OnceLock::new(),
        queue: Mutex::new(Queue {
            lines: Some(receiver),
            carried: None,
            framing: Framing::Lines,
            unsent: Vec::new(),
            batch: Vec::new().into_iter(),
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
            capacity,
            open: None,
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
            Doorbell::hand_to_writer(&doorbell);
        }
    }
}

impl Outbox {
    /// Queues a line without ever waiting and without writing anything.
    #[cfg(test)]
    pub fn send(&mut self, line: Line) -> Sent {
        self.send_item(Item::Line(line))
    }

    /// Queues any item, as [`Outbox::send`] queues a line.
    pub fn send_item(&mut self, item: Item) -> Sent {
        let Outbox {
            lines: Some(lines),
            doorbell,
            capacity,
            open,
        } = self
        else {
            return Sent::Gone;
        };
        if doorbell.gone.load(Ordering::Relaxed) {
            return Sent::Gone;
        }
        // Counted *before* the send: the item may be taken (and counted
        // off) before this thread runs again, and the count must never go
        // below zero. A refused send gives its one back. `queue_len` items
        // waiting is the slow-client policy, however many slots they use.
        if doorbell.queued.fetch_add(1, Ordering::Relaxed) >= *capacity {
            doorbell.queued.fetch_sub(1, Ordering::Relaxed);
            return Sent::Full;
        }
        if let Some(refused) = put(lines, open, &doorbell.slots, item) {
            doorbell.queued.fetch_sub(1, Ordering::Relaxed);
            return refused;
        }
        // The sender's half of the handshake: queued, then look. Without
        // `direct_send` the turn goes to the writer, to be woken once the
        // state lock is released.
        fence(Ordering::SeqCst);
        let taker = match doorbell.direct {
            true => A_SENDER,
            false => THE_WRITER,
        };
        match doorbell.take_turn(NOBODY, taker) {
            true => Sent::YourTurn(Arc::clone(doorbell)),
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

    /// Whether the client has closed its end, though its reader may not
    /// have seen it yet (see `State::leaving_holder`).
    pub fn client_hung_up(&self) -> bool {
        self.doorbell.sink.hung_up()
    }
}

/// Puts `item` in a connection's channel (`slots` counts its slots in use): into the open batch if the holder has
/// not taken it yet (it is the newest thing queued), else into a slot
/// of its own while more than one is free, else into a new batch in the
/// last free slot. `Some` if it could not be queued.
fn put(
    lines: &SyncSender<Item>,
    open: &mut Option<Arc<Batch>>,
    slots: &AtomicUsize,
    item: Item,
) -> Option<Sent> {
    let item = match open.take() {
        Some(batch) => match batch.join(item) {
            Ok(()) => {
                *open = Some(batch);
                return None;
            }
            Err(item) => item, // taken: this batch is closed
        },
        None => item,
    };
    let item = match slots.fetch_add(1, Ordering::SeqCst) + 2 > CHANNEL_SLOTS {
        false => item,
        true => {
            let batch = Arc::new(Batch::starting_with(item));
            *open = Some(Arc::clone(&batch));
            Item::Batch(batch)
        }
    };
    let refused = match lines.try_send(item) {
        Ok(()) => return None,
        // Not expected (the slot count is never below the truth), but
        // a full channel is what the policy is for.
        Err(TrySendError::Full(_)) => Sent::Full,
        Err(TrySendError::Disconnected(_)) => Sent::Gone,
    };
    slots.fetch_sub(1, Ordering::SeqCst);
    *open = None;
    Some(refused)
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
        self.doorbell.closed.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if self.doorbell.take_turn(NOBODY, THE_WRITER) {
            Doorbell::wake_writer(&self.doorbell);
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

    fn lock_writer(&self) -> MutexGuard<'_, WriterSlot> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::sink::MemorySink;

    fn in_memory(capacity: usize) -> (Outbox, Inbox) {
        outbox(capacity, Arc::new(MemorySink::new(1024)), true)
    }

    #[test]
    fn the_turn_starts_as_the_writers_so_nobody_writes_before_it_runs() {
        let (mut outbox, inbox) = in_memory(4);
        assert!(matches!(outbox.send(Arc::from("zero")), Sent::Queued));
        assert!(matches!(inbox.try_next(), Queued::Item(_)));
    }

    #[test]
    fn the_queue_counts_what_waits_in_it() {
        let (mut outbox, inbox) = in_memory(2);
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
    fn an_item_is_a_line_and_a_tag() {
        let tag = std::mem::size_of::<usize>();
        assert!(std::mem::size_of::<Item>() <= std::mem::size_of::<Line>() + tag);
    }

    #[test]
    fn lines_beyond_the_slots_wait_in_one_batch_up_to_the_queue_len() {
        let (mut outbox, inbox) = in_memory(100);
        for n in 0..100 {
            let sent = outbox.send(Arc::from(n.to_string()));
            assert!(matches!(sent, Sent::Queued), "line {n}");
        }
        assert!(matches!(outbox.send(Arc::from("one too many")), Sent::Full));
        assert_eq!(outbox.queued(), 100);
        // The channel's slots: all but one hold a line, the last a batch.
        assert_eq!(inbox.doorbell.slots.load(Ordering::SeqCst), CHANNEL_SLOTS);
        for n in 0..100 {
            match inbox.try_next() {
                Queued::Item(Item::Line(line)) => assert_eq!(&*line, n.to_string()),
                _ => panic!("line {n} missing"),
            }
        }
        assert!(matches!(inbox.try_next(), Queued::Empty));
        assert_eq!(outbox.queued(), 0);
        assert_eq!(inbox.doorbell.slots.load(Ordering::SeqCst), 0);
        // A taken batch is closed: the next lines take slots of their own.
        assert!(matches!(outbox.send(Arc::from("again")), Sent::Queued));
        assert_eq!(inbox.doorbell.slots.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_full_queue_and_a_finished_writer_are_told_apart() {
        let (mut outbox, inbox) = in_memory(1);
        assert!(matches!(outbox.send(Arc::from("a")), Sent::Queued));
        assert!(matches!(outbox.send(Arc::from("b")), Sent::Full));
        inbox.close();
        assert!(matches!(outbox.send(Arc::from("c")), Sent::Gone));
    }
}
