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
//! run, so history replayed from earlier runs (`ROOM …` lines right after
//! JOIN) is recognised and ignored. All workers share one clock (an
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

use crate::profile::{Incoming, Profile};
use crate::stats::Histogram;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

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

/// One worker's share of the measurements.
struct Tally {
    latency: Histogram,
    join_latency: Histogram,
    delivered: u64,
    /// Distinct messages received (a duplicate counts once).
    unique_received: u64,
    duplicates: u64,
    reordered: u64,
    errors: u64,
    first_error: Option<String>,
    disconnects: u64,
    /// Per sender id.
    messages_sent: Vec<u64>,
    last_delivery: u64,
    bytes_read: u64,
    silent_stream: Option<TcpStream>,
}

/// Where a client is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Connected; registration and JOIN sent, the join not yet confirmed.
    Joining,
    Joined,
    /// The connection ended.
    Closed,
}

/// One simulated client.
struct Client {
    /// Its number in the plan (senders first; the silent client last).
    index: usize,
    name: String,
    /// When it connected, in µs since the epoch.
    connected_at: u64,
    stream: TcpStream,
    stage: Stage,
    /// Bytes received that do not yet form a complete line.
    inbox: Vec<u8>,
    /// Bytes to send that the kernel has not taken yet.
    outbox: Vec<u8>,
    /// False for the silent client once it has joined.
    reading: bool,
    /// Whether its deliveries count (everyone except the silent client).
    counted: bool,
    /// Set for the first `senders` clients.
    sender: Option<SenderState>,
    /// Per sender: what this client has received from it.
    from: Vec<Sequence>,
}

struct SenderState {
    id: usize,
    sent: u64,
}

/// Arrivals from one sender at one receiver, in sequence-number terms.
#[derive(Default)]
struct Sequence {
    /// One more than the highest sequence number seen.
    next: u64,
    /// Numbers below `next` not seen yet: lost, or overtaken and still coming.
    missing: Vec<u64>,
}

/// How a message arrived, compared with the ones before it.
enum Arrival {
    InOrder,
    /// It filled a gap: an earlier-sent message arrived later than a newer one.
    Late,
    Duplicate,
}

impl Sequence {
    fn arrive(&mut self, seq: u64) -> Arrival {
        if seq >= self.next {
            // A jump forward leaves a gap; bounded, so a broken server cannot
            // make the tool allocate without limit.
            let gap_start = self.next.max(seq.saturating_sub(10_000));
            self.missing.extend(gap_start..seq);
            self.next = seq + 1;
            Arrival::InOrder
        } else if let Some(at) = self.missing.iter().position(|&m| m == seq) {
            self.missing.swap_remove(at);
            Arrival::Late
        } else {
            Arrival::Duplicate
        }
    }

    fn unique(&self) -> u64 {
        self.next - self.missing.len() as u64
    }
}

/// A worker thread: connects its clients, then sweeps them until told to stop.
fn run_worker(plan: &Plan, shared: &Shared, mine: Vec<usize>) -> Tally {
    let mut tally = Tally {
        latency: Histogram::new(),
        join_latency: Histogram::new(),
        delivered: 0,
        unique_received: 0,
        duplicates: 0,
        reordered: 0,
        errors: 0,
        first_error: None,
        disconnects: 0,
        messages_sent: vec![0; plan.senders],
        last_delivery: 0,
        bytes_read: 0,
        silent_stream: None,
    };
    let mut to_connect = mine.into_iter().peekable();
    let mut clients: Vec<Client> = Vec::new();
    let mut scratch = vec![0u8; READ_CHUNK];
    let mut published = 0;
    loop {
        let phase = shared.phase.load(Ordering::SeqCst);
        if phase == PHASE_STOP || Instant::now() >= plan.deadline {
            break;
        }
        let mut busy = false;
        while to_connect.peek().is_some()
            && shared.joining.load(Ordering::SeqCst) < plan.max_joining
        {
            let Some(index) = to_connect.next() else {
                break;
            };
            match connect(plan, index, shared.micros()) {
                Ok(client) => {
                    shared.joining.fetch_add(1, Ordering::SeqCst);
                    clients.push(client);
                    busy = true;
                }
                Err(message) => {
                    shared.fail(message);
                    break;
                }
            }
        }
        let mut sockets_with_data = 0;
        for client in clients.iter_mut() {
            let before = tally.bytes_read;
            read_client(client, plan, shared, &mut scratch, &mut tally);
            if tally.bytes_read > before {
                sockets_with_data += 1;
            }
            if phase == PHASE_SEND {
                queue_due_messages(client, plan, shared);
            }
            busy |= flush(client, shared, &mut tally);
        }
        if sockets_with_data > 0 {
            shared
                .last_line
                .fetch_max(shared.micros(), Ordering::SeqCst);
        }
        if tally.delivered > published {
            shared
                .delivered
                .fetch_add(tally.delivered - published, Ordering::SeqCst);
            published = tally.delivered;
        }
        if !busy && sockets_with_data == 0 {
            thread::sleep(IDLE_SLEEP);
        } else if plan.rate.is_none()
            && phase == PHASE_SEND
            && sockets_with_data * PACE_FRACTION < clients.len()
        {
            thread::sleep(PACE_SLEEP);
        }
    }
    for client in clients {
        if let Some(sender) = &client.sender {
            tally.messages_sent[sender.id] += sender.sent;
        }
        if client.counted {
            tally.unique_received += client.from.iter().map(Sequence::unique).sum::<u64>();
        } else {
            tally.silent_stream = Some(client.stream);
        }
    }
    tally
}

