//! One connection's life: a reader thread, a writer thread (while it has a
//! backlog), and a cleanup guard.
//!
//! ```text
//!   socket ──read──▶ reader thread ──lock──▶ State ──try_send──▶ queues of
//!                    (framing, flood           (acts, renders)    everyone
//!                     control, parsing)                           concerned
//!                         │ unlock, then write the turns it was given
//!                         └──────────▶ (see crate::outbox)
//!   socket ◀─write── writer thread ◀── this connection's queue
//! ```
//!
//! **A reader and a writer**, because reading and writing must not wait for
//! each other: the reader spends its life blocked in `read()` until this
//! client types, the writer (`outbox::writer_loop`) blocked on this
//! client's queue or in a `write()` to it. If any other thread waited on
//! this socket, a client that stops reading would freeze it. With the fast
//! path on, a client who keeps up is written to by whoever queued the line,
//! so its writer is started only when its socket fills, and goes back to
//! the pool when the backlog is gone (`crate::outbox`); with it off, the
//! writer is there for the connection's whole life.
//!
//! **Threads are kept.** The reader is the thread that accepted the
//! connection (see `readers`, which admits it), and goes back to
//! `accept()` when the connection ends; a writer comes from a pool of parked
//! threads ([`crate::support::pool`]). If no thread can be had, the client
//! is told `ERROR Server full` and closed.
//!
//! **The reader's loop** reads, and for each line changes the state under
//! its lock ([`Locker::with`]), taken once for all the lines of one read;
//! then it releases the lock and writes the lines that gave it a turn
//! ([`Locker::write_queued`]). Until the client's
//! dialect is known, lines go through [`Opening`] first. The connection
//! ends through the [`Cleanup`] guard, so it leaves the state on every way
//! out: end of stream, an error, `QUIT`, a panic.

use crate::chat::state::{self, ConnId, Flow, Locked, SharedState, State};
use crate::outbox::{self, Inbox, Turns};
use crate::server::context::ServerContext;
use crate::server::departures::{Departures, HANG_UP_WAIT};
use crate::server::input::Input;
use crate::server::irc_conn::{self, IrcConn};
use crate::server::limits::{Dropped, FloodControl, FloodVerdict};
use crate::support::send_now::send_now;
use crate::text::sanitize;
use crate::wire::command::{self, Command, Dialect};
use crate::wire::event::{Event, Refusal};
use crate::wire::framing::Frame;
use crate::wire::opening::{self, Opening, Step};
use crate::wire::render::render;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Lines of one read acted on, at most, before the lock is let go and what
/// they queued is written. More would write bigger batches, but while a
/// reader holds the lock everyone else waits for it, and while it holds the
/// turn to write for a client, other senders' lines to that client wait too.
const LINES_PER_WRITE: usize = 16;

#[path = "websocket_conn.rs"]
mod websocket_conn;

/// Serves an admitted connection on this thread, its reader, until it
/// ends; without the fast path its writer is started first, from the pool.
/// A lazy connection's reader keeps the queue's receiving end, to write the
/// last lines at the end if no writer is there then ([`Inbox::claim`]).
pub fn serve_admitted(
    context: &Arc<ServerContext>,
    stream: Arc<TcpStream>,
    addr: SocketAddr,
    id: ConnId,
    inbox: outbox::Inbox,
) {
    let live = &context.live_writers;
    live.fetch_add(1, Ordering::SeqCst);
    let last_lines = match inbox.is_lazy() {
        true => {
            inbox.mark_reader();
            Some(inbox)
        }
        false => {
            let writer_live = Arc::clone(live);
            let writer = context.writers.run(Box::new(move || {
                outbox::writer_loop(inbox);
                writer_live.fetch_sub(1, Ordering::SeqCst);
            }));
            if let Err(error) = writer {
                live.fetch_sub(1, Ordering::SeqCst);
                return no_writer(context, &stream, addr, id, &error);
            }
            None
        }
    };
    reader_loop(context, id, addr, &stream);
    // Its name is free: someone may be waiting for it.
    context.departures.someone_left();
    // The state has dropped the connection. A lazy one without a writer
    // now: this thread writes its last lines and closes it.
    if let Some(inbox) = last_lines.filter(Inbox::claim) {
        outbox::writer_loop(inbox);
        live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// No writer thread could be had for an admitted connection (fast path
/// off): the client is told the server is full (a send that never waits)
/// and the connection is removed and closed.
fn no_writer(
    context: &ServerContext,
    stream: &TcpStream,
    addr: SocketAddr,
    id: ConnId,
    error: &std::io::Error,
) {
    context.log_summarised(addr.ip(), "refused connections", || {
        format!("Cannot start a thread for {addr}: {error}")
    });
    let refused = render(&Event::Refused(Refusal::ServerFull), Dialect::Protocol);
    let _ = send_now(stream, refused.as_bytes());
    state::lock(&context.state).disconnect(id, "no thread available");
    let _ = stream.shutdown(Shutdown::Both);
}

/// Removes the connection from the state if the reader ends without doing
/// so itself: a panic, or an early return nobody foresaw.
struct Cleanup<'a> {
    state: &'a SharedState,
    id: ConnId,
    /// Cleared when the reader has seen the connection leave the state.
    armed: bool,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let reason = match thread::panicking() {
            true => "internal error (panic)",
            false => "connection closed",
        };
        // The room's goodbyes are handed to its members' writer threads
        // (the turns are dropped unwritten): no socket I/O in a `Drop`. A
        // connection the reader already removed is not there: nothing to do.
        state::lock(self.state).disconnect(self.id, reason);
    }
}

