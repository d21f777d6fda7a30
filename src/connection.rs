//! One connection's life: a reader thread, a writer thread, and a cleanup
//! guard.
//!
//! ```text
//!   socket ──read──▶ reader thread ──lock──▶ State ──try_send──▶ queues of
//!                    (framing, parsing,        (acts, renders)     everyone
//!                     flood control)                               concerned
//!   socket ◀─write── writer thread ◀──recv── this connection's queue
//! ```
//!
//! **Why two threads per connection?** Reading and writing must not wait for
//! each other. The reader spends its life blocked in `read()` until this
//! client types; the writer spends its life blocked in `recv()` until someone
//! sends this client something, and then may block in `write()` for as long
//! as the client is slow to read. If the reader wrote replies itself, a client
//! that stops reading would freeze the thread that serves its commands; if the
//! sender of a room message wrote to every member's socket, one slow member
//! would freeze the sender, and with the state lock held, everyone.
//!
//! **Why a bounded queue?** The queue between the state and the writer is a
//! `sync_channel(queue_len)`: a client that never reads can hold at most
//! `queue_len` lines of the server's memory. Senders only ever `try_send`;
//! when the queue is full the client is disconnected (see [`crate::state`]).
//!
//! **Batching.** A writer that wakes up to find many lines queued (a busy room)
//! writes them all with one `write()` system call instead of one call each —
//! the single biggest cost at high message rates.
//!
//! **Cleanup.** The reader owns a [`Cleanup`] guard whose `Drop` removes the
//! connection from the state, so it happens on every way out of the reader:
//! end of stream, an error, `QUIT`, and even a panic.

use crate::command;
use crate::config::ServerConfig;
use crate::event::{Event, Refusal};
use crate::framing::{Frame, LineFramer};
use crate::ratelimit::TokenBucket;
use crate::render::render;
use crate::state::{self, ConnId, Flow, SharedState};
use crate::{http_page, log};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Stack sizes, set explicitly. Rust's default is 2 MiB per thread; with two
/// threads per connection, 10,000 connections would reserve 40 GB of address
/// space. Only the pages a thread actually touches cost memory, and these
/// threads are shallow: the reader parses, renders and appends one history
/// line, the writer only moves bytes. Measured with `/proc/<pid>/smaps` on
/// 2,000 idle connections, a reader touches 3 pages (12 KiB: the thread's
/// control block, its frames, the 4 KiB read buffer) and a writer 2 (8 KiB).
/// 128 KiB and 64 KiB leave a wide margin over that (a debug build, which
/// uses several times more stack, runs the whole test suite on them) while
/// 10,000 connections reserve under 2 GB.
pub const READER_STACK_BYTES: usize = 128 * 1024;
pub const WRITER_STACK_BYTES: usize = 64 * 1024;

/// How long a new connection's greeting is held back. Browsers speak first
/// (`GET / HTTP/1.1`), people and `nc` do not: waiting a quarter of a second
/// lets the server tell them apart, and a person never notices it.
pub const GREETING_DELAY: Duration = Duration::from_millis(250);

/// Bytes asked for per `read()`: a few lines of typing, or many lines of a
/// program's burst.
const READ_CHUNK_BYTES: usize = 4096;

/// The most bytes a writer puts into one `write()`: enough to amortise the
/// system call over hundreds of lines, small enough not to hoard memory.
const MAX_BATCH_BYTES: usize = 64 * 1024;

/// What every connection thread needs from the server.
pub struct ServerContext {
    pub state: SharedState,
    pub config: ServerConfig,
    /// The plain-text page a web browser gets (see [`crate::http_page`]).
    pub http_response: String,
    /// Writer threads still running; shutdown waits for them to finish.
    pub live_writers: AtomicUsize,
}

/// Takes a freshly accepted socket: admits it to the state (or refuses it
/// with one `ERROR` line) and starts its two threads.
pub fn start(context: &Arc<ServerContext>, stream: TcpStream, addr: SocketAddr) {
    // Lines are batched by the writer, so Nagle's algorithm would only add
    // latency (up to 40 ms, waiting for ACKs) without saving packets.
    let _ = stream.set_nodelay(true);
    let stream = Arc::new(stream);
    let (outbox, inbox) = sync_channel(context.config.queue_len);
    let admitted = state::lock(&context.state).admit(addr, Arc::clone(&stream), outbox);
    let id = match admitted {
        Ok(id) => id,
        Err(refusal) => {
            log!(
                "Refused connection from {addr}: {}",
                crate::render::refusal_text(&refusal, command::Mode::Protocol)
            );
            // A fresh socket's send buffer is empty: this short write cannot block.
            let _ = (&*stream)
                .write_all(render(&Event::Refused(refusal), command::Mode::Protocol).as_bytes());
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    };
    log!("Accepted connection from: {addr}");

    context.live_writers.fetch_add(1, Ordering::SeqCst);
    let writer_context = Arc::clone(context);
    let writer_stream = Arc::clone(&stream);
    let writer = thread::Builder::new()
        .stack_size(WRITER_STACK_BYTES)
        .spawn(move || {
            writer_loop(&writer_stream, inbox, &writer_context);
            writer_context.live_writers.fetch_sub(1, Ordering::SeqCst);
        });
    if let Err(error) = writer {
        context.live_writers.fetch_sub(1, Ordering::SeqCst);
        log!("Cannot start a thread for {addr}: {error}");
        state::lock(&context.state).disconnect(id, "no thread available");
        return;
    }
    let reader_context = Arc::clone(context);
    let reader = thread::Builder::new()
        .stack_size(READER_STACK_BYTES)
        .spawn(move || reader_loop(&reader_context, id, addr, &stream));
    if let Err(error) = reader {
        log!("Cannot start a thread for {addr}: {error}");
        // Removing the connection drops its queue, which ends the writer.
        state::lock(&context.state).disconnect(id, "no thread available");
    }
}

/// Removes the connection from the state when the reader ends, however it
/// ends.
struct Cleanup<'a> {
    state: &'a SharedState,
    id: ConnId,
    reason: &'static str,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.reason = "internal error (panic)";
        }
        state::lock(self.state).disconnect(self.id, self.reason);
    }
}

