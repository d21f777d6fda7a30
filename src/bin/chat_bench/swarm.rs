//! The load generator: thousands of chat clients on a few threads.
//!
//! A thread per simulated client would make the tool as heavy as the server
//! it measures (10,000 clients, 10,000 threads, and the scheduler's cost
//! counted against the server). So a [`Swarm`] has a few worker threads
//! (`--threads`, default 2), and each owns many nonblocking sockets. A worker
//! *sweeps* its sockets: read whatever arrived (big chunks, into that
//! socket's own buffer), handle the complete lines, queue the messages that
//! are due, write what the kernel will take. std has no epoll, so a sweep has
//! to ask every socket; when a whole sweep found nothing to do, the worker
//! sleeps for [`IDLE_SLEEP`] so a quiet run does not burn a core.
//!
//! The words on the wire come from the run's [`Profile`] (chatroom or IRC).
//! Every chat message carries what a receiver needs to judge it:
//! `MSG <tag> <sender> <seq> <sent_micros> xxxx…` (IRC: `PRIVMSG #bench :<tag> …`). The tag is unique to the
//! run, so a message of an earlier run is recognised and ignored (the
//! history replayed right after JOIN comes as `HISTORY …` lines, IRC
//! notices, which are not messages anyway). All workers share one clock (an
//! `Instant` taken at the start), so the receiver subtracts the send time
//! from its own time and gets the end-to-end latency: the sender's write,
//! the server's work, the receiver's read. The sequence number shows loss,
//! duplicates and reordering per (receiver, sender) pair.
//!
//! A sender sends as fast as it may: with a window (`--window W`) it sends
//! its next message only while fewer than W of its messages are unconfirmed.
//! A message is confirmed when its sender's *confirmer* receives it: the
//! sender itself where the server echoes (chatroom), another member where it
//! does not (IRC); the count is shared between the workers through an atomic;
//! with a rate (`--rate R`) message k of sender s is due at
//! `(k * senders + s) / R` seconds after the start, which spreads the senders
//! evenly over time.
//!
//! The main thread steers the workers through a shared phase (connect, send,
//! stop) and watches shared counters; it never touches a socket.
//!
//! The parts: this file holds the plan and what the main thread does;
//! `worker.rs` is one load thread's sweep loop and its tally; `client.rs` is
//! one simulated client, from connect through its lines and messages to its
//! writes; `sequence.rs` tells in-order, late and duplicate arrivals apart.

mod client;
mod sequence;
mod worker;

use crate::profile::Profile;
use crate::stats::Histogram;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use worker::{run_worker, Tally};

/// The room the simulated clients join (the first room, with `room_size`).
pub const ROOM: &str = "#bench";

/// How long a worker sleeps after a sweep that found nothing to do.
const IDLE_SLEEP: Duration = Duration::from_micros(50);

/// In as-fast-as-possible runs, how long a worker pauses after a sweep in
/// which fewer than one socket in [`PACE_FRACTION`] had anything. On a small
/// machine the tool and the server share the cores; a tool that sweeps
/// without pause mostly makes `read` calls that find nothing, and that CPU is
/// taken from the server it measures. Pausing lets lines pile up so that
/// each `read` brings many. It delays noticing a delivery by at most this
/// much, which is small against those runs' queueing latency (tens of ms).
/// Fixed-rate runs never pause this way: their latency is the point.
const PACE_SLEEP: Duration = Duration::from_micros(250);
const PACE_FRACTION: usize = 8;

/// Bytes asked for per `read`; big, so a busy socket costs few syscalls.
const READ_CHUNK: usize = 64 * 1024;

/// Reads per socket per sweep, so one busy socket cannot starve the others.
const READS_PER_VISIT: usize = 4;

/// Connections that have not finished joining, across all workers, by
/// default (`Plan::max_joining`). The server's listen backlog is finite;
/// beyond it, connects stall for a second.
pub const MAX_JOINING: usize = 64;

