//! A connection's queue of lines to send: a bounded channel plus a doorbell
//! that is rung *after* the state lock is released.
//!
//! Every line for a client goes through a `sync_channel(queue_len)` to that
//! client's writer thread: bounded, so a client that stops reading holds at
//! most `queue_len` lines of memory. The channel alone has one cost that
//! decides how fast a big room can be: a `try_send` to a writer blocked in
//! `recv()` wakes that thread with a system call *inside* the send, that is,
//! while the sender holds the state lock. A message to a 1,000-member room
//! made a thousand wake-up calls under the lock, about 5 µs each, so the
//! lock was busy 5 ms per message and the whole server topped out near 200
//! messages a second with the cores half idle (measured with `perf` and
//! `chat_bench fanout --clients 1000`).
//!
//! So the writer never blocks in `recv()`. It takes lines with `try_recv`,
//! and when the channel is empty it says so on its [`Doorbell`] and parks.
//! A sender's `try_send` then has nobody to wake and costs tens of
//! nanoseconds; the sender notes which writers were asleep
//! ([`Outbox::send`] returns a [`Sent::Asleep`]) and rings their doorbells
//! once the lock is released (see `state::lock`). The wake-ups still happen,
//! but in parallel with other work instead of one after another under the
//! lock. A writer that was already rung, or is busy writing, is not rung
//! again, so a busy server rings each writer at most once per batch.
//!
//! The handshake between "I am going to sleep" and "I sent you a line" is the
//! classic one: the writer announces sleep *then* checks the channel once
//! more; the sender sends *then* checks the announcement. With both steps
//! sequentially consistent, at least one of them sees the other, so a line
//! can never be left in the channel with its writer asleep.
//!
//! The doorbell also counts the items waiting in the queue, for an
//! operator's `STATS` ([`crate::chat::stats`]): `mpsc` cannot say how full a
//! channel is, so the sender adds one and the writer takes one off.
//!
//! **Letting the work pile up.** A woken writer first yields the CPU once
//! (`thread::yield_now`) and only then looks at its queue. On a quiet
//! server nothing else is ready to run, the yield returns at once and the
//! line goes out. On a busy one the readers are ready, carrying the next
//! messages in; they run first, and the writer then finds several lines and
//! writes them with one `write()`. That is how input gets the CPU before
//! output without a priority, and how batches grow with the load without a
//! timer. Measured on 2026-12-02 (release build, 2 cores, `chat_bench
//! fanout --profile irc --senders 10`, as fast as possible): 100 clients,
//! 0.84–0.93 M deliveries/s at 1.7–1.9 µs of server CPU each without the
//! yield, 1.95–2.86 M at 0.43–0.65 µs with it (seven runs); 1,000 clients
//! 0.56 M → 0.82–0.92 M. At
//! 20 or 200 messages a second it changes nothing measurable (each message
//! finds its writers asleep either way). Tried and rejected on the same
//! day: writers in the `SCHED_BATCH` class, so a woken writer never
//! preempts the reader that woke it: 1.23–1.59 M, but writers then waited
//! whole time slices behind the readers, queues filled, and members were
//! dropped as slow clients (3,216 and 17,900 deliveries lost in two runs).
//!
//! **Memory.** std's bounded channel allocates its `queue_len` slots when it
//! is made and writes a stamp into every one, so the whole array is resident
//! from the first moment: a slot is an 8-byte stamp plus an [`Item`] (16
//! bytes: a line is an `Arc<str>`, a fat pointer), 24 bytes, so 24 KiB per
//! connection at the default `queue_len` of 1,024 and 12 KiB at 512
//! (measured on 2026-12-02, 1,000 idle members of one room: 50.8 against
//! 38.8 KiB per connection, the same build). Fewer was measured and
//! rejected: at 128, `chat_bench fanout --clients 1000 --senders 10
//! --messages 500` (as fast as possible) dropped 9 members as slow clients
//! and lost 139,004 deliveries. 512 lost none in four runs before writers
//! yielded after a wake-up (above); with the yield, writers fall further
//! behind the readers on a saturated machine before they catch up in one
//! big batch, and `chat_bench fanout --profile irc --clients 100 --senders
//! 10 --messages 5000` at 512 dropped a member who was reading (27,519
//! deliveries lost, one run in three). At 1,024 it lost none and ran
//! faster (3.0–3.2 M deliveries/s in three runs): the 12 KiB buy bigger
//! batches and nobody wrongly cut off. The join bursts (`chat_bench idle`)
//! and `--rate 200` lost nobody even at 128, and `chat_bench slow` still
//! cuts off the client that never reads. Not done: a thin item (a line
//! behind a thin pointer, 8 bytes, so 16-byte slots) would save 8 KiB at
//! 1,024, at the price of a second allocation per message and a new line
//! type in every module that renders one.