/// The reader thread: read, act on each line, write what it queued.
fn reader_loop(context: &ServerContext, id: ConnId, addr: SocketAddr, stream: &TcpStream) {
    let mut cleanup = Cleanup {
        state: &context.state,
        id,
        armed: true,
    };
    let mut reader = Reader::new(context, id, addr.ip());
    let mut input = Input::new(context.config.max_line_bytes);
    loop {
        let ended = match reader.read_timeout() {
            Err(ended) => Some(ended),
            Ok(timeout) => match input.read(stream, timeout) {
                Ok(true) => reader.act_on_read(&mut input, addr, stream),
                Ok(false) => reader.quiet(addr),
                Err(ended) => Some(ended),
            },
        };
        // Leaving: the room is told, and its goodbyes written like any line
        // (unless the state has removed the connection already: a `QUIT`).
        if let Some(reason) = ended.filter(|_| !reader.state.gone) {
            reader.state.with(|state| state.disconnect(id, reason));
        }
        reader.state.write_queued(); // no lock held: write what the lines queued
        if ended.is_some() {
            cleanup.armed = false;
            return;
        }
    }
}

/// Everything the reader tracks about its client between reads.
struct Reader<'a> {
    context: &'a ServerContext,
    id: ConnId,
    /// The client's address, for log lines counted per address.
    ip: IpAddr,
    /// Until the client's dialect is known; `None` once it is.
    opening: Option<Opening>,
    /// The dialect the client registered in, as [`State::apply`] last said;
    /// `None` until it has a name.
    registered: Option<Dialect>,
    register_deadline: Instant,
    /// When the connection was accepted, and when a silent one is greeted
    /// (see [`opening::greeting_delay`]).
    accepted: Instant,
    greet_at: Instant,
    /// Flood control, and what to say about it (see [`crate::server::limits`]).
    flood: FloodControl,
    /// Set when the first line was IRC (see [`super::irc_conn`]).
    irc: Option<IrcConn>,
    state: Locker<'a>,
}

/// The reader's way to the shared state: lock, act, and keep the lock
/// for the rest of this read's lines; then unlock and write the turns that
/// acting gave it.
struct Locker<'a> {
    shared: &'a SharedState,
    id: ConnId,
    /// The lock, from the first line of a read that touches the state
    /// until [`Locker::write_queued`]: the lines of one read (a program's
    /// burst, an IRC client's `NICK`, `USER` and `JOIN`) take it once.
    held: Option<Locked<'a>>,
    to_write: Turns,
    /// The state no longer has this connection (as of the last lock).
    gone: bool,
}

impl Locker<'_> {
    /// Changes the state, taking the lock unless this read holds it
    /// already: the one way the reader touches the state. Queueing may give
    /// this thread turns to write; they are written with the lock released,
    /// by [`Locker::write_queued`].
    fn with<R>(&mut self, act: impl FnOnce(&mut State) -> R) -> R {
        let shared = self.shared;
        let state = self.held.get_or_insert_with(|| state::lock(shared));
        let result = act(state);
        self.gone = !state.is_connected(self.id);
        result
    }

    /// Releases the lock, and writes for every client whose turn this
    /// reader holds (see [`crate::outbox`]). Called before anything that
    /// waits (a read, a password's hash, a departing name's holder), and
    /// every [`LINES_PER_WRITE`] lines, so nobody waits long for the lock.
    fn write_queued(&mut self) {
        if let Some(state) = self.held.take() {
            self.to_write.append(state.unlock());
        }
        self.to_write.write();
    }

    /// Before the `n`th line of one read (or of one browser message): every
    /// [`LINES_PER_WRITE`] lines, lets go of the lock and writes.
    fn before_line(&mut self, n: usize) {
        if n > 0 && n.is_multiple_of(LINES_PER_WRITE) {
            self.write_queued();
        }
    }

    /// Before a line that asks for `name`: if someone holds it whose client
    /// has closed (or closes within [`HANG_UP_WAIT`]), waits (lock
    /// released, what is queued written) for that connection to leave, so
    /// the line then finds the name free (see [`crate::server::departures`]).
    fn wait_if_leaving(&mut self, departures: &Departures, name: &str) {
        let id = self.id;
        if let Some((holder, far_end)) = self.with(|state| state.name_holder(id, name)) {
            self.write_queued();
            if far_end.hung_up_within(HANG_UP_WAIT) {
                departures.wait_for(self.shared, holder);
            }
        }
    }
}

