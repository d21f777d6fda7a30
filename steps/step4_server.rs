//! # Step 4 — the chat server
//!
//! What it adds over step 3: the other end. Many people connect at once, pick
//! names, chat in rooms, send private messages; the server relays every line
//! to the right people, keeps a history, and survives slow, silly and hostile
//! clients. It speaks two dialects on one port: exact protocol lines for
//! programs such as `step3_chat_client`, and friendly lines for people on a
//! bare `nc` or `telnet`.
//!
//! Read `steps/step4_core.rs` first: the same design in one file, without
//! the extras. This file only reads the command line and hands over to the
//! `chatroom` library, where each layer has its own folder (`src/lib.rs` is
//! the map; start reading at `src/server/accept.rs`, then
//! `src/server/connection.rs` and `src/chat/state.rs`).
//!
//! ## What it still gets wrong, on purpose
//! - **One global lock.** Every command from every client takes the same
//!   `Mutex<State>`, and holds it while the message is appended to the
//!   history file and queued for every member of the room. Simple to reason
//!   about, and it is what keeps a room's order the same for everyone; but
//!   only one command runs at a time, whatever the number of cores, and with
//!   `fsync = always` each message waits for the disk with the lock held.
//! - **Two threads per client.** A reader and a writer for each connection:
//!   blocking code that reads top to bottom, at the price of two stacks
//!   (reserved address space, a few pages touched each, 50–70 KiB per idle
//!   client in all) and two threads to start and end per visit. Lines to
//!   clients who keep up are written by the thread that queued them, with a
//!   `send()` that never waits, so the writers sleep until someone falls
//!   behind (see `src/outbox/`; `--no-direct-send` turns that off).
//!   Thousands of clients still cost thousands of threads; `epoll` or async
//!   would serve them from a handful.
//! - **A capacity cap.** Because of those threads and their memory maps,
//!   `max_clients` is lowered at start to what the machine's thread and map
//!   limits allow (see `src/server/capacity.rs`); past it, new connections
//!   get one `ERROR` line and are closed.
//!
//! Try it, in three terminals:
//!
//! ```text
//! cargo run --bin step4_server              # terminal 1
//! nc localhost 7007                         # terminal 2: /nick alice
//! cargo run --bin step3_chat_client -- --name bob   # terminal 3
//! ```
//!
//! Two subcommands read the stored history without starting a server:
//! `step4_server transcript [...]` and `step4_server attendance [...]`.

use chatroom::history::transcript;
use chatroom::server;
use chatroom::settings::server::{self as config, Startup};
use chatroom::support::cli;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("transcript") => {
            args.remove(0);
            std::process::exit(transcript::transcript_main(args));
        }
        Some("accounts") => {
            args.remove(0);
            std::process::exit(chatroom::accounts::command::accounts_main(args));
        }
        Some("attendance") => {
            args.remove(0);
            std::process::exit(transcript::attendance_main(args));
        }
        _ => {}
    }
    let cwd = std::env::current_dir()
        .unwrap_or_else(|e| cli::fail(format!("cannot read the current directory: {e}")));
    match config::load(args, &|name| std::env::var(name).ok(), &cwd) {
        Ok(Startup::PrintConfig(text)) => print!("{text}"),
        Ok(Startup::Serve(config)) => {
            // A thread per connection: glibc's per-thread caches of freed
            // blocks would cost most idle connections' memory.
            chatroom::support::malloc::without_thread_caches();
            if let Err(message) = server::run(config) {
                cli::fail(message);
            }
        }
        Err(error) => config::exit_on_error(error),
    }
}
