//! A connection's queue of lines to send, and whose turn it is to write
//! them: nobody's, a sender's, or the connection's writer thread's.
//!
//! Every line for a client goes through a `sync_channel(queue_len)`:
//! bounded, so a client that stops reading holds at most `queue_len` lines
//! of the server's memory. Senders only ever `try_send`, under the state
//! lock, which never waits; a full queue is the slow-client policy
//! (`chat::state`).
//!
//! **Who writes.** The line then has to reach the socket, and who carries it
//! there decides what a big room costs. Each connection has a writer thread
//! for this, and it used to do all of it: every message woke every writer of
//! the room, a futex call from the sender plus two context switches per
//! member, 5 to 25 µs per delivery on this machine, more than the `write()`
//! itself. The peers measured in `BENCHMARKS.md` pay only the `write()`. So
//! now the turn to write for a client is a token, [`Doorbell::turn`], held
//! by at most one thread at a time:
//!
//! - **nobody**: the queue is empty and the writer thread is parked;
//! - **a sender**: the first sender to queue a line for a client whose turn
//!   is nobody's takes it ([`Sent::YourTurn`]) and, once it has released the
//!   state lock, writes what is queued itself, with a `send()` that never
//!   waits (`support::send_now`; `server::write_now`). If the socket takes
//!   it all, the writer thread never wakes; a reader's lines to a
//!   1,000-member room cost a thousand `send()` calls, as they would in an
//!   event loop;
//! - **the writer**: when the socket is full (the client is slow to read),
//!   the sender leaves what did not fit in [`Queue::unsent`] and hands the
//!   turn to the writer thread, which wakes and does what it always did:
//!   blocking writes, in batches as big as the backlog, for as long as the
//!   client is slow. So a slow client still never blocks anyone.
//!
//! Whoever holds the turn is the only thread that takes from the queue and
//! writes to the socket, so lines leave in the order they were queued. The
//! [`Queue`] (the channel's receiving end and what goes with it) sits behind
//! a mutex that only the turn's holder locks; senders only ever `try_lock`
//! it (the one moment it can be busy is when the previous holder is giving
//! the turn back, and then the sender hands the turn to the writer rather
//! than wait).
//!
//! **Giving the turn back** is the classic handshake between "nothing left,
//! I stop" and "I queued a line, who writes it?": the holder sets the turn
//! to nobody *then* looks at the queue once more; a sender queues *then*
//! tries to take the turn. With both steps sequentially consistent, at
//! least one of them sees the other, so a line is never left in the queue
//! with nobody to write it. A holder that finds a line on that last look
//! and cannot take the turn back (a sender took it meanwhile) leaves the
//! line in [`Queue::carried`], where the next holder looks first.
//!
//! The doorbell also counts the items waiting in the queue, for an
//! operator's `STATS` ([`crate::chat::stats`]): `mpsc` cannot say how full a
//! channel is, so the sender adds one and the taker takes one off.
//!
//! Tried and rejected before senders wrote (2026-12-02, release build, 2
//! cores, `chat_bench fanout --profile irc --senders 10`): waking writers
//! inside `try_send`, under the state lock (a message to a 1,000-member room
//! held the lock 5 ms: the server topped out near 200 messages a second);
//! ringing them after the lock was released and letting each woken writer
//! `yield_now` before it looked at its queue, so lines piled up into
//! batches (kept until the senders wrote: 3.07 × the peers' CPU at 100
//! clients and 200 msg/s, because each message still woke every writer);
//! writers in the `SCHED_BATCH` class (queues filled behind the readers and
//! members were dropped as slow clients).
//!
//! **Memory.** std's bounded channel allocates its `queue_len` slots when it
//! is made and writes a stamp into every one, so the whole array is resident
//! from the first moment: a slot is an 8-byte stamp plus an [`Item`] (16
//! bytes: a line is an `Arc<str>`, a fat pointer), 24 bytes, so 24 KiB per
//! connection at the default `queue_len` of 1,024 and 12 KiB at 512.
//! Fewer was measured and rejected once senders wrote (2026-12-02, `chat_bench
//! fanout --profile irc --senders 10`, as fast as possible, 1,000 clients
//! then 100): at 128, 1,097 members were dropped as slow clients, at 256,
//! 838, though every one of them was reading (two load threads cannot keep
//! up with 1,000 sockets at full speed, so each falls a few hundred lines
//! behind for a moment). 512 dropped nobody in that run, but before senders
//! wrote it dropped a reading member in one run of three
//! (`--clients 100 --messages 5000`), and one run is not enough to give 12
//! KiB of safety margin away: the default stays 1,024. (Before senders
//! wrote, the join bursts of `chat_bench idle` and `--rate 200` lost nobody
//! even at 128.) Not done:
//! a thin item (a line behind a thin pointer, 8 bytes, so 16-byte slots)
//! would save 8 KiB at 1,024, at the price of a second allocation per
//! message and a new line type in every module that renders one.

