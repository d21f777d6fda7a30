//! `chat_bench floor`: the least a server of the design card's shape does
//! for a churn visit, to measure what the chat itself adds.
//!
//! It has one thread per connection and nothing else: it accepts, reads
//! until the `QUIT` line, writes a fixed answer in one `write` (two lines
//! for the line protocol; for IRC the six numerics a registration needs and
//! `ERROR`), and shuts the socket down. There are no names, rooms, lock or
//! log. Its threads are kept one of three ways (`--way`): `accept` (the
//! server's: idle threads wait in `accept()` themselves), `hand-over` (one
//! thread accepts and hands each socket to a parked thread through a
//! `Condvar`, the way the server's readers were kept before) or `spawn` (a
//! new thread per visit, as in step 1).
//!
//! It serves until it is killed, and prints the server's first line, so
//! `churn --connect` can measure it like any server:
//!
//! ```text
//! ./target/release/chat_bench floor --profile irc &
//! #  Chat server started on 127.0.0.1:41235 (pid 4242)
//! ./target/release/chat_bench churn --connect 127.0.0.1:41235 --server-pid 4242 --profile irc --cycles 20000 --connect-at-once 8
//! ```

use crate::profile::Profile;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

/// How the floor keeps its threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Accept,
    HandOver,
    Spawn,
}

impl Way {
    pub fn parse(name: &str) -> Option<Way> {
        match name {
            "accept" => Some(Way::Accept),
            "hand-over" => Some(Way::HandOver),
            "spawn" => Some(Way::Spawn),
            _ => None,
        }
    }
}

/// Threads waiting in `accept()` (`Way::Accept`) or parked (`Way::HandOver`).
const KEPT_THREADS: usize = 16;
const STACK_BYTES: usize = 64 * 1024;

/// Serves for ever on a free port of 127.0.0.1; `Err` only if it cannot
/// start.
pub fn serve(profile: Profile, way: Way) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot listen: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let answer: &'static [u8] = match profile {
        Profile::Chatroom => b"OK Welcome, x!\r\nOK Goodbye!\r\n",
        Profile::Irc => IRC_ANSWER,
    };
    let spawn = |job: Box<dyn FnOnce() + Send>| {
        thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn(job)
            .map(drop)
            .map_err(|e| format!("cannot start a thread: {e}"))
    };
    // The first line of every server chat_bench starts.
    eprintln!(
        "Chat server started on {local} (pid {})",
        std::process::id()
    );
    match way {
        Way::Accept => {
            let listener = Arc::new(listener);
            for _ in 0..KEPT_THREADS {
                let listener = Arc::clone(&listener);
                spawn(Box::new(move || loop {
                    if let Ok((stream, _)) = listener.accept() {
                        visit(stream, answer);
                    }
                }))?;
            }
            loop {
                thread::park();
            }
        }
        Way::HandOver => {
            let queue = Arc::new((Mutex::new(VecDeque::<TcpStream>::new()), Condvar::new()));
            for _ in 0..KEPT_THREADS {
                let queue = Arc::clone(&queue);
                spawn(Box::new(move || loop {
                    let (waiting, ready) = &*queue;
                    let mut sockets = waiting.lock().unwrap_or_else(|p| p.into_inner());
                    let stream = loop {
                        match sockets.pop_front() {
                            Some(stream) => break stream,
                            None => {
                                sockets = ready.wait(sockets).unwrap_or_else(|p| p.into_inner())
                            }
                        }
                    };
                    drop(sockets);
                    visit(stream, answer);
                }))?;
            }
            for stream in listener.incoming().flatten() {
                let (waiting, ready) = &*queue;
                waiting
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back(stream);
                ready.notify_one();
            }
            Ok(())
        }
        Way::Spawn => {
            for stream in listener.incoming().flatten() {
                spawn(Box::new(move || visit(stream, answer)))?;
            }
            Ok(())
        }
    }
}

/// What an IRC server must say to a client that registers and quits.
const IRC_ANSWER: &[u8] = b":floor 001 x :Welcome to the floor x\r\n\
:floor 002 x :Your host is floor\r\n\
:floor 003 x :This server was created today\r\n\
:floor 004 x floor 1 o o\r\n\
:floor 005 x CHANTYPES=# :are supported by this server\r\n\
:floor 422 x :MOTD File is missing\r\n\
ERROR :Closing link\r\n";

/// One visit: read until a line with `QUIT`, answer, shut down.
fn visit(mut stream: TcpStream, answer: &[u8]) {
    let _ = stream.set_nodelay(true);
    let mut buffer = [0u8; 512];
    let mut seen = Vec::new();
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
        }
        let quit = seen.windows(4).any(|w| w.eq_ignore_ascii_case(b"QUIT"));
        if quit && seen.ends_with(b"\n") {
            break;
        }
    }
    let _ = stream.write_all(answer);
    let _ = stream.shutdown(Shutdown::Both);
}
