//! A sender writing to a client itself, instead of waking the client's
//! writer thread: what a line costs when the client keeps up.
//!
//! A thread that queued lines under the state lock was given the turn to
//! write for some of their recipients (the ones nobody was writing for: see
//! [`super::outbox`], "Who writes"). Once it has released the lock it comes
//! here, and for each of them takes what is queued and hands it to the
//! kernel with a `send()` that never waits ([`send_now`]). Usually the
//! socket takes it all and the turn goes back to nobody: no other thread
//! ran. If the socket is full, what did not fit is left for the writer
//! thread, which is handed the turn and woken: the slow client then costs
//! its own writer's time, never the sender's.
//!
//! **Batching from the work.** Two things make one `send()` carry many
//! lines when the server is busy, and neither is a timer:
//!
//! - A reader acts on up to `LINES_PER_WRITE` (16) lines of one `read()`
//!   before it writes what they queued ([`OneRead`]): a program with
//!   sixteen lines in flight gets them acted on, then each recipient gets
//!   all sixteen in one `send()`, as an event loop flushes once per round.
//!   A person typing one line at a time is written for at once.
//! - Before writing, the thread yields the CPU once (`thread::yield_now`).
//!   On a quiet server nothing else is ready and the yield returns at once;
//!   on a busy one the other readers run first, queueing more lines to the
//!   same clients, and the holder's `send()` then carries those too (their
//!   senders found the turn taken and went on).
//!
//! Measured on 2026-12-02 (release build, 2 cores, `chat_bench fanout
//! --profile irc --senders 10 --messages 2000`, as fast as possible, one
//! run each): with neither, 0.98 M deliveries/s at 100 clients and 1.64 M
//! at 1,000; with the yield, 1.69 M and 2.18 M; with both, 4.62 M and
//! 4.09 M, at 0.26 µs of server CPU per delivery. At 20 or 200 messages a
//! second neither changes anything measurable: each message finds its
//! recipients' turns free and is written at once.
//!
//! Tried and rejected: no limit on the lines acted on before writing (all
//! of one read's, up to 256 short lines). While a reader holds the turn to
//! write for a client, other senders' lines to that client wait too, and
//! those senders, holding no turns, raced through read after read with
//! nobody writing: three clients flooding with flood control off filled
//! every queue within 20 ms, and everyone was dropped as too slow
//! (`kill_9_during_traffic…` in `tests/server_history.rs`).

use crate::chat::stats;
use crate::server::outbox::{Doorbell, GivenBack, Holder, Queue};
use crate::server::writer::{gather, Gathered};
use crate::support::send_now::send_now;
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// While a reader works through the lines of one read ([`OneRead`]),
    /// the turns it was given wait here instead of being written at once.
    static HELD_TURNS: RefCell<Option<Vec<Arc<Doorbell>>>> = const { RefCell::new(None) };
}

/// Writes for every client in `turns` (turns this thread was given by
/// [`super::outbox::Sent::YourTurn`]; the state lock must be released), or,
/// inside a [`OneRead`], keeps them for later.
pub fn write_for(turns: Vec<Arc<Doorbell>>) {
    if turns.is_empty() {
        return;
    }
    let now = HELD_TURNS.with_borrow_mut(|held| match held {
        // The first lines' turns are taken as they are, not copied.
        Some(held) if held.is_empty() => {
            *held = turns;
            None
        }
        Some(held) => {
            held.extend(turns);
            None
        }
        None => Some(turns),
    });
    if let Some(turns) = now {
        write_all_of(&turns);
    }
}

/// Holds back the writing for a few lines of one read: while a `OneRead`
/// lives, [`write_for`] only collects turns; [`OneRead::write_held`] and
/// dropping it write them (so an early return never leaves a turn held).
pub struct OneRead(());

impl OneRead {
    pub fn start() -> OneRead {
        // Inside another one (there is none today), the turns held so far
        // stay held: whichever ends first writes them all, none is lost.
        HELD_TURNS.with_borrow_mut(|held| {
            held.get_or_insert_with(Vec::new);
        });
        OneRead(())
    }

    /// Writes what the lines so far queued, and goes on holding.
    pub fn write_held(&self) {
        let turns = HELD_TURNS.with_borrow_mut(|held| held.replace(Vec::new()));
        write_all_of(&turns.unwrap_or_default());
    }
}

impl Drop for OneRead {
    fn drop(&mut self) {
        let turns = HELD_TURNS.with_borrow_mut(Option::take);
        write_all_of(&turns.unwrap_or_default());
    }
}

/// Writes for each client in `turns`, after letting the other threads that
/// are ready run first. One buffer serves the whole list: a batch is built
/// in it, written, and the buffer reused for the next client.
fn write_all_of(turns: &[Arc<Doorbell>]) {
    if turns.is_empty() {
        return;
    }
    // When the CPU is busy, those threads are readers queueing more lines
    // to the same clients, and each `send()` below then carries them too;
    // when nothing else is ready, this returns at once.
    std::thread::yield_now();
    let mut batch = Vec::new();
    for doorbell in turns {
        write_queue(doorbell, &mut batch);
    }
}