impl<'a> Reader<'a> {
    fn new(context: &'a ServerContext, id: ConnId, ip: IpAddr) -> Reader<'a> {
        let config = &context.config;
        Reader {
            context,
            id,
            ip,
            opening: Some(Opening::new()),
            registered: None,
            register_deadline: Instant::now() + Duration::from_secs(config.register_timeout_secs),
            accepted: Instant::now(),
            greet_at: Instant::now() + opening::GREETING_DELAY,
            flood: FloodControl::new(config.rate_per_sec, config.rate_burst, Instant::now()),
            irc: None,
            state: Locker {
                shared: &context.state,
                id,
                held: None,
                to_write: Turns::default(),
                gone: false,
            },
        }
    }

    /// How long the next read may wait: until the greeting (while the
    /// dialect is unknown), the registration deadline, the IRC ping, or the
    /// idle timeout (`None`: for ever). `Err` once the registration
    /// deadline has passed.
    fn read_timeout(&mut self) -> Result<Option<Duration>, &'static str> {
        let config = &self.context.config;
        if self.registered.is_some() {
            let timeout = match &self.irc {
                Some(irc) => Some(irc.read_timeout()),
                None => (config.idle_timeout_secs > 0)
                    .then(|| Duration::from_secs(config.idle_timeout_secs)),
            };
            // A flood summary that is waiting wakes the reader in time.
            return Ok(match self.flood.summary_in(Instant::now()) {
                Some(summary) => Some(timeout.map_or(summary, |t| t.min(summary))),
                None => timeout,
            });
        }
        let left = self
            .register_deadline
            .saturating_duration_since(Instant::now());
        if left.is_zero() {
            let id = self.id;
            self.state
                .with(|state| state.refuse(id, Refusal::RegistrationTimeout));
            return Err("registration timeout");
        }
        Ok(Some(match self.opening {
            Some(_) => left.min(self.greet_at.saturating_duration_since(Instant::now())),
            None => left,
        }))
    }

