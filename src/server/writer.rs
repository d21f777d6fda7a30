//! One connection's writer thread: it moves the lines queued for this client
//! to its socket, so that no other thread ever waits on this client's
//! socket.
//!
//! **Batching, and what it costs.** A writer runs only when there is
//! something to write, and then writes everything queued by that moment with
//! one `write()`: the batch size comes from the work (lines pile up while the
//! writer waits for the CPU or sits in a `write()`), not from a timer. What makes
//! that cheap at 1,000 clients is *when* writers are woken: after the state
//! lock is released, through a doorbell beside each queue
//! ([`super::outbox`]). Woken inside `try_send`, under the lock, they capped
//! the server below 200 messages a second into a 1,000-member room, with a
//! p99 of seconds (`chat_bench fanout --clients 1000 --senders 10 --rate
//! 200`, release build, 2 cores: 33 s before, 36-43 ms after).
//!
//! Tried and rejected:
//! - The first design's busy writer that slept a 15 ms window between writes:
//!   a timer per connection, so 66,000 wake-ups a second at 1,000
//!   connections whatever the message rate (111 % CPU at 20 msg/s).
//! - Writers in a lower scheduling class, so readers get the CPU first. The
//!   idle class (`SCHED_IDLE`) saved a sixth of the CPU at 1,000 clients and
//!   200 msg/s (5.9 against 7.1 µs per delivery, same p99), but three
//!   clients flooding with flood control off then starved every writer: a
//!   watcher received 0 lines in 10 s and was dropped as a slow client
//!   (`kill_9_during_traffic…` in tests/server_history.rs). Nice 19 starved
//!   the same way; nice 5 gained nothing over the normal class. Fair shares
//!   it is: a writer woken after the lock is released is cheap enough.

use crate::server::outbox::{Inbox, Queued};
use std::io::Write;
use std::net::{Shutdown, TcpStream};

/// The most bytes a writer puts into one `write()`: enough to amortise the
/// system call over hundreds of lines, small enough not to hoard memory.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// A batch buffer that grew past this is freed after its write, so a
/// connection that had one burst does not keep a burst-sized buffer for ever.
const KEEP_BATCH_BYTES: usize = 4 * 1024;

/// Moves queued lines to the socket until the queue's sender is dropped (the
/// connection was removed from the state) or the socket fails; then closes
/// the socket, which also wakes this connection's reader.
///
/// **Cost follows the work.** The writer waits on its queue and runs only
/// when a line arrives: an idle connection costs nothing, however many there are.
/// When it wakes it takes *everything* that is queued by then and hands it to
/// the kernel in one `write()`. No timer decides the batch size; the work
/// does. On a quiet server the writer wakes at once and a batch is one line.
/// On a busy one, lines pile up while the writer waits for the CPU or sits in
/// a `write()`, and the next batch carries them all: the busier the server,
/// the fewer system calls per line.
///
/// **No wake-up under the lock.** The writer waits on its [`Inbox`], which
/// parks the thread and has senders ring it only after they have released
/// the state lock (see [`super::outbox`]).
///
/// **Memory.** The batch buffer is freed after every write larger than
/// [`KEEP_BATCH_BYTES`], so an idle connection keeps no burst-sized buffer,
/// and a single queued line is written straight from its `Arc<str>` without
/// being copied at all.
pub(super) fn writer_loop(stream: &TcpStream, inbox: Inbox) {
    let mut batch: Vec<u8> = Vec::new();
    while let Some(first) = inbox.next() {
        let mut sender_gone = false;
        let written = match inbox.try_next() {
            // The common case on a quiet server: one line, no copy.
            Queued::Empty => (&*stream).write_all(first.as_bytes()),
            second => {
                batch.extend_from_slice(first.as_bytes());
                match second {
                    Queued::Line(line) => {
                        batch.extend_from_slice(line.as_bytes());
                        sender_gone = drain(&inbox, &mut batch);
                    }
                    _ => sender_gone = true,
                }
                let written = (&*stream).write_all(&batch);
                batch.clear();
                if batch.capacity() > KEEP_BATCH_BYTES {
                    batch = Vec::new();
                }
                written
            }
        };
        if written.is_err() || sender_gone {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Moves what is queued into `batch`, up to [`MAX_BATCH_BYTES`]. Returns true
/// when the queue's sender is gone (nothing more will ever come).
fn drain(inbox: &Inbox, batch: &mut Vec<u8>) -> bool {
    while batch.len() < MAX_BATCH_BYTES {
        match inbox.try_next() {
            Queued::Line(line) => batch.extend_from_slice(line.as_bytes()),
            Queued::Empty => return false,
            Queued::Closed => return true,
        }
    }
    false
}
