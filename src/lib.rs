//! # chatroom
//!
//! The library behind the tutorial's programs. Step 1 uses only its
//! support code (flags, log lines, signals); step 2 adds the wire's line
//! framing; step 3 the client settings and the text rules; `step4_server`
//! is thin: it reads its settings and calls [`server::run`]. Tests and the
//! benchmark drive the same code.
//!
//! The folders are layers, and each imports only from the layers listed
//! before it (`tests/layers.rs` reads every `crate::` path and fails on one
//! that points up):
//! 1. [`support`]: what std lacks — flags and `--help`, log lines (a
//!    stranger's at most once a minute per address), SIGINT/SIGTERM, UTC
//!    time as text, SHA-1 and base64, a socket write that never waits, a
//!    look at whether a client has hung up, byte counters, a temporary
//!    directory for tests.
//! 2. [`text`]: the rules for text every layer above applies — valid names
//!    and look-alikes, what may reach another person's screen, how many
//!    columns it takes there.
//! 3. [`wire`]: bytes → lines, lines → commands, events → the exact lines
//!    each dialect receives; IRC, HTTP and WebSocket framing. Pure code,
//!    tested with strings.
//! 4. [`history`]: the message history files, and the `transcript` and
//!    `attendance` subcommands.
//! 5. [`accounts`]: the class list — names that belong to students, their
//!    salted slow password hashes, the `accounts` subcommand.
//! 6. [`settings`]: server and client settings, from one table.
//! 7. [`outbox`]: one connection's bounded queue, its writer thread's loop,
//!    and whose turn it is to write (the fast path, behind one switch).
//! 8. [`chat`]: the rules — users and rooms behind one lock. It queues
//!    lines and returns the turns to write; it never touches a socket.
//! 9. [`server`]: readers waiting in `accept()`, one reader and one writer thread per
//!    connection, the browser's and IRC's readers, a full server's door
//!    for the teacher, a newcomer waiting for a name's departing holder,
//!    capacity, addresses.
//!
//! A module is public only when a step, a test or the benchmark uses it.

// The docs are for reading the code (`make doc` builds them with
// --document-private-items), so public items may link to private ones.
#![allow(rustdoc::private_intra_doc_links)]

pub mod support;

pub mod text;

pub mod wire;

pub mod history;

pub mod accounts;

pub mod settings;

pub(crate) mod outbox;

pub(crate) mod chat;

pub mod server;