/// How long one `connect` may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A line longer than this is a protocol error (the server's limit is 1024).
const MAX_LINE: usize = 16 * 1024;

/// How often the main thread looks at the counters while it waits.
const POLL: Duration = Duration::from_millis(10);

/// What a swarm does.
pub struct Plan {
    pub addr: SocketAddr,
    /// Clients that join and read (senders are the first `senders` of them).
    pub clients: usize,
    pub senders: usize,
    /// `None`: everyone in [`ROOM`]. `Some(n)`: rooms of n members
    /// (`#bench`, `#bench-1`, …), and the first member of each room is its
    /// one sender (`senders` must then equal the number of rooms). Used by
    /// `idle`, because one room's JOIN notices grow with its size squared.
    pub room_size: Option<usize>,
    /// Messages per sender.
    pub messages: u64,
    /// Unconfirmed messages a sender may have (ignored with a rate).
    pub window: u64,
    /// Messages per second over all senders; `None`: as fast as the window allows.
    pub rate: Option<f64>,
    pub threads: usize,
    /// One more client that joins and then never reads (the `slow` scenario).
    pub silent_client: bool,
    /// Length of a `MSG` line, including its `\r\n`.
    pub line_bytes: usize,
    /// The protocol the clients speak.
    pub profile: Profile,
    /// Clients connecting or joining at once, at most (ngIRCd's listen
    /// backlog is 10, so its runs use about 8).
    pub max_joining: usize,
    /// Unique to this run; in every name and payload.
    pub tag: String,
    /// Every wait gives up here.
    pub deadline: Instant,
}

const PHASE_CONNECT: u8 = 0;
const PHASE_SEND: u8 = 1;
const PHASE_STOP: u8 = 2;

/// What the main thread and the workers share.
struct Shared {
    /// The clock all send and receive times are measured on.
    epoch: Instant,
    phase: AtomicU8,
    /// When sending started, in µs since `epoch`.
    send_start: AtomicU64,
    /// Clients whose JOIN was confirmed.
    joined: AtomicUsize,
    /// Clients still connecting or joining, for `Plan::max_joining`.
    joining: AtomicUsize,
    /// Per sender id: its messages its confirmer has received.
    confirmed: Vec<AtomicU64>,
    /// Messages received by counted clients, duplicates included.
    delivered: AtomicU64,
    /// When any client last received a line, in µs since `epoch`.
    last_line: AtomicU64,
    /// The first thing that went wrong badly enough to stop the run.
    failure: Mutex<Option<String>>,
}

impl Shared {
    fn micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    fn fail(&self, message: String) {
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert(message);
        }
        self.phase.store(PHASE_STOP, Ordering::SeqCst);
    }

    fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|failure| failure.clone())
    }
}

/// A running swarm; see the module comment.
pub struct Swarm {
    plan: Arc<Plan>,
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<Tally>>,
    started: Instant,
}

/// What a swarm measured, all workers together.
pub struct Outcome {
    pub latency: Histogram,
    /// From connect to the join's confirmation, per client.
    pub join_latency: Histogram,
    /// Deliveries expected: counted clients × messages sent.
    pub expected: u64,
    /// Deliveries that arrived, duplicates included.
    pub delivered: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub reordered: u64,
    /// `ERROR` lines received after joining.
    pub errors: u64,
    pub first_error: Option<String>,
    /// Counted clients whose connection ended during the run.
    pub disconnects: u64,
    pub messages_sent: u64,
    /// µs since the epoch.
    pub send_start: u64,
    pub last_delivery: u64,
    pub bytes_read: u64,
    /// The silent client's socket, still open, for the caller to inspect.
    pub silent_stream: Option<TcpStream>,
    /// Why the run stopped early, if it did.
    pub failure: Option<String>,
}

