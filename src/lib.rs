//! # chatroom
//!
//! The library behind the tutorial's programs. Steps 1 and 2 use only its
//! support code (flags, log lines, signals); step 3 adds the client settings
//! and the line helpers; `step4_server` is thin: it reads its settings and
//! calls [`server::run`]. Tests and the benchmark drive the same code.
//!
//! The folders are the layers, from the bytes on a socket inwards:
//! - [`support`]: what std lacks — flags and `--help` ([`support::cli`]),
//!   log lines, SIGINT/SIGTERM, UTC time as text, SHA-1 and base64 for the
//!   WebSocket handshake, and a temporary directory for tests.
//! - [`server`]: the accept loop, one reader and one writer thread per
//!   connection with the queue between them, capacity limits, the page a
//!   browser gets, LAN addresses, the operator password.
//! - [`wire`]: bytes → lines ([`wire::framing`]), lines → commands, and
//!   events → the exact lines each dialect receives; the IRC dialect
//!   ([`wire::irc`]) and the browser's WebSocket framing
//!   ([`wire::websocket`]). Pure code, tested with strings.
//! - [`chat`]: the rules — users and rooms behind one lock, names and their
//!   look-alikes, sanitising ([`chat::sanitize`]), flood control. No sockets,
//!   no files: a connection is its outbox plus a way to hang up.
//! - [`history`]: the message history files, replay on join, and the
//!   `transcript` and `attendance` subcommands.
//! - [`settings`]: server and client settings, from one table.
//!
//! Modules are private unless a step, a test or the benchmark uses them.

// The docs are for reading the code (`make doc` builds them with
// --document-private-items), so public items may link to private ones.
#![allow(rustdoc::private_intra_doc_links)]

pub mod chat;
pub mod support;
pub mod wire;

pub mod server;

pub mod history;

pub mod settings;

// Short paths for code that names these often.
use chat::names;
use settings::server as config;
use support::{cli, timestamp};
