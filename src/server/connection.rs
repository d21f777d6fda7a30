//! One connection's life: a reader thread, a writer thread, and a cleanup
//! guard.
//!
//! ```text
//!   socket ──read──▶ reader thread ──lock──▶ State ──try_send──▶ queues of
//!                    (framing, parsing,        (acts, renders)     everyone
//!                     flood control)                               concerned
//!                         │ after unlocking: send() that never waits,
//!                         └────────▶ the sockets of those nobody was writing for
//!   socket ◀─write── writer thread ◀── this connection's queue, when its
//!                                      socket was full
//! ```
//!
//! **Why two threads per connection?** Reading and writing must not wait for
//! each other. The reader spends its life blocked in `read()` until this
//! client types; the writer spends its life parked, and is woken only when
//! this client's socket is full (see [`super::outbox`], "Who writes"), to
//! block in `write()` for as long as the client is slow to read. Lines to a
//! client who keeps up are written by whichever reader queued them, with a
//! `send()` that never waits, after the state lock is released. If any
//! thread but the writer waited on a socket, a client that stops reading
//! would freeze it: the reader serving its own commands, or the sender of a
//! room message, and with the state lock held, everyone.
//!
//! **Why a bounded queue?** The queue between the state and the writer is a
//! `sync_channel(queue_len)`: a client that never reads can hold at most
//! `queue_len` lines of the server's memory. Senders only ever `try_send`;
//! when the queue is full the client is disconnected (see [`crate::chat::state`]).
//!
//! **The reader owns its connection.** It frames bytes into lines, applies
//! flood control, checks UTF-8, guesses the dialect of an unregistered
//! client's line (a first line of IRC hands the connection to
//! [`super::irc_conn`], and no greeting is sent) and parses it, all without the state lock; it then takes the
//! lock once per accepted command, for the state change and the queueing
//! ([`State::apply`](crate::chat::state::State::apply), which also says
//! whether the client is now registered). Refusals of bad lines (too long,
//! too fast, not UTF-8) still take the lock to be queued: the state holds the
//! connection's only queue sender, because dropping it is what tells the
//! writer (and so the socket) that the connection is over.
//!
//! **A web browser** is told apart by its first line, an HTTP request line
//! (see [`http_page`]); from there [`websocket_conn`] takes over: it reads
//! the whole request, answers it, and after a WebSocket upgrade turns the
//! browser's frames into the lines this reader handles.
//!
//! **The writing** is in [`super::write_now`] (a reader writing what it
//! queued, up to [`LINES_PER_WRITE`] lines of one read at a time) and
//! [`super::writer`] (the writer thread, for a full socket).
//!
//! **Cleanup.** The reader owns a [`Cleanup`] guard whose `Drop` removes the
//! connection from the state, so it happens on every way out of the reader:
//! end of stream, an error, `QUIT`, and even a panic.
//!
//! **Memory per idle connection: 50.8 KiB** at the default `queue_len`
//! (1,024), 38.8 KiB at 512, KiB by KiB (measured on
//! 2026-12-02 with `/proc/<pid>/smaps` and `/proc/<pid>/pagemap`: 1,000
//! members of one room, a second after the join burst, release build, glibc
//! 2.36, x86-64; `chat_bench idle --clients 1000 --room-size 1000` said
//! 38.8–39.0, and 37.7 with `--clients 5000 --room-size 100`; before this
//! accounting it said 59.8 and 58.6):
//! - reader stack, 8 KiB, two pages. The top page is glibc's thread control
//!   block and thread-local storage: the first frame starts 4.3 KiB below
//!   the top, so no thread can do with one page. The second holds the start
//!   frames and `reader_loop`. The join burst touches two more (16 KiB in
//!   all); a reader idle for a second gives them back
//!   ([`crate::support::stack`]), and waits in a read of [`IDLE_READ_BYTES`]:
//!   the 4 KiB read buffer lives in [`read_once`]'s frame, below
//!   `reader_loop`, among the pages given back. An idle reader waits 5.9 KiB
//!   below the top: should `reader_loop`'s own frame grow by 2 KiB, every
//!   idle connection pays a third page.
//! - writer stack, 8 KiB: the control-block page and one page of frames down
//!   to `park()`. It never touched more in the idle measurement, so it
//!   releases nothing (tried: a timed park, to release after a second of
//!   quiet, put a timer on every park for 0 KiB saved).
//! - the queue, 24 KiB: `queue_len` (1,024) slots of 24 bytes, allocated
//!   and touched up front by `sync_channel`; 12 KiB at 512 (see
//!   [`super::outbox`], which says why not fewer). The figures in this list
//!   were taken at 512.
//! - bookkeeping on the heap, 5.7 KiB: the member's entry in the state, its
//!   names, the socket, the queue's and doorbell's shared parts, two thread
//!   handles.
//! - glibc's per-thread caches of freed blocks (`tcache`), 5.1 KiB: each
//!   thread keeps up to seven freed blocks of every small size for itself,
//!   for its whole life (the figure is the difference with
//!   `GLIBC_TUNABLES=glibc.malloc.tcache_count=0`). The writer's share was
//!   larger until its batch buffer stopped growing through those sizes (see
//!   [`super::writer`]).
//!
//! (Measured again on 2026-12-02 after senders began to write for clients
//! who keep up: 50.8 KiB, the same; an IRC client 69.7, see the README.)
//!
//! Why not the 20 KiB once aimed for: two threads are 16 KiB before any
//! frame, the smallest queue that lost nobody under load (512) is 12 KiB
//! more, and the bookkeeping 5.7: 33.7 KiB even with glibc's caches empty.
//! Below that takes fewer threads per connection (an event loop), which std
//! does not offer. Tried and kept out: smaller stack sizes (untouched pages
//! cost nothing; only address space would shrink); `malloc_trim(0)` on the
//! idle server (0.5 KiB per connection).

