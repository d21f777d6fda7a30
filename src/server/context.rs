//! What the server shares with every connection's threads
//! ([`ServerContext`]): the state, the settings, the writers' pool and the
//! thread budget, and the logs a stranger can cause, summarised; and the
//! sizes and lifetimes of the threads themselves.
//!
//! It is built once, by `accept::serve`, and handed to each reader in an
//! `Arc`: a reader needs no more than this to serve a connection from
//! `accept()` to its end. The thread constants live here because the
//! budget in `capacity` counts the same threads that are started with them.

use crate::chat::state::SharedState;
use crate::outbox::{self, Inbox, Outbox, StartWriter};
use crate::server::browsers::RecentBrowsers;
use crate::server::departures::Departures;
use crate::settings::server::ServerConfig;
use crate::support::pool::{Budget, Pool};
use crate::support::summary::LogSummary;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Stack sizes, set explicitly. Rust's default is 2 MiB per thread; with two
/// threads per connection, 10,000 connections would reserve 40 GB of address
/// space. Only the pages a thread touches cost memory, and these threads
/// are shallow (no recursion on anything a client sends); a debug build,
/// which uses several times more stack, runs the whole test suite on them.
/// What an idle connection's pages hold: `docs/design.md`, "What each KiB
/// of a connection is".
pub const READER_STACK_BYTES: usize = 128 * 1024;
pub const WRITER_STACK_BYTES: usize = 64 * 1024;

/// How long a kept thread (a reader waiting in `accept()`, a parked
/// writer) waits for its next connection before it exits, so a server that
/// has gone quiet gives its memory back: long enough to cover a burst of
/// arrivals (a class, a reconnecting laptop), short enough that fds and
/// threads are back to their start a few seconds after.
pub const THREAD_KEEP_IDLE: Duration = Duration::from_secs(5);

/// Threads of each kind parked at once, at most: enough for a class
/// arriving or leaving together, few enough to count in `capacity`.
pub const MAX_PARKED_THREADS: usize = 64;

/// What every connection thread needs from the server.
pub struct ServerContext {
    pub state: SharedState,
    pub config: ServerConfig,
    /// The plain-text help a web browser gets at `/help.txt` (see
    /// [`crate::server::http_page`]).
    pub help_text: String,
    /// Connections whose last lines are not written yet (by their writer,
    /// or a lazy connection's reader at its end); shutdown waits for them.
    pub live_writers: Arc<AtomicUsize>,
    /// Where writers come from (see [`crate::support::pool`]).
    pub writers: Pool,
    /// With `direct_send`, how a connection with a backlog gets its writer
    /// ([`outbox::lazy_outbox`]); `None`: writers are always there.
    pub start_writer: Option<StartWriter>,
    /// The log lines a stranger can cause (refused connections, flood
    /// control), at most one a minute per address and kind.
    pub log_summary: Mutex<LogSummary>,
    /// The addresses with a connection waiting at a full server's door
    /// for an operator password (see [`reserve`](crate::server::reserve)).
    pub at_the_door: Mutex<HashSet<IpAddr>>,
    /// Addresses with a web browser: their silent connections are greeted
    /// late (see [`crate::server::browsers`]).
    pub browsers: RecentBrowsers,
    /// Newcomers waiting for a name's departing holder to leave (see
    /// [`crate::server::departures`]).
    pub departures: Departures,
}

impl ServerContext {
    /// The thread budget (see `capacity`), the writers' pool and the
    /// writer starter for a server whose threads are limited to `threads`.
    pub fn threads(
        threads: usize,
        direct_send: bool,
    ) -> (Arc<Budget>, Pool, Arc<AtomicUsize>, Option<StartWriter>) {
        let budget = Budget::new(threads);
        // Named, so that `top -H`, a debugger and `tests/who_writes.rs` can
        // tell readers and writers apart.
        let writers = Pool::new(
            "writer",
            WRITER_STACK_BYTES,
            THREAD_KEEP_IDLE,
            MAX_PARKED_THREADS,
            Arc::clone(&budget),
        );
        let live_writers = Arc::new(AtomicUsize::new(0));
        let start_writer = direct_send.then(|| {
            let (writers, live) = (writers.clone(), Arc::clone(&live_writers));
            let start: StartWriter = Arc::new(move |inbox: Inbox| {
                let live = Arc::clone(&live);
                writers.run(Box::new(move || {
                    if outbox::writer_loop(inbox) == outbox::Ended::Finished {
                        live.fetch_sub(1, Ordering::SeqCst);
                    }
                }))
            });
            start
        });
        (budget, writers, live_writers, start_writer)
    }

    /// A new connection's queue: with a lazy writer under the fast path,
    /// with an always-there one without it.
    pub fn outbox(&self, sink: Arc<dyn outbox::Sink>) -> (Outbox, Inbox) {
        let queue_len = self.config.queue_len;
        match &self.start_writer {
            Some(start) => outbox::lazy_outbox(queue_len, sink, Arc::clone(start)),
            None => outbox::outbox(queue_len, sink, self.config.direct_send),
        }
    }

    /// Logs what [`LogSummary::note`] says is due of a line of `kind`
    /// caused by `ip`.
    pub fn log_summarised(&self, ip: IpAddr, kind: &'static str, line: impl FnOnce() -> String) {
        self.log_summarised_after(ip, kind, 1, line);
    }

    /// The same, with the first `free` lines of each minute written (see
    /// [`LogSummary::note_after`]).
    pub fn log_summarised_after(
        &self,
        ip: IpAddr,
        kind: &'static str,
        free: u64,
        line: impl FnOnce() -> String,
    ) {
        let mut summary = self.log_summary.lock().unwrap_or_else(|p| p.into_inner());
        summary.log_after(ip, kind, free, Instant::now(), line);
    }
}
