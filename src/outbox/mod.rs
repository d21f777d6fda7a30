//! One connection's outbox: the bounded queue of lines waiting for its
//! client, and who writes them.
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
//! costs more than the `write()` itself. With `direct_send` on (the
//! default) the first sender to queue a line for a client nobody is writing
//! for writes the queue itself once the state lock is released, with a
//! `send()` that never waits; only a full socket needs the writer, which is
//! then started for the backlog. With `direct_send = false` every line
//! takes the card's path.
//!
//! The parts: the senders' side ([`send`]), whose turn it is to write
//! ([`doorbell`]), the writer's side ([`inbox`]), what travels in the queue
//! ([`item`]), how it becomes bytes ([`write`](mod@write)) and where they go
//! ([`sink`]). Why each choice, with the figures that chose it:
//! `docs/design.md`, "Who writes" and "Threads that are reused, and a
//! writer only for a backlog".

pub mod doorbell;
pub mod inbox;
pub mod item;
pub mod send;
pub mod sink;
pub mod write;

pub use doorbell::{Doorbell, GivenBack, Holder, Queue, Queued};
pub use inbox::Inbox;
pub use item::{Batch, Item, Line, Raw, CHANNEL_SLOTS};
pub use send::{Outbox, Sent, Turns};
pub use sink::Sink;
pub use write::{writer_loop, Ended, Framing};

use doorbell::{WriterSlot, NOBODY, THE_WRITER};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

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

/// A new queue of at most `capacity` lines for the client behind `sink`,
/// whose writer thread the caller starts now and keeps for the
/// connection's life (the design card's); `direct` is the `direct_send`
/// setting (see the module notes).
pub fn outbox(capacity: usize, sink: Arc<dyn Sink>, direct: bool) -> (Outbox, Inbox) {
    new_outbox(capacity, sink, direct, None)
}

/// A queue with the fast path on whose writer is started by
/// `start_writer` only when the client has a backlog (see [`inbox`]). The
/// caller keeps the [`Inbox`] for the end: [`Inbox::claim`].
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
