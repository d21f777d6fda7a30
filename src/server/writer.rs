//! One connection's writer thread: it moves the lines queued for this client
//! to its socket, so that no other thread ever waits on this client's
//! socket. It paces itself under load (see [`writer_loop`]).
//!
//! This is the first writer design; its algorithm is described, with its
//! costs, in the README's "How fast is it?".

use crate::server::connection::ServerContext;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The most bytes a writer puts into one `write()`: enough to amortise the
/// system call over hundreds of lines, small enough not to hoard memory.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// Moves queued lines to the socket until the queue's sender is dropped (the
/// connection was removed from the state) or the socket fails; then closes
/// the socket, which also wakes this connection's reader.
///
/// **Pacing under load.** Waking a thread and making a `write()` system call
/// cost microseconds each (on loopback, `write()` even runs the receiving
/// side of TCP), so a server that writes every line on its own, from a thread
/// woken for it, spends its time on overhead rather than bytes. So the writer
/// has two gears:
/// - **Quiet:** it blocks in `recv()`; the first line that arrives is written
///   at once, so a person typing in a quiet room sees no delay at all.
/// - **Busy:** after a write it sleeps for [`coalesce_window`] before looking
///   again, and writes everything that arrived meanwhile with one `write()`.
///   While it sleeps it is not waiting on the queue, so the senders'
///   `try_send` has no thread to wake: queueing costs them almost nothing.
///   When a window passes with nothing new, it goes back to quiet.
///
/// The price is latency under load: at most one window (15 µs per
/// connection: 1.5 ms at 100, at most 15 ms), far below what a person
/// notices.
pub(super) fn writer_loop(stream: &TcpStream, inbox: Receiver<Arc<str>>, context: &ServerContext) {
    let mut batch: Vec<u8> = Vec::new();
    // Quiet gear: wait for the next line, however long it takes.
    'quiet: while let Ok(line) = inbox.recv() {
        batch.extend_from_slice(line.as_bytes());
        drop(line);
        // Busy gear: write, pause, and repeat while lines keep coming.
        let mut last_line = Instant::now();
        loop {
            let sender_gone = drain(&inbox, &mut batch);
            if batch.is_empty() {
                if last_line.elapsed() >= BUSY_LINGER {
                    break; // quiet for a while: back to the quiet gear
                }
            } else {
                if (&*stream).write_all(&batch).is_err() {
                    break 'quiet;
                }
                batch.clear();
                last_line = Instant::now();
            }
            if sender_gone {
                break 'quiet;
            }
            thread::sleep(coalesce_window(
                context.live_writers.load(Ordering::Relaxed),
            ));
        }
        if batch.capacity() > 2 * MAX_BATCH_BYTES {
            batch = Vec::new(); // an idle connection should not keep a burst's buffer
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Moves what is queued into `batch`, up to [`MAX_BATCH_BYTES`]. Returns true
/// when the queue's sender is gone (nothing more will ever come).
fn drain(inbox: &Receiver<Arc<str>>, batch: &mut Vec<u8>) -> bool {
    while batch.len() < MAX_BATCH_BYTES {
        match inbox.try_recv() {
            Ok(line) => batch.extend_from_slice(line.as_bytes()),
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => return true,
        }
    }
    false
}

/// How long a busy writer waits between writes: [`COALESCE_PER_CONNECTION`]
/// for each connection the server has, at most [`MAX_COALESCE`]. Every
/// wake-up and `write()` costs CPU and the whole server pays for all of them,
/// so the window grows with the number of writers: with N busy writers each
/// writing at most once per window, the server makes at most about
/// N / window writes a second, however fast messages come. Up to 1,000
/// connections that is about 66,000 (100 → 1.5 ms, 1,000 → 15 ms); above,
/// the window stays at 15 ms and the ceiling grows with N (2,000
/// connections → about 133,000). Chosen by measuring with
/// `chat_bench` (see the README's "How fast is it?"): smaller windows cost
/// more CPU than two cores have at 1,000 clients; larger ones add latency.
pub fn coalesce_window(connections: usize) -> Duration {
    let connections = u32::try_from(connections).unwrap_or(u32::MAX);
    COALESCE_PER_CONNECTION
        .saturating_mul(connections)
        .min(MAX_COALESCE)
}

/// See [`coalesce_window`].
pub const COALESCE_PER_CONNECTION: Duration = Duration::from_micros(15);

/// How long a busy writer keeps pacing after its last line before it goes
/// back to blocking in `recv()`. Going quiet is what makes the next line
/// expensive: waking a blocked writer is a system call that the *sender* pays,
/// while holding the state lock. A room with a message every few hundred
/// milliseconds therefore keeps its writers in the busy gear.
pub const BUSY_LINGER: Duration = Duration::from_millis(250);

/// The longest a line can be held back by coalescing.
pub const MAX_COALESCE: Duration = Duration::from_millis(15);
