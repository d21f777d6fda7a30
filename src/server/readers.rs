//! Reader threads wait for their next client in `accept()` itself.
//!
//! Every client has a reader thread of its own, but the threads are kept:
//! a reader whose client has left blocks in `accept()` on the listening
//! socket, several may wait there at once, and the kernel hands each new
//! connection to one of them ([`reader_thread`]), as Apache's prefork
//! server does. That reader admits its client (or refuses it, or takes it
//! to the teacher's door at a full server, `reserve`) and runs its reader
//! loop (`connection::serve_admitted`). A visit costs no thread start and
//! no hand-over from an accepting thread to a reading one (a wake-up and a
//! sleep per visit: the biggest cost left when clients come and go).
//!
//! Three rules keep someone waiting for the next client, and no more:
//! - **Never leave the listener unattended.** A thread that takes the last
//!   waiting place starts another before it serves its client; if none can
//!   be had (the thread budget of `capacity` is spent), its client is told
//!   the server is full, and it goes back to wait.
//! - **Few wait.** At most [`MAX_PARKED_THREADS`]; a reader coming back
//!   when that many wait exits instead.
//! - **Idle ones retire.** `accept()` gives up every [`ACCEPT_TICK`]
//!   (`support::listener_options`): an idle thread then gives its stack pages
//!   back, and after [`THREAD_KEEP_IDLE`] it exits if another waits, so a
//!   quiet server is back to one thread waiting.

use crate::chat::state::{self, Hangup};
use crate::log;
use crate::outbox;
use crate::server::connection;
use crate::server::context::{ServerContext, READER_STACK_BYTES};
use crate::server::context::{MAX_PARKED_THREADS, THREAD_KEEP_IDLE};
use crate::server::refusal::refuse;
use crate::server::reserve;
use crate::support::listener_options::{set_accept_timeout, set_nodelay_for_accepted};
use crate::support::pool::Budget;
use crate::support::send_now::send_now;
use crate::support::{cli, signal, stack};
use crate::wire::command::Dialect;
use crate::wire::event::{Event, Refusal};
use crate::wire::render::{self, render};
use std::io::{self, ErrorKind};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// How long a waiting reader's `accept()` lasts before it looks at the
/// clock: when it gives its stack pages back, and when it may retire.
pub const ACCEPT_TICK: Duration = Duration::from_millis(500);

/// After a failed `accept()` (usually: out of file descriptors), wait this
/// long before trying again instead of spinning on the error.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// The listening socket and the readers waiting on it.
pub struct Readers {
    listener: TcpListener,
    /// Where the listener is, to wake a waiting reader at shutdown.
    local: SocketAddr,
    /// Readers in `accept()`, or about to call it.
    waiting: AtomicUsize,
    /// Threads of every kind the server may still start (see `capacity`).
    budget: Arc<Budget>,
    /// Set by [`Readers::stop`]: the server is shutting down.
    stopping: AtomicBool,
    /// Accepted sockets come with `TCP_NODELAY` already (see
    /// `support::listener_options`); false where it could not be set so.
    nodelay_inherited: bool,
}

impl Readers {
    /// Readers for `listener`, started as `budget` allows.
    pub fn new(listener: TcpListener, budget: Arc<Budget>) -> Readers {
        let local = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        // Unsupported (not Linux): readers wait without a tick, so none
        // retires for being idle, and `MAX_PARKED_THREADS` still bounds them.
        let _ = set_accept_timeout(&listener, ACCEPT_TICK);
        let nodelay_inherited = set_nodelay_for_accepted(&listener).is_ok();
        Readers {
            listener,
            local,
            waiting: AtomicUsize::new(0),
            budget,
            stopping: AtomicBool::new(false),
            nodelay_inherited,
        }
    }

    /// The server is shutting down: every reader leaves once its client
    /// has gone, and those waiting in `accept()` are woken, one by the next.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake_one();
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Wakes one waiting reader, which sees the shutdown and passes it on.
    fn wake_one(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            let _ = signal::wake_accept_loop(self.local);
        }
    }
}

/// Starts one more reader waiting at the listener, to serve clients with
/// `context`. `Err` when no thread can be had (the budget is spent, or the
/// system refused one).
pub fn start_reader(readers: &Arc<Readers>, context: &Arc<ServerContext>) -> io::Result<()> {
    let budget = &readers.budget;
    if !budget.take() {
        return Err(io::Error::new(
            ErrorKind::WouldBlock,
            "the server's thread budget is spent (see the capacity line at start)",
        ));
    }
    let (readers_for_thread, context_for_thread) = (Arc::clone(readers), Arc::clone(context));
    let started = thread::Builder::new()
        .name("reader".into())
        .stack_size(READER_STACK_BYTES)
        .spawn(move || reader_thread(readers_for_thread, context_for_thread));
    if started.is_err() {
        budget.give_back();
    }
    started.map(drop)
}