    /// A read waited its whole timeout: tell a flooding person what was
    /// dropped, greet a silent newcomer (later if a browser is at its
    /// address), ping an IRC client, or close an idle one.
    fn quiet(&mut self, addr: SocketAddr) -> Option<&'static str> {
        // The read was cut short for a flood summary: say it, read on. (The
        // idle timeout then counts from here: the person was typing.)
        if self.flood.summary_in(Instant::now()).is_some() {
            if let Some(dropped) = self.flood.summary_due(Instant::now()) {
                self.tell_dropped(dropped);
            }
            return None;
        }
        if self.opening.is_some() {
            let now = Instant::now();
            let browser = self.context.browsers.is_recent(addr.ip(), now);
            self.greet_at = self.accepted + opening::greeting_delay(browser);
            if now < self.greet_at {
                return None; // read on until then
            }
            if let Some(mut opening) = self.opening.take() {
                return self.opened(opening.silence());
            }
        }
        let id = self.id;
        match (self.irc.as_mut(), self.registered) {
            (Some(irc), Some(_)) => {
                let flow = self.state.with(|state| irc.idle(state, id));
                (flow == Flow::Close).then_some("closed by server")
            }
            (None, Some(_)) => {
                let refusal = Refusal::IdleTimeout(self.context.config.idle_timeout_secs);
                self.state.with(|state| state.refuse(id, refusal));
                Some("idle timeout")
            }
            // Not registered yet: the deadline is checked before the next read.
            _ => None,
        }
    }

    /// Acts on the lines of one read, writing what they queued every
    /// [`LINES_PER_WRITE`] lines.
    fn act_on_read(
        &mut self,
        input: &mut Input,
        addr: SocketAddr,
        stream: &TcpStream,
    ) -> Option<&'static str> {
        let mut frames = std::mem::take(&mut input.frames);
        for (n, frame) in frames.drain(..).enumerate() {
            self.state.before_line(n);
            let ended = match self.opening.as_mut() {
                None => self.handle(frame),
                Some(opening) => match opening.frame(frame) {
                    Step::Http => {
                        self.opening = None;
                        let early = input.early_bytes.take().unwrap_or_default();
                        self.state.write_queued();
                        let deadline = self.register_deadline;
                        return Some(websocket_conn::serve(self, addr, stream, &early, deadline));
                    }
                    step => self.opened(step),
                },
            };
            if ended.is_some() {
                return ended;
            }
        }
        input.frames = frames; // keeps its allocation for the next read
        if self.opening.is_none() {
            input.early_bytes = None;
        }
        None
    }

    /// The dialect is known (or the greeting delay has passed): start the
    /// IRC reader or greet, then handle the frames held so far.
    fn opened(&mut self, step: Step) -> Option<&'static str> {
        let frames = match step {
            Step::Wait => return None,
            // Only [`Reader::act_on_read`] meets a browser: it has the bytes.
            Step::Http => return None,
            Step::Irc(frames) => {
                // No greeting: an IRC client would misread it.
                let (id, idle) = (self.id, self.context.config.idle_timeout_secs);
                self.irc = Some(self.state.with(|state| IrcConn::start(state, id, idle)));
                frames
            }
            Step::Greet(frames) => {
                let id = self.id;
                self.state.with(|state| state.greet(id));
                frames
            }
        };
        self.opening = None;
        frames.into_iter().find_map(|frame| self.handle(frame))
    }

    /// Tells a chat-mode person which lines of a burst were not sent.
    fn tell_dropped(&mut self, dropped: Dropped) {
        let (id, rate) = (self.id, self.context.config.rate_per_sec);
        let refusal = Refusal::LinesDropped {
            lines: dropped.lines,
            rate,
            first: dropped.first,
            last: dropped.last,
        };
        self.state.with(|state| state.refuse(id, refusal));
    }

    /// One frame: flood control, UTF-8, parse, act. `Some` ends the
    /// connection.
    fn handle(&mut self, frame: Frame) -> Option<&'static str> {
        let config = &self.context.config;
        let id = self.id;
        let line = match frame {
            Frame::TooLong => {
                let refusal = Refusal::LineTooLong(config.max_line_bytes);
                self.state.with(|state| state.refuse(id, refusal));
                return None;
            }
            Frame::Line(line) => line,
        };
        let rate = config.rate_per_sec;
        match self.flood.judge(Instant::now(), self.registered, &line) {
            FloodVerdict::Take => {}
            FloodVerdict::TakeAfterDropping(dropped) => self.tell_dropped(dropped),
            FloodVerdict::Drop { reply, first } => {
                let (context, ip) = (self.context, self.ip);
                self.state.with(|state| {
                    if first {
                        let who = state.describe(id);
                        context.log_summarised(ip, "floods", || {
                            format!("Flood control: {who} sends more than {rate} lines/s")
                        });
                    }
                    if reply {
                        state.refuse(id, Refusal::SlowDown(rate));
                    }
                });
                return None;
            }
        }
        let Ok(text) = String::from_utf8(line) else {
            self.state.with(|state| state.refuse(id, Refusal::NotUtf8));
            return None;
        };
        let applied = match self.irc.as_mut() {
            // IRC clients send no terminal keys, and a CTCP's \x01 matters.
            Some(irc) => {
                if let Some(nick) = irc_conn::wanted_nick(&text) {
                    self.state.wait_if_leaving(&self.context.departures, &nick);
                }
                self.state.with(|state| irc.handle(state, id, &text))
            }
            None => {
                // Terminal keys (Ctrl-L, arrows, Ctrl-U) and blanks in front
                // of a `/` come off before anything looks at the line, so a
                // typed command is recognised as one and never relayed.
                let text = sanitize::clean_typed_line(&text);
                if text.trim().is_empty() {
                    return None; // a line of spaces is an empty line
                }
                let command = command::parse(&text, self.registered);
                if let Command::Register { name, .. } = &command {
                    self.state.wait_if_leaving(&self.context.departures, name);
                }
                let dialect = self.registered.unwrap_or_else(|| guess_dialect(&text));
                self.state.with(|state| state.apply(id, dialect, command))
            }
        };
        // A password hash: run with the lock released (the queued replies
        // are written first, so nothing waits on it), then finish.
        let applied = match applied.slow {
            Some(work) => {
                self.state.write_queued();
                let done = work.run();
                let irc = self.irc.as_mut();
                self.state.with(|state| {
                    let applied = state.slow_done(id, done);
                    match irc {
                        Some(irc) => irc.after_slow(state, id, applied),
                        None => applied,
                    }
                })
            }
            None => applied,
        };
        self.registered = applied.registered;
        self.flood.charge_output(applied.reply_bytes);
        (applied.flow == Flow::Close).then_some("closed by server")
    }
}

/// Until registered, a line's dialect is guessed from its shape: a person
/// types `/nick` (or just starts chatting: `hello`), a program sends a verb
/// such as `USERNAME`.
fn guess_dialect(text: &str) -> Dialect {
    let first_word = text.split(' ').next().unwrap_or_default();
    match text.starts_with('/') || command::lookup(Dialect::Protocol, first_word).is_none() {
        true => Dialect::Chat,
        false => Dialect::Protocol,
    }
}
