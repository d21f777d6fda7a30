//! What travels in a connection's queue: chat lines, the few raw frames a
//! browser's connection needs, and the batch that lets a small channel hold
//! a long backlog.
//!
//! A line is formatted once and shared by every recipient's queue as an
//! `Arc<str>`, so a broadcast to a thousand members is one allocation and a
//! thousand pointer copies. An item is at most a pointer and a tag (24
//! bytes), because `sync_channel` allocates all its slots when it is made.
//! That is also why the channel has only [`CHANNEL_SLOTS`] of them: a
//! client who keeps up never uses more than a few, and one who falls behind
//! should cost memory as the backlog grows, not up front. When one slot is
//! left, the item that takes it is a [`Batch`], and the following lines
//! join it until the holder of the turn takes it; `queue_len` still bounds
//! the lines waiting (`Outbox::send_item` counts them), so the slow-client
//! policy is unchanged.

use std::sync::{Arc, Mutex, MutexGuard};

/// Slots of a connection's channel, allocated when it is made (24 bytes
/// each). Lines beyond them wait in a [`Batch`] in the last one, up to
/// `queue_len` lines in all.
pub const CHANNEL_SLOTS: usize = 16;

/// A chat line, formatted once and shared, never copied, by every
/// recipient's queue.
pub type Line = Arc<str>;

/// What travels to a writer: almost always a [`Line`]; for a browser's
/// connection also the few things that are not chat lines.
///
/// The raw items are boxed so that an item is a line and a tag (24 bytes):
/// a queue's slots are allocated up front, [`CHANNEL_SLOTS`] of them per
/// client, and a line is what fills them.
pub enum Item {
    Line(Line),
    Raw(Box<Raw>),
    /// Items that wait together in the channel's last free slot.
    Batch(Arc<Batch>),
}

/// Items queued while the channel had one free slot left: they share that
/// slot, and the next ones join them until the holder of the turn takes
/// the batch (see the module notes). Its lock is held only to add one item
/// or to take them all, never across a write.
pub struct Batch(Mutex<BatchItems>);

struct BatchItems {
    items: Vec<Item>,
    /// Taken by the holder of the turn: later items go to the channel.
    taken: bool,
}

impl Batch {
    fn lock(&self) -> MutexGuard<'_, BatchItems> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new batch holding `item`.
    pub(super) fn starting_with(item: Item) -> Batch {
        Batch(Mutex::new(BatchItems {
            items: vec![item],
            taken: false,
        }))
    }

    /// Adds `item`, unless the batch was taken already (then it is given back).
    pub(super) fn join(&self, item: Item) -> Result<(), Item> {
        let mut batch = self.lock();
        match batch.taken {
            true => Err(item),
            false => {
                batch.items.push(item);
                Ok(())
            }
        }
    }

    /// Takes every item; later ones must go elsewhere.
    pub(super) fn take_all(&self) -> Vec<Item> {
        let mut batch = self.lock();
        batch.taken = true;
        std::mem::take(&mut batch.items)
    }
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