/// Opens client `index`'s connection and queues its first lines (see
/// [`Profile::hello`]).
fn connect(plan: &Plan, index: usize, now: u64) -> Result<Client, String> {
    let silent = index == plan.clients;
    let name = if silent {
        format!("b{}_slow", plan.tag)
    } else {
        format!("b{}_{index}", plan.tag)
    };
    let addr = plan.addr;
    let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|e| {
        let hint = if e.raw_os_error() == Some(24) {
            " (too many open files: raise the limit, e.g. `ulimit -n 20000`)"
        } else {
            ""
        };
        format!("cannot connect to {addr}: {e}{hint}")
    })?;
    // Without TCP_NODELAY a small write waits for the previous one's ACK
    // (Nagle's algorithm), which would add up to 40 ms to a latency.
    stream
        .set_nodelay(true)
        .and_then(|()| stream.set_nonblocking(true))
        .map_err(|e| format!("cannot set up a socket to {addr}: {e}"))?;
    let sender = plan.sender_id(index).map(|id| SenderState { id, sent: 0 });
    let room = plan.room_of(index);
    Ok(Client {
        index,
        outbox: plan.profile.hello(&name, &room).into_bytes(),
        name,
        connected_at: now,
        stream,
        stage: Stage::Joining,
        inbox: Vec::new(),
        reading: true,
        counted: !silent,
        sender,
        from: (0..plan.senders_heard())
            .map(|_| Sequence::default())
            .collect(),
    })
}

/// Reads what has arrived for one client and handles its complete lines.
fn read_client(
    client: &mut Client,
    plan: &Plan,
    shared: &Shared,
    scratch: &mut [u8],
    tally: &mut Tally,
) {
    if !client.reading || client.stage == Stage::Closed {
        return;
    }
    for _ in 0..READS_PER_VISIT {
        match client.stream.read(scratch) {
            Ok(0) => {
                close(client, shared, tally, "the server closed the connection");
                return;
            }
            Ok(n) => {
                tally.bytes_read += n as u64;
                let now = shared.micros();
                client.inbox.extend_from_slice(&scratch[..n]);
                handle_lines(client, plan, shared, now, tally);
                if n < scratch.len() || !client.reading {
                    return;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                close(client, shared, tally, &e.to_string());
                return;
            }
        }
    }
}

fn close(client: &mut Client, shared: &Shared, tally: &mut Tally, why: &str) {
    if client.stage == Stage::Joining {
        shared.fail(format!(
            "{} was disconnected before it joined: {why}",
            client.name
        ));
    } else if client.counted && shared.phase.load(Ordering::SeqCst) != PHASE_STOP {
        // A measured client that loses its connection spoils the run: its
        // messages can never all arrive, so stop now instead of timing out.
        tally.disconnects += 1;
        shared.fail(format!("{} was disconnected: {why}", client.name));
    }
    client.stage = Stage::Closed;
}

/// Handles every complete line in the client's inbox.
fn handle_lines(client: &mut Client, plan: &Plan, shared: &Shared, now: u64, tally: &mut Tally) {
    let inbox = std::mem::take(&mut client.inbox);
    let mut start = 0;
    while let Some(length) = inbox[start..].iter().position(|&b| b == b'\n') {
        let line = &inbox[start..start + length];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        handle_line(client, line, plan, shared, now, tally);
        start += length + 1;
    }
    client.inbox = inbox;
    client.inbox.drain(..start);
    if client.inbox.len() > MAX_LINE {
        shared.fail(format!(
            "{} received a line longer than {MAX_LINE} bytes",
            client.name
        ));
    }
}

fn handle_line(
    client: &mut Client,
    line: &[u8],
    plan: &Plan,
    shared: &Shared,
    now: u64,
    tally: &mut Tally,
) {
    match plan.profile.read(line) {
        Incoming::Message(payload) => {
            if let Some((sender, seq, sent_at)) = parse_payload(payload, plan) {
                let latency = now.saturating_sub(sent_at);
                handle_message(client, plan, shared, sender, seq, latency, tally, now);
            }
        }
        Incoming::Registered if client.stage == Stage::Joining => {
            if let Some(join) = plan.profile.join(&plan.room_of(client.index)) {
                client.outbox.extend_from_slice(join.as_bytes());
            }
        }
        Incoming::Joined if client.stage == Stage::Joining => {
            client.stage = Stage::Joined;
            tally
                .join_latency
                .record(now.saturating_sub(client.connected_at));
            shared.joining.fetch_sub(1, Ordering::SeqCst);
            shared.joined.fetch_add(1, Ordering::SeqCst);
            if !client.counted {
                client.reading = false;
            }
        }
        Incoming::Reply(reply) => client.outbox.extend_from_slice(&reply),
        Incoming::Error => {
            let text = String::from_utf8_lossy(line);
            if client.stage == Stage::Joining {
                shared.fail(format!("the server refused {}: {text}", client.name));
            } else {
                tally.errors += 1;
                tally
                    .first_error
                    .get_or_insert_with(|| format!("{} got {text}", client.name));
            }
        }
        // Notices, welcome lines, JOIN/LEAVE notices: nothing to measure.
        Incoming::Registered | Incoming::Joined | Incoming::Other => {}
    }
}

#[allow(clippy::too_many_arguments)] // one delivery's facts, all needed
fn handle_message(
    client: &mut Client,
    plan: &Plan,
    shared: &Shared,
    sender: usize,
    seq: u64,
    latency: u64,
    tally: &mut Tally,
    now: u64,
) {
    if !client.counted {
        return;
    }
    if plan.confirmer_of(sender) == client.index {
        shared.confirmed[sender].fetch_add(1, Ordering::SeqCst);
    }
    let slot = plan.slot(sender);
    tally.latency.record(latency);
    tally.delivered += 1;
    tally.last_delivery = now;
    let Some(sequence) = client.from.get_mut(slot) else {
        return;
    };
    match sequence.arrive(seq) {
        Arrival::InOrder => {}
        Arrival::Late => tally.reordered += 1,
        Arrival::Duplicate => tally.duplicates += 1,
    }
}

/// `<tag> <sender> <seq> <sent_micros> xxx…` → the numbers, or `None` for
/// a message that is not from this run.
fn parse_payload(payload: &[u8], plan: &Plan) -> Option<(usize, u64, u64)> {
    let mut words = payload.split(|&b| b == b' ');
    if words.next()? != plan.tag.as_bytes() {
        return None;
    }
    let sender = number(words.next()?)? as usize;
    let seq = number(words.next()?)?;
    let sent_at = number(words.next()?)?;
    (sender < plan.senders).then_some((sender, seq, sent_at))
}

fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + u64::from(b - b'0'))
    })
}

