//! One load thread of a [`Swarm`](super::Swarm): it connects its share of
//! the clients, a few at a time, then sweeps them (read, queue due messages,
//! write) until the main thread says stop, and hands back a [`Tally`] of what
//! it measured. It is separate from the client code because it is the part
//! that decides when to sleep, which is what keeps the tool from taking the
//! server's CPU (see the constants in `swarm.rs`).

use super::client::{connect, flush, queue_due_messages, read_client, Client};
use super::sequence::Sequence;
use super::{
    Plan, Shared, IDLE_SLEEP, PACE_FRACTION, PACE_SLEEP, PHASE_SEND, PHASE_STOP, READ_CHUNK,
};
use crate::stats::Histogram;
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Instant;

/// One worker's share of the measurements.
pub(super) struct Tally {
    pub(super) latency: Histogram,
    pub(super) join_latency: Histogram,
    pub(super) delivered: u64,
    /// Distinct messages received (a duplicate counts once).
    pub(super) unique_received: u64,
    pub(super) duplicates: u64,
    pub(super) reordered: u64,
    pub(super) errors: u64,
    pub(super) first_error: Option<String>,
    pub(super) disconnects: u64,
    /// Per sender id.
    pub(super) messages_sent: Vec<u64>,
    pub(super) last_delivery: u64,
    pub(super) bytes_read: u64,
    pub(super) silent_stream: Option<TcpStream>,
}

/// A worker thread: connects its clients, then sweeps them until told to stop.
pub(super) fn run_worker(plan: &Plan, shared: &Shared, mine: Vec<usize>) -> Tally {
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
