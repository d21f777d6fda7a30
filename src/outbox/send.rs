//! The senders' side of a connection's outbox: queueing a line without
//! ever waiting, and the turns to write a sender is given.
//!
//! Senders hold the state's lock while they queue, so a send takes
//! `&mut Outbox`: the lock already makes them take turns, and the borrow
//! checker says so. A send counts the line first (`queue_len` lines waiting
//! is the slow-client policy: [`Sent::Full`]), puts it in the channel (in a
//! slot of its own, or in the batch in the last slot: [`super::item`]), and
//! then tries to take the turn to write ([`super::doorbell`]). A sender
//! given the turn writes once the lock is released, through [`Turns`].

use super::doorbell::{Doorbell, A_SENDER, NOBODY, THE_WRITER};
use super::{write, Batch, Item, Line, Sink, CHANNEL_SLOTS};
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;

/// The sending side, kept in the state.
pub struct Outbox {
    /// `None` only while being dropped (see `Drop`).
    pub(super) lines: Option<SyncSender<Item>>,
    pub(super) doorbell: Arc<Doorbell>,
    /// `queue_len`: the most items that may wait for this client.
    pub(super) capacity: usize,
    /// The batch in the channel that new items join, until it is taken.
    /// Only senders touch it, and a send takes `&mut self`: the state's
    /// lock already makes senders take turns, so it needs no lock of its own.
    pub(super) open: Option<Arc<Batch>>,
}

/// The result of [`Outbox::send_item`].
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

/// The clients whose turn a thread was given while it queued lines under
/// the state lock ([`Sent::YourTurn`]). The state hands them back when it
/// is unlocked; the thread then calls [`Turns::write`]: it writes for each
/// (or, without `direct_send`, wakes each writer), after the lock is gone.
#[must_use = "a turn not written leaves its lines waiting: call write()"]
#[derive(Default)]
pub struct Turns(Vec<Arc<Doorbell>>);

impl Turns {
    /// Adds a turn given by [`Outbox::send_item`].
    pub fn push(&mut self, doorbell: Arc<Doorbell>) {
        self.0.push(doorbell);
    }

    /// Room for `more` turns, in one allocation (see `chat::state`).
    pub fn reserve(&mut self, more: usize) {
        self.0.reserve(more);
    }

    /// Takes over the turns in `other`: its very list when this one is
    /// empty, as it nearly always is.
    pub fn append(&mut self, mut other: Turns) {
        match self.0.is_empty() {
            true => std::mem::swap(&mut self.0, &mut other.0),
            false => self.0.append(&mut other.0),
        }
    }

    /// Writes for every client in the list (or wakes its writer), and
    /// leaves the list empty. The state lock must not be held: this is a
    /// system call per client. The list's memory goes too: a reader keeps
    /// its list as long as its connection, and kept, one broadcast to a big
    /// room would leave every idle member's reader holding a pointer's room
    /// for every other member (the state starts a new list for each lock
    /// anyway, so nothing is saved by keeping it).
    pub fn write(&mut self) {
        if !self.0.is_empty() {
            write::write_turns(&self.0);
            self.0 = Vec::new();
        }
    }
}

#[cfg(test)]
impl Turns {
    /// How many turns the list has room for.
    pub fn room(&self) -> usize {
        self.0.capacity()
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

    /// Queues an item (a line, or raw bytes) without ever waiting and without
    /// writing anything.
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

    /// The connection's socket, to ask with no lock held whether its
    /// client has closed its end (see `State::name_holder`).
    pub fn far_end(&self) -> Arc<dyn Sink> {
        Arc::clone(&self.doorbell.sink)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::sink::MemorySink;
    use crate::outbox::{outbox, Inbox, Queued};

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