/// Puts a sender's due messages into its outbox (see the module comment).
fn queue_due_messages(client: &mut Client, plan: &Plan, shared: &Shared) {
    if client.stage != Stage::Joined {
        return;
    }
    let Some(sender) = client.sender.as_mut() else {
        return;
    };
    let start = shared.send_start.load(Ordering::SeqCst);
    let message_start = plan.profile.message_start(&plan.room_of(client.index));
    while sender.sent < plan.messages {
        let now = shared.micros();
        let may_send = match plan.rate {
            None => {
                let confirmed = shared.confirmed[sender.id].load(Ordering::SeqCst);
                sender.sent.saturating_sub(confirmed) < plan.window
            }
            Some(rate) => {
                let slot = sender.sent * plan.senders as u64 + sender.id as u64;
                start + (slot as f64 * 1e6 / rate) as u64 <= now
            }
        };
        if !may_send {
            break;
        }
        let line_start = client.outbox.len();
        // Writing into a Vec cannot fail.
        let _ = write!(
            client.outbox,
            "{message_start}{} {} {} {now} ",
            plan.tag, sender.id, sender.sent
        );
        let pad = plan
            .line_bytes
            .saturating_sub(client.outbox.len() - line_start + 2);
        client.outbox.resize(client.outbox.len() + pad, b'x');
        client.outbox.extend_from_slice(b"\r\n");
        sender.sent += 1;
    }
}

/// Writes as much of the outbox as the kernel takes; true if it took some.
fn flush(client: &mut Client, shared: &Shared, tally: &mut Tally) -> bool {
    if client.outbox.is_empty() || client.stage == Stage::Closed {
        return false;
    }
    match client.stream.write(&client.outbox) {
        Ok(n) => {
            client.outbox.drain(..n);
            n > 0
        }
        Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => false,
        Err(e) => {
            if client.counted {
                tally.disconnects += 1;
                shared.fail(format!("{} could not send: {e}", client.name));
            }
            client.stage = Stage::Closed;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_tell_late_from_duplicate() {
        let mut sequence = Sequence::default();
        assert!(matches!(sequence.arrive(0), Arrival::InOrder));
        assert!(matches!(sequence.arrive(2), Arrival::InOrder)); // 1 is missing
        assert_eq!(sequence.unique(), 2);
        assert!(matches!(sequence.arrive(1), Arrival::Late));
        assert!(matches!(sequence.arrive(1), Arrival::Duplicate));
        assert_eq!(sequence.unique(), 3);
    }

    #[test]
    fn numbers_parse_strictly() {
        assert_eq!(number(b"12345"), Some(12345));
        assert_eq!(number(b""), None);
        assert_eq!(number(b"12x"), None);
    }
}