impl Plan {
    /// The room client `index` joins.
    fn room_of(&self, index: usize) -> String {
        match self.room_size {
            Some(size) if index / size > 0 => format!("{ROOM}-{}", index / size),
            _ => ROOM.to_string(),
        }
    }

    /// The sender id of client `index`, if it sends.
    fn sender_id(&self, index: usize) -> Option<usize> {
        match self.room_size {
            None => (index < self.senders).then_some(index),
            Some(size) => {
                (index.is_multiple_of(size) && index < self.clients).then_some(index / size)
            }
        }
    }

    /// How many senders one client hears.
    fn senders_heard(&self) -> usize {
        if self.room_size.is_some() {
            1
        } else {
            self.senders
        }
    }

    /// Where a message from `sender` is tracked in a receiver's `from`.
    fn slot(&self, sender: usize) -> usize {
        if self.room_size.is_some() {
            0
        } else {
            sender
        }
    }

    /// Deliveries due when every sender has sent `sent[sender]` messages.
    fn expected(&self, sent: &[u64]) -> u64 {
        // Without an echo the sender is not among a message's receivers.
        let not_self = u64::from(!self.profile.echoes_to_sender());
        match self.room_size {
            None => (self.clients as u64).saturating_sub(not_self) * sent.iter().sum::<u64>(),
            Some(size) => sent
                .iter()
                .enumerate()
                .map(|(room, count)| {
                    let members = self.clients.saturating_sub(room * size).min(size);
                    (members as u64).saturating_sub(not_self) * count
                })
                .sum(),
        }
    }

    /// The client whose receipt of `sender`'s messages confirms them (see
    /// the module comment): the sender itself where the server echoes,
    /// otherwise the last client (the first one when the sender is last).
    fn confirmer_of(&self, sender: usize) -> usize {
        let own_index = match self.room_size {
            None => sender,
            Some(size) => sender * size,
        };
        if self.profile.echoes_to_sender() {
            own_index
        } else if self.room_size.is_some() {
            own_index + 1
        } else if sender + 1 == self.clients {
            0
        } else {
            self.clients - 1
        }
    }
}

impl Outcome {
    /// Seconds from the first send to the last delivery.
    pub fn send_seconds(&self) -> f64 {
        self.last_delivery.saturating_sub(self.send_start) as f64 / 1e6
    }
}

impl Swarm {
    /// Starts the workers; they connect, register and join at once.
    pub fn start(plan: Plan) -> Swarm {
        let plan = Arc::new(plan);
        let shared = Arc::new(Shared {
            epoch: Instant::now(),
            phase: AtomicU8::new(PHASE_CONNECT),
            send_start: AtomicU64::new(0),
            joined: AtomicUsize::new(0),
            joining: AtomicUsize::new(0),
            confirmed: (0..plan.senders).map(|_| AtomicU64::new(0)).collect(),
            delivered: AtomicU64::new(0),
            last_line: AtomicU64::new(0),
            failure: Mutex::new(None),
        });
        let everyone = plan.clients + usize::from(plan.silent_client);
        let threads = plan.threads.clamp(1, everyone.max(1));
        let workers = (0..threads)
            .map(|worker| {
                // Client i belongs to worker i % threads, so senders spread out.
                let mine: Vec<usize> = (worker..everyone).step_by(threads).collect();
                let plan = Arc::clone(&plan);
                let shared = Arc::clone(&shared);
                thread::spawn(move || run_worker(&plan, &shared, mine))
            })
            .collect();
        Swarm {
            plan,
            shared,
            workers,
            started: Instant::now(),
        }
    }

    /// Waits until every client has joined; returns how long that took.
    pub fn wait_joined(&self) -> Result<Duration, String> {
        let everyone = self.plan.clients + usize::from(self.plan.silent_client);
        self.wait_for(
            |shared| shared.joined.load(Ordering::SeqCst) >= everyone,
            || {
                format!(
                    "only {} of {everyone} clients joined",
                    self.shared.joined.load(Ordering::SeqCst)
                )
            },
        )?;
        Ok(self.started.elapsed())
    }