use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, OnceLock};
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
/// queued (the `101` before the greeting, a close after the last line) and
/// only one thread ever writes to the socket.
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

/// The receiving side, owned by the writer thread.
pub struct Inbox {
    lines: Receiver<Item>,
    doorbell: Arc<Doorbell>,
}

/// How a writer that has nothing to do waits, and how a sender wakes it.
pub struct Doorbell {
    /// True while the writer is parked (or about to park) on an empty queue.
    asleep: AtomicBool,
    /// The writer thread, known once it has started.
    writer: OnceLock<Thread>,
    /// Items in the queue: added to just before a send, taken off when the
    /// writer takes one. Relaxed is enough: only `STATS` reads it, nothing
    /// else is published through it, and the channel itself orders each add
    /// before the take-off of its item (a send happens before the receive
    /// that gets it), so it never goes below zero. A reading taken while
    /// lines move may be a line or two out.
    queued: AtomicUsize,
    /// The last words for a client dropped as too slow (see
    /// [`Outbox::farewell`]): set once, read by the writer.
    farewell: OnceLock<Line>,
}

/// The result of [`Outbox::send`].
#[must_use]
pub enum Sent {
    /// Queued; the writer is awake or already rung.
    Queued,
    /// Queued, and the writer was asleep: ring this doorbell once the state
    /// lock is released.
    Asleep(Arc<Doorbell>),
    /// The queue is full: the client stopped reading (the slow-client policy).
    Full,
    /// The writer is gone (its socket failed); cleanup is on its way.
    Gone,
}

/// What [`Inbox::try_next`] found.
pub enum Queued {
    Item(Item),
    Empty,
    /// The state has dropped the connection and everything queued was taken.
    Closed,
}