use crate::chat::sanitize;
use crate::chat::state::{self, ConnId, Flow, Hangup, SharedState};
use crate::config::ServerConfig;
use crate::log;
use crate::server::irc_conn::{self, IrcConn, Opening};
use crate::server::limits::{FloodControl, FloodVerdict};
use crate::server::{http_page, outbox, write_now, writer};
use crate::support::stack;
use crate::wire::command::{self, Dialect};
use crate::wire::event::{Event, Refusal};
use crate::wire::framing::{Frame, LineFramer};
use crate::wire::http_request::MAX_HEAD_BYTES;
use crate::wire::render::render;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Stack sizes, set explicitly. Rust's default is 2 MiB per thread; with two
/// threads per connection, 10,000 connections would reserve 40 GB of address
/// space. Only the pages a thread actually touches cost memory, and these
/// threads are shallow: the reader parses, renders and appends one history
/// line, the writer only moves bytes. 128 KiB and 64 KiB leave a wide margin
/// (a debug build, which uses several times more stack, runs the whole test
/// suite on them) while 10,000 connections reserve under 2 GB.
///
/// What the touched pages are, and what an idle reader gives back: see
/// "Memory per idle connection" at the top of this file.
pub const READER_STACK_BYTES: usize = 128 * 1024;
pub const WRITER_STACK_BYTES: usize = 64 * 1024;

/// How long a new connection's greeting is held back. Browsers speak first
/// (`GET / HTTP/1.1`), people and `nc` do not: waiting a quarter of a second
/// lets the server tell them apart, and a person never notices it.
pub const GREETING_DELAY: Duration = Duration::from_millis(250);

/// Bytes asked for per `read()`: a few lines of typing, or many lines of a
/// program's burst.
const READ_CHUNK_BYTES: usize = 4096;

/// Bytes asked for per `read()` by a reader that has been idle: a typed
/// line usually fits, and the rest of a burst comes with the next, full-size
/// read. Small, because the buffer is on the stack for as long as the read
/// waits, that is, for hours.
const IDLE_READ_BYTES: usize = 256;

/// Lines of one read acted on, at most, before what they queued is written.
/// More would write bigger batches, but while a reader holds the turn to
/// write for a client, other senders' lines to that client wait too: with
/// no limit, three clients flooding with flood control off filled every
/// queue within 20 ms (see `server::write_now`).
const LINES_PER_WRITE: usize = 16;

#[path = "websocket_conn.rs"]
mod websocket_conn;

