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
//! **Batching from the work.** A holder writes everything queued by the
//! time it looks, so lines other senders queue to the same client while it
//! writes join its next `send()` (their senders found the turn taken and
//! went on). The turn is held only for writing: a sender gives it back
//! before it reads its next line. (Tried and rejected: holding the turns
//! until all the lines of one `read()` were acted on, as an event loop
//! flushes once per round. Other senders, finding the turns taken, then
//! raced ahead through read after read with nobody writing, and three
//! clients flooding with flood control off filled every queue within
//! 20 ms: everyone was dropped as too slow, watchers included.)
//!
//! Measured on 2026-12-02 (release build, 2 cores, `chat_bench fanout
//! --profile irc --senders 10`, side by side with ngIRCd and InspIRCd in
//! `make bench-peers`): see `BENCHMARKS.md`.

use crate::server::outbox::{Doorbell, GivenBack, Holder, Queue};
use crate::server::writer::{count_out, gather, Gathered};
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
        HELD_TURNS.with_borrow_mut(|held| *held = Some(Vec::new()));
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
    let Some(socket) = queue.socket.clone() else {
        drop(queue);
        return doorbell.hand_to_writer();
    };
    loop {
        // A client being dropped as too slow gets its last words from
        // its writer.
        if doorbell.saying_farewell() {
            break;
        }
        let all_sent = match gather(doorbell, &mut queue, batch) {
            Gathered::One(line) => send_or_keep(&socket, line.as_bytes(), &mut queue),
            Gathered::Batch => {
                let all_sent = send_or_keep(&socket, batch, &mut queue);
                batch.clear();
                all_sent
            }
            Gathered::Nothing => match doorbell.give_back(&mut queue, Holder::Sender) {
                GivenBack::Kept => continue,
                GivenBack::ToNobody | GivenBack::Taken => return,
            },
            // The state dropped the connection: the writer closes it.
            Gathered::Closed => break,
        };
        if !all_sent {
            break;
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
    count_out(&Ok(()), sent);
    queue.unsent.extend_from_slice(&bytes[sent..]);
    sent == bytes.len()
}