    /// Waits until no client has received anything for `quiet` (the flood of
    /// JOIN notices and history replay after everyone joined is over).
    pub fn wait_quiet(&self, quiet: Duration) -> Result<(), String> {
        let quiet = quiet.as_micros() as u64;
        self.wait_for(
            |shared| shared.micros() > shared.last_line.load(Ordering::SeqCst) + quiet,
            || "the server never went quiet after the joins".to_string(),
        )
    }

    /// Tells the senders to start.
    pub fn begin_sending(&self) {
        self.shared
            .send_start
            .store(self.shared.micros(), Ordering::SeqCst);
        self.shared.phase.store(PHASE_SEND, Ordering::SeqCst);
    }

    /// Waits until every counted client got every message; calls `tick`
    /// about every 10 ms meanwhile (the caller samples the server's memory).
    pub fn wait_delivered(&self, mut tick: impl FnMut()) -> Result<(), String> {
        let plan = &self.plan;
        let expected = plan.expected(&vec![plan.messages; plan.senders]);
        self.wait_for(
            |shared| {
                tick();
                shared.delivered.load(Ordering::SeqCst) >= expected
            },
            || {
                format!(
                    "only {} of {expected} deliveries arrived",
                    self.shared.delivered.load(Ordering::SeqCst)
                )
            },
        )
    }

    fn wait_for(
        &self,
        mut done: impl FnMut(&Shared) -> bool,
        why_not: impl Fn() -> String,
    ) -> Result<(), String> {
        loop {
            if let Some(failure) = self.shared.failure() {
                return Err(failure);
            }
            if done(&self.shared) {
                return Ok(());
            }
            if Instant::now() >= self.plan.deadline {
                return Err(format!("timed out: {}", why_not()));
            }
            thread::sleep(POLL);
        }
    }

    /// Stops the workers and adds up what they measured.
    pub fn finish(self) -> Outcome {
        self.shared.phase.store(PHASE_STOP, Ordering::SeqCst);
        let mut outcome = Outcome {
            latency: Histogram::new(),
            join_latency: Histogram::new(),
            expected: 0,
            delivered: 0,
            lost: 0,
            duplicates: 0,
            reordered: 0,
            errors: 0,
            first_error: None,
            disconnects: 0,
            messages_sent: 0,
            send_start: self.shared.send_start.load(Ordering::SeqCst),
            last_delivery: 0,
            bytes_read: 0,
            silent_stream: None,
            failure: None,
        };
        let mut unique_received = 0;
        let mut sent = vec![0; self.plan.senders];
        for worker in self.workers {
            let Ok(tally) = worker.join() else {
                self.shared
                    .fail("a load worker thread panicked".to_string());
                continue;
            };
            outcome.latency.merge(&tally.latency);
            outcome.join_latency.merge(&tally.join_latency);
            outcome.delivered += tally.delivered;
            unique_received += tally.unique_received;
            outcome.duplicates += tally.duplicates;
            outcome.reordered += tally.reordered;
            outcome.errors += tally.errors;
            outcome.first_error = outcome.first_error.or(tally.first_error);
            outcome.disconnects += tally.disconnects;
            for (total, count) in sent.iter_mut().zip(&tally.messages_sent) {
                *total += count;
            }
            outcome.last_delivery = outcome.last_delivery.max(tally.last_delivery);
            outcome.bytes_read += tally.bytes_read;
            outcome.silent_stream = outcome.silent_stream.or(tally.silent_stream);
        }
        outcome.messages_sent = sent.iter().sum();
        outcome.expected = self.plan.expected(&sent);
        outcome.lost = outcome.expected.saturating_sub(unique_received);
        outcome.failure = self.shared.failure();
        outcome
    }
}