/// What every connection thread needs from the server.
pub struct ServerContext {
    pub state: SharedState,
    pub config: ServerConfig,
    /// The plain-text help a web browser gets at `/help.txt` (see
    /// [`crate::server::http_page`]).
    pub help_text: String,
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
    let (outbox, inbox) = outbox::outbox(context.config.queue_len, Some(Arc::clone(&stream)));
    let hangup_stream = Arc::clone(&stream);
    let hangup: Hangup = Box::new(move || {
        let _ = hangup_stream.shutdown(Shutdown::Both);
    });
    let admitted = state::lock(&context.state).admit(addr, outbox, hangup);
    let id = match admitted {
        Ok(id) => id,
        Err(refusal) => {
            log!(
                "Refused connection from {addr}: {}",
                crate::wire::render::refusal_text(&refusal, Dialect::Protocol)
            );
            // A fresh socket's send buffer is empty: this short write cannot block.
            let _ = (&*stream)
                .write_all(render(&Event::Refused(refusal), Dialect::Protocol).as_bytes());
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    };
    log!("Accepted connection from: {addr}");

    context.live_writers.fetch_add(1, Ordering::SeqCst);
    let writer_context = Arc::clone(context);
    let writer_stream = Arc::clone(&stream);
    // Named, so that `top -H`, a debugger and `tests/who_writes.rs` can
    // tell the two apart.
    let writer = thread::Builder::new()
        .name("writer".into())
        .stack_size(WRITER_STACK_BYTES)
        .spawn(move || {
            writer::writer_loop(&writer_stream, inbox);
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
        .name("reader".into())
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
    /// The dialect the client registered in, as [`State::apply`] last said;
    /// `None` until it has a name.
    ///
    /// [`State::apply`]: crate::chat::state::State::apply
    registered: Option<Dialect>,
    /// Flood control, and what to say about it (see [`crate::server::limits`]).
    flood: FloodControl,
    /// Set when the first line was IRC (see [`super::irc_conn`]).
    irc: Option<IrcConn>,
    /// A first line `PASS …`, held until the next line says whether it was
    /// IRC's `PASS` or the chat's.
    held_pass: Option<Frame>,
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
        registered: None,
        flood: FloodControl::new(config.rate_per_sec, config.rate_burst, Instant::now()),
        irc: None,
        held_pass: None,
    };
    let mut framer = LineFramer::new(config.max_line_bytes);
    let mut frames = Vec::new();
    // True from the first byte read until the reader has been idle for
    // `IDLE_BEFORE_RELEASE` and given its deep stack pages back (see
    // `support::stack`); false, it reads with a small buffer.
    let mut busy = false;
    // What arrived before the greeting, as it came: if it is a browser's
    // request, the web code needs the bytes, not the framer's lines.
    let mut early_bytes = Vec::new();
    let mut current_timeout = None;
    loop {
        // Until registered, reads wait at most until the registration
        // deadline (and, before the greeting, at most GREETING_DELAY);
        // after, at most the idle timeout (0 = for ever).
        let timeout = if reader.registered.is_some() {
            match &reader.irc {
                // Registered IRC clients are pinged when silent.
                Some(irc) => Some(irc.read_timeout()),
                None => (config.idle_timeout_secs > 0)
                    .then(|| Duration::from_secs(config.idle_timeout_secs)),
            }
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
        // A busy reader wakes after at most a second of silence to release
        // its stack: the one extra wake-up an idle connection costs. (So an
        // idle timeout or an IRC ping may come up to a second late.)
        let release_tick =
            busy && timeout.is_none_or(|timeout| timeout > stack::IDLE_BEFORE_RELEASE);
        let timeout = match release_tick {
            true => Some(stack::IDLE_BEFORE_RELEASE),
            false => timeout,
        };
        if timeout != current_timeout {
            if stream.set_read_timeout(timeout).is_err() {
                cleanup.reason = "socket error";
                return;
            }
            current_timeout = timeout;
        }
        let mut into = Received {
            early_bytes: (!reader.greeted).then_some(&mut early_bytes),
            framer: &mut framer,
            frames: &mut frames,
        };
        let read = match busy {
            true => read_once::<READ_CHUNK_BYTES>(stream, &mut into),
            false => read_once::<IDLE_READ_BYTES>(stream, &mut into),
        };
        match read {
            Ok(0) => return,
            Ok(_) => busy = true,
            Err(e)
                if release_tick
                    && matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                stack::release_unused();
                busy = false;
                continue;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let flow = match (&mut reader.irc, reader.registered) {
                    (Some(irc), Some(_)) => irc.idle(&context.state, id),
                    (None, Some(_)) => {
                        let refusal = Refusal::IdleTimeout(config.idle_timeout_secs);
                        state::lock(&context.state).refuse(id, refusal);
                        cleanup.reason = "idle timeout";
                        return;
                    }
                    _ => reader.greet(),
                };
                if flow == Flow::Close {
                    cleanup.reason = "closed by server";
                    return;
                }
                continue;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => {
                cleanup.reason = "connection reset";
                return;
            }
        }
        // A few lines of this read are acted on before what they queued is
        // written, each recipient's share in one `send()` (see
        // `server::write_now`).
        let one_read = write_now::OneRead::start();
        for (n, frame) in frames.drain(..).enumerate() {
            if n > 0 && n % LINES_PER_WRITE == 0 {
                one_read.write_held();
            }
            if !reader.greeted {
                if let Frame::Line(line) = &frame {
                    if reader.held_pass.is_none() && http_page::looks_like_http_request(line) {
                        // The browser's conversation has reads of its own.
                        drop(one_read);
                        cleanup.reason = websocket_conn::serve(
                            &mut reader,
                            addr,
                            stream,
                            &early_bytes,
                            register_deadline,
                        );
                        return;
                    }
                    match irc_conn::opening(line) {
                        Opening::Irc => {
                            // No greeting: an IRC client would misread it.
                            reader.greeted = true;
                            let idle = config.idle_timeout_secs;
                            reader.irc = Some(IrcConn::start(&context.state, id, idle));
                        }
                        Opening::Pass if reader.held_pass.is_none() => {
                            reader.held_pass = Some(frame);
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            let held = if reader.irc.is_some() {
                reader.held_pass.take()
            } else {
                // Greets, and acts on a held `PASS` in the chat's dialects.
                if reader.greet() == Flow::Close {
                    cleanup.reason = "closed by server";
                    return;
                }
                None
            };
            for frame in held.into_iter().chain(std::iter::once(frame)) {
                match reader.handle(frame) {
                    Flow::Continue => {}
                    Flow::Close => {
                        cleanup.reason = "closed by server";
                        return;
                    }
                }
            }
        }
    }
}

/// Where [`read_once`] puts what it read.
struct Received<'a> {
    /// Until the greeting, the raw bytes are kept too (for the web code).
    early_bytes: Option<&'a mut Vec<u8>>,
    framer: &'a mut LineFramer,
    frames: &'a mut Vec<Frame>,
}

/// One `read()` into a buffer of `N` bytes that lives in this function's
/// own frame, so it is on the stack only while a read is under way: an idle
/// reader blocks with [`IDLE_READ_BYTES`], a busy one with
/// [`READ_CHUNK_BYTES`], and the big buffer's pages are among those an idle
/// reader gives back.
#[inline(never)]
fn read_once<const N: usize>(stream: &TcpStream, into: &mut Received) -> std::io::Result<usize> {
    let mut buffer = [0u8; N];
    let n = (&*stream).read(&mut buffer)?;
    crate::chat::stats::count_in(n);
    if let Some(early_bytes) = &mut into.early_bytes {
        if early_bytes.len() <= MAX_HEAD_BYTES {
            early_bytes.extend_from_slice(&buffer[..n]);
        }
    }
    into.framer.push(&buffer[..n], into.frames);
    Ok(n)
}

impl Reader<'_> {
    /// Sends the greeting if it has not been sent, then acts on a held
    /// `PASS` line (the next line was not IRC, or none came).
    fn greet(&mut self) -> Flow {
        if self.greeted {
            return Flow::Continue;
        }
        self.greeted = true;
        state::lock(&self.context.state).greet(self.id);
        match self.held_pass.take() {
            Some(frame) => self.handle(frame),
            None => Flow::Continue,
        }
    }

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
        match self.flood.judge(Instant::now(), self.registered) {
            FloodVerdict::Take => {}
            FloodVerdict::TakeAfterDropping(lines) => {
                let refusal = Refusal::LinesDropped(lines, config.rate_per_sec);
                state::lock(&self.context.state).refuse(self.id, refusal);
            }
            FloodVerdict::Drop { reply, first } => {
                let mut state = state::lock(&self.context.state);
                if first {
                    log!(
                        "Flood control: {} sends more than {} lines/s",
                        state.describe(self.id),
                        config.rate_per_sec
                    );
                }
                if reply {
                    state.refuse(self.id, Refusal::SlowDown(config.rate_per_sec));
                }
                return Flow::Continue;
            }
        }
        let Ok(text) = String::from_utf8(line) else {
            state::lock(&self.context.state).refuse(self.id, Refusal::NotUtf8);
            return Flow::Continue;
        };
        if let Some(irc) = &mut self.irc {
            // IRC clients send no terminal keys, and a CTCP's \x01 matters.
            let applied = irc.handle(&self.context.state, self.id, &text);
            self.registered = applied.registered;
            self.flood.charge_output(applied.reply_bytes);
            return applied.flow;
        }
        // Terminal keys (Ctrl-L, arrows, Ctrl-U) and blanks in front of a
        // `/` come off before anything looks at the line, so a typed command
        // is recognised as one and never relayed as chat.
        let text = sanitize::clean_typed_line(&text);
        if text.trim().is_empty() {
            return Flow::Continue; // a line of spaces is an empty line
        }
        let command = command::parse(&text, self.registered);
        // Until registered, each line's dialect is guessed from its shape: a
        // person types `/nick` (or just starts chatting: `hello`), a program
        // sends a verb such as `USERNAME`.
        // (Only guessed before registering: a registered line is not looked
        // up twice.)
        let line_dialect = self.registered.unwrap_or_else(|| {
            let first_word = text.split(' ').next().unwrap_or_default();
            let typed_by_a_person =
                text.starts_with('/') || command::lookup(Dialect::Protocol, first_word).is_none();
            match typed_by_a_person {
                true => Dialect::Chat,
                false => Dialect::Protocol,
            }
        });
        // The lock is taken once, for the state change and the queueing.
        let applied = state::lock(&self.context.state).apply(self.id, line_dialect, command);
        self.registered = applied.registered;
        self.flood.charge_output(applied.reply_bytes);
        applied.flow
    }
}