/// Gives the thread back to the budget however it ends, a panic included.
struct Leaving<'a>(&'a Budget);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.0.give_back();
    }
}

/// A reader's life: wait in `accept()`, serve the client it gets, wait
/// again; until it has waited [`THREAD_KEEP_IDLE`] while others wait too,
/// or [`MAX_PARKED_THREADS`] wait already, or the server shuts down.
fn reader_thread(readers: Arc<Readers>, context: Arc<ServerContext>) {
    let _leaving = Leaving(&readers.budget);
    let mut idle = Duration::ZERO;
    loop {
        if readers.stopping() {
            readers.wake_one(); // the next waiting reader leaves too
            return;
        }
        if readers.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_PARKED_THREADS {
            readers.waiting.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let accepted = readers.listener.accept();
        let others = readers.waiting.fetch_sub(1, Ordering::SeqCst) - 1;
        match accepted {
            // At shutdown the server's own wake-up call: the loop's top
            // passes it on.
            Ok(_) if readers.stopping() => {}
            Ok((stream, addr)) => {
                match others > 0 || start_reader(&readers, &context).is_ok() {
                    true => serve(&readers, &context, stream, addr),
                    false => refuse_now(&context, &stream, addr),
                }
                idle = Duration::ZERO;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                idle += ACCEPT_TICK;
                // A reader's stack may have gone deep (a join burst); one
                // that waits keeps only the pages it needs to wait. Not at
                // once: a quick next client would pay to fault them back.
                if idle == ACCEPT_TICK {
                    stack::release_unused();
                }
                if idle >= THREAD_KEEP_IDLE && others > 0 {
                    return;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                log!(
                    "Cannot accept a connection: {} (retrying)",
                    cli::describe_io_error(&e)
                );
                thread::sleep(ACCEPT_RETRY_DELAY);
            }
        }
    }
}

/// Serves a freshly accepted socket on this thread, its reader, until the
/// connection ends: admits it to the state (or refuses it with one `ERROR`
/// line, or an operator's place at a full server's door) and reads.
fn serve(readers: &Readers, context: &Arc<ServerContext>, stream: TcpStream, addr: SocketAddr) {
    // Lines are batched by whoever writes, so Nagle's algorithm would only
    // add latency (up to 40 ms, waiting for ACKs) without saving packets.
    if !readers.nodelay_inherited {
        let _ = stream.set_nodelay(true);
    }
    let stream = Arc::new(stream);
    let sink: Arc<dyn outbox::Sink> = Arc::clone(&stream) as _;
    let (outbox, inbox) = context.outbox(sink);
    let hangup_stream = Arc::clone(&stream);
    let hangup: Hangup = Box::new(move || {
        let _ = hangup_stream.shutdown(Shutdown::Both);
    });
    let admitted = state::lock(&context.state).admit(addr, outbox, hangup);
    let id = match admitted {
        Ok(id) => id,
        // Full: an operator may still come in (see `reserve`).
        Err(Refusal::ServerFull) if reserve::knock(context, addr) => {
            return reserve::wait_at_the_door(context, stream, addr);
        }
        Err(refusal) => {
            let said = render::refusal_text(&refusal, Dialect::Protocol);
            context.log_summarised(addr.ip(), "refused connections", || {
                format!("Refused connection from {addr}: {said}")
            });
            // Another reader waits for the next client meanwhile.
            let browser = context.browsers.is_recent(addr.ip(), Instant::now());
            return refuse(&stream, &refusal, browser);
        }
    };
    // One line a minute per address: a connect-and-close loop costs the
    // address nothing (see `chat::guard::QUICK_CLOSE`), so it must not
    // cost the log two lines a turn either.
    context.log_summarised_after(addr.ip(), "new connections", state::FREE_LOG_LINES, || {
        format!("Accepted connection from: {addr}")
    });
    connection::serve_admitted(context, stream, addr, id, inbox);
}

/// No thread could be had to wait for the next client while this one is
/// served: it is told at once that the server is full, with a
/// send that never waits.
fn refuse_now(context: &ServerContext, stream: &TcpStream, addr: SocketAddr) {
    context.log_summarised(addr.ip(), "refused connections", || {
        format!("Refused connection from {addr}: no thread to spare")
    });
    let refused = render(&Event::Refused(Refusal::ServerFull), Dialect::Protocol);
    let _ = send_now(stream, refused.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

#[cfg(all(
    test,
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod tests {
    use super::*;

    #[test]
    fn the_readers_listener_hands_out_sockets_without_nagle() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let readers = Readers::new(listener, Budget::new(1));
        assert!(readers.nodelay_inherited);
        let _client = TcpStream::connect(readers.local).unwrap();
        let (accepted, _) = readers.listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
