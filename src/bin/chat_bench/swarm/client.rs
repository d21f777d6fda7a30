//! One simulated client of a [`Swarm`](super::Swarm), as a small state
//! machine (joining, joined, closed): how it connects and introduces
//! itself, what it does with each line the server sends (the profile says
//! what a line means), how a sender queues its due messages, and how its
//! outbox is written. Every function here works on one client, and only the
//! connect itself blocks (for at most `CONNECT_TIMEOUT`): after it the socket
//! is nonblocking, and the worker's sweep calls these again on its next pass.

use super::sequence::{Arrival, Sequence};
use super::worker::Tally;
use super::{Plan, Shared, CONNECT_TIMEOUT, MAX_LINE, PHASE_STOP, READS_PER_VISIT};
use crate::profile::Incoming;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;

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
pub(super) struct Client {
    /// Its number in the plan (senders first; the silent client last).
    index: usize,
    name: String,
    /// When it connected, in µs since the epoch.
    connected_at: u64,
    pub(super) stream: TcpStream,
    stage: Stage,
    /// Bytes received that do not yet form a complete line.
    inbox: Vec<u8>,
    /// Bytes to send that the kernel has not taken yet.
    outbox: Vec<u8>,
    /// False for the silent client once it has joined.
    reading: bool,
    /// Whether its deliveries count (everyone except the silent client).
    pub(super) counted: bool,
    /// Set for the first `senders` clients.
    pub(super) sender: Option<SenderState>,
    /// Per sender: what this client has received from it.
    pub(super) from: Vec<Sequence>,
}

pub(super) struct SenderState {
    pub(super) id: usize,
    pub(super) sent: u64,
}

/// Opens client `index`'s connection and queues its first lines (see
/// [`Profile::hello`](crate::profile::Profile::hello)).
pub(super) fn connect(plan: &Plan, index: usize, now: u64) -> Result<Client, String> {
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
pub(super) fn read_client(
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
    while let Some(length) = find_newline(&inbox[start..]) {
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

/// Where the first `\n` in `bytes` is. Eight bytes at a time: at 1,000
/// clients this program reads millions of lines a second on the same two
/// cores as the server it measures, and a search byte by byte was most of
/// its own time (`docs/design.md`, "The load generator's share").
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let Ok(eight) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        // A byte equal to `\n` becomes zero; the lowest zero byte of a
        // word is the lowest byte whose high bit `(w - ONES) & !w` sets.
        let word = u64::from_le_bytes(eight) ^ (ONES * u64::from(b'\n'));
        let zeros = word.wrapping_sub(ONES) & !word & HIGHS;
        if zeros != 0 {
            return Some(offset + zeros.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    let rest = &bytes[offset..];
    rest.iter().position(|&b| b == b'\n').map(|at| offset + at)
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
pub(super) fn queue_due_messages(client: &mut Client, plan: &Plan, shared: &Shared) {
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
pub(super) fn flush(client: &mut Client, shared: &Shared, tally: &mut Tally) -> bool {
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
    fn the_first_newline_is_found_wherever_it_is() {
        for length in 0..40 {
            for at in 0..length {
                let mut bytes = vec![b'x'; length];
                bytes[at] = b'\n';
                // Bytes just off a newline's value, and a second newline.
                if at + 1 < length {
                    bytes[at + 1] = b'\n';
                }
                if at > 0 {
                    bytes[at - 1] = 0x0b;
                }
                assert_eq!(find_newline(&bytes), Some(at), "{length} {at}");
            }
            let mut none = vec![0x0b; length];
            none.iter_mut().step_by(3).for_each(|b| *b = 0x8a);
            assert_eq!(find_newline(&none), None);
        }
    }

    #[test]
    fn numbers_parse_strictly() {
        assert_eq!(number(b"12345"), Some(12345));
        assert_eq!(number(b""), None);
        assert_eq!(number(b"12x"), None);
    }
}