use crate::server::writer::Framing;
use std::net::TcpStream;
use std::sync::atomic::{fence, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, TryLockError};
use std::thread::{self, Thread};

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
    /// The connection's socket, for senders (it never changes, so it needs
    /// no lock); `None` for the in-memory queues of the state's tests
    /// (senders then leave all writing to whoever reads the [`Inbox`]).
    socket: Option<Arc<TcpStream>>,
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
    /// Queued, and the turn to write was nobody's: it is now the sender's,
    /// who must write once the state lock is released (see
    /// `server::write_now`).
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

/// A new queue of at most `capacity` lines for a client on `socket` (`None`:
/// an in-memory queue, read through the [`Inbox`] only).
pub fn outbox(capacity: usize, socket: Option<Arc<TcpStream>>) -> (Outbox, Inbox) {
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
        socket,
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

impl Outbox {
    /// Queues a line without ever waiting and without writing anything.
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
        // The sender's half of the handshake: queued, then look.
        fence(Ordering::SeqCst);
        match self.doorbell.take_turn(NOBODY, A_SENDER) {
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

    /// Wakes the writer (a no-op if it has not started yet: it holds the
    /// turn until it has, see [`Doorbell::turn`]).
    fn wake_writer(&self) {
        if let Some(writer) = self.writer.get() {
            writer.unpark();
        }
    }

    /// The connection's socket, for a sender holding the turn.
    pub fn socket(&self) -> Option<&TcpStream> {
        self.socket.as_deref()
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
    pub fn try_next(&self) -> Queued {
        let mut queue = self.doorbell.lock_queue();
        self.doorbell.take(&mut queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// What a holder of the turn does (`server::writer` and
    /// `server::write_now` do it with sockets): takes everything into
    /// `sink`, then gives the turn back. A sender that finds the queue
    /// closed, or busy, hands the turn to the writer. True when the writer
    /// has found the queue closed.
    fn hold_turn(doorbell: &Doorbell, holder: Holder, sink: &Mutex<Vec<String>>) -> bool {
        let queue = match holder {
            Holder::Writer => Some(doorbell.lock_queue()),
            Holder::Sender => doorbell.try_lock_queue(),
        };
        let Some(mut queue) = queue else {
            doorbell.hand_to_writer();
            return false;
        };
        loop {
            match doorbell.take(&mut queue) {
                Queued::Item(Item::Line(line)) => sink.lock().unwrap().push(line.to_string()),
                Queued::Item(Item::Raw(_)) => {}
                Queued::Empty => match doorbell.give_back(&mut queue, holder) {
                    GivenBack::Kept => {}
                    GivenBack::ToNobody | GivenBack::Taken => return false,
                },
                Queued::Closed if holder == Holder::Writer => return true,
                Queued::Closed => {
                    drop(queue);
                    doorbell.hand_to_writer();
                    return false;
                }
            }
        }
    }

    /// A writer thread that takes lines into `sink` until the queue closes.
    fn writer(inbox: Inbox, sink: Arc<Mutex<Vec<String>>>) -> thread::JoinHandle<()> {
        thread::spawn(move || loop {
            inbox.wait_for_turn();
            if hold_turn(inbox.doorbell(), Holder::Writer, &sink) {
                return;
            }
        })
    }

    #[test]
    fn once_the_writer_lets_go_the_first_sender_gets_the_turn_and_only_it() {
        let (outbox, inbox) = outbox(4, None);
        // The turn starts as the writer's: nobody else writes before it runs.
        assert!(matches!(outbox.send(Arc::from("zero")), Sent::Queued));
        let sink = Mutex::new(Vec::new());
        assert!(!hold_turn(inbox.doorbell(), Holder::Writer, &sink));
        let Sent::YourTurn(doorbell) = outbox.send(Arc::from("one")) else {
            panic!("nobody was writing: the sender must get the turn")
        };
        // Until it gives the turn back, later lines find it taken.
        assert!(matches!(outbox.send(Arc::from("two")), Sent::Queued));
        assert!(!hold_turn(&doorbell, Holder::Sender, &sink));
        assert_eq!(*sink.lock().unwrap(), ["zero", "one", "two"]);
        assert!(matches!(outbox.send(Arc::from("three")), Sent::YourTurn(_)));
    }

    #[test]
    fn a_sender_that_finds_the_queue_closed_hands_it_to_the_writer() {
        let (outbox, inbox) = outbox(4, None);
        let sink = Arc::new(Mutex::new(Vec::new()));
        let writer = writer(inbox, Arc::clone(&sink));
        let turn = loop {
            match outbox.send(Arc::from("last")) {
                Sent::YourTurn(doorbell) => break doorbell,
                // The writer has not let go of its first turn yet.
                _ => thread::sleep(Duration::from_millis(1)),
            }
        };
        drop(outbox);
        hold_turn(&turn, Holder::Sender, &sink);
        writer.join().unwrap();
        assert_eq!(
            sink.lock().unwrap().last().map(String::as_str),
            Some("last")
        );
    }

    #[test]
    fn dropping_the_outbox_ends_a_parked_writer() {
        // Many times, so that the writer is caught at every point of giving
        // its turn back; a lost hand-over would hang here.
        for _ in 0..2_000 {
            let (outbox, inbox) = outbox(4, None);
            let writer = writer(inbox, Arc::new(Mutex::new(Vec::new())));
            drop(outbox);
            writer.join().unwrap();
        }
    }

    #[test]
    fn the_queue_counts_what_waits_in_it() {
        let (outbox, inbox) = outbox(2, None);
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
        let (outbox, inbox) = outbox(1, None);
        assert!(matches!(outbox.send(Arc::from("a")), Sent::Queued));
        assert!(matches!(outbox.send(Arc::from("b")), Sent::Full));
        inbox.close();
        assert!(matches!(outbox.send(Arc::from("c")), Sent::Gone));
    }

    #[test]
    fn no_line_is_stranded_lost_or_reordered_whoever_writes() {
        // Four senders race a writer, and each sender given the turn writes
        // for it, as readers do. If the handshake could lose a line, the
        // count would be short or the last hand-over would never come (the
        // harness times the test out); if two threads ever took from the
        // queue at once, a sender's lines could come out of order.
        let (outbox, inbox) = outbox(64, None);
        let outbox = Arc::new(outbox);
        let sink = Arc::new(Mutex::new(Vec::new()));
        let writer = writer(inbox, Arc::clone(&sink));
        let senders: Vec<_> = (0..4)
            .map(|sender| {
                let outbox = Arc::clone(&outbox);
                let sink = Arc::clone(&sink);
                thread::spawn(move || {
                    let mut sent = 0;
                    while sent < 20_000 {
                        match outbox.send(Arc::from(format!("{sender} {sent}"))) {
                            Sent::YourTurn(doorbell) => {
                                hold_turn(&doorbell, Holder::Sender, &sink);
                                sent += 1
                            }
                            Sent::Queued => sent += 1,
                            Sent::Full => thread::yield_now(),
                            Sent::Gone => unreachable!(),
                        }
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        drop(Arc::into_inner(outbox));
        writer.join().unwrap();
        let lines = sink.lock().unwrap();
        assert_eq!(lines.len(), 80_000);
        let mut next = [0; 4];
        for line in lines.iter() {
            let (sender, n) = line.split_once(' ').unwrap();
            let sender: usize = sender.parse().unwrap();
            assert_eq!(n.parse::<i32>().unwrap(), next[sender], "out of order");
            next[sender] += 1;
        }
    }
}