/// A new queue of at most `capacity` lines.
pub fn outbox(capacity: usize) -> (Outbox, Inbox) {
    let (sender, receiver) = sync_channel(capacity);
    let doorbell = Arc::new(Doorbell {
        asleep: AtomicBool::new(false),
        writer: OnceLock::new(),
        queued: AtomicUsize::new(0),
        farewell: OnceLock::new(),
    });
    let inbox = Inbox {
        lines: receiver,
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
    /// Queues a line without ever waiting and without waking anyone.
    pub fn send(&self, line: Line) -> Sent {
        self.send_item(Item::Line(line))
    }

    /// Queues any item, as [`Outbox::send`] queues a line.
    pub fn send_item(&self, item: Item) -> Sent {
        let Some(lines) = &self.lines else {
            return Sent::Gone;
        };
        // Counted *before* the send: the writer may take the item (and take
        // one off) before this thread runs again, and the count must never
        // go below zero. A refused send gives its one back.
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
        // The sender's half of the handshake: sent, then look.
        fence(Ordering::SeqCst);
        if self.doorbell.asleep.swap(false, Ordering::SeqCst) {
            Sent::Asleep(Arc::clone(&self.doorbell))
        } else {
            Sent::Queued
        }
    }
}

impl Outbox {
    /// How many items wait in the queue (for `STATS`; see [`Doorbell`]).
    pub fn queued(&self) -> usize {
        self.doorbell.queued.load(Ordering::Relaxed)
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
    /// The state dropped this connection: wake its writer so it sees the
    /// closed channel, writes what is left and closes the socket.
    fn drop(&mut self) {
        // Close the channel *before* ringing: a writer woken while the sender
        // still existed would find the queue merely empty and park again,
        // this time for ever.
        drop(self.lines.take());
        self.doorbell.asleep.store(false, Ordering::SeqCst);
        self.doorbell.ring();
    }
}

impl Doorbell {
    /// Wakes the writer (a no-op if it has not started yet: it will look at
    /// the channel before it ever sleeps).
    pub fn ring(&self) {
        if let Some(writer) = self.writer.get() {
            writer.unpark();
        }
    }
}

impl Inbox {
    /// Waits for the next item: `None` once the state has dropped the
    /// connection and everything queued has been taken. Must be called from
    /// the writer thread, the only one that parks on this doorbell.
    pub fn next(&self) -> Option<Item> {
        let item = self.wait();
        if item.is_some() {
            self.taken();
        }
        item
    }

    /// [`Inbox::next`] before the item is counted off.
    fn wait(&self) -> Option<Item> {
        let doorbell = &self.doorbell;
        doorbell.writer.get_or_init(thread::current);
        loop {
            match self.lines.try_recv() {
                Ok(line) => return Some(line),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {}
            }
            // The writer's half of the handshake: announce, then look again.
            doorbell.asleep.store(true, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            match self.lines.try_recv() {
                Ok(line) => {
                    doorbell.asleep.store(false, Ordering::SeqCst);
                    return Some(line);
                }
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {
                    thread::park();
                    // Before looking, let whoever else is ready run: when the
                    // CPU is busy, that is the readers bringing more lines
                    // in, and this writer then takes them all in one batch
                    // instead of one line per wake-up. When nothing else is
                    // ready, the yield returns at once. (A sender may still
                    // ring meanwhile, seeing `asleep`: harmless, the next
                    // `park` then returns at once and the loop looks again.)
                    // See "Letting the work pile up" above.
                    thread::yield_now();
                    // Rung, or woken for no reason (`park` allows that): either
                    // way awake now, and the loop looks again.
                    doorbell.asleep.store(false, Ordering::SeqCst);
                }
            }
        }
    }

    /// The last words set by [`Outbox::farewell`], if any: the writer
    /// then stops sending the queue and sends these instead.
    pub fn farewell(&self) -> Option<Line> {
        self.doorbell.farewell.get().cloned()
    }

    /// The next item if one is already queued, without waiting: how a writer
    /// gathers a batch.
    pub fn try_next(&self) -> Queued {
        match self.lines.try_recv() {
            Ok(item) => {
                self.taken();
                Queued::Item(item)
            }
            Err(TryRecvError::Empty) => Queued::Empty,
            Err(TryRecvError::Disconnected) => Queued::Closed,
        }
    }

    /// One item left the queue (see [`Doorbell`]'s count).
    fn taken(&self) {
        self.doorbell.queued.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_sleeping_writer_is_reported_once_and_woken_by_the_ring() {
        let (outbox, inbox) = outbox(4);
        let writer = thread::spawn(move || {
            let mut got = Vec::new();
            while let Some(Item::Line(line)) = inbox.next() {
                got.push(line.to_string());
            }
            got
        });
        // Wait until the writer has parked on the empty queue.
        while !outbox.doorbell.asleep.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(1));
        }
        let Sent::Asleep(doorbell) = outbox.send(Arc::from("one\n")) else {
            panic!("the writer was asleep, the sender must be told")
        };
        // Until it is rung, a second line finds it "already rung".
        assert!(matches!(outbox.send(Arc::from("two\n")), Sent::Queued));
        doorbell.ring();
        drop(outbox);
        assert_eq!(writer.join().unwrap(), ["one\n", "two\n"]);
    }

    #[test]
    fn dropping_the_outbox_ends_a_parked_writer() {
        // Many times, so that the writer is caught at every point of going
        // to sleep; a lost wake-up would hang here.
        for _ in 0..2_000 {
            let (outbox, inbox) = outbox(4);
            let writer = thread::spawn(move || while inbox.next().is_some() {});
            drop(outbox);
            writer.join().unwrap();
        }
    }

    #[test]
    fn the_queue_counts_what_waits_in_it() {
        let (outbox, inbox) = outbox(2);
        assert_eq!(outbox.queued(), 0);
        assert!(matches!(outbox.send(Arc::from("a")), Sent::Queued));
        assert!(matches!(outbox.send(Arc::from("b")), Sent::Queued));
        assert!(matches!(outbox.send(Arc::from("c")), Sent::Full));
        assert_eq!(outbox.queued(), 2);
        assert!(inbox.next().is_some());
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
    fn a_full_queue_and_a_gone_writer_are_told_apart() {
        let (outbox, inbox) = outbox(1);
        assert!(matches!(outbox.send(Arc::from("a")), Sent::Queued));
        assert!(matches!(outbox.send(Arc::from("b")), Sent::Full));
        drop(inbox);
        assert!(matches!(outbox.send(Arc::from("c")), Sent::Gone));
    }

    #[test]
    fn no_line_is_ever_stranded_with_its_writer_asleep() {
        // Many senders racing a writer that keeps falling asleep: if the
        // handshake could lose a ring, the writer would park for ever with
        // lines queued and this test would hang (the harness times it out).
        let (outbox, inbox) = outbox(64);
        let outbox = Arc::new(outbox);
        let writer = thread::spawn(move || {
            let mut count = 0;
            while inbox.next().is_some() {
                count += 1;
            }
            count
        });
        let senders: Vec<_> = (0..4)
            .map(|_| {
                let outbox = Arc::clone(&outbox);
                thread::spawn(move || {
                    let mut sent = 0;
                    while sent < 20_000 {
                        match outbox.send(Arc::from("x")) {
                            Sent::Asleep(doorbell) => {
                                doorbell.ring();
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
        drop(outbox);
        assert_eq!(writer.join().unwrap(), 80_000);
    }
}