/// Everything the reader tracks about its client between reads.
struct Reader<'a> {
    context: &'a ServerContext,
    id: ConnId,
    greeted: bool,
    registered: bool,
    flood: TokenBucket,
    /// Already told "Slow down" for the current burst: the error is sent once
    /// per burst, so a flood cannot make the server flood back.
    throttled: bool,
}

fn reader_loop(context: &ServerContext, id: ConnId, addr: SocketAddr, stream: &TcpStream) {
    let mut cleanup = Cleanup {
        state: &context.state,
        id,
        reason: "connection closed",
    };
    let config = &context.config;
    let register_deadline = Instant::now() + Duration::from_secs(config.register_timeout_secs);
    let mut reader = Reader {
        context,
        id,
        greeted: false,
        registered: false,
        flood: TokenBucket::new(config.rate_per_sec, config.rate_burst, Instant::now()),
        throttled: false,
    };
    let mut framer = LineFramer::new(config.max_line_bytes);
    let mut frames = Vec::new();
    let mut buffer = [0u8; READ_CHUNK_BYTES];
    let mut current_timeout = None;
    loop {
        // Until registered, reads wait at most until the registration
        // deadline (and, before the greeting, at most GREETING_DELAY).
        let timeout = if reader.registered {
            None
        } else {
            let left = register_deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                state::lock(&context.state).refuse(id, Refusal::RegistrationTimeout);
                cleanup.reason = "registration timeout";
                return;
            }
            Some(if reader.greeted {
                left
            } else {
                left.min(GREETING_DELAY)
            })
        };
        if timeout != current_timeout {
            if stream.set_read_timeout(timeout).is_err() {
                cleanup.reason = "socket error";
                return;
            }
            current_timeout = timeout;
        }
        match (&*stream).read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => framer.push(&buffer[..n], &mut frames),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if !reader.greeted {
                    reader.greeted = true;
                    state::lock(&context.state).greet(id);
                }
                continue;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => {
                cleanup.reason = "connection reset";
                return;
            }
        }
        for frame in frames.drain(..) {
            if !reader.greeted {
                reader.greeted = true;
                if let Frame::Line(line) = &frame {
                    if http_page::looks_like_http_request(line) {
                        log!("Answered a web browser at {addr} with how to connect");
                        let answer = http_page::answer(line, &context.http_response);
                        state::lock(&context.state).answer_and_close(id, answer);
                        cleanup.reason = "web browser";
                        return;
                    }
                }
                state::lock(&context.state).greet(id);
            }
            match reader.handle(frame) {
                Flow::Continue => {}
                Flow::Close => {
                    cleanup.reason = "closed by server";
                    return;
                }
                Flow::Pause(delay) => thread::sleep(delay),
            }
        }
    }
}

impl Reader<'_> {
    /// One frame: flood control, UTF-8, parse, act.
    fn handle(&mut self, frame: Frame) -> Flow {
        let config = &self.context.config;
        let line = match frame {
            Frame::TooLong => {
                let refusal = Refusal::LineTooLong(config.max_line_bytes);
                state::lock(&self.context.state).refuse(self.id, refusal);
                return Flow::Continue;
            }
            Frame::Line(line) => line,
        };
        if !self.flood.try_take(Instant::now()) {
            if !self.throttled {
                self.throttled = true;
                let refusal = Refusal::SlowDown(config.rate_per_sec);
                log!(
                    "Flood control: connection {} sends more than {} lines/s",
                    self.id,
                    config.rate_per_sec
                );
                state::lock(&self.context.state).refuse(self.id, refusal);
            }
            return Flow::Continue;
        }
        self.throttled = false;
        let Ok(text) = String::from_utf8(line) else {
            state::lock(&self.context.state).refuse(self.id, Refusal::NotUtf8);
            return Flow::Continue;
        };
        if text.trim().is_empty() {
            return Flow::Continue; // a line of spaces is an empty line
        }
        let mut state = state::lock(&self.context.state);
        if !self.registered {
            let dialect = if text.starts_with('/') {
                command::Mode::Chat
            } else {
                command::Mode::Protocol
            };
            state.note_dialect(self.id, dialect);
        }
        let command = command::parse(&text, state.mode(self.id));
        let flow = state.apply(self.id, command);
        if !self.registered {
            self.registered = state.mode(self.id).is_some();
        }
        flow
    }
}

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
fn writer_loop(stream: &TcpStream, inbox: Receiver<Arc<str>>, context: &ServerContext) {
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
/// N / window = 66,000 writes a second, however fast messages come.
/// 100 connections → 1.5 ms, 1,000 → 15 ms. Chosen by measuring with
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