/// Writes what is queued for one client without waiting, until the queue is
/// empty (the turn goes back to nobody) or the socket is full (the turn goes
/// to the writer thread, with what did not fit).
fn write_queue(doorbell: &Doorbell, batch: &mut Vec<u8>) {
    let Some(mut queue) = doorbell.try_lock_queue() else {
        // The previous holder is still letting go of it: not worth a wait.
        return doorbell.hand_to_writer();
    };
    let Some(socket) = doorbell.socket() else {
        drop(queue);
        return doorbell.hand_to_writer();
    };
    loop {
        // A client being dropped as too slow gets its last words from
        // its writer.
        if doorbell.saying_farewell() {
            break;
        }
        // `One` means nothing else was queued: after it, the turn goes back
        // at once, without a look at the channel that would find it empty.
        let (all_sent, nothing_left) = match gather(doorbell, &mut queue, batch) {
            Gathered::One(line) => (send_or_keep(socket, line.as_bytes(), &mut queue), true),
            Gathered::Batch => {
                let all_sent = send_or_keep(socket, batch, &mut queue);
                batch.clear();
                (all_sent, false)
            }
            Gathered::Nothing => (true, true),
            // The state dropped the connection: the writer closes it.
            Gathered::Closed => break,
        };
        if !all_sent {
            break;
        }
        if nothing_left {
            match doorbell.give_back(&mut queue, Holder::Sender) {
                GivenBack::Kept => continue,
                GivenBack::ToNobody | GivenBack::Taken => return,
            }
        }
    }
    drop(queue);
    doorbell.hand_to_writer();
}

/// Sends what the socket takes now; keeps the rest in the queue's
/// [`Queue::unsent`], for the writer. True if everything went. A failing
/// socket keeps everything too: the writer's next write meets the error and
/// ends the connection.
fn send_or_keep(socket: &std::net::TcpStream, bytes: &[u8], queue: &mut Queue) -> bool {
    let mut sent = 0;
    while sent < bytes.len() {
        match send_now(socket, &bytes[sent..]) {
            Ok(0) | Err(_) => break,
            Ok(more) => sent += more,
        }
    }
    stats::count_out(sent);
    queue.unsent.extend_from_slice(&bytes[sent..]);
    sent == bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::outbox::{outbox, Inbox, Outbox, Sent};
    use std::io::{ErrorKind, Read};
    use std::net::{TcpListener, TcpStream};

    /// A queue for a real socket, its writer's first turn given back as a
    /// writer thread does when it starts; and the client's end.
    fn connection() -> (Outbox, Inbox, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let (outbox, inbox) = outbox(16, Some(Arc::new(server)));
        let doorbell = inbox.doorbell();
        let mut queue = doorbell.lock_queue();
        assert_eq!(
            doorbell.give_back(&mut queue, Holder::Writer),
            GivenBack::ToNobody
        );
        drop(queue);
        (outbox, inbox, client)
    }

    fn turn(outbox: &Outbox, line: &str) -> Arc<Doorbell> {
        match outbox.send(Arc::from(line)) {
            Sent::YourTurn(doorbell) => doorbell,
            _ => panic!("nobody was writing: the sender must get the turn"),
        }
    }

    fn read_now(client: &mut TcpStream) -> Vec<u8> {
        client.set_nonblocking(true).unwrap();
        let mut got = vec![0u8; 64];
        let n = match client.read(&mut got) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(e) => panic!("{e}"),
        };
        client.set_nonblocking(false).unwrap();
        got.truncate(n);
        got
    }

    fn read_exactly(client: &mut TcpStream, n: usize) -> Vec<u8> {
        let mut got = vec![0u8; n];
        client.read_exact(&mut got).unwrap();
        got
    }

    #[test]
    fn a_sender_given_the_turn_writes_at_once_and_gives_it_back() {
        let (outbox, _inbox, mut client) = connection();
        write_for(vec![turn(&outbox, "a\n")]);
        assert_eq!(read_exactly(&mut client, 2), b"a\n");
        // Given back: the next sender gets the turn again.
        write_for(vec![turn(&outbox, "b\n")]);
        assert_eq!(read_exactly(&mut client, 2), b"b\n");
    }

    #[test]
    fn what_a_one_read_holds_goes_out_in_one_send_when_it_ends() {
        let (outbox, _inbox, mut client) = connection();
        let one_read = OneRead::start();
        write_for(vec![turn(&outbox, "a\n")]);
        // Still held: the next line finds the turn taken, nothing is sent.
        // (A loopback send lands in the client's buffer before it returns,
        // so had anything been sent, it would be there to read now.)
        assert!(matches!(outbox.send(Arc::from("b\n")), Sent::Queued));
        assert_eq!(read_now(&mut client), b"");
        drop(one_read);
        assert_eq!(read_exactly(&mut client, 4), b"a\nb\n");
    }
}
